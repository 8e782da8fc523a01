"""No external tool, and no worker, ever holds the passphrase or another secret.

The tools parse hostile files; whatever is in their environment is an exploit away from the
attacker. Two checks: the sources start no process except through `sijill.tools` (so a new
call site cannot forget the minimal environment), and the real `sijill run`, `protect` and
`leakcheck` are watched from outside: the environment of every process they start, read
from /proc while it runs, holds no secret.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from sijill.tools import drop_secrets, run_tool, secrets_withheld, tool_env
from tests.conftest import CLI, PASSPHRASE
from tests.mediagen import make_video

SRC = Path(__file__).resolve().parents[1] / "src" / "sijill"
SECRET_VALUE = "tok-4f1d-marker-never-in-a-tool"
SECRETS = {"SIJILL_PASSPHRASE": PASSPHRASE, "ACME_API_TOKEN": SECRET_VALUE}
# Ways to start a process. `sijill.tools` is the one place allowed to use them.
STARTS = re.compile(
    r"subprocess\.(run|Popen|call|check_call|check_output|getoutput|getstatusoutput)\s*\("
    r"|from\s+subprocess\s+import\s+[^\n]*\b(run|Popen|call|check_call|check_output)\b"
    r"|\bos\.(system|popen|exec[lv]p?e?|spawn[lv]p?e?|posix_spawnp?|fork)\s*\("
    r"|\bpty\.spawn\s*\(|create_subprocess_(exec|shell)\s*\("
)
# The demo runs the `sijill` command itself, which needs the demo archive's passphrase. The
# key is opened ahead in a fork of the command itself (`crypto.unlock_ahead`): no program is
# started, no file but the key is read, and it exits once the key is open.
ALLOWED = {"tools/__init__.py", "cli/demo/__init__.py", "storage/crypto.py"}


def test_no_module_starts_a_process_except_through_the_tool_helper() -> None:
    bypass = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).as_posix()
        for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
            if STARTS.search(line) and rel not in ALLOWED:
                bypass.append(f"{rel}:{number}: {line.strip()}")
    assert not bypass, "start tools with sijill.tools.run_tool/start_tool:\n" + "\n".join(bypass)


def test_a_tool_gets_only_the_minimal_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TESSDATA_PREFIX", "/usr/share/tesseract-ocr/5/tessdata")
    shown = run_tool(["env", "-0"], capture_output=True, check=True).stdout.decode()
    env = dict(kv.split("=", 1) for kv in shown.split("\0") if kv)
    assert set(env) <= {
        "PATH",
        "LANG",
        "LC_ALL",
        "HOME",
        "TMPDIR",
        "OMP_THREAD_LIMIT",
        "TESSDATA_PREFIX",
    }, env
    assert env["OMP_THREAD_LIMIT"] == "1" and env["LC_ALL"] == "C.UTF-8"
    home = Path(env["HOME"])
    assert home != Path.home() and home.is_dir() and not any(home.iterdir())
    assert home.stat().st_mode & 0o077 == 0  # private
    with pytest.raises(TypeError):
        run_tool(["true"], env=dict(os.environ))
    assert tool_env({"X_TOOL_KNOB": "1"})["X_TOOL_KNOB"] == "1"


def test_workers_are_started_and_live_without_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SIJILL_WORK_DIR", "/dev/shm")
    with secrets_withheld():
        assert not any(n in os.environ for n in SECRETS)
        assert os.environ["SIJILL_WORK_DIR"] == "/dev/shm"  # settings that are no secret stay
    assert os.environ["ACME_API_TOKEN"] == SECRET_VALUE  # given back afterwards
    drop_secrets()
    assert not any(n in os.environ for n in SECRETS)


class _Watcher(threading.Thread):
    """Reads the environment of every process below `root` while it lives."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root, self.stop = root, threading.Event()
        self.seen: dict[int, tuple[str, bytes]] = {}
        # Popen returns once the child has begun its exec, which can be before the kernel has
        # set up its arguments: /proc then shows an empty command line for a moment. Wait for
        # the real one, or every fork of the command would look like a new program.
        self.root_cmdline = b""
        deadline = time.monotonic() + 5
        while not self.root_cmdline and time.monotonic() < deadline:
            try:
                self.root_cmdline = Path(f"/proc/{root}/cmdline").read_bytes()
            except OSError:
                break
            if not self.root_cmdline:
                time.sleep(0.001)

    def run(self) -> None:
        while not self.stop.is_set():
            parents: dict[int, int] = {}
            for entry in os.scandir("/proc"):
                if entry.name.isdigit():
                    try:
                        stat = Path(f"/proc/{entry.name}/stat").read_text()
                        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
                    except (OSError, ValueError, IndexError):
                        continue
            for pid in parents:
                up, hops = parents.get(pid), 0
                while up and up != self.root and hops < 20:
                    up, hops = parents.get(up), hops + 1
                if up != self.root or pid in self.seen:
                    continue
                try:
                    raw = Path(f"/proc/{pid}/cmdline").read_bytes()
                    if raw == self.root_cmdline:
                        # Forked and not yet exec'd (subprocess between fork and exec): still
                        # the command's own image and environment block; looked at again
                        # once it has become the program it starts.
                        continue
                    self.seen[pid] = (
                        raw.replace(b"\0", b" ").decode("utf-8", "replace"),
                        Path(f"/proc/{pid}/environ").read_bytes(),
                    )
                except OSError:
                    continue
            time.sleep(0.003)


def _watched(cli: CLI, *args: str) -> dict[int, tuple[str, bytes]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "sijill", "--archive", str(cli.archive), *args],
        env=cli.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    watcher = _Watcher(proc.pid)
    watcher.start()
    out, err = proc.communicate(timeout=600)
    watcher.stop.set()
    watcher.join()
    assert proc.returncode in (0, 1), (args, out[-2000:], err[-2000:])
    return watcher.seen


@pytest.mark.slow  # a real run (workers, exiftool, ffprobe, ffmpeg, Tesseract), a copy, a scan
def test_no_process_started_by_run_protect_or_leakcheck_sees_a_secret(
    tmp_path: Path, env: dict[str, str]
) -> None:
    env = dict(env, **SECRETS)
    cli = CLI(tmp_path / "archive", env)
    cli("init")
    folder = tmp_path / "in"
    folder.mkdir()
    Image.new("RGB", (640, 360), (200, 180, 160)).save(folder / "wall.jpg", quality=90)
    make_video(folder / "clip.mp4", seconds=1.0)
    cli("ingest", str(folder))
    seen = _watched(cli, "run", "--workers", "1")
    photo = next(i["id"] for i in cli.json("items")["items"] if i["name"] == "wall.jpg")
    seen |= _watched(cli, "protect", photo, "--out", str(tmp_path / "copy"))
    seen |= _watched(cli, "leakcheck", str(tmp_path / "copy"))
    commands = [cmd for cmd, _env in seen.values()]
    # The watch saw what it must judge: workers and the tools they and the command started.
    assert any("multiprocessing" in c for c in commands), commands
    assert any("exiftool" in c for c in commands), commands
    assert any(re.search(r"\bff(mpeg|probe)\b", c) for c in commands), commands
    for cmd, environ in seen.values():
        assert PASSPHRASE.encode() not in environ, cmd
        assert SECRET_VALUE.encode() not in environ, cmd
        if "python" not in cmd.split(" ")[0]:  # an external tool: the minimal set only
            names = {kv.split(b"=", 1)[0] for kv in environ.split(b"\0") if kv}
            assert not any(n.startswith(b"SIJILL_") for n in names), (cmd, names)
