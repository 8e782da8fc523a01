"""Cases and their per-case stage configuration (e.g. OCR languages for one investigation)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from sijill.errors import ConfigError, NotFound
from sijill.pipeline.registry import Registry
from sijill.storage import custody, shapes
from sijill.storage.models import Case
from sijill.storage.repositories import items as items_repo


def parse_setting(registry: Registry, assignment: str) -> tuple[str, str, Any]:
    """`stage.key=value` -> (stage, key, value typed like the stage's default)."""
    if "=" not in assignment or "." not in assignment.split("=", 1)[0]:
        raise ConfigError(
            f"{assignment!r}: write STAGE.SETTING=VALUE, e.g. tesseract_ocr.languages=ara"
        )
    target, raw = assignment.split("=", 1)
    stage_name, key = target.split(".", 1)
    stage = registry.get(stage_name)
    if key not in stage.defaults:
        known = ", ".join(sorted(stage.defaults)) or "none"
        raise ConfigError(f"stage {stage_name} has no setting {key!r} (settings: {known})")
    default = stage.defaults[key]
    value: Any
    try:
        if isinstance(default, bool):
            if raw.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(raw)
            value = raw.lower() in ("true", "1", "yes")
        elif isinstance(default, int):
            value = int(raw)
        elif isinstance(default, float):
            value = float(raw)
        elif isinstance(default, str):
            value = raw
        else:
            value = json.loads(raw)
    except ValueError as exc:
        raise ConfigError(f"{target} must be a {type(default).__name__}, not {raw!r}") from exc
    return stage_name, key, value


def configure(
    session: Session,
    registry: Registry,
    case_id: str,
    assignments: list[str],
    unset: list[str],
    actor: str,
) -> dict[str, Any]:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case {case_id!r}")
    config: dict[str, dict[str, Any]] = json.loads(json.dumps(case.config or {}))
    for a in assignments:
        stage, key, value = parse_setting(registry, a)
        config.setdefault(stage, {})[key] = value
    for target in unset:
        stage, _, key = target.partition(".")
        config.get(stage, {}).pop(key, None)
        if stage in config and not config[stage]:
            del config[stage]
    if config != case.config:
        case.config = config
        custody.append(session, actor, "case_configured", None, {"case": case_id, "config": config})
    return config


def list_cases(session: Session) -> list[shapes.Case]:
    return [
        {"id": c.id, "items": n, "config": c.config}
        for c, n in items_repo.cases_with_counts(session)
    ]
