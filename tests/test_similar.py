"""Perceptual hashes (PDQ, vPDQ) and `sijill similar`: copies, crops, re-encodes, excerpts."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from PIL import Image

from sijill.archive import similar as sim
from sijill.pipeline.stage import ItemInfo
from sijill.pipeline.stages.pdq_hasher import PdqHasher
from tests.conftest import CLI

# Mandelbrot zooms look enough like natural footage for PDQ (quality 100 on every frame) and
# change enough in a second (40-60 bits) that a frame matches only its own time.
MANDEL = "mandelbrot=s=320x240:r=10"
OTHER_MANDEL = "mandelbrot=s=640x480:start_x=-0.75:start_y=0.1:start_scale=0.3"


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def _by_name(cli: CLI, case: str = "default") -> dict[str, str]:
    return {i["name"]: i["id"] for i in cli.json("items", "--case", case)["items"]}


def _random_hashes(rng: np.random.Generator, n: int) -> np.ndarray[Any, Any]:
    return rng.integers(0, 256, size=(n, 32), dtype=np.uint8)


def _flip(rng: np.random.Generator, h: np.ndarray[Any, Any], bits: int) -> np.ndarray[Any, Any]:
    out = h.copy()
    for row in out:
        for b in rng.choice(256, size=bits, replace=False):
            row[b // 8] ^= np.uint8(1 << (b % 8))
    return out


def _hashes(raw: np.ndarray[Any, Any], times: list[float] | None) -> sim.Hashes:
    t = np.array(times if times is not None else [np.nan] * len(raw), dtype=np.float64)
    return sim.Hashes(
        t=t, words=sim.pack([r.tobytes().hex() for r in raw]), quality=np.full(len(raw), 100)
    )


def test_hamming_distances_and_matched_ranges_on_synthetic_hashes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(7)
    a, b = _random_hashes(rng, 5), _random_hashes(rng, 7)
    naive = [[sum(bin(x ^ y).count("1") for x, y in zip(p, q, strict=True)) for q in b] for p in a]
    words_a = sim.pack([r.tobytes().hex() for r in a])
    words_b = sim.pack([r.tobytes().hex() for r in b])
    assert sim.distances(words_a, words_b).tolist() == naive
    monkeypatch.setattr(sim, "_bitcount", sim._popcount_table)  # the numpy < 2 path
    assert sim.distances(words_a, words_b).tolist() == naive
    monkeypatch.undo()
    monkeypatch.setattr(sim, "_BLOCK_PAIRS", 3)  # several blocks: same answer
    best_a, where_a, best_b = sim.nearest(words_a, words_b)
    assert best_a.tolist() == np.min(naive, axis=1).tolist()
    assert where_a.tolist() == np.argmin(naive, axis=1).tolist()
    assert best_b.tolist() == np.min(naive, axis=0).tolist()

    # A 20 s "video" and a 7 s excerpt of seconds 5-11 with 8 bits changed per frame.
    video = _random_hashes(rng, 20)
    excerpt = _flip(rng, video[5:12], 8)
    v = _hashes(video, [float(i) for i in range(20)])
    e = _hashes(excerpt, [float(i) for i in range(7)])
    m = sim.compare(v, e, 31)
    assert m is not None
    assert m["distance"] == 8 and m["query_frames"] == 7
    assert m["query_fraction"] == 0.35 and m["other_fraction"] == 1.0
    assert m["ranges"] == [
        {
            "start": 5.0,
            "end": 12.0,
            "other_start": 0.0,
            "other_end": 7.0,
            "frames": 7,
            "distance": 8,
        }
    ]
    assert "excerpt of this one" in m["reason"]
    back = sim.compare(e, v, 31)
    assert back is not None and back["ranges"][0]["other_start"] == 5.0
    assert "this video looks like an excerpt" in back["reason"]
    assert (
        sim.compare(v, _hashes(_random_hashes(rng, 20), [float(i) for i in range(20)]), 31) is None
    )

    # A 2 s hole inside the run is bridged; a longer one, or a jump in time, splits it.
    def runs_for(matched: list[int], other_times: list[int]) -> list[tuple[float, float]]:
        best = np.full(20, 100, dtype=np.int32)
        best[matched] = 0
        where = np.zeros(20, dtype=np.int64)
        where[matched] = other_times
        runs = sim.match_runs(v, v, best, where, 31)
        return [(r["start"], r["end"]) for r in runs]

    assert runs_for([1, 2, 3, 6, 7], [1, 2, 3, 6, 7]) == [(1.0, 8.0)]
    assert runs_for([1, 2, 3, 7, 8], [1, 2, 3, 7, 8]) == [(1.0, 4.0), (7.0, 9.0)]
    assert runs_for([1, 2, 3, 4, 5], [1, 2, 3, 14, 15]) == [(1.0, 4.0), (4.0, 6.0)]

    # An image inside a video: where it appears.
    img = _hashes(_flip(rng, video[9:10], 4), None)
    m = sim.compare(img, v, 31)
    assert m is not None and m["ranges"][0]["other_start"] == 9.0
    assert m["ranges"][0]["start"] is None
    m = sim.compare(v, img, 31)
    assert m is not None and (m["ranges"][0]["start"], m["ranges"][0]["end"]) == (9.0, 10.0)


@pytest.mark.slow
def test_images_resized_reencoded_cropped_rotated_match(cli: CLI, tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    _ffmpeg("-f", "lavfi", "-i", "mandelbrot=s=640x480", "-frames:v", "1", str(src / "photo.png"))
    _ffmpeg("-f", "lavfi", "-i", OTHER_MANDEL, "-frames:v", "1", str(src / "unrelated.png"))
    photo = Image.open(src / "photo.png").convert("RGB")
    photo.resize((320, 240), Image.Resampling.LANCZOS).save(src / "small.jpg", quality=60)
    photo.crop((6, 5, 634, 475)).save(src / "crop.png")  # 1 % off every side
    # Stored sideways with an EXIF tag saying so, as phones do.
    exif = Image.Exif()
    exif[0x0112] = 6
    photo.rotate(90, expand=True).save(src / "phone.jpg", exif=exif, quality=90)
    (src / "notes.txt").write_text("not an image\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "photo.png").write_bytes((src / "photo.png").read_bytes())
    cli("ingest", str(src))
    cli("ingest", str(elsewhere), "--case", "other")
    cli("run")

    ids = _by_name(cli)
    doc = cli.json("similar", ids["photo.png"])
    assert doc["item"]["id"] == ids["photo.png"] and doc["usable_hashes"] == 1
    found = {r["name"]: r for r in doc["similar"]}
    assert set(found) == {"small.jpg", "crop.png", "phone.jpg"}, doc
    assert doc["total"] == 3
    assert found["small.jpg"]["distance"] <= 16
    assert found["phone.jpg"]["distance"] <= 16  # EXIF orientation applied before hashing
    assert found["crop.png"]["distance"] <= 31
    assert all(r["ranges"] == [] and "PDQ bits differ" in r["reason"] for r in found.values())
    distances = [r["distance"] for r in doc["similar"]]
    assert distances == sorted(distances)
    # The identical copy in another case is never listed, and sees only its own case.
    other_id = _by_name(cli, "other")["photo.png"]
    assert other_id not in {r["id"] for r in doc["similar"]}
    assert cli.json("similar", other_id)["similar"] == []

    text = cli.json("similar", ids["notes.txt"])
    assert text["similar"] == [] and text["total"] == 0 and "no perceptual hashes" in text["note"]
    plain = cli("similar", ids["photo.png"][:8]).stdout
    assert "small.jpg" in plain and "3 similar items" in plain
    missing = cli("similar", "ffffffffffff", check=False)
    assert missing.returncode == 2 and "no item" in missing.stderr


def test_stage_hashes_video_frames_without_ffprobe_metadata(tmp_path: Path) -> None:
    video = tmp_path / "clip.mp4"
    _ffmpeg("-f", "lavfi", "-i", MANDEL, "-t", "6", "-pix_fmt", "yuv420p", str(video))
    item = ItemInfo(
        id="x",
        sha256="0" * 64,
        size=1,
        name="clip.mp4",
        mime="video/mp4",
        kind="video",
        depth=0,
        case="default",
    )
    stage = PdqHasher()
    assert stage.accepts(item, {})
    assert not stage.accepts(replace(item, info={"has_video": False}), {})
    # libmagic's audio/mp4 can be a video: taken only when ffprobe_metadata found a picture.
    audio = replace(item, kind="audio", mime="audio/mp4")
    assert not stage.accepts(audio, {})
    assert stage.accepts(audio, {"ffprobe_metadata": {"has_video": True}})
    progress: list[float] = []
    ctx = SimpleNamespace(
        item=item,
        config=dict(stage.defaults),
        input_path=video,
        workdir=tmp_path,
        previous={},
        text_units=[],
        progress=progress.append,
    )
    res = stage.run(ctx)  # type: ignore[arg-type]
    assert [h.t for h in res.media_hashes] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert all(h.algo == "pdq" and len(h.hash) == 64 and h.quality >= 50 for h in res.media_hashes)
    assert progress and max(progress) >= 0.8  # duration found with ffprobe itself
    assert res.data["frames"] == 6


@pytest.mark.slow
def test_video_reencode_excerpt_and_frame_are_found(cli: CLI, tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    orig = src / "orig.mp4"
    _ffmpeg("-f", "lavfi", "-i", MANDEL, "-t", "20", "-pix_fmt", "yuv420p", str(orig))
    # (a) re-encoded at a quarter of the pixels and a very low bitrate
    _ffmpeg("-i", str(orig), "-vf", "scale=160:120", "-crf", "38", str(src / "small.mp4"))
    # (b) seconds 5-12 cut out and re-encoded
    _ffmpeg("-ss", "5", "-i", str(orig), "-t", "7", "-crf", "28", str(src / "excerpt.mp4"))
    # a still taken from second 8
    _ffmpeg("-ss", "8", "-i", str(orig), "-frames:v", "1", str(src / "frame8.png"))
    _ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "life=s=320x240:r=10:mold=10:ratio=0.2:seed=3",
        "-t",
        "20",
        "-pix_fmt",
        "yuv420p",
        str(src / "unrelated.mp4"),
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "orig.mp4").write_bytes(orig.read_bytes())
    cli("ingest", str(src))
    cli("ingest", str(elsewhere), "--case", "other")
    cli("run")

    ids = _by_name(cli)
    doc = cli.json("similar", ids["orig.mp4"])
    assert doc["hashes"] == 20 and doc["usable_hashes"] == 20
    found = {r["name"]: r for r in doc["similar"]}
    assert set(found) == {"small.mp4", "excerpt.mp4", "frame8.png"}, doc
    assert [r["name"] for r in doc["similar"]][0] == "small.mp4"

    small = found["small.mp4"]
    assert small["query_fraction"] >= 0.9 and small["other_fraction"] >= 0.9
    assert small["median_distance"] <= 16 and "same footage" in small["reason"]
    assert len(small["ranges"]) == 1
    r = small["ranges"][0]
    assert (r["start"], r["end"]) == (0.0, 20.0) and (r["other_start"], r["other_end"]) == (0, 20)

    excerpt = found["excerpt.mp4"]
    assert excerpt["other_fraction"] == 1.0 and excerpt["query_fraction"] < 0.5
    assert len(excerpt["ranges"]) == 1
    r = excerpt["ranges"][0]
    assert abs(r["start"] - 5) <= 1 and abs(r["end"] - 12) <= 1
    assert abs(r["other_start"]) <= 1 and abs(r["other_end"] - 7) <= 1
    assert "excerpt of this one" in excerpt["reason"]

    still = found["frame8.png"]
    assert [(x["start"], x["end"]) for x in still["ranges"]] == [(8.0, 9.0)]
    assert still["distance"] <= 8  # the frame on screen at 8 s, not one near it
    assert "appears in this video" in still["reason"]

    back = cli.json("similar", ids["excerpt.mp4"])["similar"]
    orig_hit = next(x for x in back if x["name"] == "orig.mp4")
    r = orig_hit["ranges"][0]
    assert abs(r["other_start"] - 5) <= 1 and abs(r["other_end"] - 12) <= 1
    assert "this video looks like an excerpt" in orig_hit["reason"]

    from_still = cli.json("similar", ids["frame8.png"])["similar"]
    starts = {x["name"]: x["ranges"][0]["other_start"] for x in from_still}
    assert starts == {"orig.mp4": 8.0, "small.mp4": 8.0, "excerpt.mp4": 3.0}
    assert cli.json("similar", ids["unrelated.mp4"])["similar"] == []
