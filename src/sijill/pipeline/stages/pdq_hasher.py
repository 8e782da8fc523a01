"""PDQ perceptual hashes of images and of video frames, for `sijill similar`.

Videos are hashed the way vPDQ does it: frames sampled at `fps` (1 per second by default),
one PDQ hash and quality score (0-100, how much detail the frame has) per frame, with its
time. Frames come from ffmpeg as a stream of PPM images (each carries its own size, so rotated
and odd-sized videos need no probing) and are hashed one at a time. Images and frames are
first fitted into the same `frame_size` box, small ones enlarged: PDQ reduces everything to
64x64 anyway, and one size for every copy makes resized re-encodes hash alike (a 160x120
re-encode of a 320x240 video differs from it by a median 12 bits this way, 22 without).
Low-quality frames are kept with their score; the matcher decides what to ignore.

Hashes are written as PDQ's usual 64-digit hex (bit 255 first), as ThreatExchange tools do.
"""

from __future__ import annotations

import importlib
import shutil
import subprocess
from collections.abc import Iterator
from typing import IO, Any, ClassVar

import numpy as np

from sijill.errors import InputRejected, StageError, ToolMissing
from sijill.pipeline.stage import ItemInfo, MediaHashOut, Stage, StageContext, StageResult
from sijill.tools import run_tool, start_tool
from sijill.tools.ffmpeg import input_args, input_options, probed_demuxer, source

_PROBE = "ffprobe_metadata"
ALGO = "pdq"


def pdq_hash(rgb: np.ndarray[Any, Any]) -> tuple[str, int]:
    """The PDQ hash (hex) and quality of an RGB uint8 array (height, width, 3)."""
    # pdqhash ships no type information; importing it by name keeps mypy strict elsewhere.
    pdqhash = importlib.import_module("pdqhash")
    bits, quality = pdqhash.compute(np.ascontiguousarray(rgb, dtype=np.uint8))
    # pdqhash returns bit 255 first, so packing gives the canonical hex.
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex(), int(quality)


def fit(width: int, height: int, side: int) -> tuple[int, int]:
    """The size that fits `side` x `side`, keeping the aspect ratio (small ones enlarged)."""
    scale = side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _read_ppm(stream: IO[bytes]) -> np.ndarray[Any, Any] | None:
    """The next binary PPM frame of ffmpeg's image2pipe output, or None at the end."""
    magic = stream.readline()
    if not magic:
        return None
    if magic.strip() != b"P6":
        raise StageError("ffmpeg wrote an unexpected frame format")
    dims = stream.readline().split()
    maxval = stream.readline().strip()
    if len(dims) != 2 or maxval != b"255":
        raise StageError("ffmpeg wrote an unexpected frame header")
    width, height = int(dims[0]), int(dims[1])
    size = width * height * 3
    data = stream.read(size)
    if len(data) < size:  # cut short: ffmpeg died mid-frame
        return None
    return np.frombuffer(data, dtype=np.uint8).reshape(height, width, 3)


class PdqHasher(Stage):
    name = "pdq_hasher"
    describes = True
    version = 1
    description = "PDQ perceptual hashes of images and of video frames (vPDQ), for `similar`"
    kinds: ClassVar[frozenset[str]] = frozenset({"image", "video"})
    after: ClassVar[tuple[str, ...]] = (_PROBE,)
    tools: ClassVar[tuple[str, ...]] = ("ffmpeg",)
    defaults: ClassVar[dict[str, Any]] = {
        "fps": 1.0,
        "frame_size": 512,
        "max_pixels": 120_000_000,
    }
    config_help: ClassVar[dict[str, str]] = {
        "fps": "video frames hashed per second (vPDQ uses 1)",
        "frame_size": "images and frames are scaled to fit this many pixels before hashing",
        "max_pixels": "largest image (in pixels) that is decoded",
    }
    timeout_s = 6 * 3600

    def accepts(self, item: ItemInfo, previous: dict[str, dict[str, Any]]) -> bool:
        if item.kind == "image":
            return item.mime != "image/svg+xml"
        probed = previous.get(_PROBE, {})
        has_video = item.info.get("has_video", probed.get("has_video"))
        if item.kind == "audio":  # libmagic calls some MP4 videos audio/mp4; ffprobe knows
            return has_video is True
        return item.kind == "video" and has_video is not False

    def run(self, ctx: StageContext) -> StageResult:
        side = int(ctx.config["frame_size"])
        if not 64 <= side <= 4096:
            raise StageError(f"frame_size must be between 64 and 4096, not {side}")
        if ctx.item.kind in ("video", "audio"):
            return self._video(ctx, side)
        return self._image(ctx, side)

    def _image(self, ctx: StageContext, side: int) -> StageResult:
        from PIL import Image, ImageOps, UnidentifiedImageError

        Image.MAX_IMAGE_PIXELS = int(ctx.config["max_pixels"])
        try:
            if ctx.item.mime in ("image/heic", "image/heif", "image/avif"):
                import pillow_heif

                pillow_heif.register_heif_opener()
            with Image.open(ctx.input_path) as im:
                im.draft("RGB", (side, side))  # JPEG: decode at a reduced scale, much faster
                upright = ImageOps.exif_transpose(im)
                if upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info:
                    # Transparent pixels are seen on white, not as whatever colour they hide.
                    rgba = upright.convert("RGBA")
                    flat = Image.new("RGBA", rgba.size, "white")
                    upright = Image.alpha_composite(flat, rgba)
                rgb = upright.convert("RGB")
                rgb = rgb.resize(fit(rgb.width, rgb.height, side), Image.Resampling.LANCZOS)
                array = np.asarray(rgb)
        except Image.DecompressionBombError as exc:
            raise InputRejected(
                f"image too large to hash safely: {exc}", status="rejected"
            ) from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise InputRejected(f"the image cannot be decoded: {exc}", status="invalid") from exc
        digest, quality = pdq_hash(array)
        return StageResult(
            data={"algo": ALGO, "quality": quality, "hashed_size": [rgb.width, rgb.height]},
            media_hashes=[MediaHashOut(algo=ALGO, hash=digest, quality=quality)],
        )

    def _video(self, ctx: StageContext, side: int) -> StageResult:
        fps = float(ctx.config["fps"])
        if not 0 < fps <= 30:
            raise StageError(f"fps must be above 0 and at most 30, not {fps}")
        duration = _duration(ctx)
        hashes: list[MediaHashOut] = []
        log = ctx.workdir / "ffmpeg-pdq.log"
        with log.open("wb") as errors:
            proc = start_tool(
                _ffmpeg_cmd(ctx, fps, side), stdout=subprocess.PIPE, stderr=errors, bufsize=1 << 20
            )
            try:
                assert proc.stdout is not None
                for index, frame in enumerate(_frames(proc.stdout)):
                    t = round(index / fps, 3)
                    digest, quality = pdq_hash(frame)
                    hashes.append(MediaHashOut(algo=ALGO, hash=digest, quality=quality, t=t))
                    if duration:
                        ctx.progress(t / duration)
                code = proc.wait()
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        lines = log.read_text("utf-8", "replace").strip().splitlines()
        why = lines[-1] if lines else f"ffmpeg exit code {code}"
        warnings: list[str] = []
        if not hashes:
            text = "\n".join(lines)
            if "matches no streams" in text or "does not contain any stream" in text:
                return StageResult(data={"algo": ALGO, "frames": 0, "video_stream": False})
            raise InputRejected(f"no video frame could be decoded ({why})", status="invalid")
        if code != 0:
            warnings.append(f"ffmpeg stopped after {len(hashes)} frames: {why}")
        low = sum(1 for h in hashes if h.quality < 50)
        return StageResult(
            data={"algo": ALGO, "fps": fps, "frames": len(hashes), "low_quality_frames": low},
            media_hashes=hashes,
            warnings=warnings,
        )


def _frames(stream: IO[bytes]) -> Iterator[np.ndarray[Any, Any]]:
    while (frame := _read_ppm(stream)) is not None:
        yield frame


def _ffmpeg_cmd(ctx: StageContext, fps: float, side: int) -> list[str]:
    exe = shutil.which("ffmpeg")
    if exe is None:
        raise ToolMissing("ffmpeg is not installed (Debian package ffmpeg)")
    # ffprobe_metadata names the real video stream (not cover art); else the first one.
    stream = ctx.previous.get(_PROBE, {}).get("video_index")
    # round=up: the frame on screen at each whole interval (0 s, 1 s...), as vPDQ takes
    # every n-th frame; the default would take the last frame before the half second.
    # Every video is fitted to the same box (see above).
    scale = f"scale={side}:{side}:force_original_aspect_ratio=decrease:flags=lanczos"
    return [
        exe,
        "-nostdin",
        "-hide_banner",
        "-loglevel",
        "error",
        # Only this plain file, opened as the recording ffprobe_metadata found.
        *input_args(ctx.input_path, demuxer=probed_demuxer(ctx.previous)),
        "-map",
        f"0:{stream}" if isinstance(stream, int) else "0:v:0",
        "-an",
        "-sn",
        "-dn",
        "-vf",
        f"fps={fps}:round=up,{scale}",
        "-f",
        "image2pipe",
        "-c:v",
        "ppm",
        "pipe:1",
    ]


def _duration(ctx: StageContext) -> float | None:
    """The video's length for progress reports: from ffprobe_metadata, else ffprobe."""
    for known in (ctx.item.info, ctx.previous.get(_PROBE, {})):
        value = known.get("duration_s")
        if isinstance(value, int | float) and value > 0:
            return float(value)
    exe = shutil.which("ffprobe")
    if exe is None:
        return None
    cmd = [exe, "-v", "error", *input_options(demuxer=probed_demuxer(ctx.previous))]
    cmd += ["-show_entries", "format=duration", "-of", "csv=p=0", source(ctx.input_path)]
    try:
        proc = run_tool(
            cmd,
            capture_output=True,
            timeout=60,
            check=False,
        )
        value = float(proc.stdout.decode("ascii", "replace").strip().splitlines()[0])
    except (subprocess.TimeoutExpired, ValueError, IndexError):
        return None
    return value if value > 0 else None
