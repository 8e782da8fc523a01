"""Working copies for the browser's player, decrypted once into this process's RAM work space
(storage/workspace.py: never a disk) and served a byte range at a time.

A player seeks by asking for ranges; decrypting the whole working copy for each would cost
a full pass over an hour of video per click. The cache keeps the most recently played copies
up to a total size and drops the oldest; it lives and dies with the process.
"""

from __future__ import annotations

import os
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path

from fastapi import Request
from fastapi.responses import Response, StreamingResponse

from sijill.storage.archive import Archive

LIMIT_BYTES = 2 << 30
PIECE = 1 << 20
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class MediaCache:
    def __init__(self, archive: Archive, limit_bytes: int = LIMIT_BYTES) -> None:
        self._archive = archive
        self._limit = limit_bytes
        self._files: OrderedDict[str, tuple[Path, int]] = OrderedDict()
        self._lock = threading.Lock()
        self._folder: Path | None = None

    def path(self, blob: str, size: int) -> Path:
        """The decrypted working copy of `blob` (`size` bytes), in RAM."""
        with self._lock:
            hit = self._files.get(blob)
            if hit is not None and hit[0].exists():
                self._files.move_to_end(blob)
                return hit[0]
            if self._folder is None:
                self._folder = self._archive.work_dir() / f"media-{secrets.token_hex(6)}"
                self._folder.mkdir(mode=0o700)
            while self._files and sum(n for _p, n in self._files.values()) + size > self._limit:
                _old, (p, _n) = self._files.popitem(last=False)
                p.unlink(missing_ok=True)  # a request still reading it keeps its open file
            dest = self._folder / secrets.token_hex(8)
        from sijill.storage.workspace import ram_check

        ram_check(dest.parent, size, "playing this recording")
        self._archive.blobs.fetch_to(blob, dest)
        os.chmod(dest, 0o600)
        with self._lock:
            self._files[blob] = (dest, dest.stat().st_size)
        return dest


def ranged_file(request: Request, path: Path, mime: str) -> Response:
    """The file whole (200) or the one byte range asked for (206); 416 when it cannot be."""
    size = path.stat().st_size
    head = {"Accept-Ranges": "bytes"}
    spec = request.headers.get("range")
    start, end = 0, size - 1
    status = 200
    if spec is not None:
        m = _RANGE.match(spec.strip())
        if m is None or (not m.group(1) and not m.group(2)):
            return Response(status_code=416, headers={**head, "Content-Range": f"bytes */{size}"})
        if m.group(1):
            start = int(m.group(1))
            end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
        else:
            start, end = max(0, size - int(m.group(2))), size - 1
        if start >= size or end < start:
            return Response(status_code=416, headers={**head, "Content-Range": f"bytes */{size}"})
        status = 206
        head["Content-Range"] = f"bytes {start}-{end}/{size}"
    f = open(path, "rb")  # noqa: SIM115 - closed by the generator
    f.seek(start)

    def pieces() -> Iterator[bytes]:
        try:
            left = end - start + 1
            while left > 0:
                chunk = f.read(min(PIECE, left))
                if not chunk:
                    break
                left -= len(chunk)
                yield chunk
        finally:
            f.close()

    head["Content-Length"] = str(end - start + 1)
    return StreamingResponse(pieces(), status_code=status, media_type=mime, headers=head)
