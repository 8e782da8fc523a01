"""OCR with Tesseract: images, and PDF pages that have no usable text layer.

Runs the `tesseract` command (one process per page, OMP_THREAD_LIMIT=1: on few cores
OpenMP threads make Tesseract several times slower). Page segmentation mode 1 detects
orientation and script, so rotated scans are read the right way up.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, ClassVar

from sijill.errors import InputRejected, StageError, ToolMissing
from sijill.pipeline.stage import ItemInfo, Stage, StageContext, StageResult, TextUnitOut
from sijill.tools import run_tool

# Formats Tesseract (Leptonica) reads directly; anything else is converted with Pillow.
_DIRECT = frozenset(
    {
        "image/png",
        "image/jpeg",
        "image/tiff",
        "image/bmp",
        "image/gif",
        "image/webp",
        "image/x-portable-pixmap",
        "image/x-portable-graymap",
    }
)
_LANGS = re.compile(r"[a-z_]{3,}(\+[a-z_]{3,})*")
_PDF = "pdfium_text_extractor"


def tesseract_cmd(image: Path, languages: str, psm: int, dpi: int | None = None) -> list[str]:
    exe = shutil.which("tesseract")
    if exe is None:
        raise ToolMissing("tesseract is not installed (Debian packages tesseract-ocr-*)")
    cmd = [exe, str(image), "stdout", "-l", languages, "--psm", str(psm)]
    if dpi:
        cmd += ["--dpi", str(dpi)]
    return cmd


def run_tesseract(
    image: Path, languages: str, psm: int, timeout: float, dpi: int | None = None
) -> str:
    try:
        proc = run_tool(
            tesseract_cmd(image, languages, psm, dpi),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise StageError(f"tesseract took longer than {timeout:.0f} s on one page") from exc
    if proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise StageError(f"tesseract failed: {msg[-1] if msg else proc.returncode}")
    return proc.stdout.decode("utf-8", "replace").replace("\f", "").strip()


MIN_SCAN_DPI = 150  # below this a scan is enlarged to the configured dpi (300)
MAX_SCAN_DPI = 600  # above this a scan is read at 600: finer costs time and reads no better
_COVER = 0.8  # share of the page one picture must cover to make the page a scan


def scan_dpi(page: Any) -> float | None:
    """The resolution at which a scanned page is read: that of the one picture covering the
    page (at least `_COVER` of it), in pixels per inch as placed, kept within
    MIN_SCAN_DPI..MAX_SCAN_DPI; None when the page is not a single picture, or the picture is
    coarser than MIN_SCAN_DPI (then the configured resolution applies)."""
    import pypdfium2 as pdfium

    images = []
    for obj in page.get_objects(filter=[pdfium.raw.FPDF_PAGEOBJ_IMAGE], max_depth=4):
        images.append(obj)
        if len(images) > 1:
            return None
    if not images:
        return None
    width, height = page.get_size()
    left, bottom, right, top = images[0].get_bounds()
    shown = max(0.0, right - left) * max(0.0, top - bottom)
    if width <= 0 or height <= 0 or shown < _COVER * width * height:
        return None
    px_w, px_h = images[0].get_px_size()
    # Pixels per inch as placed, the same whichever way the picture is turned.
    dpi = float((px_w * px_h / (shown / 72.0 / 72.0)) ** 0.5)
    if dpi < MIN_SCAN_DPI * 0.97:  # a 150 dpi scan measures 149.9 once placed in points
        return None
    return min(dpi, MAX_SCAN_DPI)


def scan_pixels(page: Any, max_pixels: int) -> Any:
    """The stored pixels of a scanned page's one picture (grey, Pillow), when they are what
    the page shows as it stands: the page not turned, the picture placed upright and
    unmirrored, no larger than `max_pixels`. None otherwise (the page is rendered instead)."""
    import pypdfium2 as pdfium

    if page.get_rotation() % 360:
        return None
    obj = next(iter(page.get_objects(filter=[pdfium.raw.FPDF_PAGEOBJ_IMAGE], max_depth=4)))
    a, b, c, d, _, _ = obj.get_matrix().get()
    px_w, px_h = obj.get_px_size()
    if b or c or a <= 0 or d <= 0 or px_w * px_h > max_pixels:
        return None
    try:
        # pdfium owns this bitmap (closing it by hand is unsafe): it goes with the page.
        return obj.get_bitmap(render=False).to_pil().convert("L")
    except pdfium.PdfiumError:
        return None


class TesseractOcr(Stage):
    name = "tesseract_ocr"
    # 2: scanned PDF pages are read at their own resolution (150-600 dpi), from their stored
    # pixels where the page shows them as stored, not rendered at 300.
    version = 2
    description = "Tesseract OCR of images and of PDF pages without a usable text layer"
    kinds: ClassVar[frozenset[str]] = frozenset({"image"})
    after: ClassVar[tuple[str, ...]] = (_PDF,)
    tools: ClassVar[tuple[str, ...]] = ("tesseract",)
    defaults: ClassVar[dict[str, Any]] = {
        "languages": "eng+fra+ara",
        "psm": 1,
        "dpi": 300,
        "page_timeout_s": 300,
        "max_pixels": 120_000_000,
        "max_pages": 500,
    }
    config_help: ClassVar[dict[str, str]] = {
        "languages": "Tesseract languages joined by '+', e.g. ara+eng (per case)",
        "psm": "page segmentation mode; 1 = automatic with orientation detection",
        "dpi": "resolution PDF pages are rendered at when they are not one scanned picture of "
        "150 dpi or finer (those are read at their own), and assumed for images under 150 dpi",
        "page_timeout_s": "longest Tesseract may take on one page",
        "max_pixels": "largest image (in pixels) that is OCR'd; larger PDF pages are OCR'd smaller",
        "max_pages": "most PDF pages one job OCRs (about 2 s each); more are refused",
    }
    timeout_s = 3600

    def accepts(self, item: ItemInfo, previous: dict[str, dict[str, Any]]) -> bool:
        if item.mime == "application/pdf":
            return bool(previous.get(_PDF, {}).get("ocr_pages"))
        return item.kind == "image" and item.mime != "image/svg+xml"

    def run(self, ctx: StageContext) -> StageResult:
        langs = str(ctx.config["languages"])
        if not _LANGS.fullmatch(langs):
            raise StageError(f"bad OCR language list {langs!r}")
        if ctx.item.mime == "application/pdf":
            return self._pdf(ctx, langs)
        return self._image(ctx, langs)

    def _image(self, ctx: StageContext, langs: str) -> StageResult:
        image, dpi = self._prepare_image(ctx)
        # Phones write 72 dpi (or nothing); Tesseract then misjudges the size of the text.
        # Tell it the usual scan resolution instead.
        assumed = int(ctx.config["dpi"]) if dpi is None or dpi < 150 else None
        text = run_tesseract(
            image, langs, int(ctx.config["psm"]), float(ctx.config["page_timeout_s"]), assumed
        )
        units = [TextUnitOut(kind="image", text=text, method="ocr")] if text else []
        return StageResult(data={"languages": langs, "chars": len(text)}, text_units=units)

    def _prepare_image(self, ctx: StageContext) -> tuple[Path, float | None]:
        from PIL import Image, ImageOps, UnidentifiedImageError

        Image.MAX_IMAGE_PIXELS = int(ctx.config["max_pixels"])
        try:
            if ctx.item.mime in ("image/heic", "image/heif", "image/avif"):
                import pillow_heif

                pillow_heif.register_heif_opener()
            with Image.open(ctx.input_path) as im:
                orientation = im.getexif().get(0x0112, 1)
                raw_dpi = im.info.get("dpi")
                dpi = float(raw_dpi[0]) if raw_dpi and raw_dpi[0] else None
                if (
                    ctx.item.mime in _DIRECT
                    and orientation in (1, None)
                    and getattr(im, "n_frames", 1) == 1
                ):
                    return ctx.input_path, dpi
                # Apply the EXIF rotation and flatten to one grey page Tesseract can read.
                fixed = ImageOps.exif_transpose(im).convert("L")
                out = ctx.workdir / "ocr-input.png"
                fixed.save(out, compress_level=1)
                return out, dpi
        except Image.DecompressionBombError as exc:
            raise InputRejected(f"image too large to OCR safely: {exc}", status="rejected") from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise InputRejected(f"the image cannot be decoded: {exc}", status="invalid") from exc

    def _pdf(self, ctx: StageContext, langs: str) -> StageResult:
        import pypdfium2 as pdfium

        pages: list[int] = list(ctx.previous[_PDF]["ocr_pages"])
        limit = int(ctx.config["max_pages"])
        if len(pages) > limit:
            raise InputRejected(
                f"{len(pages)} PDF pages need OCR, over the limit of {limit} per job "
                f"(raise it with `sijill case config CASE {self.name}.max_pages=N`)",
                status="rejected",
            )
        default = float(ctx.config["dpi"])
        max_pixels = int(ctx.config["max_pixels"])
        units: list[TextUnitOut] = []
        resolutions: list[int] = []
        pdf = pdfium.PdfDocument(str(ctx.input_path))
        try:
            for number in pages:
                page = pdf[number - 1]
                try:
                    # A page may declare any size (a 200-inch MediaBox): render bombs are
                    # drawn smaller, never refused, so the page is still read.
                    width, height = page.get_size()
                    # A scan is read at its own resolution: rendered larger, its noise is
                    # enlarged with its letters and Tesseract reads worse (issue 11).
                    native = scan_dpi(page)
                    used = native if native is not None else default
                    scale = used / 72.0
                    resolutions.append(round(used))
                    pixels = width * height * scale * scale
                    fit = scale * min(1.0, (max_pixels / pixels) ** 0.5) if pixels else scale
                    image = ctx.workdir / f"page-{number}.png"
                    stored = scan_pixels(page, max_pixels) if native is not None else None
                    if stored is not None:
                        # The scan's own pixels, as a raw Tesseract on the image would see them.
                        # With its resolution, as pdfimages writes it: Tesseract reads a
                        # scan differently when it has to guess.
                        stored.save(image, compress_level=1, dpi=(round(used), round(used)))
                        fit = scale
                    else:
                        bitmap = page.render(scale=fit, grayscale=True)
                        bitmap.to_pil().save(image, compress_level=1)
                        bitmap.close()
                finally:
                    page.close()
                # Drawn smaller, the page's text is still the size a scan's is: say so.
                dpi = round(used) if fit < scale else None
                text = run_tesseract(
                    image, langs, int(ctx.config["psm"]), float(ctx.config["page_timeout_s"]), dpi
                )
                image.unlink()
                if text:
                    units.append(TextUnitOut(kind="page", page=number, text=text, method="ocr"))
        finally:
            pdf.close()
        return StageResult(
            data={
                "languages": langs,
                "pages": pages,
                "pages_with_text": len(units),
                "dpi": resolutions,
            },
            text_units=units,
        )
