"""Working copies of audio and video with ffmpeg: 16 kHz mono FLAC, a poster, a keyframe strip.

The audio is converted in one streaming pass (ffmpeg reads the file, Python only reads its
progress lines), so a three-hour recording costs no more memory than a short one. Frames
are taken by seeking, so the poster and the strip need not decode the whole video. All
metadata and chapters are dropped from the outputs; the original keeps them.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any, ClassVar

from sijill.errors import InputRejected, StageError
from sijill.pipeline.stage import DerivativeOut, ItemInfo, Stage, StageContext, StageResult
from sijill.tools import run_tool, start_tool
from sijill.tools.ffmpeg import input_args, probed_demuxer, tool, tool_message

_PROBE = "ffprobe_metadata"
_QUIET = ["-nostdin", "-hide_banner", "-loglevel", "error"]
_CLEAN = ["-map_metadata", "-1", "-map_chapters", "-1", "-fflags", "+bitexact"]


def _tail(path: Path, size: int = 16384) -> bytes:
    try:
        with open(path, "rb") as f:
            f.seek(max(0, path.stat().st_size - size))
            return f.read()
    except OSError:
        return b""


def _jpeg_size(path: Path) -> tuple[int, int] | None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            return im.size
    except (UnidentifiedImageError, OSError):
        return None


class FfmpegNormaliser(Stage):
    name = "ffmpeg_normaliser"
    version = 1
    description = "16 kHz mono FLAC of the audio; a poster frame and a keyframe strip of video"
    kinds: ClassVar[frozenset[str]] = frozenset({"video", "audio"})
    after: ClassVar[tuple[str, ...]] = (_PROBE,)
    tools: ClassVar[tuple[str, ...]] = ("ffmpeg",)
    defaults: ClassVar[dict[str, Any]] = {
        "audio_rate": 16000,
        "strip_frames": 8,
        "strip_height": 160,
        "jpeg_quality": 3,
        "threads": 2,
        "frame_timeout_s": 300,
    }
    config_help: ClassVar[dict[str, str]] = {
        "audio_rate": "sample rate of the mono FLAC working copy (Hz)",
        "strip_frames": "frames in the keyframe strip, evenly spaced (2 to 32)",
        "strip_height": "height of each frame in the strip (pixels)",
        "jpeg_quality": "JPEG quality of poster and strip, 2 (best) to 31",
        "threads": "decoder threads per ffmpeg",
        "frame_timeout_s": "longest the poster or the strip may take",
    }
    timeout_s = 3600

    def accepts(self, item: ItemInfo, previous: dict[str, dict[str, Any]]) -> bool:
        probe = previous.get(_PROBE, {})
        return bool(probe.get("has_audio") or probe.get("has_video"))

    def run(self, ctx: StageContext) -> StageResult:
        probe = ctx.previous[_PROBE]
        # Open the file with the demuxer ffprobe found, and nothing but a plain file; any
        # demuxer nested inside (a subtitle track's) must be a recording's too.
        inp = input_args(ctx.input_path, demuxer=probed_demuxer(ctx.previous))
        duration = float(probe["duration_s"]) if probe.get("duration_s") else None
        has_video = bool(probe.get("has_video"))
        derivatives: list[DerivativeOut] = []
        warnings: list[str] = []
        failures: list[str] = []
        if probe.get("has_audio"):
            share = 0.9 if has_video else 1.0
            audio, heard, problem = self._audio(
                ctx, inp, int(probe["audio_index"]), duration, share
            )
            if audio is not None:
                derivatives.append(audio)
                promised = probe.get("audio_duration_s") or duration
                if promised and heard is not None and heard < promised * 0.9 - 0.5:
                    warnings.append(
                        f"the audio stops at {heard:.1f} s of {promised:.1f} s: "
                        "the file looks truncated"
                    )
                duration = duration or heard
            if problem:
                (warnings if audio is not None else failures).append(problem)
        if has_video:
            index = int(probe["video_index"])
            for make, reached in ((self._poster, 0.95), (self._strip, 1.0)):
                made, problem = make(ctx, inp, index, duration)
                if made is not None:
                    derivatives.append(made)
                elif problem:
                    failures.append(problem)
                ctx.progress(reached)
        if not derivatives:
            reason = "; ".join(failures) or "nothing could be decoded"
            raise InputRejected(f"the {ctx.item.kind} cannot be decoded: {reason}", "invalid")
        return StageResult(
            data={
                "derivatives": [d.kind for d in derivatives],
                "duration_s": duration,
            },
            derivatives=derivatives,
            warnings=warnings + failures,
            # Shown with the item: a truncated or damaged recording is still evidence.
            item_info={"media_problems": warnings + failures},
        )

    def _audio(
        self,
        ctx: StageContext,
        inp: list[str],
        index: int,
        duration: float | None,
        share: float,
    ) -> tuple[DerivativeOut | None, float | None, str | None]:
        """The FLAC working copy; also how long the audio turned out to be, and any problem."""
        rate = int(ctx.config["audio_rate"])
        out = ctx.workdir / "audio_16k.flac"
        errors = ctx.workdir / "audio.log"
        cmd = [tool("ffmpeg"), *_QUIET, "-nostats", *inp]
        cmd += ["-map", f"0:{index}", "-vn", "-sn", "-dn", *_CLEAN, "-flags:a", "+bitexact"]
        cmd += ["-ac", "1", "-ar", str(rate), "-sample_fmt", "s16", "-c:a", "flac", "-f", "flac"]
        cmd += ["-progress", "pipe:1", "-y", str(out)]
        done_us = 0
        with open(errors, "wb") as err:
            proc = start_tool(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err)
            assert proc.stdout is not None
            for raw in proc.stdout:  # key=value lines, a block about twice a second
                key, _, value = raw.decode("ascii", "replace").strip().partition("=")
                if key == "out_time_us" and value.lstrip("-").isdigit():
                    done_us = max(done_us, int(value))
                    if duration:
                        ctx.progress(share * min(1.0, done_us / 1e6 / duration))
            rc = proc.wait()
        message = tool_message(_tail(errors))
        made = out.exists() and out.stat().st_size > 0 and done_us > 0
        if rc != 0 and made:
            raise StageError(f"ffmpeg stopped while converting the audio: {message or rc}")
        if not made:
            return None, None, f"the audio cannot be decoded: {message or 'no samples'}"
        heard = round(done_us / 1e6, 3)
        blob = ctx.store_file(out)
        out.unlink()
        derivative = DerivativeOut(
            kind="audio_16k",
            mime="audio/flac",
            blob=blob,
            info={"rate": rate, "channels": 1, "duration_s": heard, "stream": index},
        )
        problem = f"ffmpeg reported errors decoding the audio: {message}" if message else None
        return derivative, heard, problem

    def _frame_cmd(self, ctx: StageContext, inp: list[str], seek: float | None) -> list[str]:
        """One confined video input (`inp`), optionally seeking to `seek` seconds."""
        cmd = ["-threads", str(int(ctx.config["threads"]))]
        if seek is not None:
            cmd += ["-ss", f"{seek:.3f}"]
        return [*cmd, *inp]

    def _jpeg(self, ctx: StageContext, args: list[str], out: Path) -> tuple[bool, str]:
        """Run ffmpeg writing one JPEG to `out`; whether it did, and ffmpeg's complaint."""
        cmd = [tool("ffmpeg"), *_QUIET, *args, "-frames:v", "1", "-an", "-sn", "-dn", *_CLEAN]
        cmd += ["-flags:v", "+bitexact", "-c:v", "mjpeg", "-q:v", str(ctx.config["jpeg_quality"])]
        cmd += ["-f", "mjpeg", "-y", str(out)]
        limit = float(ctx.config["frame_timeout_s"])
        try:
            proc = run_tool(cmd, capture_output=True, timeout=limit, check=False)
        except subprocess.TimeoutExpired:
            return False, f"took longer than {limit:.0f} s"
        ok = proc.returncode == 0 and out.exists() and out.stat().st_size > 0
        return ok, tool_message(proc.stderr)

    def _poster(
        self, ctx: StageContext, inp: list[str], index: int, duration: float | None
    ) -> tuple[DerivativeOut | None, str | None]:
        """One frame at a tenth of the video (10 s in at most), else the first frame."""
        out = ctx.workdir / "poster.jpg"
        at = round(min(duration * 0.1, 10.0), 3) if duration else 0.0
        message = ""
        for seek in (at, None) if at > 0 else (None,):
            args = [*self._frame_cmd(ctx, inp, seek), "-map", f"0:{index}"]
            ok, message = self._jpeg(ctx, args, out)
            size = _jpeg_size(out) if ok else None
            if size:
                info = {"t": seek or 0.0, "width": size[0], "height": size[1], "stream": index}
                blob = ctx.store_file(out)
                out.unlink()
                return DerivativeOut(kind="poster", mime="image/jpeg", blob=blob, info=info), None
        return None, f"no poster frame: {message or 'no frame decoded'}"

    def _strip(
        self, ctx: StageContext, inp: list[str], index: int, duration: float | None
    ) -> tuple[DerivativeOut | None, str | None]:
        """Frames evenly spaced over the video, side by side in one JPEG."""
        n = min(32, max(2, int(ctx.config["strip_frames"])))
        height = int(ctx.config["strip_height"])
        out = ctx.workdir / "keyframe_strip.jpg"
        scale = f"scale=-2:{height},setsar=1"
        message = ""
        if duration:
            # One seeking input per frame: cheap even for hours of video.
            times = [round(duration * (i + 0.5) / n, 3) for i in range(n)]
            args: list[str] = []
            for t in times:
                args += self._frame_cmd(ctx, inp, t)
            chains = [f"[{i}:{index}]{scale},trim=end_frame=1[f{i}]" for i in range(n)]
            graph = ";".join(chains) + ";" + "".join(f"[f{i}]" for i in range(n))
            graph += f"hstack=inputs={n}[strip]"
            ok, message = self._jpeg(ctx, [*args, "-filter_complex", graph, "-map", "[strip]"], out)
            size = _jpeg_size(out) if ok else None
            if size:
                return self._strip_out(ctx, out, size, n, times, "seek"), None
        # Seeking failed (some demuxers land past the last keyframe near the end) or there
        # is no duration: decode only keyframes in one pass, evenly spaced if we can, else
        # the first n.
        keyframes = ["-skip_frame", "nokey", *self._frame_cmd(ctx, inp, None)]
        keyframes += ["-map", f"0:{index}"]
        attempts = [(f"{scale},tile={n}x1", "first_keyframes")]
        if duration:
            attempts.insert(0, (f"fps={n / duration:.6f},{scale},tile={n}x1", "keyframes"))
        for chain, method in attempts:
            ok, problem = self._jpeg(ctx, [*keyframes, "-vf", chain], out)
            message = problem or message
            size = _jpeg_size(out) if ok else None
            if size:
                return self._strip_out(ctx, out, size, n, None, method), None
        return None, f"no keyframe strip: {message or 'no frame decoded'}"

    def _strip_out(
        self,
        ctx: StageContext,
        out: Path,
        size: tuple[int, int],
        n: int,
        times: list[float] | None,
        method: str,
    ) -> DerivativeOut:
        info = {"frames": n, "times": times, "width": size[0], "height": size[1], "method": method}
        blob = ctx.store_file(out)
        out.unlink()
        return DerivativeOut(kind="keyframe_strip", mime="image/jpeg", blob=blob, info=info)
