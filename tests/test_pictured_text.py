"""Protected names painted in pictures and burned into video frames (issue 10, points 4, 5).

Each test paints a hostile picture with Pillow (real fonts: DejaVu, Noto Naskh Arabic through
libraqm): a protected name on a sign, in Arabic, white on red, turned 15°, 30° or 90°, or
burned into one second of a short video. Protection's copy must have the name filled (an
independent plain Tesseract, given the picture turned level, does not read it, and the leak
check passes the copy), and the leak check must find the name in the unprotected file.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from sijill.leakcheck import scan
from sijill.leakcheck.terms import TermMatcher
from sijill.protect.build import BuildInput, build_copy
from sijill.protect.redact import ProtectedTerm, Redactor

SANS = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
NASKH = "/usr/share/fonts/truetype/noto/NotoNaskhArabic-Bold.ttf"
LATIN = "Karim Nakhli"
ARABIC = "محمد النخلي"
TERMS = [ProtectedTerm(LATIN, "Witness A"), ProtectedTerm(ARABIC, "Witness B")]
REDACTOR = Redactor(TERMS)


def paint_sign(
    text: str,
    *,
    font: str = SANS,
    size: int = 44,
    fg: tuple[int, int, int] = (20, 20, 20),
    bg: tuple[int, int, int] = (235, 232, 220),
    angle: float = 0,
    canvas: tuple[int, int] = (640, 480),
) -> np.ndarray:
    """A street-like picture: a textured wall with a sign holding `text`, turned `angle`°."""
    fnt = ImageFont.truetype(font, size)
    left, top, right, bottom = ImageDraw.Draw(Image.new("RGB", (1, 1))).textbbox(
        (0, 0), text, font=fnt
    )
    pad = size // 2
    sign = Image.new("RGBA", (right - left + 2 * pad, bottom - top + 2 * pad), (*bg, 255))
    ImageDraw.Draw(sign).text((pad - left, pad - top), text, font=fnt, fill=fg)
    sign = sign.rotate(angle, expand=True, resample=Image.Resampling.BICUBIC)
    # A plaster wall: blotches of light and shade, as a camera sees it.
    rng = np.random.default_rng(7)
    blotches = Image.fromarray(rng.normal(128, 30, (12, 16)).clip(0, 255).astype(np.uint8))
    shade = np.asarray(blotches.resize(canvas, Image.Resampling.BICUBIC), dtype=np.float32)
    wall = np.clip(np.array([120, 130, 112]) * (shade[..., None] / 128.0), 0, 255)
    picture = Image.fromarray(wall.astype(np.uint8), "RGB")
    picture.paste(sign, ((canvas[0] - sign.width) // 2, (canvas[1] - sign.height) // 2), sign)
    return np.asarray(picture)


def plain_reading(path: Path, angle: float, langs: str) -> str:
    """What a plain Tesseract reads in a picture turned level: the attacker's best view."""
    picture = Image.open(path).convert("L")
    if angle:
        fill = int(np.median(np.asarray(picture)))
        picture = picture.rotate(
            -angle, expand=True, fillcolor=fill, resample=Image.Resampling.BICUBIC
        )
    level = path.with_name(path.stem + "-level.png")
    picture.save(level)
    texts = []
    for psm, method in (("11", "0"), ("11", "2"), ("3", "2")):
        proc = subprocess.run(
            ["tesseract", str(level), "stdout", "-l", langs, "--psm", psm]
            + ["-c", f"thresholding_method={method}"],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        texts.append(proc.stdout)
    return "\n".join(texts)


def protect_image(tmp_path: Path, rgb: np.ndarray) -> tuple[Path, Path, dict[str, object]]:
    src = tmp_path / "sign.png"
    Image.fromarray(rgb).save(src)
    built = build_copy(
        BuildInput(kind="image", original=src, stem="copy", redactor=REDACTOR, lossless=True),
        tmp_path / "out",
    )
    ((copy, _),) = built.files
    return src, copy, built.report


SIGNS = {
    "arabic-sign": (dict(text=f"مخبز {ARABIC}", font=NASKH, size=52), 0.0, ARABIC),
    "white-on-red": (dict(text=LATIN, fg=(255, 255, 255), bg=(200, 24, 24)), 0.0, LATIN),
    "turned-15": (dict(text=LATIN, angle=15), 15.0, LATIN),
    "turned-30": (dict(text=LATIN, angle=-30), -30.0, LATIN),
    "turned-90": (dict(text=LATIN, angle=90), 90.0, LATIN),
}


@pytest.mark.parametrize("case", list(SIGNS))
def test_painted_name_is_filled_and_the_leak_check_sees_it(tmp_path: Path, case: str) -> None:
    options, angle, name = SIGNS[case]
    langs = "ara" if name == ARABIC else "eng"  # the attacker knows the language
    src, copy, report = protect_image(tmp_path, paint_sign(**options))  # type: ignore[arg-type]
    matcher = TermMatcher([name])
    # The hostile input is hostile: a plain reading finds the name, and so does the leak check.
    assert matcher.find(plain_reading(src, angle, langs), fuzzy=True), "test picture unreadable"
    findings = scan([src], terms=[name], speech=False)
    assert any(f.kind == "term" and "painted" in f.what for f in findings), findings
    # The copy: the name is filled, nothing reads it.
    assert report["visible_names"], report
    assert not matcher.find(plain_reading(copy, angle, langs), fuzzy=True)
    assert not [f for f in scan([copy], terms=[name], speech=False) if f.kind == "term"]


def burned_video(path: Path) -> Path:
    """3 s of 320x240 with the protected name burned in from 1.0 to 2.0 s."""
    sign = paint_sign(LATIN, size=30, canvas=(320, 240))
    plain = paint_sign("", size=30, canvas=(320, 240))
    frames = path.with_suffix(".frames")
    frames.mkdir()
    for i in range(75):  # 25 frames a second
        Image.fromarray(sign if 25 <= i < 50 else plain).save(frames / f"{i:03d}.png")
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-framerate", "25"]
        + ["-i", str(frames / "%03d.png"), "-c:v", "libx264", "-pix_fmt", "yuv420p", str(path)],
        check=True,
        timeout=120,
    )
    return path


def test_leak_check_finds_a_name_burned_into_video_frames(tmp_path: Path) -> None:
    video = burned_video(tmp_path / "burned.mp4")
    findings = [f for f in scan([video], terms=[LATIN], speech=False) if f.kind == "term"]
    assert findings, "the burned-in name was not found"
    times = [float(f.where.split()[2]) for f in findings if f.where.startswith("frame at")]
    assert times and all(0.9 <= t <= 2.1 for t in times), findings
    # Without terms, no frame is read at all (nothing to match).
    assert not [f for f in scan([video], terms=[], speech=False) if f.kind == "term"]


def caption_video(path: Path, frames: int = 100, shown: range = range(33, 72)) -> Path:
    """4 s of 480x270 at 25 fps: a wall, and a white-on-red caption with the protected name
    from frame 33 to 71 (1.32 to 2.84 s: neither end on a sampling boundary), sliding 3 px
    to the right every frame (a caption that moves between two samples)."""
    wall = paint_sign("", size=30, canvas=(480, 270))
    font = ImageFont.truetype(SANS, 26)
    proc = subprocess.Popen(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24"]
        + ["-s", "480x270", "-r", "25", "-i", "-", "-c:v", "libx264", "-qp", "10"]
        + ["-pix_fmt", "yuv420p", str(path)],
        stdin=subprocess.PIPE,
    )
    assert proc.stdin is not None
    for i in range(frames):
        picture = Image.fromarray(wall)
        if i in shown:
            x = 20 + 3 * (i - shown.start)
            draw = ImageDraw.Draw(picture)
            draw.rectangle((x - 8, 200, x + 230, 240), fill=(200, 24, 24))
            draw.text((x, 204), LATIN, font=font, fill=(255, 255, 255))
        proc.stdin.write(picture.tobytes())
    proc.stdin.close()
    assert proc.wait(120) == 0
    return path


def decoded(path: Path, size: tuple[int, int]) -> np.ndarray:
    raw = subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(path), "-f", "rawvideo"]
        + ["-pix_fmt", "rgb24", "-"],
        capture_output=True,
        check=True,
        timeout=120,
    ).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, size[1], size[0], 3)


def test_name_burned_into_video_is_filled_on_every_frame_it_shows(tmp_path: Path) -> None:
    src = caption_video(tmp_path / "caption.mp4")
    # The hostile input: the leak check reads the name in the original.
    assert [f for f in scan([src], terms=[LATIN], speech=False) if f.kind == "term"]
    built = build_copy(
        BuildInput(kind="video", original=src, stem="copy", redactor=REDACTOR),
        tmp_path / "out",
    )
    copy = next(p for p, role in built.files if role == "video")
    text = built.report["visible_names"]
    assert text["frames_read_with_names"] >= 2 and text["filled_frames"] >= 39, text
    assert text["names"] == [{"pseudonym": "Witness A", "kind": "name"}], text
    frames = decoded(copy, (480, 270))
    assert len(frames) == 100
    # White letters in the caption band: none on any frame that showed the caption.
    band = frames[:, 196:244, :, :]
    white = (band.min(axis=3) > 190).sum(axis=(1, 2))
    assert not white[33:72].any(), {i: int(white[i]) for i in range(33, 72) if white[i]}
    # The fill stays near the caption: a second before it, the wall is untouched.
    assert frames[:5, 200:240].mean() > 60
    # And the copy passes the leak check's own reading of its frames.
    assert not [f for f in scan([copy], terms=[LATIN], speech=False) if f.kind == "term"]


def test_name_painted_in_a_picture_inside_a_pdf_is_filled(tmp_path: Path) -> None:
    # A photographed sign placed in a PDF page: white letters on red, which one Tesseract
    # pass over the rendered page does not read.
    src = tmp_path / "photo-page.pdf"
    Image.fromarray(paint_sign(LATIN, fg=(255, 255, 255), bg=(200, 24, 24))).save(
        src, resolution=100
    )
    assert [f for f in scan([src], terms=[LATIN], speech=False) if f.kind == "term"]
    built = build_copy(
        BuildInput(kind="pdf", original=src, stem="copy", redactor=REDACTOR), tmp_path / "out"
    )
    ((copy, _),) = built.files
    pdf = built.report["pdf"]
    assert pdf["rasterised"] == [1] and pdf["redactions"], pdf
    assert not [f for f in scan([copy], terms=[LATIN], speech=False) if f.kind == "term"]
    page = tmp_path / "page.png"
    subprocess.run(
        ["pdftoppm", "-r", "100", "-png", "-singlefile", str(copy), str(page.with_suffix(""))],
        check=True,
        timeout=120,
    )
    assert not TermMatcher([LATIN]).find(plain_reading(page, 0.0, "eng"), fuzzy=True)
