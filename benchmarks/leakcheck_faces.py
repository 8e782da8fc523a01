"""Benchmark: the leak check's face detector, false alarms on real photos and catches on faces.

False positives: every photo under ../shared/data/exif-samples that Pillow decodes (none of
them shows a person), each as it is and re-encoded as the protection writes a copy (JPEG
quality 90, which is how a street photo's copy came to "show a face"). Catches: the
astronaut's head (skimage) placed on a plain background the way hostile copies would hold
it: close-ups filling a third and a half of the frame, tilted 15-40 degrees either way,
small (30-60 px faces), sideways (a quarter turn), a 12-megapixel photo; and the cameraman
(skimage), a face turned to the side. For each the old rule (upright passes only, one hit at
the cascades' old minNeighbors 5/4/6 is a face) and the new one (tilted and turned passes;
two agreeing hits or one with STRONG neighbours) are counted. Usage:

    .venv/bin/python benchmarks/leakcheck_faces.py [--quick]

Prints one line per crafted face, then the totals; --quick skips the 12-megapixel photo.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
DATA = ROOT.parent / "shared" / "data" / "exif-samples"

OLD_NEIGHBOURS = {"frontalface_default": 5, "frontalface_alt2": 4, "profileface": 6}


def old_rule(gray: np.ndarray) -> int:
    from sijill.leakcheck import faces

    hits = faces.candidates(gray, sideways=False)
    return sum(1 for h in hits if h.view in (0, 1) and h.neighbours >= OLD_NEIGHBOURS[h.cascade])


def new_rule(gray: np.ndarray, *, sideways: bool = True) -> int:
    from sijill.leakcheck import faces

    return len(faces.detect(gray, sideways=sideways))


def head_on(width: int, height: int, share: float, angle: float) -> np.ndarray:
    """The astronaut's head, its face about `share` of the frame height, turned by `angle`."""
    from skimage import data

    crop = np.asarray(data.astronaut())[0:300, 120:340]  # head with hair; face ~40% of it
    bg = np.full((height, width, 3), (90, 110, 130), np.uint8)
    ph = min(height, int(height * share / 0.4))
    pw = min(width, int(ph * crop.shape[1] / crop.shape[0]))
    bg_y, bg_x = (height - ph) // 2, (width - pw) // 2
    bg[bg_y : bg_y + ph, bg_x : bg_x + pw] = cv2.resize(
        crop, (pw, ph), interpolation=cv2.INTER_AREA
    )
    if angle in (90.0, -90.0):
        return np.ascontiguousarray(np.rot90(bg, 1 if angle > 0 else -1))
    m = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    return np.asarray(cv2.warpAffine(bg, m, (width, height), borderValue=(90, 110, 130)))


def crafted(quick: bool) -> list[tuple[str, np.ndarray]]:
    from skimage import data

    out = [("astronaut 512", np.asarray(data.astronaut())), ("cameraman profile", None)]
    cam = np.asarray(data.camera())
    out[1] = ("cameraman profile", np.stack([cam] * 3, axis=2))
    for share in (1 / 3, 0.5):
        out.append((f"close-up {share:.2f} 720p", head_on(1280, 720, share, 0)))
    for angle in (15.0, 25.0, -25.0, 35.0, -40.0):
        out.append((f"close-up 1/3 720p tilted {angle:+.0f}", head_on(1280, 720, 1 / 3, angle)))
    for angle in (25.0, -25.0):
        out.append((f"0.15 640x480 tilted {angle:+.0f}", head_on(640, 480, 0.15, angle)))
    for px in (30, 45, 60):
        out.append((f"small {px} px in 640x480", head_on(640, 480, px / 480, 0)))
    out.append(("sideways 1/3 720p", head_on(1280, 720, 1 / 3, 90.0)))
    if not quick:
        out.append(("12 MP 1/3 tilted +25", head_on(4000, 3000, 1 / 3, 25.0)))
    return out


def real_photos() -> list[tuple[str, np.ndarray]]:
    from PIL import Image, ImageOps

    out = []
    for p in sorted(DATA.rglob("*")):
        if not p.is_file() or p.suffix.lower() in (".rst", ".md", ".txt"):
            continue
        try:
            with Image.open(p) as im:
                rgb = ImageOps.exif_transpose(im.convert("RGB"))
        except Exception:  # noqa: BLE001 (broken samples are the point of some files)
            continue
        out.append((str(p.relative_to(DATA)), np.asarray(rgb)))
        buf = io.BytesIO()
        rgb.save(buf, "JPEG", quality=90)
        buf.seek(0)
        with Image.open(buf) as im:
            out.append((f"{p.relative_to(DATA)} (copy)", np.asarray(im.convert("RGB"))))
    return out


def main() -> None:
    from sijill.leakcheck import faces

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    if not DATA.is_dir():
        sys.exit(f"no sample photos at {DATA}")
    t0 = time.perf_counter()
    photos = real_photos()
    fp_old = fp_new = 0
    for name, rgb in photos:
        gray = faces.to_gray(rgb)
        old, new = old_rule(gray) > 0, new_rule(gray) > 0
        fp_old += old
        fp_new += new
        if old or new:
            print(f"false alarm: {name:<45} old {old:d} new {new:d}")
    print(
        f"false positives on {len(photos)} real photos without people: "
        f"old {fp_old} ({fp_old / len(photos):.1%}), new {fp_new} ({fp_new / len(photos):.1%})"
    )
    faces_set = crafted(args.quick)
    got_old = got_new = 0
    for name, rgb in faces_set:
        gray = faces.to_gray(rgb)
        old, new = old_rule(gray) > 0, new_rule(gray) > 0
        got_old += old
        got_new += new
        print(
            f"{name:<32} old {'found' if old else 'MISSED':>6}  new {'found' if new else 'MISSED'}"
        )
    n = len(faces_set)
    print(
        f"caught {n} crafted faces: old {got_old}/{n} ({got_old / n:.0%}), "
        f"new {got_new}/{n} ({got_new / n:.0%}); {time.perf_counter() - t0:.0f} s in all"
    )


if __name__ == "__main__":
    main()
