"""Merge proposals between a case's entities, with a confidence and reasons a person can read.

Mentions already join an entity by exact key (`gaz:<id>`, else `mentions.name_key`). This
module proposes the merges exact keys miss, for the entities of ONE case (pure functions, no
database):

* **kunya**: "Abu Rayyan" (or "Umm X", أبو ريان, أم ...) folds into the one longer name of
  the case that starts with it ("Abu Rayyan al-Nakhli"), in either script. If two or more
  different longer names start with it, each gets a proposal below `AUTO_MERGE`, saying so.
* **variant**: two spellings of one name, in Latin and Arabic script or two transliterations
  ("Deir ez-Zor" / "Dayr al-Zawr" / دير الزور), by `translit` skeleton similarity. Only the
  kunya rule extends a short name to a longer one: "Ahmad" never joins "Ahmed al-Halabi".
* **acronym**: an ORG written in capitals ("FSA", "EI", "ASL") and the ORG whose initials
  it is ("Free Syrian Army", "État islamique", "Armée syrienne libre"; the words of/and/the/
  for/in, de/du/des/la/le/l'/d'/et/en, al-/el- are skipped). Higher when a text defines it:
  pass ``definitions`` (see `acronym_definitions`).

* **alias**: names that the alias table (`aliases`, reviewed, with a source for each name)
  lists under one organisation ("Daesh", "État islamique", داعش): 0.95, the reason naming
  the table's sources.

Labels must match (acronyms: ORG with ORG); DATE and TERM entities never merge, nor two
gazetteer entities (the gazetteer says they are different places).

Confidence (`AUTO_MERGE` = 0.8: at or above, applied without a person):

* defined in a text ("Free Syrian Army (FSA)"): 0.95;
* variant whose skeletons agree: 0.9, less 2 × (1 − similarity) when they only nearly agree
  (proposed from similarity 0.85, i.e. 0.6); names with different word counts compared joined
  (from 0.9, less 0.15 more); a one-word PERSON name at most 0.7 (common given names);
* kunya with exactly one longer name: 0.85 (same key words), 0.8 less 2 × (1 − similarity) when
  the prefix matches only by transliteration; ambiguous: at most 0.45 (two names) or 0.3;
* acronym by initials only: 0.75; ambiguous (several full names): at most 0.45 / 0.3.

Result: at most one proposal per entity (its best target), pointing at the final root: no
``into_id`` is itself folded by another proposal, and a chain keeps its weakest confidence and
every reason. The one exception is an ambiguous short form: it gets one proposal per candidate
(all below `AUTO_MERGE`), and its own confident variants (أبو ريان for "Abu Rayyan") still fold
into it, so after a person picks, they follow it.

``into_id`` is chosen by: gazetteer entity, then the more complete name (more key words), then
more mentions, then the lower id.

Candidates are blocked (skeleton signature and its one-letter deletions, kunya heads,
initials), so the work grows with the entities, not with their pairs.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sijill.analysis.aliases import Alias, AliasTable
from sijill.analysis.mentions import name_key
from sijill.analysis.translit import (
    SkelToken,
    blocking_signature,
    display,
    is_arabic,
    name_similarity,
    skeleton_tokens,
)
from sijill.text.normalise import normalize

__all__ = [
    "AUTO_MERGE",
    "EntityRecord",
    "MergeProposal",
    "acronym_definitions",
    "initials",
    "propose_merges",
]

AUTO_MERGE = 0.8
MERGEABLE = frozenset({"PERSON", "PLACE", "ORG"})

VARIANT_MIN_SIM = 0.85  # same word count, weakest word
JOINED_MIN_SIM = 0.9  # different word counts, joined skeletons
KUNYA_MIN_SIM = 0.85
_BIG_BUCKET = 256
_DELETION_MIN = 5  # blocking tolerates one letter more or less in words this long
_MAX_FORMS = 4


@dataclass(frozen=True)
class EntityRecord:
    id: int
    case: str
    label: str  # PERSON PLACE ORG DATE TERM
    name: str  # display name (most common surface form)
    key: str  # exact key ("gaz:<id>" or mentions.name_key)
    aliases: tuple[str, ...] = ()  # surface forms seen
    mentions: int = 1  # how many mentions


@dataclass(frozen=True)
class MergeProposal:
    entity_id: int  # the one to fold in
    into_id: int  # the one it joins
    confidence: float  # 0..1
    reasons: tuple[str, ...]


# ---------------------------------------------------------------------------------------------
# Acronyms

_STOP = frozenset(
    "of and the for in on at to a an de du des la le les l d et en pour au aux al el wa fi".split()
)
_ELISION = re.compile(r"^(?:l|d|qu|j|n|s|t|m)['’ʼ](?=\w)")
_ARTICLE = re.compile(r"^(?:al|el|[ae][rstdnz]|[ae]sh)-(?=\w)")
_WORD = re.compile(r"[^\W\d_]+(?:['’ʼ-][^\W\d_]+)*")
_ACR_TEXT = r"[A-ZÀ-Þ](?:\.?[A-ZÀ-Þ&]){1,9}\.?"
_DEF_AFTER = re.compile(rf"\(\s*({_ACR_TEXT})\s*\)")  # Free Syrian Army (FSA)
_DEF_BEFORE = re.compile(rf"(?<![\w.])({_ACR_TEXT})\s*\(([^()\n]{{3,150}})\)")  # FSA (Free…)
_ACR_NAME = re.compile(r"[A-ZÀ-Þ](?:\.?[A-ZÀ-Þ]){1,7}\.?")


def _acr_letters(text: str) -> str:
    """'F.S.A.' → 'fsa', 'ÉI' → 'ei'."""
    return "".join(c for c in normalize(text) if c.isalpha())


def _content_parts(word: str) -> tuple[list[str], bool]:
    """The parts of one written word that give initials, and whether it is a stop word."""
    w = normalize(word)
    w = _ELISION.sub("", w)
    w = _ARTICLE.sub("", w)
    w = re.sub(r"['’ʼ]", "", w)
    parts = [p for p in w.split("-") if p]
    if len(parts) == 1 and parts[0] in _STOP:
        return parts, True
    return [p for p in parts if p not in _STOP], False


def initials(name: str) -> tuple[str, ...]:
    """Initials of a full name: content words only, and (if different) every word.

    ``initials("Islamic State of Iraq and Syria") == ("isis", "isoias")``.
    """
    content: list[str] = []
    every: list[str] = []
    for word in _WORD.findall(name):
        parts, stop = _content_parts(word)
        every.extend(p[0] for p in parts if p)
        if not stop:
            content.extend(p[0] for p in parts if p)
    out = ["".join(content)]
    if "".join(every) != out[0]:
        out.append("".join(every))
    return tuple(i for i in out if len(i) >= 2)


def _phrase_before(text: str, end: int, letters: str) -> str | None:
    """The run of words ending at `end` whose initials are `letters`, if there is one."""
    words = list(_WORD.finditer(text, max(0, end - 300), end))
    if not words or text[words[-1].end() : end].strip():
        return None
    chosen: list[re.Match[str]] = []
    count = 0
    for m in reversed(words):
        if chosen and text[m.end() : chosen[-1].start()].strip():
            break  # punctuation between: the name stops there
        chosen.append(m)
        parts, stop = _content_parts(m.group())
        if not stop:
            count += len(parts)
        if count >= len(letters):
            break
    chosen.reverse()
    # drop leading stop words ("the Free Syrian Army"), keep "l'Armée" as "Armée"
    while chosen and _content_parts(chosen[0].group())[1]:
        chosen.pop(0)
    if not chosen:
        return None
    start = chosen[0].start()
    first = chosen[0].group()
    elided = _ELISION.match(normalize(first))
    if elided:
        start += elided.end()
    phrase = text[start : chosen[-1].end()]
    if letters in initials(phrase):
        return phrase
    # initials taken from every word (stop words included): try the last len(letters) words
    tail = words[-len(letters) :] if len(words) >= len(letters) else []
    if tail and not any(
        text[a.end() : b.start()].strip() for a, b in zip(tail, tail[1:], strict=False)
    ):
        phrase = text[tail[0].start() : tail[-1].end()]
        if letters in initials(phrase):
            return phrase
    return None


def acronym_definitions(text: str) -> dict[str, str]:
    """Acronyms a text defines, as written: ``{"FSA": "Free Syrian Army"}``.

    Finds "Full Name (ACR)" and "ACR (Full Name)" in Latin script (English, French: "l'Armée
    syrienne libre (ASL)" gives ``{"ASL": "Armée syrienne libre"}``), only where the initials
    agree. `propose_merges` compares both sides after normalisation, so raw or `name_key`
    forms work alike.
    """
    found: dict[str, str] = {}
    for m in _DEF_AFTER.finditer(text):
        acr = m.group(1)
        letters = _acr_letters(acr)
        phrase = _phrase_before(text, m.start(), letters)
        if phrase:
            found.setdefault(acr, phrase)
    for m in _DEF_BEFORE.finditer(text):
        acr, inner = m.group(1), m.group(2).strip()
        letters = _acr_letters(acr)
        if letters in initials(inner):
            found.setdefault(acr, inner)
    return found


_ELISION_ANY = re.compile(r"(?<!\w)(?:l|d|qu)['’ʼ](?=\w)", re.IGNORECASE)


def _loose_key(text: str) -> str:
    """`name_key` without elisions and leading function words: "the Free Syrian Army"."""
    words = name_key(_ELISION_ANY.sub("", text)).split()
    while len(words) > 1 and words[0] in _STOP:
        words.pop(0)
    return " ".join(words)


def _acronym_of(rec: EntityRecord) -> str | None:
    for surface in (rec.name, *rec.aliases):
        s = surface.strip()
        if _ACR_NAME.fullmatch(s):
            return _acr_letters(s)
    return None


# ---------------------------------------------------------------------------------------------
# Entities as the resolver sees them

_KUNYA = {
    "abu": "abu", "abou": "abu", "abo": "abu", "ابو": "abu", "ابي": "abu", "ابا": "abu",
    "umm": "umm", "um": "umm", "oum": "umm", "oumm": "umm", "om": "umm", "ام": "umm",
}  # fmt: skip


@dataclass
class _Ent:
    rec: EntityRecord
    gaz: bool
    rank: tuple[int, int, int, int]
    forms: list[tuple[str, tuple[SkelToken, ...]]] = field(default_factory=list)


@dataclass
class _Edge:
    src: int
    dst: int
    kind: str  # alias, defined, kunya, acronym, variant
    conf: float
    reasons: tuple[str, ...]
    detail: str = ""  # kunya: how the prefix matched; alias: "acronym" for one


def _ent(rec: EntityRecord) -> _Ent:
    gaz = rec.key.startswith("gaz:")
    words = 1 if gaz else len(rec.key.split())
    e = _Ent(rec, gaz, (int(gaz), words, rec.mentions, -rec.id))
    seen: set[tuple[str, ...]] = set()
    for surface in dict.fromkeys((rec.name, *rec.aliases)):
        toks = skeleton_tokens(surface)
        sig = tuple(t.skel for t in toks)
        if toks and sig not in seen:
            seen.add(sig)
            e.forms.append((surface, toks))
            if len(e.forms) >= _MAX_FORMS:
                break
    return e


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a <= b else (b, a)


def _best_form_pair(
    a: _Ent, b: _Ent, compare: int | None = None
) -> tuple[float, str, str, tuple[SkelToken, ...], tuple[SkelToken, ...]]:
    """Highest similarity over the two entities' forms (``compare``: only b's first words)."""
    best: tuple[float, str, str, tuple[SkelToken, ...], tuple[SkelToken, ...]] = (
        -1.0, "", "", (), ()
    )  # fmt: skip
    for sa, ta in a.forms:
        for sb, tb in b.forms:
            tb_cmp = tb[:compare] if compare is not None else tb
            if compare is not None and len(tb) <= compare:
                continue
            sim = name_similarity(ta, tb_cmp)
            if sim > best[0]:
                best = (sim, sa, sb, ta, tb_cmp)
    return best


def _consonants(ta: Sequence[SkelToken], tb: Sequence[SkelToken], sim: float) -> str:
    da, db = display(ta), display(tb)
    if da == db:
        return f"consonants {da} match exactly"
    if sim >= 0.999:
        return f"consonants {da} and {db} agree once vowels are set aside"
    return f"consonants {da} and {db} are close: similarity {sim:.2f}"


def _variant_reason(src: str, dst: str, ta: Sequence[SkelToken], tb: Sequence[SkelToken],
                    sim: float) -> str:  # fmt: skip
    how = _consonants(ta, tb, sim)
    if is_arabic(src) != is_arabic(dst):
        return f"'{src}' transliterates to '{dst}' ({how})"
    return f"'{src}' and '{dst}' are spellings of the same name ({how})"


# ---------------------------------------------------------------------------------------------
# Candidate edges


def _variant_edges(ents: list[_Ent], skip: set[tuple[int, int]]) -> Iterable[_Edge]:
    buckets: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    for i, e in enumerate(ents):
        for fi, (_, toks) in enumerate(e.forms):
            parts = [blocking_signature((t,)) for t in toks]
            sig = "".join(parts)
            if not sig:
                continue
            keys = {sig}
            # One letter more or less only matters in a long word: 1 − 1/7 ≥ VARIANT_MIN_SIM.
            at = 0
            for part in parts:
                if len(part) >= _DELETION_MIN:
                    keys.update(sig[:k] + sig[k + 1 :] for k in range(at, at + len(part)))
                at += len(part)
            for key in keys:
                buckets[(e.rec.label, key)].append((i, fi))
    pairs: set[tuple[int, int]] = set()
    for members in buckets.values():
        idx = sorted({i for i, _ in members})
        if len(idx) < 2:
            continue
        groups: list[list[int]] = [idx]
        if len(idx) > _BIG_BUCKET:
            by_skel: dict[str, list[int]] = defaultdict(list)
            for i, fi in members:
                by_skel["".join(t.firm for t in ents[i].forms[fi][1])].append(i)
            groups = [sorted(set(g)) for g in by_skel.values()]
        for g in groups:
            for x in range(len(g)):
                for y in range(x + 1, len(g)):
                    pairs.add((g[x], g[y]))
    for i, j in sorted(pairs):
        a, b = ents[i], ents[j]
        if (a.gaz and b.gaz) or _pair(a.rec.id, b.rec.id) in skip:
            continue
        if a.rank > b.rank:
            a, b = b, a  # a folds into b
        sim, sa, sb, ta, tb = _best_form_pair(a, b)
        same_count = len(ta) == len(tb)
        if sim < (VARIANT_MIN_SIM if same_count else JOINED_MIN_SIM):
            continue
        conf = 0.9 if sim >= 0.999 else 0.9 - 2 * (1 - sim)
        if not same_count:
            conf -= 0.15
        if a.rec.label == "PERSON" and (len(ta) == 1 or len(tb) == 1):
            conf = min(conf, 0.7)
        reason = _variant_reason(sa, sb, ta, tb, sim)
        yield _Edge(a.rec.id, b.rec.id, "variant", round(conf, 3), (reason,))


def _kunya_head(toks: tuple[SkelToken, ...]) -> tuple[str, int] | None:
    if len(toks) < 2:
        return None
    kind = _KUNYA.get(toks[0].word)
    if kind is None:
        return None
    k = 3 if len(toks) >= 3 and toks[1].firm == "bd" else 2  # Abu Abd al-Rahman
    return kind, k


def _kunya_edges(ents: list[_Ent], skip: set[tuple[int, int]]) -> Iterable[_Edge]:
    longs: dict[tuple[str, str], list[int]] = defaultdict(list)
    shorts: list[tuple[int, str, str, int]] = []
    for i, e in enumerate(ents):
        if e.rec.label != "PERSON":
            continue
        for _, toks in e.forms:
            head = _kunya_head(toks)
            if head is None:
                continue
            kind, k = head
            sig = blocking_signature(toks[1:k])
            if len(toks) > k:
                longs[(kind, sig)].append(i)
            else:
                shorts.append((i, kind, sig, k))
    done: set[tuple[int, int]] = set()
    for i, kind, sig, k in shorts:
        a = ents[i]
        for j in dict.fromkeys(longs.get((kind, sig), ())):
            b = ents[j]
            if j == i or (i, j) in done or _pair(a.rec.id, b.rec.id) in skip:
                continue
            done.add((i, j))
            if b.rank <= a.rank or (a.gaz and b.gaz):
                continue
            sim, sa, sb, ta, tb = _best_form_pair(a, b, compare=k)
            if sim < KUNYA_MIN_SIM:
                continue
            exact = b.rec.key.startswith(a.rec.key + " ")
            if exact:
                conf, detail = 0.85, ""
            else:
                conf = 0.8 if sim >= 0.999 else 0.8 - 2 * (1 - sim)
                script = "in another script, " if is_arabic(sa) != is_arabic(sb) else ""
                detail = f" ({script}{_consonants(ta, tb, sim)})"
            yield _Edge(a.rec.id, b.rec.id, "kunya", round(conf, 3), (), detail)


def _acronym_edges(
    ents: list[_Ent],
    skip: set[tuple[int, int]],
    definitions: Mapping[str, str] | None,
) -> Iterable[_Edge]:
    by_initials: dict[str, list[int]] = defaultdict(list)
    by_key: dict[str, list[int]] = defaultdict(list)
    defs: dict[str, tuple[str, str, str]] = {}
    for acr_text, full in (definitions or {}).items():
        letters = _acr_letters(acr_text)
        if letters:
            defs.setdefault(letters, (_loose_key(full), acr_text, full))
    short: list[tuple[int, str | None, str | None]] = []  # entity, acronym, defined as
    for i, e in enumerate(ents):
        if e.rec.label != "ORG":
            continue
        for surface in dict.fromkeys((e.rec.name, *e.rec.aliases)):
            loose = _loose_key(surface)
            if i not in by_key[loose]:
                by_key[loose].append(i)
        acr = _acronym_of(e.rec)
        one_word = None if e.gaz or " " in e.rec.key else _acr_letters(e.rec.key)
        defined = acr if acr in defs else one_word if one_word in defs else None
        if acr is not None or defined is not None:
            short.append((i, acr, defined))
        if acr is None:
            for surface in dict.fromkeys((e.rec.name, *e.rec.aliases)):
                for ini in initials(surface):
                    if i not in by_initials[ini]:
                        by_initials[ini].append(i)
    for i, acr, defined in short:
        a = ents[i]
        edges: dict[int, _Edge] = {}
        if defined is not None:
            fkey, acr_text, full = defs[defined]
            for j in by_key.get(fkey, ()):
                b = ents[j]
                if j == i or _pair(a.rec.id, b.rec.id) in skip or (a.gaz and b.gaz):
                    continue
                reason = f"defined in the text: '{full} ({acr_text})'"
                edges[j] = _Edge(a.rec.id, b.rec.id, "defined", 0.95, (reason,))
        for j in by_initials.get(acr, ()) if acr else ():
            b = ents[j]
            if j == i or _pair(a.rec.id, b.rec.id) in skip or (a.gaz and b.gaz):
                continue
            reason = f"'{a.rec.name}' is the initials of '{b.rec.name}'"
            if j in edges:
                edges[j].reasons = (*edges[j].reasons, reason)
            else:
                edges[j] = _Edge(a.rec.id, b.rec.id, "acronym", 0.75, (reason,))
        for j, edge in edges.items():
            if ents[j].rank > a.rank:
                yield edge


# ---------------------------------------------------------------------------------------------
# Resolution


def _ambiguity_cap(n: int) -> float:
    return 0.45 if n == 2 else 0.3


@dataclass
class _Option:
    edge: _Edge
    root: int
    conf: float
    via: MergeProposal | None


def _kunya_reason(edge: _Edge, names: Mapping[int, str], *, only: bool) -> str:
    tail = ", the only longer name with it in this case" if only else ""
    src, dst = names[edge.src], names[edge.dst]
    return f"'{src}' is the kunya at the start of '{dst}'{edge.detail}{tail}"


def _reasons(option: _Option, names: Mapping[int, str]) -> tuple[str, ...]:
    edge = option.edge
    own = edge.reasons
    if edge.kind == "kunya":
        own = (_kunya_reason(edge, names, only=True),)
    if option.via is None:
        return own
    return tuple(dict.fromkeys((*own, *option.via.reasons)))


_KIND_ORDER = {"alias": 4, "defined": 3, "kunya": 2, "acronym": 1, "variant": 0}
ALIAS_CONFIDENCE = 0.95


def _alias_edges(
    ents: list[_Ent], skip: set[tuple[int, int]], table: AliasTable
) -> Iterable[_Edge]:
    """Entities whose names are aliases of one entry of the table fold into its best-ranked."""
    groups: dict[str, list[tuple[_Ent, str, Alias]]] = defaultdict(list)
    for e in ents:
        for surface in dict.fromkeys((e.rec.name, *e.rec.aliases)):
            hit = table.lookup(surface)
            if hit is not None and hit[0].label == e.rec.label:
                groups[hit[0].id].append((e, surface, hit[1]))
                break
    entries = {entry.id: entry for entry in table.entries}
    for entry_id, members in groups.items():
        if len(members) < 2:
            continue
        top, top_surface, top_alias = max(members, key=lambda m: m[0].rank)
        for e, surface, alias in members:
            if e is top or _pair(e.rec.id, top.rec.id) in skip or (e.gaz and top.gaz):
                continue
            reason = (
                f"alias table: '{surface}' and '{top_surface}' are names of "
                f"{entries[entry_id].name} ('{alias.name}': {alias.source}; "
                f"'{top_alias.name}': {top_alias.source})"
            )
            # An acronym stays open to doubt: if the case also holds another name with those
            # initials ("Southern Defence Front" for SDF), a person chooses.
            detail = "acronym" if alias.exact_case else ""
            yield _Edge(e.rec.id, top.rec.id, "alias", ALIAS_CONFIDENCE, (reason,), detail)


def propose_merges(
    entities: Sequence[EntityRecord],
    *,
    definitions: Mapping[str, str] | None = None,
    skip: Collection[tuple[int, int]] = (),
    aliases: AliasTable | None = None,
) -> list[MergeProposal]:
    """Merge proposals among the entities of one case (see the module's docstring).

    ``aliases``: the alias table (None: the shipped one); names of one entry fold together.

    ``definitions``: acronym → full name found in the case's texts (`acronym_definitions`).
    Both sides are normalised here (acronym: case, accents, dots; full name: `name_key`, with
    elisions and leading function words dropped), so {"F.S.A.": "the Free Syrian Army"} and
    {"fsa": "free syrian army"} work alike. The full name must be, so normalised, the name or
    an alias of an ORG entity; the acronym an ORG entity written in capitals or whose key is
    that one word ("Daesh").
    ``skip``: pairs of entity ids (either order) a person has split or decided; they are never
    proposed, directly or through a chain.
    Raises ValueError when the entities belong to different cases.
    """
    cases = {e.case for e in entities}
    if len(cases) > 1:
        raise ValueError(f"entities of different cases never merge: {sorted(cases)}")
    skip_pairs = {_pair(a, b) for a, b in skip}
    ents = [_ent(r) for r in entities if r.label in MERGEABLE]
    by_id = {e.rec.id: e for e in ents}
    names = {e.rec.id: e.rec.name for e in ents}

    out_edges: dict[int, dict[int, _Edge]] = defaultdict(dict)
    table = aliases if aliases is not None else AliasTable.default()
    for edge in (
        *_alias_edges(ents, skip_pairs, table),
        *_acronym_edges(ents, skip_pairs, definitions),
        *_kunya_edges(ents, skip_pairs),
        *_variant_edges(ents, skip_pairs),
    ):
        have = out_edges[edge.src].get(edge.dst)
        if have is None:
            out_edges[edge.src][edge.dst] = edge
        elif (edge.conf, _KIND_ORDER[edge.kind]) > (have.conf, _KIND_ORDER[have.kind]):
            if have.kind != "kunya":  # every reason for the same pair is shown
                edge.reasons = tuple(dict.fromkeys((*edge.reasons, *have.reasons)))
            out_edges[edge.src][edge.dst] = edge
        elif edge.kind != "kunya":
            have.reasons = tuple(dict.fromkeys((*have.reasons, *edge.reasons)))

    root: dict[int, int] = {}
    folded: dict[int, MergeProposal] = {}
    ambiguous: set[int] = set()
    result: list[MergeProposal] = []
    for ent in sorted(ents, key=lambda x: x.rank, reverse=True):
        eid = ent.rec.id
        options: list[_Option] = []
        for edge in out_edges.get(eid, {}).values():
            r = root.get(edge.dst, edge.dst)
            if r == eid or _pair(eid, r) in skip_pairs:
                continue
            via = folded.get(edge.dst)
            conf = min(edge.conf, via.confidence) if via else edge.conf
            options.append(_Option(edge, r, conf, via))
        if not options:
            continue

        def order(o: _Option) -> tuple[float, int, tuple[int, int, int, int]]:
            return (o.conf, _KIND_ORDER[o.edge.kind], by_id[o.root].rank)

        if not any(
            o.edge.kind == "defined" or (o.edge.kind == "alias" and not o.edge.detail)
            for o in options
        ):
            amb = _ambiguous(options)
            if amb:
                onto = [
                    o
                    for o in options
                    if o.edge.kind == "variant" and o.root in ambiguous and o.conf >= AUTO_MERGE
                ]
                if onto:
                    best = max(onto, key=order)
                    prop = MergeProposal(eid, best.root, best.conf, _reasons(best, names))
                    result.append(prop)
                    root[eid] = best.root
                    folded[eid] = prop
                    continue
                ambiguous.add(eid)
                result.extend(_ambiguous_proposals(eid, amb, names))
                continue
        best = max(options, key=order)
        prop = MergeProposal(eid, best.root, round(best.conf, 3), _reasons(best, names))
        result.append(prop)
        root[eid] = best.root
        folded[eid] = prop
    result.sort(key=lambda p: (p.entity_id, -p.confidence, p.into_id))
    return result


def _ambiguous(options: list[_Option]) -> list[_Option]:
    """Kunya or acronym options that reach two or more different roots (best per root)."""
    for kind in ("kunya", "acronym"):
        per_root: dict[int, _Option] = {}
        for o in options:
            is_kind = o.edge.kind == kind or (
                kind == "acronym" and o.edge.kind == "alias" and o.edge.detail == "acronym"
            )
            if not is_kind:
                continue
            have = per_root.get(o.root)
            if have is None or o.conf > have.conf:
                per_root[o.root] = o
        if len(per_root) >= 2:
            return sorted(per_root.values(), key=lambda o: (-o.conf, o.root))
    return []


def _ambiguous_proposals(
    eid: int, amb: list[_Option], names: Mapping[int, str]
) -> list[MergeProposal]:
    n = len(amb)
    listed = ", ".join(f"'{names[o.root]}'" for o in amb)
    what = "kunya" if amb[0].edge.kind == "kunya" else "initials"
    if what == "kunya":
        head = (
            f"ambiguous: '{names[eid]}' is the start of {n} different longer names in this "
            f"case ({listed}); a person must choose"
        )
    else:
        head = (
            f"ambiguous: '{names[eid]}' is the initials of {n} different names in this case "
            f"({listed}); a person must choose"
        )
    out: list[MergeProposal] = []
    for o in amb:
        if o.edge.kind == "kunya":
            own: tuple[str, ...] = (_kunya_reason(o.edge, names, only=False),)
        else:
            own = o.edge.reasons
        via = o.via.reasons if o.via else ()
        reasons = tuple(dict.fromkeys((head, *own, *via)))
        out.append(MergeProposal(eid, o.root, round(min(o.conf, _ambiguity_cap(n)), 3), reasons))
    return out
