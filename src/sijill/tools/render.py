"""Page images for the web app's document viewer, rendered in a child process with limits.

The original is hostile input (a PDF may declare any page size, an image any number of
pixels, and a crafted file may crash or hang the renderer), so it is never parsed in the web
server's own process: a child (`python -m sijill.tools.render`) reads it from a pipe, renders
one page to PNG on stdout, under a memory limit and a time limit. Nothing touches a disk; the
PNG is a new file, so none of the original's metadata (EXIF, GPS, XMP) comes along.
"""

from __future__ import annotations

import io
import resource
import subprocess
import sys

from sijill.errors import ConfigError, NotFound
from sijill.tools import run_tool

LONG_SIDE = 1600
MAX_PIXELS = 4_000_000  # of the rendered page
MAX_SOURCE_PIXELS = 80_000_000  # of an image as stored
MEMORY_BYTES = 1 << 30
TIMEOUT_S = 30.0
NO_PAGE = 3  # the child's exit status when the page does not exist


def render(data: bytes, mime: str, page: int) -> bytes:
    """Page `page` (from 1) of a PDF or an image, as PNG bytes (in a limited child)."""

    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    try:
        done = run_tool(
            [sys.executable, "-m", "sijill.tools.render", mime, str(page)],
            input=data,
            capture_output=True,
            timeout=TIMEOUT_S,
            preexec_fn=limits,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ConfigError(f"this page took over {TIMEOUT_S:.0f} s to render") from exc
    if done.returncode == NO_PAGE:
        raise NotFound(f"there is no page {page}")
    if done.returncode != 0 or not done.stdout.startswith(b"\x89PNG"):
        raise ConfigError("this page cannot be shown as an image (the renderer failed on it)")
    return done.stdout


def _render_here(data: bytes, mime: str, page: int) -> bytes:
    from PIL import Image, ImageOps

    if mime == "application/pdf":
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(data)
        if page > len(pdf):
            raise LookupError(page)
        p = pdf[page - 1]
        w, h = p.get_size()
        scale = min(LONG_SIDE / max(w, h, 1), (MAX_PIXELS / max(w * h, 1)) ** 0.5)
        img = p.render(scale=max(scale, 0.01)).to_pil().convert("RGB")
    else:
        if page != 1:
            raise LookupError(page)
        Image.MAX_IMAGE_PIXELS = MAX_SOURCE_PIXELS  # this child only
        with Image.open(io.BytesIO(data)) as src:
            src.draft("RGB", (LONG_SIDE, LONG_SIDE))
            img = ImageOps.exif_transpose(src.convert("RGB"))
        img.thumbnail((LONG_SIDE, LONG_SIDE))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def main() -> int:
    mime, page = sys.argv[1], int(sys.argv[2])
    data = sys.stdin.buffer.read()
    try:
        png = _render_here(data, mime, page)
    except LookupError:
        return NO_PAGE
    sys.stdout.buffer.write(png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
