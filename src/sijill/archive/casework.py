"""Case-level work as services: the analysis passes, people's decisions on entity merges, and
per-case stage settings. Each takes a `Context`, checks the actor's role, owns its
transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from sijill.archive.access import Can, require
from sijill.archive.analysis import AnalysisReport, analyse
from sijill.archive.analysis import decide_merge as _decide
from sijill.archive.analysis import merge_by_hand as _by_hand
from sijill.archive.cases import configure, list_cases
from sijill.archive.context import Context
from sijill.errors import Forbidden, NotFound
from sijill.pipeline.registry import Registry
from sijill.storage import shapes
from sijill.storage.archive import CASE_ID
from sijill.storage.models import Case, Entity, EntityMerge
from sijill.storage.repositories import items as items_repo


def _custodian(ctx: Context, what: str) -> None:
    if not ctx.actor.is_custodian:
        raise Forbidden(f"only the archive's custodian can {what}")


def analyse_cases(
    ctx: Context, progress: Callable[[str, float], None] | None = None, force: bool = False
) -> AnalysisReport:
    """Entity merges and corroboration in every case whose inputs changed (custodian)."""
    _custodian(ctx, "run the case passes over the whole archive")
    with ctx.session() as s:
        return analyse(s, ctx.actor.name, progress, force)


@dataclass(frozen=True)
class MergeDecision:
    id: int
    entity: str
    into: str
    status: str


def _decision(s: Session, m: EntityMerge) -> MergeDecision:
    a, b = s.get_one(Entity, m.entity_id), s.get_one(Entity, m.into_id)
    return MergeDecision(m.id, a.name, b.name, m.status)


def decide_merge(ctx: Context, merge_id: int, decision: str) -> MergeDecision:
    with ctx.session() as s:
        m = s.get(EntityMerge, merge_id)
        if m is None or not ctx.actor.sees(m.case_id):
            raise NotFound(f"no entity merge {merge_id}")
        require(ctx.actor, m.case_id, Can.INVESTIGATE)
        return _decision(s, _decide(s, merge_id, decision, ctx.actor.name))


def merge_by_hand(ctx: Context, entity_id: int, into_id: int) -> MergeDecision:
    with ctx.session() as s:
        for eid in (entity_id, into_id):
            e = s.get(Entity, eid)
            if e is None or not ctx.actor.sees(e.case_id):
                raise NotFound(f"no entity {eid}")
            require(ctx.actor, e.case_id, Can.INVESTIGATE)
        return _decision(s, _by_hand(s, entity_id, into_id, ctx.actor.name))


def cases(ctx: Context) -> list[shapes.Case]:
    """The cases the actor can see, with item counts and stage settings."""
    with ctx.reading() as s:
        return [c for c in list_cases(s) if ctx.actor.sees(c["id"])]


def ensure_case(ctx: Context, case_id: str) -> None:
    """Create the case when it does not exist (custodian)."""
    from sijill.errors import ConfigError

    if not CASE_ID.fullmatch(case_id):
        raise ConfigError(
            f"case name {case_id!r}: use letters, digits, '-', '_' or '.', at most 64"
        )
    with ctx.session() as s:
        if s.get(Case, case_id) is None:
            _custodian(ctx, "create cases")
            s.add(Case(id=case_id, name=case_id, config={}))


def configure_case(
    ctx: Context, registry: Registry, case_id: str, assignments: list[str], unset: list[str]
) -> dict[str, Any]:
    """Change a case's stage settings (investigators and above); created if missing."""
    ensure_case(ctx, case_id)
    with ctx.session() as s:
        require(ctx.actor, case_id, Can.INVESTIGATE)
        return configure(s, registry, case_id, assignments, unset, ctx.actor.name)


def configure_every_case(ctx: Context, registry: Registry, assignment: str) -> list[str]:
    """One stage setting in every case (custodian): `sijill run --model`."""
    _custodian(ctx, "change every case's settings")
    with ctx.session() as s:
        ids = items_repo.case_ids(s)
        for case_id in ids:
            configure(s, registry, case_id, [assignment], [], ctx.actor.name)
        return ids
