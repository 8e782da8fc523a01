"""A media item's transcript (and its English translation) from the catalog, in the usual
subtitle and text formats."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from sijill.errors import ConfigError, NotFound
from sijill.storage import custody, shapes
from sijill.storage.models import Item, TextUnit
from sijill.storage.repositories import items as items_repo

if TYPE_CHECKING:
    from sijill.archive.context import Context


def transcript(session: Session, item: Item) -> shapes.Transcript:
    """Segments in time order, and translation segments pointing at the segments they render."""
    rows = items_repo.text_units(session, item.id, ("segment", "translation"))
    segments: list[shapes.Segment] = []
    translation: list[shapes.Segment] = []
    for u in rows:
        info = u.info or {}
        doc: shapes.Segment = {
            "id": u.id,
            "start": u.start,
            "end": u.end,
            "lang": u.lang,
            "text": info.get("reviewed_text", u.text),
        }
        if "reviewed_text" in info:
            doc["machine_text"] = u.text
            doc["corrected_by"] = info.get("reviewed_by")
        if u.kind == "segment":
            doc["words"] = [
                {"start": w[0], "end": w[1], "word": w[2], "probability": w[3]}
                for w in info.get("words", [])
            ]
            segments.append(doc)
        else:
            doc["sources"] = info.get("sources", [])
            translation.append(doc)
    meta = item.info or {}
    return {
        "item": item.id,
        "name": item.name,
        "language": meta.get("speech_language"),
        "model": meta.get("transcription_model"),
        "translation_note": meta.get("translation"),
        "reviewed": meta.get("transcript_reviewed"),
        "segments": segments,
        "translation": translation,
    }


def correct_segment(session: Session, item: Item, unit_id: int, text: str, actor: str) -> None:
    """A person's correction of one segment (a misheard name, a wrong word).

    The machine's text stays in the text unit; the correction sits beside it and is what
    transcripts, subtitles and publication copies show. Re-voicing speaks it, so a name the
    machine misheard can be protected once a person has written it right.
    """
    unit = session.get(TextUnit, unit_id)
    if unit is None or unit.item_id != item.id or unit.kind != "segment":
        raise NotFound(f"item {item.id} has no transcript segment {unit_id}")
    text = " ".join(text.split())
    if not text:
        raise ConfigError("a corrected segment cannot be empty (write what was said)")
    info = dict(unit.info or {})
    info.update(
        reviewed_text=text,
        reviewed_by=actor,
        reviewed_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    unit.info = info
    custody.append(session, actor, "transcript_corrected", item.id, {"segment": unit_id})


def mark_reviewed(session: Session, item: Item, actor: str) -> None:
    """Record that a person read the whole transcript against the recording."""
    meta = dict(item.info or {})
    meta["transcript_reviewed"] = {
        "by": actor,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    item.info = meta
    custody.append(session, actor, "transcript_reviewed", item.id, {})


def revise(
    ctx: Context,
    item_id: str,
    corrections: Sequence[tuple[int, str]] = (),
    *,
    reviewed: bool = False,
) -> shapes.Transcript:
    """The service behind `sijill transcript`: correct segments and mark the transcript read
    (investigators of the item's case), then return it with the item's state.

    Reading alone needs only READ. The returned document carries `kind`, `status` and
    `speech` (why there is no transcript) so that a face can explain an empty one.
    """
    from sijill.archive.access import Can
    from sijill.archive.lookup import item_of

    need = Can.INVESTIGATE if corrections or reviewed else Can.READ
    with ctx.session() if need is Can.INVESTIGATE else ctx.reading() as s:
        item = item_of(s, ctx, item_id, need)
        if item.kind not in ("audio", "video"):
            raise NotFound(
                f"item {item.id} is {item.kind}, not audio or video; it has no transcript"
            )
        for seg, text in corrections:
            correct_segment(s, item, seg, text, ctx.actor.name)
        if reviewed:
            mark_reviewed(s, item, ctx.actor.name)
        doc = transcript(s, item)
        doc["status"] = item.status
        doc["speech"] = (item.info or {}).get("speech")
        return doc
