"""A working copy of a video that any browser plays and seeks: WebM (VP8 and Opus), at most
480 lines, all metadata dropped. The web app's testimony viewer plays it (HTTP Range); the
original is never sent to a browser for viewing.

Encoded in one streaming pass with libvpx's realtime settings (several times faster than
real time on one core), so an hour of interview costs minutes, not hours.
"""

from __future__ import annotations

import subprocess
from typing import Any, ClassVar

from sijill.errors import StageError
from sijill.pipeline.stage import DerivativeOut, ItemInfo, Stage, StageContext, StageResult
from sijill.tools import start_tool
from sijill.tools.ffmpeg import input_args, probed_demuxer, tool, tool_message

_PROBE = "ffprobe_metadata"
_QUIET = ["-nostdin", "-hide_banner", "-loglevel", "error", "-nostats"]
_CLEAN = ["-map_metadata", "-1", "-map_chapters", "-1", "-fflags", "+bitexact"]


class VideoProxy(Stage):
    name = "video_proxy"
    version = 1
    description = "a WebM working copy of video for the browser's player (480 lines at most)"
    kinds: ClassVar[frozenset[str]] = frozenset({"video"})
    after: ClassVar[tuple[str, ...]] = (_PROBE,)
    tools: ClassVar[tuple[str, ...]] = ("ffmpeg",)
    defaults: ClassVar[dict[str, Any]] = {
        "height": 480,
        "video_kbps": 700,
        "audio_kbps": 64,
        "threads": 2,
    }
    config_help: ClassVar[dict[str, str]] = {
        "height": "most lines of the working copy (smaller videos keep their size)",
        "video_kbps": "video bit rate (kbit/s)",
        "audio_kbps": "Opus audio bit rate (kbit/s)",
        "threads": "encoder threads",
    }
    timeout_s = 6 * 3600

    def accepts(self, item: ItemInfo, previous: dict[str, dict[str, Any]]) -> bool:
        return bool(previous.get(_PROBE, {}).get("has_video"))

    def run(self, ctx: StageContext) -> StageResult:
        probe = ctx.previous[_PROBE]
        inp = input_args(ctx.input_path, demuxer=probed_demuxer(ctx.previous))
        duration = float(probe["duration_s"]) if probe.get("duration_s") else None
        height = int(ctx.config["height"])
        out = ctx.workdir / "video_working.webm"
        errors = ctx.workdir / "proxy.log"
        cmd = [tool("ffmpeg"), *_QUIET, "-threads", str(int(ctx.config["threads"])), *inp]
        cmd += ["-map", f"0:{int(probe['video_index'])}"]
        if probe.get("has_audio"):
            cmd += ["-map", f"0:{int(probe['audio_index'])}"]
            cmd += ["-c:a", "libopus", "-b:a", f"{int(ctx.config['audio_kbps'])}k", "-ac", "2"]
        cmd += ["-sn", "-dn", *_CLEAN]
        # Even dimensions, never upscaled; square pixels so every player shows the same shape.
        cmd += ["-vf", f"scale=-2:'min({height},trunc(ih/2)*2)',setsar=1", "-pix_fmt", "yuv420p"]
        cmd += ["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8"]
        cmd += ["-b:v", f"{int(ctx.config['video_kbps'])}k", "-auto-alt-ref", "0"]
        cmd += ["-threads", str(int(ctx.config["threads"])), "-f", "webm"]
        cmd += ["-progress", "pipe:1", "-y", str(out)]
        done_us = 0
        with open(errors, "wb") as err:
            proc = start_tool(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err)
            assert proc.stdout is not None
            for raw in proc.stdout:
                key, _, value = raw.decode("ascii", "replace").strip().partition("=")
                if key == "out_time_us" and value.lstrip("-").isdigit():
                    done_us = max(done_us, int(value))
                    if duration:
                        ctx.progress(min(1.0, done_us / 1e6 / duration))
            rc = proc.wait()
        message = tool_message(errors.read_bytes()[-16384:] if errors.exists() else b"")
        if rc != 0 or not out.exists() or out.stat().st_size == 0:
            raise StageError(f"the browser copy of the video failed: {message or rc}")
        blob = ctx.store_file(out)
        out.unlink()
        info = {"seconds": round(done_us / 1e6, 3), "height_max": height, "codec": "vp8+opus"}
        return StageResult(
            data={"derivatives": ["video_working"], "duration_s": info["seconds"]},
            derivatives=[
                DerivativeOut(kind="video_working", mime="video/webm", blob=blob, info=info)
            ],
            warnings=[f"ffmpeg reported: {message}"] if message else [],
        )
