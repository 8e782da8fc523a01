"""Video frames for the leak check: a fixed rate plus every scene change, however long.

A face or a name shown for two seconds of a ten-minute film must be seen, so the sampler
never caps the number of frames: it takes the first frame of every 1/fps slot (so at least
`fps` frames a second on average, and never a gap much over 1/fps) and, in addition, every
frame whose scene-change score is above `scene` (a cut to a name card between two samples).
Frames are streamed from one ffmpeg process (bounded memory, whatever the length), scaled so
that the longest side is at most `max_side`, with the display rotation applied as a player
shows it. ffmpeg opens the file confined like any original (plain file, recording demuxers
only; see sijill.tools.ffmpeg): a publication copy is hostile input too.

Each frame's time comes from ffmpeg's `showinfo` filter (read from stderr in a thread, so
neither pipe can fill up and stall ffmpeg).
"""

from __future__ import annotations

import queue
import re
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import numpy as np

from sijill.errors import StageError
from sijill.tools import start_tool
from sijill.tools.ffmpeg import input_args

_PTS = re.compile(rb"Parsed_showinfo.*?\bn:\s*(\d+).*?\bpts_time:\s*(-?[\d.eE+-]+|nan)")
# How long to wait for ffmpeg's log line of a frame whose pixels have already arrived.
_TIME_WAIT = 30.0


def sample_frames(
    path: Path, *, fps: float = 2.0, scene: float = 0.3, max_side: int = 1280
) -> Iterator[tuple[float, np.ndarray]]:
    """(seconds, RGB uint8 HxWx3) of the first video stream of `path`, in time order: the
    regular samples at `fps` plus the scene-change frames (score > `scene`; 0 or less turns
    them off). Raises StageError if ffmpeg cannot decode the file."""
    if fps <= 0 or max_side < 16:
        raise ValueError("fps must be positive and max_side at least 16")
    # The first frame of each 1/fps slot, like the fps filter but without duplicating or
    # dropping anything at a cut; plus the cuts themselves.
    keep = f"isnan(prev_selected_t)+gt(floor(t*{fps:.6f}),floor(prev_selected_t*{fps:.6f}))"
    if scene > 0:
        keep += f"+gt(scene,{scene:.4f})"
    # Scaled first: the scene score on the working size is cheaper and just as telling.
    shrink = f"min(1,{max_side}/max(iw,ih))"
    vf = (
        f"scale=w='max(1,round(iw*{shrink}))':h='max(1,round(ih*{shrink}))',"
        f"select='{keep}',showinfo"
    )
    cmd = [
        "ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-loglevel", "info",
        *input_args(path), "-map", "0:v:0", "-vf", vf, "-fps_mode", "passthrough",
        "-pix_fmt", "rgb24", "-f", "image2pipe", "-c:v", "ppm", "-",
    ]  # fmt: skip
    try:
        proc = start_tool(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as exc:
        raise StageError(f"ffmpeg cannot be started: {exc}") from exc
    assert proc.stdout is not None and proc.stderr is not None
    times: queue.Queue[float | None] = queue.Queue()
    tail: list[bytes] = []
    reader = threading.Thread(target=_read_log, args=(proc.stderr, times, tail), daemon=True)
    reader.start()
    finished = False
    try:
        last = -1.0
        while True:
            frame = _read_ppm(proc.stdout)
            if frame is None:
                break
            try:
                t = times.get(timeout=_TIME_WAIT)
            except queue.Empty:
                t = None
            # A frame without a readable time is still checked; it is placed just after the
            # one before so that the order holds.
            last = t if t is not None and t >= last else last + 1e-3
            yield last, frame
        proc.wait(timeout=60)
        finished = True
    finally:
        proc.stdout.close()
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        reader.join(timeout=5)
    if finished and proc.returncode != 0:
        msg = b"".join(tail).decode("utf-8", "replace").strip().splitlines()
        raise StageError(f"ffmpeg cannot decode the video: {msg[-1] if msg else proc.returncode}")


def _read_log(stream: IO[bytes], times: queue.Queue[float | None], tail: list[bytes]) -> None:
    """Frame times from showinfo's lines; the last other lines kept for an error message."""
    for line in stream:
        m = _PTS.search(line)
        if m:
            raw = m.group(2)
            try:
                times.put(None if raw == b"nan" else float(raw))
            except ValueError:
                times.put(None)
        elif line.strip():
            tail.append(line)
            del tail[:-5]
    stream.close()


def _read_ppm(stream: IO[bytes]) -> np.ndarray | None:
    """One binary PPM picture (P6, 8 bits) from a pipe of them; None at the end."""
    read = stream.read
    fields: list[bytes] = []
    token = b""
    while len(fields) < 4:
        ch = read(1)
        if not ch:
            return None
        if ch.isspace():
            if token:
                fields.append(token)
                token = b""
        else:
            token += ch
            if len(token) > 16:
                raise StageError("ffmpeg sent an unreadable frame header")
    if fields[0] != b"P6":
        raise StageError("ffmpeg sent an unexpected frame format")
    w, h, maxval = int(fields[1]), int(fields[2]), int(fields[3])
    if maxval > 255:
        raise StageError("ffmpeg sent 16-bit frames")
    size = w * h * 3
    data = read(size)
    if len(data) < size:
        return None
    return np.frombuffer(data, dtype=np.uint8).reshape(h, w, 3)
