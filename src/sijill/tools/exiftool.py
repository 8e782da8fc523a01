"""Long-lived helpers for external tools, one per worker process."""

from __future__ import annotations

import ctypes
import json
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Any

from sijill.errors import StageError, ToolMissing
from sijill.tools import start_tool

PR_SET_PDEATHSIG = 1
# Entries that describe our temporary copy, not the evidence.
_DROP_KEYS = ("SourceFile", "System:", "ExifTool:ExifToolVersion")


class ExifTool:
    """exiftool in -stay_open mode: one Perl start-up per worker, not per file."""

    def __init__(self) -> None:
        exe = shutil.which("exiftool")
        if exe is None:
            raise ToolMissing("exiftool is not installed (Debian package libimage-exiftool-perl)")
        # With -stay_open, exiftool keeps reading past end of input, so it would outlive a
        # worker that dies: it is told to die with its parent, and `close` ends it cleanly.
        # setpriv (util-linux) sets the death signal without a preexec_fn, which is unsafe in
        # a process with threads.
        setpriv = shutil.which("setpriv")
        prefix = [setpriv, "--pdeathsig", "KILL"] if setpriv else []
        self.proc = start_tool(
            [*prefix, exe, "-stay_open", "True", "-@", "-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )

    def close(self) -> None:
        if self.proc.poll() is None and self.proc.stdin is not None:
            try:
                self.proc.stdin.write(b"-stay_open\nFalse\n")
                self.proc.stdin.flush()
                self.proc.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()

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


def die_with_parent() -> None:
    """In a child process: ask Linux to SIGKILL it when its parent dies."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass


def close_tools() -> None:
    global _exiftool
    if _exiftool is not None:
        _exiftool.close()
        _exiftool = None


def exiftool() -> ExifTool:
    global _exiftool
    if _exiftool is None or _exiftool.proc.poll() is not None:
        _exiftool = ExifTool()
    return _exiftool
