"""Private work space in RAM: decrypted originals and everything made from them live only there.

Every process that decrypts (the `sijill` command itself, for `protect` and `copies --write`,
and each worker of `sijill run`) works in one directory of its own,
`<ram>/sijill-<uid>/<pid>-<random>`, mode 0700, where `<ram>` is SIJILL_WORK_DIR, else
/dev/shm, else $XDG_RUNTIME_DIR, and must be a RAM file system (tmpfs or ramfs): a crash or
a power cut leaves nothing readable on a disk. Python's `tempfile` and every tool started
from that process (TMPDIR) write there too.

Nothing ever falls back to a disk. Work that does not fit in the free RAM space is refused
with a clear reason naming SIJILL_WORK_DIR (point it at a bigger RAM file system) and can be
retried; it is never spilled in clear.

Liveness: `<name>.lock`, next to the directory, is held with a shared flock by its owner (and
by that owner's workers) for as long as it lives. Every exit path that runs Python (normal
end, exception, SIGINT, SIGTERM) removes the directory; after a `kill -9` the next command
that opens an archive sweeps: a lock it can take exclusively has no living holder, so its
directory is removed. A live process's directory is never touched.
"""

from __future__ import annotations

import atexit
import fcntl
import os
import secrets
import shutil
import signal
import stat
import tempfile
import threading
from pathlib import Path
from types import FrameType

from sijill.errors import ConfigError, StageError

RAM_FILESYSTEMS = frozenset({"tmpfs", "ramfs"})
MARGIN = 64 << 20  # room for the small files (renders, OCR text, logs) a job writes besides


def mount_type(path: Path) -> str | None:
    """File system type of the mount holding `path` (Linux /proc/self/mounts), or None."""
    try:
        lines = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return None
    real = os.path.realpath(path)
    best, fstype = "", None
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        mnt = parts[1].replace("\\040", " ")
        inside = real == mnt or real.startswith(mnt.rstrip("/") + "/")
        if inside and len(mnt) >= len(best):
            best, fstype = mnt, parts[2]
    return fstype


def ram_base(configured: Path | None = None) -> Path:
    """The per-user folder on a RAM file system that holds every work directory."""
    candidates = [configured] if configured else [Path("/dev/shm")]
    if not configured and os.environ.get("XDG_RUNTIME_DIR"):
        candidates.append(Path(os.environ["XDG_RUNTIME_DIR"]))
    for cand in candidates:
        assert cand is not None
        if cand.is_dir() and mount_type(cand) in RAM_FILESYSTEMS:
            return _private(cand / f"sijill-{os.getuid()}")
    where = configured or "/dev/shm"
    raise ConfigError(
        f"{where} is not a RAM file system (tmpfs): decrypted work files would rest on a disk. "
        "Set SIJILL_WORK_DIR to a tmpfs folder"
    )


def _private(path: Path) -> Path:
    """Create `path` 0700 or check that an existing one is ours, private and not a link."""
    try:
        path.mkdir(mode=0o700)
    except FileExistsError:
        pass
    st = path.lstat()
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
        raise ConfigError(f"{path} is not a folder of this user: refusing to work in it")
    if stat.S_IMODE(st.st_mode) != 0o700:
        os.chmod(path, 0o700)
    return path


def _lock(path: Path, create: bool) -> int:
    """Open `path` and hold a shared flock on it, making sure it was not swept meanwhile."""
    flags = os.O_RDWR | (os.O_CREAT | os.O_EXCL if create else 0)
    fd = os.open(path, flags, 0o600)
    fcntl.flock(fd, fcntl.LOCK_SH)
    try:
        if os.stat(path).st_ino != os.fstat(fd).st_ino:
            raise FileNotFoundError(path)
    except FileNotFoundError:
        os.close(fd)
        raise
    return fd


class Workspace:
    """This process's private RAM directory."""

    def __init__(self, root: Path, lock_fd: int, owner: bool) -> None:
        self.root = root
        self.lock_fd = lock_fd
        self.owner = owner

    def ensure_room(self, need: int, what: str) -> None:
        ram_check(self.root, need, what)

    def mkdtemp(self, prefix: str) -> Path:
        return Path(tempfile.mkdtemp(prefix=prefix, dir=self.root))

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
        if self.owner:
            try:
                os.unlink(self.root.with_name(self.root.name + ".lock"))
            except OSError:
                pass
        try:
            os.close(self.lock_fd)
        except OSError:
            pass


def ram_check(folder: Path, need: int, what: str) -> None:
    """Refuse work that would not fit in RAM: it is never spilled to a disk in clear."""
    st = os.statvfs(folder)
    free = st.f_bavail * st.f_frsize
    if need + MARGIN > free:
        raise StageError(
            f"{what} needs {_size(need + MARGIN)} of private RAM work space and only "
            f"{_size(free)} is free there; decrypted files are never written to a disk. "
            "Free memory, or set SIJILL_WORK_DIR to a larger tmpfs, then retry "
            "(`sijill run --retry-failed`)"
        )


def _size(n: int) -> str:
    return f"{n / (1 << 30):.1f} GiB" if n >= 1 << 30 else f"{n / (1 << 20):.0f} MiB"


_current: Workspace | None = None


_creating = threading.Lock()  # the web app's threads may ask for it at the same moment


def workspace(configured: Path | None = None) -> Workspace:
    """This process's work directory, created on first use and removed when it exits."""
    with _creating:
        return _workspace(configured)


def _workspace(configured: Path | None) -> Workspace:
    global _current
    if _current is not None and _current.root.is_dir():
        return _current
    base = ram_base(configured)
    while True:
        name = f"{os.getpid()}-{secrets.token_hex(4)}"
        try:
            fd = _lock(base / f"{name}.lock", create=True)
        except (FileExistsError, FileNotFoundError):
            continue
        break
    root = base / name
    root.mkdir(mode=0o700)
    _current = Workspace(root, fd, owner=True)
    _adopt(root)
    return _current


def attach_worker(parent_root: Path) -> Path:
    """In a worker of `sijill run`: share the parent's lock and work in a subfolder of its own.

    The runner removes `w<pid>` when it kills a worker, and the whole folder at its end."""
    global _current
    fd = _lock(parent_root.with_name(parent_root.name + ".lock"), create=False)
    root = parent_root / f"w{os.getpid()}"
    root.mkdir(mode=0o700, exist_ok=True)
    _current = Workspace(root, fd, owner=False)
    _adopt(root)
    return root


def _adopt(root: Path) -> None:
    """Point this process's temp files, and those of every tool it starts, at `root`."""
    tempfile.tempdir = str(root)
    os.environ["TMPDIR"] = str(root)
    atexit.register(_close_current)
    if threading.current_thread() is threading.main_thread():
        if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
            signal.signal(signal.SIGTERM, _on_sigterm)


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    # Unwinds like Ctrl-C does: `finally` blocks and atexit remove the decrypted files.
    raise SystemExit(128 + signum)


def _close_current() -> None:
    global _current
    if _current is not None:
        _current.close()
        _current = None


def sweep(configured: Path | None = None) -> list[str]:
    """Remove the work directories of processes that died without cleaning up (kill -9).

    Returns the names removed. A directory whose lock someone still holds is left alone."""
    try:
        base = ram_base(configured)
    except ConfigError:
        return []
    removed = []
    own = _current.root.name if _current is not None and _current.owner else None
    for entry in os.scandir(base):
        if not entry.name.endswith(".lock"):
            continue
        name = entry.name[: -len(".lock")]
        if name == own:
            continue
        try:
            fd = os.open(entry.path, os.O_RDWR)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue  # alive
        try:
            shutil.rmtree(base / name, ignore_errors=True)
            os.unlink(entry.path)
            removed.append(name)
        except OSError:
            pass
        finally:
            os.close(fd)
    # A directory without its lock (a sweep interrupted between the two removals): no owner
    # creates one without first holding its lock, so it is dead too.
    for entry in os.scandir(base):
        if entry.is_dir(follow_symlinks=False) and not (base / f"{entry.name}.lock").exists():
            if entry.name != own:
                shutil.rmtree(entry.path, ignore_errors=True)
                removed.append(entry.name)
    return removed
