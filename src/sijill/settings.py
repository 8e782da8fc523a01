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
