"""The one settings object: environment variables with the SIJILL_ prefix."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Process-wide settings. Archive-specific values live in the archive's own config."""

    model_config = SettingsConfigDict(env_prefix="SIJILL_", extra="ignore")

    archive: Path = Path("sijill-archive")
    passphrase: str | None = None
    database_url: str | None = None
    blobs_url: str | None = None
    broker_url: str | None = None
    user: str | None = None
    workers: int = max(1, min(4, os.cpu_count() or 1))
    stage_timeout_s: float = 600.0
    stage_memory_mb: int = 3072
    # Where models run (transcription): auto uses a CUDA GPU when one is present.
    device: str = "auto"
    # A RAM file system (tmpfs) for decrypted work files; default /dev/shm. Never a disk.
    work_dir: Path | None = None
    # Ingest refuses a file over this size, and stops taking files once one command has
    # sealed this much (whole files only). 64 GiB holds hours of 4K phone video.
    max_file_bytes: int = 64 << 30
    max_ingest_bytes: int = 1 << 40

    def actor(self) -> str:
        """Who is acting: SIJILL_USER, else the operating-system login."""
        if self.user:
            return self.user
        import getpass

        try:
            return getpass.getuser()
        except (KeyError, OSError):
            return "unknown"


def load_settings() -> Settings:
    return Settings()
