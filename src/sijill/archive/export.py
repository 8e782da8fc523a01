"""Export: decrypt one original to a file the user names; every export is a custody event."""

from __future__ import annotations

import os
from pathlib import Path

from sijill.errors import ConfigError, IntegrityError
from sijill.storage import custody
from sijill.storage.archive import Archive
from sijill.storage.blobs import sha256_file
from sijill.storage.repositories.item_views import resolve_item


def export_original(
    archive: Archive, ref: str, out: Path, *, actor: str, overwrite: bool = False
) -> tuple[str, str]:
    """Write the original of item `ref` to `out`; return (item id, sha256)."""
    if out.exists() and not overwrite:
        raise ConfigError(f"{out} exists; choose another name or pass --force")
    if out.is_dir():
        raise ConfigError(f"{out} is a directory; give a file name")
    archive.unlock()
    with archive.catalog.session() as s:
        item = resolve_item(s, ref)
        item_id, sha, blob = item.id, item.sha256, item.blob
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.sijill-partial")
    try:
        archive.blobs.fetch_to(blob, tmp)
        actual, _ = sha256_file(tmp)
        if actual != sha:
            raise IntegrityError(f"item {item_id}: sealed original hashes to {actual}, not {sha}")
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    with archive.catalog.session() as s:
        custody.append(s, actor, "exported_original", item_id, {"sha256": sha, "to": out.name})
    return item_id, sha
