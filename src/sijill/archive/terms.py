"""A case's protected terms: real names, kunyas, home towns, safe houses, phone numbers.

Each term has a pseudonym that replaces it in every publication copy ("Witness A"). Spellings
of one person share one pseudonym: a term added for an entity takes the pseudonym its other
spellings already have, and `same_as` joins a term to another's pseudonym by hand.

Custody events name the term's id, kind and pseudonym, never the term itself: the custody log
may be shown to a court or an editor, the terms never.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from sijill.errors import ConfigError, NotFound
from sijill.storage import custody, shapes
from sijill.storage.models import Case, Entity, ProtectedTerm
from sijill.storage.repositories import terms as repo
from sijill.storage.shapes import Term

KINDS = ("name", "place", "phone", "other")
# Entity labels whose names are proposed for protection, and the kind each becomes.
PROPOSE_LABELS = {"PERSON": "name"}


def next_pseudonym(session: Session, case_id: str, kind: str) -> str:
    """The first unused pseudonym of this kind in the case: Witness A, Witness B, …"""
    from sijill.protect.redact import pseudonym_for

    used = repo.pseudonyms(session, case_id)
    i = 0
    while pseudonym_for(kind, i) in used:
        i += 1
    return pseudonym_for(kind, i)


def term_json(t: ProtectedTerm) -> Term:
    return {
        "id": t.id,
        "case": t.case_id,
        "term": t.term,
        "kind": t.kind,
        "pseudonym": t.pseudonym,
        "entity_id": t.entity_id,
        "created_by": t.created_by,
        "created_at": t.created_at,
    }


def add_term(
    session: Session,
    case_id: str,
    term: str,
    actor: str,
    *,
    kind: str = "name",
    pseudonym: str | None = None,
    same_as: str | None = None,
    entity_id: int | None = None,
) -> ProtectedTerm:
    """Protect `term` in a case; an existing term is returned unchanged (and not re-logged)."""
    term = " ".join(term.split())
    if not term:
        raise ConfigError("a protected term cannot be empty")
    if kind not in KINDS:
        raise ConfigError(f"kind {kind!r}: use one of {', '.join(KINDS)}")
    if kind == "phone" and sum(ch.isdigit() for ch in term) < 7:
        raise ConfigError(f"{term!r}: a phone number needs at least 7 digits")
    if session.get(Case, case_id) is None:
        raise NotFound(f"no case {case_id!r}")
    existing = repo.find(session, case_id, term)
    if existing is not None:
        return existing
    if same_as is not None:
        other = repo.find(session, case_id, same_as)
        if other is None:
            raise NotFound(f"no protected term {same_as!r} in case {case_id!r}")
        pseudonym = other.pseudonym
    if pseudonym is None and entity_id is not None:
        pseudonym = repo.pseudonym_of_entity(session, case_id, entity_id)
    if pseudonym is None:
        pseudonym = next_pseudonym(session, case_id, kind)
    row = ProtectedTerm(
        case_id=case_id,
        term=term,
        kind=kind,
        pseudonym=pseudonym.strip(),
        entity_id=entity_id,
        created_by=actor,
    )
    session.add(row)
    session.flush()
    custody.append(
        session,
        actor,
        "protected_term_added",
        None,
        {"case": case_id, "term_id": row.id, "kind": kind, "pseudonym": row.pseudonym},
    )
    return row


def remove_term(session: Session, case_id: str, term: str, actor: str) -> None:
    row = repo.find(session, case_id, term)
    if row is None:
        raise NotFound(f"no protected term {term!r} in case {case_id!r}")
    custody.append(
        session,
        actor,
        "protected_term_removed",
        None,
        {"case": case_id, "term_id": row.id, "kind": row.kind, "pseudonym": row.pseudonym},
    )
    session.delete(row)
    session.flush()


def list_terms(session: Session, case_id: str | None = None) -> list[ProtectedTerm]:
    return repo.listed(session, case_id)


def leakcheck_terms(session: Session, case: str | None) -> list[str]:
    """The terms the leak check searches for: one case's, or every case's."""
    return [t.term for t in list_terms(session, case)]


def propose(session: Session, case_id: str, *, item_id: str | None = None) -> list[shapes.Proposal]:
    """Detected person names of the case (or named in one item) that no protected term covers
    yet, most mentioned first: each with its spellings (aliases of it and of what was merged
    into it). A spelling counts as covered when the redactor would replace all of it."""
    from sijill.protect.redact import ProtectedTerm as Term
    from sijill.protect.redact import Redactor

    redactor = Redactor(
        Term(term=t.term, pseudonym=t.pseudonym, kind=t.kind) for t in list_terms(session, case_id)
    )

    def covered(spelling: str) -> bool:
        return any(h.start == 0 and h.end >= len(spelling) for h in redactor.find(spelling))

    counts = repo.mentions_per_root(session, case_id, item_id)
    out: list[shapes.Proposal] = []
    for ent in repo.unmerged_entities(session, case_id, tuple(PROPOSE_LABELS)):
        n = counts.get(ent.id, 0)
        if not n:
            continue
        spellings = [ent.name, *(ent.info or {}).get("aliases", [])]
        for e in repo.merged_into(session, ent.id):
            spellings += [e.name, *(e.info or {}).get("aliases", [])]
        seen: list[str] = []
        for sp in spellings:
            sp = " ".join(str(sp).split())
            if sp and sp not in seen:
                seen.append(sp)
        missing = [sp for sp in seen if not covered(sp)]
        if not missing:
            continue
        out.append(
            {
                "entity_id": ent.id,
                "label": ent.label,
                "kind": PROPOSE_LABELS[ent.label],
                "name": ent.name,
                "spellings": missing,
                "mentions": n,
            }
        )
    out.sort(key=lambda d: (-d["mentions"], d["name"]))
    return out


def accept(session: Session, case_id: str, entity_id: int, actor: str) -> list[ProtectedTerm]:
    """Protect every spelling of a proposed entity, under one pseudonym."""
    for p in propose(session, case_id):
        if p["entity_id"] == entity_id:
            return [
                add_term(session, case_id, sp, actor, kind=p["kind"], entity_id=entity_id)
                for sp in p["spellings"]
            ]
    ent = session.get(Entity, entity_id)
    if ent is None or ent.case_id != case_id:
        raise NotFound(f"no entity {entity_id} in case {case_id!r}")
    return []
