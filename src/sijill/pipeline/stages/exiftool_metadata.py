"""Capture every file's metadata with exiftool, as sealed evidence (never published)."""

from __future__ import annotations

from typing import ClassVar

from sijill.pipeline.stage import ItemInfo, Stage, StageContext, StageResult
from sijill.tools.exiftool import exiftool


class ExiftoolMetadata(Stage):
    name = "exiftool_metadata"
    describes = True
    version = 1
    description = "exiftool JSON (-G1 -a -u -ee) of the original, kept in the sealed record"
    tools: ClassVar[tuple[str, ...]] = ("exiftool",)
    timeout_s = 300

    def accepts(self, item: ItemInfo, previous: dict[str, dict[str, object]]) -> bool:
        return item.kind != "empty"

    def run(self, ctx: StageContext) -> StageResult:
        meta = exiftool().metadata(ctx.input_path)
        warnings = [str(v) for k, v in meta.items() if k.endswith(("Warning", "Error"))]
        gps = sorted(k for k in meta if "GPS" in k)
        return StageResult(
            data={"tags": len(meta), "has_gps": bool(gps), "exiftool_warnings": warnings},
            metadata={"exiftool": meta},
            item_info={"has_gps": True} if gps else {},
        )
