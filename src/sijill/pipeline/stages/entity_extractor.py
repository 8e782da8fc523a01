"""Names in every text unit: people, places, organisations, dates and the case's terms.

spaCy for English and French; rules and a gazetteer for Arabic and for names in any script
(kunyas, nisbas, honorifics, dates with Arabic months and digits); the case's glossary for its
jargon. Each mention keeps its unit and exact character offsets; the runner resolves it to the
case's entity with the same label and key (a gazetteer id, else the normalised name).
"""

from __future__ import annotations

from typing import Any, ClassVar

from sijill.errors import ConfigError
from sijill.pipeline.stage import (
    ItemInfo,
    MentionOut,
    Stage,
    StageContext,
    StageResult,
)


def _parse_glossary(raw: str) -> dict[str, str]:
    """`term=meaning; term=meaning` (the case config holds it as one string)."""
    out: dict[str, str] = {}
    for part in raw.split(";"):
        if not part.strip():
            continue
        term, sep, meaning = part.partition("=")
        if not sep or not term.strip():
            raise ConfigError(f"glossary entry {part.strip()!r}: write term=meaning; …")
        out[term.strip()] = meaning.strip()
    return out


class EntityExtractor(Stage):
    name = "entity_extractor"
    # 2: the alias table (organisations under their other names, kept as their own entities)
    version = 2
    description = "people, places, organisations, dates and glossary terms in every text unit"
    kinds: ClassVar[frozenset[str]] = frozenset({"document", "email", "image", "audio", "video"})
    after: ClassVar[tuple[str, ...]] = (
        "pdfium_text_extractor",
        "tesseract_ocr",
        "office_text_extractor",
        "email_unpacker",
        "whisper_transcriber",
    )
    defaults: ClassVar[dict[str, Any]] = {"gazetteer": "", "glossary": "", "aliases": ""}
    config_help: ClassVar[dict[str, str]] = {
        "gazetteer": "a YAML or CSV gazetteer of the case (places, units, people with their "
        "variants in any script), added to the built-in one",
        "glossary": "the case's jargon as 'term=meaning; term=meaning'",
        "aliases": "a YAML alias table of the case (organisations under their other names, "
        "each with its source), added to the built-in one (src/sijill/analysis/aliases.yaml)",
    }
    timeout_s = 1800
    reads_text = True

    def accepts(self, item: ItemInfo, previous: dict[str, dict[str, Any]]) -> bool:
        return item.kind in self.kinds

    def prepare(self) -> None:
        from sijill.analysis.entities import SPACY_MODELS, spacy_model

        for lang in SPACY_MODELS:
            spacy_model(lang)

    def run(self, ctx: StageContext) -> StageResult:
        from sijill.analysis.aliases import AliasTable
        from sijill.analysis.entities import extract_many
        from sijill.analysis.gazetteer import Gazetteer

        gazetteer = Gazetteer.default()
        if ctx.config["gazetteer"]:
            gazetteer = gazetteer.extended(Gazetteer.load(str(ctx.config["gazetteer"])))
        glossary = _parse_glossary(str(ctx.config["glossary"] or ""))
        aliases = AliasTable.for_case(str(ctx.config["aliases"] or ""))
        # Translations are names in English of names already found in the original.
        units = [u for u in ctx.text_units if u.kind != "translation" and u.text.strip()]
        found = extract_many(
            [(u.text, u.lang) for u in units], gazetteer, glossary or None, aliases=aliases
        )
        mentions: list[MentionOut] = []
        for unit, ms in zip(units, found, strict=True):
            for m in ms:
                gid = m.info.get("gazetteer_id")
                key = f"gaz:{gid}" if gid else m.norm
                if not key:
                    continue
                info = dict(m.info)
                if gid and "name" in info:
                    info["canonical"] = info["name"]
                mentions.append(
                    MentionOut(
                        unit_id=unit.id,
                        label=m.label,
                        text=m.text,
                        start=m.start,
                        end=m.end,
                        norm=m.norm,
                        key=key[:400],
                        source=m.source,
                        info=info,
                    )
                )
        by_label: dict[str, int] = {}
        for out in mentions:
            by_label[out.label] = by_label.get(out.label, 0) + 1
        return StageResult(
            data={"mentions": len(mentions), "by_label": by_label, "units": len(units)},
            mentions=mentions,
        )
