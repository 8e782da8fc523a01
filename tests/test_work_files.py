"""Decrypted work files live only in RAM and never outlive the command (issue 10, point 11).

Each test plants a marker string in an original, deletes the source file after ingest, and
then searches the bytes of every file under the archive and the system temp dir (written
since the test began) for it: a decrypted original, a page render or OCR text left on a disk
would hold it. What a `kill -9` leaves must be on a RAM file system only, and the next
command must remove it.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sijill.storage.workspace import mount_type
from tests.conftest import CLI
from tests.pdfgen import text_pdf, write_scanned_pdf


@pytest.fixture
def ram(env: dict[str, str]) -> Iterator[Path]:
    """A RAM folder of this test's own (SIJILL_WORK_DIR); yields the per-user base in it."""
    top = Path("/dev/shm") / f"sijill-test-{secrets.token_hex(4)}"
    top.mkdir(mode=0o700)
    env["SIJILL_WORK_DIR"] = str(top)
    try:
        yield top / f"sijill-{os.getuid()}"
    finally:
        shutil.rmtree(top, ignore_errors=True)


def _holding(mark: bytes, roots: list[Path], since: float) -> list[Path]:
    """Files under `roots` changed since `since` whose bytes contain `mark`."""
    found = []
    for root in roots:
        for dirpath, _dirs, files in os.walk(root):
            for name in files:
                p = Path(dirpath) / name
                try:
                    st = p.lstat()
                    if not p.is_file() or max(st.st_mtime, st.st_ctime) < since:
                        continue
                    if st.st_size > 1 << 30:
                        continue
                    with open(p, "rb") as f:
                        if mark in f.read():
                            found.append(p)
                except OSError:
                    continue
    return found


def _own(ram: Path, pid: int) -> list[Path]:
    return sorted(ram.glob(f"{pid}-*")) if ram.exists() else []


def _ingest_marked(cli: CLI, tmp_path: Path, name: str, data: bytes) -> str:
    src = tmp_path / "in" / name
    src.parent.mkdir(exist_ok=True)
    src.write_bytes(data)
    cli("ingest", str(src))
    src.unlink()  # the only clear copy left would be one sijill made
    return str(cli.json("items")["items"][0]["id"])


def _start(cli: CLI, *args: str) -> subprocess.Popen[bytes]:
    log = open(cli.archive.parent / f"{args[0]}-{secrets.token_hex(3)}.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "sijill", "--archive", str(cli.archive), *args],
        env=cli.env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    proc.log = log.name  # type: ignore[attr-defined]
    log.close()
    return proc


def _wait_for(proc: subprocess.Popen[bytes], ram: Path, pattern: str, limit: float) -> Path:
    """Poll until a file matching `pattern` exists in `proc`'s work space; fail if it ends."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        for d in _own(ram, proc.pid):
            hits = [p for p in d.rglob(pattern) if p.is_file()]
            if hits:
                return hits[0]
        if proc.poll() is not None:
            break
        time.sleep(0.01)
    proc.kill()
    said = Path(proc.log).read_text(errors="replace")[-2000:]  # type: ignore[attr-defined]
    raise AssertionError(f"no {pattern} in the RAM work space (exit {proc.poll()}):\n{said}")


def _disk_roots(cli: CLI) -> list[Path]:
    return [cli.archive, Path(tempfile.gettempdir())]


def _marker() -> tuple[str, bytes]:
    text = f"WORKMARK{secrets.token_hex(6).upper()}"
    return text, text.encode()


def _marked_pdf(text: str) -> bytes:
    return text_pdf([[f"{text} line {i}" for i in range(30)] for _ in range(2)])


def test_protect_killed_leaves_plaintext_only_in_ram_and_the_next_command_removes_it(
    cli: CLI, tmp_path: Path, ram: Path
) -> None:
    since = time.time() - 1
    text, mark = _marker()
    item = _ingest_marked(cli, tmp_path, "marked.pdf", _marked_pdf(text))
    proc = _start(cli, "protect", item)
    original = _wait_for(proc, ram, "original", 120)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert mount_type(ram) in ("tmpfs", "ramfs")
    assert mark in original.read_bytes()  # the decrypted original was there, in RAM
    assert _holding(mark, _disk_roots(cli), since) == []  # and nowhere on a disk
    assert all(p.is_relative_to(ram) for p in _holding(mark, [ram.parent], since))
    cli("items")  # any command that opens the archive sweeps what a dead one left
    assert _own(ram, proc.pid) == []
    assert _holding(mark, [ram.parent], since) == []


@pytest.mark.slow
def test_run_killed_during_ocr_leaves_no_render_or_original_on_disk(
    cli: CLI, tmp_path: Path, ram: Path
) -> None:
    since = time.time() - 1
    text, mark = _marker()
    scan = write_scanned_pdf(tmp_path / "scan.pdf", ["Minutes of the meeting", "page one"])
    # A comment after %%EOF: readers ignore it, the bytes of any clear copy carry it.
    data = scan.read_bytes() + f"\n%{text}\n".encode()
    scan.unlink()
    _ingest_marked(cli, tmp_path, "scan.pdf", data)
    proc = _start(cli, "run", "--workers", "1")
    render = _wait_for(proc, ram, "page-*.png", 300)
    workers = [int(p.name[1:]) for p in render.parents if p.name.startswith("w")]
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    for pid in workers:  # they die with their parent (PR_SET_PDEATHSIG)
        for _ in range(500):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.02)
    assert workers, "the render was not in a worker's folder"
    assert _holding(mark, _disk_roots(cli), since) == []
    assert _holding(mark, [ram.parent], since)  # the original was decrypted, in RAM only
    cli("status")
    assert _own(ram, proc.pid) == []
    assert _holding(mark, [ram.parent], since) == []


@pytest.mark.slow
def test_every_exit_of_protect_leaves_nothing_anywhere(cli: CLI, tmp_path: Path, ram: Path) -> None:
    since = time.time() - 1
    text, mark = _marker()
    good = _ingest_marked(cli, tmp_path, "marked.pdf", _marked_pdf(text))
    # Normal end.
    done = _start(cli, "protect", good)
    assert done.wait(300) == 0
    # SIGTERM while it works: Python unwinds and removes its folder.
    term = _start(cli, "protect", good)
    _wait_for(term, ram, "original", 120)
    term.send_signal(signal.SIGTERM)
    assert term.wait(60) != 0
    # An exception after decryption: a "PDF" no reader can parse.
    broken = tmp_path / "in" / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n%" + mark + b"\n1 0 obj << /Type /Catalog >>\ntrash\n")
    cli("ingest", str(broken))
    broken.unlink()
    items = cli.json("items")["items"]
    bad = next(i["id"] for i in items if i["name"] == "broken.pdf")
    failed = _start(cli, "protect", bad)
    assert failed.wait(300) != 0
    for proc in (done, term, failed):
        assert _own(ram, proc.pid) == []
    roots = [*_disk_roots(cli), ram.parent]
    assert _holding(mark, roots, since) == []


def test_a_live_work_space_is_never_swept(ram: Path, env: dict[str, str]) -> None:
    code = (
        "import sys, time; from pathlib import Path;"
        "from sijill.storage.workspace import workspace;"
        "w = workspace(Path(sys.argv[1])); (w.root / 'x').write_text('x');"
        "print(w.root, flush=True); time.sleep(60)"
    )
    live = subprocess.Popen(
        [sys.executable, "-c", code, str(ram.parent)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert live.stdout is not None
        root = Path(live.stdout.readline().strip())
        from sijill.storage.workspace import sweep

        assert sweep(ram.parent) == []
        assert (root / "x").exists()
        live.kill()
        live.wait()
        assert root.name in sweep(ram.parent)
        assert not root.exists() and not root.with_name(root.name + ".lock").exists()
    finally:
        live.kill()
