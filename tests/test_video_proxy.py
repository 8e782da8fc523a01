"""The browser's working copy of a video: WebM that plays and seeks, small, and stripped of
everything that says where and when it was filmed (the phone's GPS track, its tags)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from sqlalchemy import select

from sijill.archive.ingest import ingest
from sijill.settings import Settings
from sijill.storage.archive import Archive
from sijill.storage.models import Derivative
from tests.conftest import PASSPHRASE, process
from tests.mediagen import GPS_LINES, make_gps_video, make_video


def _probe(path: Path) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
        capture_output=True,
        check=True,
    ).stdout
    return json.loads(out)


def test_a_phone_video_gets_a_clean_webm_working_copy(tmp_path: Path) -> None:
    settings = Settings(passphrase=PASSPHRASE, user="tester", workers=1)
    archive = Archive.init(tmp_path / "archive", settings, PASSPHRASE)
    try:
        src = tmp_path / "in"
        src.mkdir()
        make_gps_video(src / "phone.mp4", seconds=3.0)
        make_video(src / "tall.mp4", seconds=1.0, size="720x1280", with_audio=False)
        report = ingest(archive, [src], case="c1", actor="tester")
        process(archive, workers=1)
        ids = {o.path.rsplit("/", 1)[-1]: o.item_id for o in report.outcomes}
        with archive.catalog.session() as s:
            rows = {
                d.item_id: d
                for d in s.execute(
                    select(Derivative).where(Derivative.kind == "video_working")
                ).scalars()
            }
        assert set(rows) == set(ids.values())
        for name, item_id in ids.items():
            d = rows[item_id]
            assert d.mime == "video/webm"
            out = tmp_path / f"{name}.webm"
            archive.blobs.fetch_to(d.blob, out)
            data = out.read_bytes()
            info = _probe(out)
            kinds = sorted(s["codec_type"] for s in info["streams"])
            video = next(s for s in info["streams"] if s["codec_type"] == "video")
            assert video["codec_name"] == "vp8" and video["height"] <= 480
            if name == "phone.mp4":
                assert kinds == ["audio", "video"]  # the GPS subtitle track is gone
                assert abs(float(info["format"]["duration"]) - 3.0) < 0.3
            else:
                assert kinds == ["video"] and video["height"] == 480  # 1280 lines scaled down
                assert video["width"] == 270
            tags = json.dumps(info["format"].get("tags", {})) + json.dumps(
                [s.get("tags", {}) for s in info["streams"]]
            )
            for secret in ("Testimony 7", "Phone Camera", "36.1234", "2024-03-01"):
                assert secret not in tags and secret.encode() not in data
            for line in GPS_LINES:
                assert line.encode() not in data
    finally:
        archive.close()
