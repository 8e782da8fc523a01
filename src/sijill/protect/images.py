"""Publication copies of images: a new file written from the upright pixels, nothing else.

The source is decoded (HEIC included), turned upright by its EXIF orientation and converted
from an embedded ICC profile to sRGB; then only the pixel array goes on, through the face
filter when one is given, into a freshly made JPEG or PNG with no EXIF, XMP, IPTC, ICC, text
chunks or comments. Nothing of the source container survives, so nothing in it can leak.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from sijill.errors import InputRejected, StageError

MAX_PIXELS = 120_000_000
# The face filter: upright RGB pixels in, anonymised pixels and a FaceReport out.
FaceFn = Callable[[np.ndarray], tuple[np.ndarray, Any]]


def face_report_dict(report: Any) -> dict[str, Any] | None:
    """A FaceReport (a dataclass) as plain JSON-ready values."""
    if report is None:
        return None
    if dataclasses.is_dataclass(report) and not isinstance(report, type):
        data = dataclasses.asdict(report)
    else:
        data = dict(vars(report))
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in data.items()}


def has_face(report: Any) -> bool:
    return bool(getattr(report, "detections", 0) or getattr(report, "filled_frames", 0))


def load_upright(src: Path) -> tuple[Image.Image, dict[str, Any]]:
    """The first frame of an image, upright and in sRGB (RGB or RGBA), and what was done."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    notes: dict[str, Any] = {}
    try:
        with Image.open(src) as im:
            # Checked before any pixel is decoded; Pillow's own global limit is left alone
            # (it is process-wide, and other code sets it for other needs).
            if im.width * im.height > MAX_PIXELS:
                raise Image.DecompressionBombError(f"{im.width}x{im.height} pixels")
            fmt = im.format or "unknown"
            frames = getattr(im, "n_frames", 1)
            im.seek(0)
            # pillow-heif turns HEIF images upright itself and keeps the tag it applied here.
            orientation = im.info.get("original_orientation") or im.getexif().get(0x0112, 1)
            icc = im.info.get("icc_profile")
            upright = ImageOps.exif_transpose(im)
            if upright is None:  # only when in_place=True; keeps mypy and Pillow honest
                upright = im.copy()
            has_alpha = upright.mode in ("RGBA", "LA", "PA") or (
                upright.mode == "P" and "transparency" in upright.info
            )
            icc_converted = False
            if icc:
                upright, icc_converted = _to_srgb(upright, icc, has_alpha)
            out = upright.convert("RGBA" if has_alpha else "RGB")
            out.load()
    except Image.DecompressionBombError as exc:
        raise InputRejected(
            f"image too large to rebuild safely (over {MAX_PIXELS} pixels): {exc}",
            status="rejected",
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise InputRejected(f"the image cannot be decoded: {exc}", status="invalid") from exc
    notes["format"] = fmt
    notes["orientation_applied"] = orientation not in (None, 1)
    notes["icc_converted"] = icc_converted
    if frames > 1:
        notes["frames_dropped"] = frames - 1
    return out, notes


def _to_srgb(im: Image.Image, icc: bytes, has_alpha: bool) -> tuple[Image.Image, bool]:
    mode = "RGBA" if has_alpha else "RGB"
    try:
        src_profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if im.mode not in ("RGB", "RGBA", "CMYK", "L"):
            im = im.convert(mode)
        in_mode = im.mode
        out_mode = mode if in_mode != "CMYK" else "RGB"
        if in_mode == "L":
            out_mode = "L"
        converted = ImageCms.profileToProfile(
            im,
            src_profile,
            ImageCms.createProfile("sRGB"),
            renderingIntent=ImageCms.Intent.PERCEPTUAL,
            outputMode=out_mode,
        )
    except (ImageCms.PyCMSError, OSError, ValueError):
        # A broken profile: the pixels are still usable, only their colours may be off.
        return im, False
    if converted is None:
        return im, False
    return converted, True


def rebuild_image(src: Path, dst: Path, *, faces: FaceFn | None = None) -> dict[str, Any]:
    """Write `dst` (.jpg or .png) from the upright sRGB pixels of `src`, faces filled."""
    suffix = dst.suffix.lower()
    if suffix not in (".jpg", ".jpeg", ".png"):
        raise StageError(f"publication images are .jpg or .png, not {dst.suffix!r}")
    image, notes = load_upright(src)
    pixels = np.asarray(image)
    rgb = np.ascontiguousarray(pixels[..., :3])
    report = None
    if faces is not None:
        rgb, report = faces(rgb)
        rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    if pixels.shape[-1] == 4:
        alpha = pixels[..., 3]
        if suffix == ".png":
            # Fully transparent pixels still carry colour values, which can hold a hidden
            # picture: they become plain white.
            rgb = np.where((alpha == 0)[..., None], np.uint8(255), rgb)
            fresh = Image.fromarray(np.dstack([rgb, alpha]), "RGBA")
        else:
            a = alpha[..., None].astype(np.float32) / 255.0
            flat = rgb.astype(np.float32) * a + 255.0 * (1.0 - a)
            fresh = Image.fromarray(np.clip(flat + 0.5, 0, 255).astype(np.uint8), "RGB")
    else:
        fresh = Image.fromarray(rgb, "RGB")
    if suffix == ".png":
        # A new image with no pnginfo, icc_profile or exif: IHDR, IDAT and IEND only.
        fresh.save(dst, "PNG", optimize=False, compress_level=6)
    else:
        fresh.save(dst, "JPEG", quality=90, optimize=True)
    out: dict[str, Any] = {
        "width": fresh.width,
        "height": fresh.height,
        "format": notes["format"],
        "orientation_applied": notes["orientation_applied"],
        "icc_converted": notes["icc_converted"],
        "faces": face_report_dict(report),
    }
    if "frames_dropped" in notes:
        out["first_frame_only"] = True
        out["frames_dropped"] = notes["frames_dropped"]
    if suffix != ".png" and pixels.shape[-1] == 4:
        out["alpha_flattened_on_white"] = True
    return out
