"""A video's publication picture: every frame decoded, faces found, tracked and filled, re-encoded.

ffmpeg decodes the original (opened only as a recording, see `tools/ffmpeg.py`) to
upright RGB frames on a pipe, at a constant frame rate; each frame is searched for faces; the
tracker (`faces.FaceTracker`) joins detections into tracks and decides the fills. Because a
track is padded in time before its first detection, a frame is only filled and written once
`pad` later frames have been searched: a buffer of that many frames sits between detection
and the encoder. A second ffmpeg encodes the frames to one H.264 stream in MP4, bit-exact, with
no metadata, no audio, no SEI (x264 writes its version and settings there) and no display
matrix (the frames are already upright). Decoding, detection and encoding run at the same
time: a thread feeds the detector from the decoder, another feeds the encoder. The encoded
stream is then copied by `media.mux` into `dst`, which drops the encoder tag ffmpeg insists on.

Every output is written under a temporary name next to `dst` and renamed at the end, so a
failure never leaves a partial file at `dst`.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import IO, Any

import numpy as np

from sijill.errors import ConfigError, InputRejected, StageError
from sijill.protect.faces import (
    MODES,
    PAD_SECONDS,
    RGB,
    Detection,
    FaceDetector,
    FaceReport,
    FaceTracker,
    Region,
    ReviewSheet,
    covered,
    enlarge,
    fill,
    region_boxes,
)
from sijill.protect.media import mux
from sijill.protect.redact import Redactor
from sijill.protect.video_text import BurnedInText, fill_text
from sijill.tools import run_tool, start_tool
from sijill.tools.ffmpeg import input_options, source, tool, tool_message

Progress = Callable[[int, int], None]
MAX_PIXELS = 7680 * 4320  # 8K UHD; a larger frame is refused rather than risk memory
_QUEUE = 4  # frames in flight between threads, each side
_END = object()


@dataclass(frozen=True)
class VideoInfo:
    width: int  # upright, made even
    height: int
    rate: Fraction
    frames: int  # expected, for progress only


def video_info(src: Path) -> VideoInfo:
    """Size (after rotation), frame rate and frame count of the first video stream."""
    cmd = [tool("ffprobe"), "-v", "error", *input_options(), "-select_streams", "V:0"]
    cmd += ["-show_streams", "-show_format", "-of", "json", source(src)]
    try:
        proc = run_tool(cmd, capture_output=True, timeout=120, check=False)
    except subprocess.TimeoutExpired as exc:
        raise StageError("ffprobe took longer than 120 s on the video") from exc
    if proc.returncode != 0:
        raise StageError(f"ffprobe could not read the video: {tool_message(proc.stderr)}")
    try:
        data = json.loads(proc.stdout)
    except ValueError as exc:
        raise StageError("ffprobe gave output that is not JSON") from exc
    streams = data.get("streams") or []
    if not streams:
        raise StageError("no video stream to publish")
    st: dict[str, Any] = streams[0]
    w, h = int(st.get("width") or 0), int(st.get("height") or 0)
    if w <= 0 or h <= 0:
        raise StageError("the video stream has no frame size")
    rotation = 0.0
    for side in st.get("side_data_list") or []:
        if "rotation" in side:
            rotation = float(side["rotation"])
    rotation = rotation or float((st.get("tags") or {}).get("rotate") or 0)
    if round(abs(rotation)) % 180 == 90:
        w, h = h, w
    if w * h > MAX_PIXELS:
        raise InputRejected(f"video frames of {w}x{h} are larger than 8K, refused")
    if w < 2 or h < 2:
        raise StageError(f"video frames of {w}x{h} are too small")
    rate = Fraction(0)
    for key in ("avg_frame_rate", "r_frame_rate"):
        try:
            rate = Fraction(str(st.get(key) or "0/0"))
        except (ValueError, ZeroDivisionError):
            continue
        if 0 < rate <= 1000:
            break
    if not 0 < rate <= 1000:
        rate = Fraction(25)
    frames = int(st.get("nb_frames") or 0)
    if frames <= 0:
        duration = float(st.get("duration") or (data.get("format") or {}).get("duration") or 0)
        frames = max(0, round(duration * rate))
    return VideoInfo(w // 2 * 2, h // 2 * 2, rate, frames)


def _decoder(src: Path, info: VideoInfo, errors: IO[bytes]) -> subprocess.Popen[bytes]:
    # ffmpeg turns frames upright by default (autorotate); the crop keeps the size even, and
    # fails loudly rather than stretch if the probed size were wrong.
    cmd = [tool("ffmpeg"), "-nostdin", "-hide_banner", "-loglevel", "error"]
    cmd += [*input_options(), "-i", source(src), "-map", "0:V:0", "-an", "-sn", "-dn"]
    cmd += ["-vf", f"crop={info.width}:{info.height}:0:0", "-fps_mode", "cfr"]
    cmd += ["-r", str(info.rate), "-pix_fmt", "rgb24", "-f", "rawvideo", "pipe:1"]
    return start_tool(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors)


def encoder_args(width: int, height: int, rate: Fraction, dst: Path) -> list[str]:
    """ffmpeg reading raw RGB frames on stdin and writing one clean H.264 stream as MP4."""
    cmd = [tool("ffmpeg"), "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
    cmd += ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}"]
    cmd += ["-framerate", str(rate), "-i", "pipe:0", "-map", "0:v:0", "-an", "-sn", "-dn"]
    cmd += ["-map_metadata", "-1", "-map_chapters", "-1"]
    cmd += ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p"]
    # SEI units carry x264's version and options string; nothing in them is needed to play.
    cmd += ["-bsf:v", "filter_units=remove_types=6"]
    cmd += ["-fflags", "+bitexact", "-flags:v", "+bitexact", "-f", "mp4", str(dst)]
    return cmd


class _Reader(threading.Thread):
    """Reads whole frames from the decoder into a queue; ends with _END or an exception."""

    def __init__(self, pipe: IO[bytes], shape: tuple[int, int, int], out: queue.Queue[Any]):
        super().__init__(daemon=True)
        self.pipe, self.shape, self.out = pipe, shape, out
        self.stop = threading.Event()

    def run(self) -> None:
        size = int(np.prod(self.shape))
        try:
            while not self.stop.is_set():
                frame = np.empty(self.shape, np.uint8)
                view = frame.data.cast("B")
                got = 0
                while got < size:
                    n = self.pipe.readinto(view[got:])  # type: ignore[attr-defined]
                    if not n:
                        break
                    got += n
                if got == 0:
                    break
                if got < size:
                    raise StageError(f"the decoder stopped inside a frame ({got} of {size} bytes)")
                self._put(frame)
            self._put(_END)
        except (OSError, StageError, MemoryError) as exc:
            self._put(exc)  # raised again in the detecting thread

    def _put(self, item: Any) -> None:
        while not self.stop.is_set():
            try:
                self.out.put(item, timeout=0.2)
                return
            except queue.Full:
                continue


class _Writer(threading.Thread):
    """Writes frames from a queue to the encoder; remembers the first error."""

    def __init__(self, pipe: IO[bytes], inbox: queue.Queue[Any]):
        super().__init__(daemon=True)
        self.pipe, self.inbox = pipe, inbox
        self.error: OSError | None = None

    def run(self) -> None:
        while True:
            item = self.inbox.get()
            if item is _END:
                break
            if self.error is None:
                try:
                    self.pipe.write(memoryview(item).cast("B"))
                except OSError as exc:
                    self.error = exc  # keep draining so the producer never blocks
        try:
            self.pipe.close()
        except OSError as exc:
            self.error = self.error or exc


def anonymise_video(
    src: Path,
    dst: Path,
    *,
    mode: str = "solid",
    regions: Sequence[Region] = (),
    detector: FaceDetector | None = None,
    review_dir: Path | None = None,
    progress: Progress | None = None,
    redactor: Redactor | None = None,
    ocr_langs: str = "eng+fra+ara",
) -> FaceReport:
    """Write `dst`: the video of `src` with faces and manual regions filled, no audio; with
    a `redactor` that has terms, protected names burned into the frames are filled too
    (`video_text`), and `report.text` says what was read."""
    if mode not in MODES:
        raise ConfigError(f"unknown face fill {mode!r} (one of {', '.join(MODES)})")
    info = video_info(src)
    detector = detector or FaceDetector()
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dst.stem}-", suffix=".part", dir=dst.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    dec_err, enc_err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    procs: list[subprocess.Popen[bytes]] = []
    reader: _Reader | None = None
    writer: _Writer | None = None
    outbox: queue.Queue[Any] = queue.Queue(_QUEUE)
    try:
        dec = _decoder(src, info, dec_err)
        procs.append(dec)
        enc = start_tool(
            encoder_args(info.width, info.height, info.rate, tmp),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=enc_err,
        )
        procs.append(enc)
        assert dec.stdout is not None and enc.stdin is not None
        inbox: queue.Queue[Any] = queue.Queue(_QUEUE)
        reader = _Reader(dec.stdout, (info.height, info.width, 3), inbox)
        writer = _Writer(enc.stdin, outbox)
        reader.start()
        writer.start()
        text = (
            BurnedInText(redactor, float(info.rate), info.width, info.height, langs=ocr_langs)
            if redactor
            else None
        )
        try:
            report = _run(inbox, outbox, info, mode, regions, detector, review_dir, progress, text)
        finally:
            if text is not None:
                text.close()
        if text is not None:
            report.text = text.report.as_dict()
        outbox.put(_END)
        writer.join()
        if dec.wait() != 0:
            dec_err.seek(0)
            raise StageError(f"ffmpeg could not decode the video: {tool_message(dec_err.read())}")
        if report.frames == 0:
            raise StageError("the video has no frames that could be decoded")
        if enc.wait() != 0 or writer.error is not None:
            enc_err.seek(0)
            why = tool_message(enc_err.read()) or str(writer.error)
            raise StageError(f"ffmpeg could not encode the published video: {why}")
        # ffmpeg's command line names the encoder in a stream tag ("Lavc libx264") that no
        # option removes; a stream copy through `mux` leaves it behind.
        mux(dst, video=tmp)
        return report
    finally:
        if reader is not None:
            reader.stop.set()
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.wait()
        if writer is not None and writer.is_alive():
            outbox.put(_END)
            writer.join(5)
        dec_err.close()
        enc_err.close()
        tmp.unlink(missing_ok=True)


def _run(
    inbox: queue.Queue[Any],
    outbox: queue.Queue[Any],
    info: VideoInfo,
    mode: str,
    regions: Sequence[Region],
    detector: FaceDetector,
    review_dir: Path | None,
    progress: Progress | None,
    text: BurnedInText | None = None,
) -> FaceReport:
    """Detect, track, fill and hand frames on in order; returns what was done."""
    rate = float(info.rate)
    pad = max(1, round(PAD_SECONDS * rate))
    tracker = FaceTracker(detector.threshold, pad)
    sheet = ReviewSheet()
    report = FaceReport(frames=0, detections=0, tracks=0, filled_frames=0, borderline=[])
    w, h = info.width, info.height
    held: deque[RGB] = deque()  # searched frames waiting for `pad` later ones
    pending: deque[tuple[RGB, Future[list[Detection]]]] = deque()
    total = info.frames

    def emit() -> None:
        i = report.frames
        frame = held.popleft()
        t = i / rate
        fills = [enlarge(b, w, h) for b in tracker.boxes(i)]
        fills += region_boxes(regions, w, h, t, 1 / rate)
        fill(frame, fills, mode)
        if text is not None:
            fill_text(frame, text.boxes(i))
        doubt = [(enlarge((d.x0, d.y0, d.x1, d.y1), w, h), d.score) for d in tracker.doubtful(i)]
        doubt = [(b, s) for b, s in doubt if not covered(b, fills)]
        if doubt:
            report.borderline.append(round(t, 3))
            sheet.add(frame, [b for b, _ in doubt], t, max(s for _, s in doubt))
        report.filled_frames += bool(fills)
        report.frames += 1
        tracker.prune(i)
        outbox.put(frame)
        if progress is not None:
            progress(report.frames, max(total, report.frames))

    def searched() -> None:
        frame, fut = pending.popleft()
        tracker.update(report.frames + len(held), fut.result())
        held.append(frame)
        # A frame waits for `pad` later frames (face tracks) and for the next frame read
        # for burned-in names (what it shows may already show in this one).
        while len(held) > pad and (text is None or text.ready(report.frames)):
            emit()

    # One detection in flight while this thread fills and hands on the frames before it.
    with ThreadPoolExecutor(1, thread_name_prefix="faces") as pool:
        while True:
            item = inbox.get()
            if isinstance(item, BaseException):
                raise item
            if item is _END:
                break
            if text is not None:
                text.offer(report.frames + len(held) + len(pending), item)
            pending.append((item, pool.submit(detector.detect, item, min_score=detector.doubt)))
            if len(pending) > 1:
                searched()
        while pending:
            searched()
    if text is not None:
        text.end()
    while held:
        emit()
    report.detections, report.tracks = tracker.detections, tracker.confirmed
    if report.borderline and review_dir is not None:
        report.review_sheet = sheet.write(review_dir)
    return report
