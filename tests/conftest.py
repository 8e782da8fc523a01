"""Shared fixtures: real archives in temp dirs, the real CLI in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sijill.settings import Settings
from sijill.storage.archive import Archive

PASSPHRASE = "correct horse battery staple"
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def shared_data(sub: str) -> Path:
    """A folder of ../shared/data, or skip the test with a clear message (fail it in CI)."""
    p = SHARED_DATA / sub
    if not p.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"shared test data {p} is not present (CI must have it)")
        pytest.skip(f"shared test data {p} is not present")
    return p


@dataclass
class CLI:
    archive: Path
    env: dict[str, str]

    def __call__(
        self, *args: str, check: bool = True, timeout: float = 600, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [sys.executable, "-m", "sijill", "--archive", str(self.archive), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            input=input,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"sijill {' '.join(args)} exited {proc.returncode}\n"
                f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
            )
        return proc

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--json").stdout)


def cli_env() -> dict[str, str]:
    """The environment the CLI runs with in tests: the test passphrase and user."""
    e = dict(os.environ, SIJILL_PASSPHRASE=PASSPHRASE, SIJILL_USER="tester")
    e.pop("SIJILL_ARCHIVE", None)
    return e


@pytest.fixture
def env() -> dict[str, str]:
    return cli_env()


@pytest.fixture
def cli(tmp_path: Path, env: dict[str, str]) -> CLI:
    """The real `sijill` command on a fresh, initialised archive."""
    c = CLI(tmp_path / "archive", env)
    c("init")
    return c


@pytest.fixture
def settings() -> Settings:
    return Settings(passphrase=PASSPHRASE, user="tester", workers=2)


@pytest.fixture
def archive(tmp_path: Path, settings: Settings) -> Iterator[Archive]:
    """An initialised archive opened in-process (unlocked)."""
    a = Archive.init(tmp_path / "archive", settings, PASSPHRASE)
    yield a
    a.close()


def process(archive: Archive, workers: int = 2) -> Any:
    """Run all pending work in-process, as `sijill run` does."""
    from sijill.pipeline.runner import Runner

    return Runner(archive, workers=workers, actor="tester").run()
