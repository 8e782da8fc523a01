"""Long-lived helpers for external tools, one per worker process."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from sijill.errors import StageError, ToolMissing

# Entries that describe our temporary copy, not the evidence.
_DROP_KEYS = ("SourceFile", "System:", "ExifTool:ExifToolVersion")


class ExifTool:
    """exiftool in -stay_open mode: one Perl start-up per worker, not per file."""

    def __init__(self) -> None:
        exe = shutil.which("exiftool")
        if exe is None:
            raise ToolMissing("exiftool is not installed (Debian package libimage-exiftool-perl)")
        self.proc = subprocess.Popen(
            [exe, "-stay_open", "True", "-@", "-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def metadata(self, path: Path, extra: tuple[str, ...] = ()) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        args = ["-json", "-G1", "-a", "-u", "-ee", "-charset", "filename=utf8", *extra, str(path)]
        self.proc.stdin.write(("\n".join(args) + "\n-execute\n").encode())
        self.proc.stdin.flush()
        out = bytearray()
        while not out.endswith(b"{ready}\n"):
            line = self.proc.stdout.readline()
            if not line:
                raise StageError("exiftool stopped unexpectedly")
            out += line
        body = bytes(out[: -len(b"{ready}\n")]).strip()
        if not body:
            return {}
        try:
            data = json.loads(body.decode("utf-8", "replace"))
        except json.JSONDecodeError as exc:
            raise StageError(f"exiftool gave unreadable output: {exc}") from exc
        record: dict[str, Any] = data[0] if isinstance(data, list) and data else {}
        return {k: v for k, v in record.items() if not k.startswith(_DROP_KEYS)}


_exiftool: ExifTool | None = None


def exiftool() -> ExifTool:
    global _exiftool
    if _exiftool is None or _exiftool.proc.poll() is not None:
        _exiftool = ExifTool()
    return _exiftool
