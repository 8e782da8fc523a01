"""Starting external programs: every tool sees a minimal environment, never our secrets.

exiftool, Tesseract, ffmpeg, ffprobe, espeak-ng, apertium and the rest parse hostile files;
a bug in one of them must not hand the attacker the archive passphrase, a database URL or
any other secret the environment of `sijill` holds. So no module of sijill calls
`subprocess` directly (a test reads the sources): they all go through `run_tool` and
`start_tool` here, which always pass `tool_env()`: PATH, a UTF-8 C locale, a private
empty HOME (no user configuration such as ~/.ExifTool_config is read, nothing is written
to the real home), TMPDIR (the process's private work space when it has one), OMP_THREAD_LIMIT=1
(Tesseract is 5x faster single-threaded here) and TESSDATA_PREFIX when it is set.

Worker processes of `sijill run` are started with the secrets withheld from the
environment they inherit (`secrets_withheld`) and drop any that reach them anyway
(`drop_secrets`): the archive identity reaches them over a pipe, never the passphrase.

This is the bottom layer: it imports nothing from sijill.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Literal, overload

# What a tool may see from our environment, besides what tool_env sets itself.
PASSED = ("PATH", "TESSDATA_PREFIX")
# Names of variables that hold secrets (passphrases, tokens, URLs with credentials):
# withheld from workers and dropped in them. Workers keep the rest (paths, sizes, threads).
SECRET = re.compile(
    r"PASS|SECRET|TOKEN|KEY|CREDENTIAL|AUTH|COOKIE|SESSION|_URL$|^SIJILL_USER", re.IGNORECASE
)

_lock = threading.Lock()
_env_lock = threading.Lock()
_homes: dict[str, str] = {}


def _home(tmp: str) -> str:
    """A private, empty HOME for tools, one per process and temp dir, removed at exit."""
    with _lock:
        home = _homes.get(tmp)
        if home is None or not os.path.isdir(home):
            home = tempfile.mkdtemp(prefix="sijill-home-", dir=tmp)
            _homes[tmp] = home
        return home


@atexit.register
def _remove_homes() -> None:
    for home in _homes.values():
        shutil.rmtree(home, ignore_errors=True)


def tool_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The whole environment an external tool gets (plus `extra`, e.g. a tool's own knob)."""
    tmp = os.environ.get("TMPDIR") or tempfile.gettempdir()
    env = {k: os.environ[k] for k in PASSED if os.environ.get(k)}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    env.update(
        LANG="C.UTF-8",
        LC_ALL="C.UTF-8",
        HOME=_home(tmp),
        TMPDIR=tmp,
        OMP_THREAD_LIMIT="1",
    )
    env.update(extra or {})
    return env


def _checked(kwargs: dict[str, Any]) -> None:
    if "env" in kwargs:
        raise TypeError("tools get tool_env(); pass env_extra for a tool's own settings")
    if kwargs.get("shell"):
        raise TypeError("no shell: a file name is never parsed as a command")


@overload
def run_tool(
    cmd: Sequence[str],
    *,
    text: Literal[True],
    env_extra: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> subprocess.CompletedProcess[str]: ...
@overload
def run_tool(
    cmd: Sequence[str],
    *,
    text: Literal[False] = False,
    env_extra: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> subprocess.CompletedProcess[bytes]: ...
def run_tool(
    cmd: Sequence[str],
    *,
    text: bool = False,
    env_extra: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> subprocess.CompletedProcess[Any]:
    """`subprocess.run` with the tool environment (same arguments, except `env`)."""
    _checked(kwargs)
    return subprocess.run(list(cmd), env=tool_env(env_extra), text=text, **kwargs)


def start_tool(
    cmd: Sequence[str], *, env_extra: Mapping[str, str] | None = None, **kwargs: Any
) -> subprocess.Popen[bytes]:
    """`subprocess.Popen` with the tool environment (same arguments, except `env`)."""
    _checked(kwargs)
    return subprocess.Popen(list(cmd), env=tool_env(env_extra), **kwargs)


def is_secret(name: str) -> bool:
    return bool(SECRET.search(name))


def drop_secrets() -> None:
    """In a worker: forget every secret-looking variable (see `SECRET`)."""
    for name in [n for n in os.environ if is_secret(n)]:
        os.environ.pop(name, None)


@contextmanager
def secrets_withheld() -> Iterator[None]:
    """While a worker process is started: its inherited environment holds no secret."""
    with _env_lock:
        held = {n: v for n, v in os.environ.items() if is_secret(n)}
        for name in held:
            os.environ.pop(name, None)
        try:
            yield
        finally:
            os.environ.update(held)
