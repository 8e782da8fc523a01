"""Built-in stages, registered through the `sijill.stages` entry point like any plugin."""

from __future__ import annotations

from sijill.pipeline.stage import Stage


def builtin_stages() -> list[Stage]:
    from sijill.pipeline.stages.exiftool_metadata import ExiftoolMetadata

    stages: list[Stage] = [ExiftoolMetadata()]
    # Each stage module adds itself below (one import and one append per stage).
    return stages
