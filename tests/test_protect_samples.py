"""Every photo of ../shared/data/exif-samples, rebuilt for publication, carries no tag that
could place, date or identify it: checked with exiftool and the leak check's allow-list."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sijill.errors import SijillError
from sijill.leakcheck.metadata import allowed
from sijill.protect.images import rebuild_image
from tests.conftest import SHARED_DATA
from tests.leakgen import exif_tags

SAMPLES = SHARED_DATA / "exif-samples"
PHOTOS = sorted(
    p
    for p in SAMPLES.rglob("*")
    if p.is_file() and p.suffix.lower() in (".jpg", ".jpeg", ".heic", ".heif", ".tif", ".tiff")
)
FORBIDDEN = ("GPS", "Make", "Model", "Serial", "Date", "Time", "Software", "Artist", "Owner")


def test_sample_photos_are_present() -> None:
    if not PHOTOS:
        if os.environ.get("CI") == "true":
            pytest.fail(f"shared test data {SAMPLES} is not present (CI must have it)")
        pytest.skip(f"shared test data {SAMPLES} is not present")


@pytest.mark.skipif(not PHOTOS, reason=f"shared test data {SAMPLES} is not present")
@pytest.mark.parametrize("photo", PHOTOS, ids=lambda p: str(p.relative_to(SAMPLES)))
def test_publication_copy_of_every_sample_photo_has_no_identifying_tags(
    photo: Path, tmp_path: Path
) -> None:
    dst = tmp_path / "copy.jpg"
    try:
        rebuild_image(photo, dst)
    except SijillError as exc:
        # Only a broken photo may be refused, with a reason, and nothing is left behind.
        broken = photo.stat().st_size == 0 or "invalid" in photo.parts or "corrupt" in photo.name
        assert broken, (photo, exc)
        assert str(exc) and not dst.exists()
        return
    tags = exif_tags(dst)
    for key, value in tags.items():
        group, _, name = key.partition(":")
        if group in ("SourceFile", "ExifTool", "System", "File") or key == "SourceFile":
            continue
        assert not any(word in name for word in FORBIDDEN), (key, value)
        assert allowed(key, value), (key, value)
