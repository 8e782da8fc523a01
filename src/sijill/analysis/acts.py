"""What was done in a claim: the act (killed, arrested, flogged, fled…), in three languages.

Two claims that share a place, a date and a number can still tell different events: forty
men *arrested* in October and forty men *executed* in October; ten prisoners who *escaped*
and ten who were *shot*. Corroboration reads the act of each claim and never links two whose
acts are known and different (see `corroborate.decide`). An act is only a class of a few
unmistakable verbs and nouns; a claim whose act is not recognised says nothing either way,
so a missing word can cost a link but never makes one.

Words are matched on normalised text (`text.normalise.normalize`: case and accents folded,
Arabic letter forms unified). Latin words match by stem (`execut` finds executed, execution,
exécutés); Arabic stems allow the clitics and verb prefixes (و ف ب ل ك ال, ي ت ن ا, است)
in front and up to four letters of endings after.
"""

from __future__ import annotations

import re
from functools import lru_cache

from sijill.text.normalise import normalize

# act -> (Latin stems or phrases, English and French; Arabic stems). A Latin entry ending in
# "*" is a stem; others are whole words or phrases. Written with accents: they are folded.
_ACTS: dict[str, tuple[str, str]] = {
    "kill": (
        "kill* dead death* died die dying execut* behead* martyr* massacr* slaughter* murder* "
        "hanged lost losing lose shot dead "
        "tuee tuees tuer tuait tuaient tuant mort morts morte mortes mourir mouru* "
        "décapit* fusill* égorg* perdu perdus perdre pendu pendus abattu abattus",
        "قتل قتيل مقتل اعدم اعدام ذبح شهيد شهداء استشهد خسر مات موت",
    ),
    "arrest": (
        "arrest* detain* detention jailed imprison* kidnap* abduct* "
        "arrêté arrêtés arrêtée arrêtées arrêter arrêtait arrestation* détenu détenus "
        "emprisonn* incarcér* enlevé enlevés enlevée enlevées kidnapp*",
        "اعتقل اعتقال احتجز احتجاز خطف اختطف قبض مسكو",
    ),
    "flog": ("flog* lash* whip* fouett* flagell*", "جلد"),
    "ambush": ("ambush* embuscade*", "كمين"),
    "flee": (  # deserting is fleeing one's own side
        "escap* fled flee* ran away évad* enfui* fuir fui fuyai* desert* defect* déserté* déserter",
        "هرب نزح انشق",
    ),
    "return": ("returned return* came back revenu* rentré* retourn*", "رجع رجعت"),
    "bomb": (
        "bombed bombing* bombard* shelled shelling air strike* airstrike* frappe* pilonn* "
        "car bomb* piégée piégées",
        "قصف غاره غارات مفخخ",
    ),
    "confiscate": ("confiscat* seiz* confisqu* saisi*", "صادرو مصادره"),
    "fine": ("fined fine for a fine the fine amende*", "غرامه"),
    "pay": (
        "salary salaries wage* paid earn* salaire* touchait touchaient payé payés paie",
        "راتب رواتب معاش",
    ),
    "burn": ("burn* set fire torch* brûl* incendi*", "حرق احرق"),
    "train": ("training trained entraîn*", "تدريب تدرب"),
    "attack": ("attack* assault* storm* raid* attaqu* assaut*", "اقتحم هجوم هاجم داهم مداهمه"),
    "evict": ("evict* expel* forced out drove out chass* expuls*", "طرد هجر"),
    "transfer": (
        "transfer* transfér* relocat* relog* were sent was sent envoyés envoyées",
        "نقل",
    ),
    "depart": ("departed left set off quitt*", "غادر"),
    # French "arrivé" alone is as often "happened" ("il est arrivé quelque chose").
    "arrive": ("arrived arrives arriving arrival arrivés arrivées arrivèrent reached", "وصل"),
    "guard": ("guarded guarding gardai* surveill*", "حرس"),
    "bury": ("buried bury burial enterr* inhum*", "دفن"),
    "torture": ("tortur*", "عذب تعذيب"),
    "join": (
        "joined join joining joins enlisted enrolled rejoint rejoindre rejoignait rejoignaient",
        "انضم انضمام التحق بايع مبايعه",
    ),
    "marry": (
        "married marry marrying marriage* marié mariée mariés mariées mariage* marier épousé "
        "épousée",
        "تزوج زواج",
    ),
    "wound": (
        "wounded injured injuries injury hurt blessé blessés blessée blessées blessure*",
        "جرح جريح جرحي انصاب اصيب",
    ),
    "teach": ("taught teach teaching enseignait enseignaient enseigné enseigner", "درس تدريس"),
    # Holding a post is not an event: the emir of an office against the day he was wounded.
    "lead": (
        "commanded commanding headed in charge emir of ran the commandait commandaient "
        "dirigeait dirigeaient dirigé dirigée chef de responsable de",
        "امير مسؤول قائد ترأس",
    ),
    "open": ("", ""),  # see _PHRASES: "opened fire" is an attack
    # As a deed only: "closed trucks", "un camion fermé" are not.
    "close": (
        "closed the closed all closed every closed down shut down were closed was closed "
        "ont fermé a fermé fermer fermait fermaient",
        "سكروا سكرت اغلق",
    ),
}
# How it was done, beside what was done: a car bomb and an ambush are two events even when
# both killed nine. Two claims that each state a means and share none are two events.
MEANS = frozenset({"bomb", "ambush"})

_AR = "\u0621-\u064a"
# Clitics and verb prefixes an Arabic stem may carry, then its ending.
_AR_BEFORE = r"(?:[وف])?(?:[بلك])?(?:ال)?(?:است|ان|س?[يتنا])?"


def _latin_pattern(words: str) -> str:
    alts = []
    for p in _phrases(words):
        stem = p.endswith("*")
        body = r"\s+".join(re.escape(normalize(t)) for t in p.rstrip("*").split())
        alts.append(body + (r"\w*" if stem else ""))
    return r"\b(?:" + "|".join(sorted(alts, key=len, reverse=True)) + r")\b"


def _phrases(words: str) -> list[str]:
    """Split a Latin list into entries; known two-word phrases stay together."""
    tokens = words.split()
    out: list[str] = []
    i = 0
    while i < len(tokens):
        pair = f"{tokens[i]} {tokens[i + 1]}" if i + 1 < len(tokens) else ""
        if pair.rstrip("*") in _LATIN_PHRASES:
            out.append(pair)
            i += 2
        else:
            out.append(tokens[i])
            i += 1
    return out


_LATIN_PHRASES = frozenset(
    {
        "shot dead", "ran away", "came back", "air strike", "set fire", "forced out",
        "drove out", "set off", "fine for", "a fine", "the fine", "car bomb", "air base",
        "base aérienne", "barrage routier", "were sent", "was sent", "in charge", "emir of",
        "ran the", "chef de", "responsable de", "water station", "water plant", "pumping station",
        "closed the", "closed all", "closed every", "closed down", "shut down", "were closed",
        "was closed", "ont fermé", "a fermé",
    }
)  # fmt: skip


def _arabic_pattern(stems: str) -> str:
    """Stems take up to four letters of endings; a word ending in "=" takes none."""
    words = stems.split()
    free = sorted({normalize(s) for s in words if not s.endswith("=")}, key=len, reverse=True)
    exact = sorted({normalize(s[:-1]) for s in words if s.endswith("=")}, key=len, reverse=True)
    alts = []
    if free:
        alts.append(f"(?:{'|'.join(free)})[{_AR}]{{0,4}}")
    if exact:
        alts.append(f"(?:{'|'.join(exact)})")
    return rf"(?<![{_AR}]){_AR_BEFORE}(?:{'|'.join(alts)})(?![{_AR}])"


# Acts said in more than one word (normalised): "قطعوا راسه" is a beheading; French "tué"
# and "parti" only after an auxiliary or "et" ("ont tué", "a été tué", "et tué", "est
# parti"), since "tue" and "tues" also abbreviate Tuesday in the dates of mail and reports,
# and "parti" is a party.
_PHRASES = {
    "kill": r"(?<![\u0621-\u064a])قطع[\u0621-\u064a]{0,3}\s+(?:را?س|رووس)"
    r"|\b(?:ete|a|ont|avait|avaient|sont|furent|fut|etaient|etait|et)\s+tue(?:e|s|es)?\b",
    "depart": r"\b(?:est|sont|etait|etaient|etre|suis|sommes|fut|furent)\s+partie?s?\b",
    "guard": r"\bmont\w*\s+la\s+garde\b",
    "attack": r"\bopen(?:ed|ing)?\s+fire\b|\bouvert\s+le\s+feu\b|فتح[\u0621-\u064a]{0,3}\s+النار",
    "water": r"\bstation\s+(?:de\s+pompage|d.eau)\b|محطه\s+(?:ال)?(?:مياه|مي|ميه|ماء|ضخ)\b",
    "open": r"\bopen(?:ed|ing)\b(?!\s+fire)|\bouvert(?:e|s|es)?\b(?!\s+le\s+feu)"
    r"|(?<![\u0621-\u064a])[وف]?(?:افتتح|فتح)[\u0621-\u064a]{0,3}(?![\u0621-\u064a])(?!\s+النار)",
}


# Words that look like an act but are not one here: "his left hand", "nothing was left".
_NOT_ACTS = re.compile(
    r"\bleft\s+(?:hand|arm|leg|eye|foot|side|bank|wing|behind)\b"
    r"|\b(?:the|was|were|is|are|be|been|nothing|none|on|to)\s+left\b"
)


# Kinds of site: a claim at a prison and one at a hospital, in the same town and the same
# fortnight, are about two places. Like acts, only unmistakable words, and a claim that names
# no site says nothing. French "barrage" (a dam, and a road block) and "marché" (a market, and
# "walked") are left out.
_SITES: dict[str, tuple[str, str]] = {
    "prison": (
        "prison prisons jail jails solitary dungeon* geôle* cachot*",
        "سجن سجون زنزانه= زنازين= منفرده= منفردات=",
    ),
    "hospital": (
        "hospital* clinic* infirmar* hôpita* clinique* dispensaire*",
        "مستشفي= مستشفيات= مشفي= مستوصف=",
    ),
    "school": ("school* école écoles lycée* collège*", "مدرسه= مدارس="),
    "dam": ("dam dams", "سد="),
    "airport": (
        "airport* airbase* air base* airfield* aéroport* aérodrome* base aérienne",
        "مطار= مطارات=",
    ),
    "stadium": ("stadium* stade stades", "ملعب= ملاعب="),
    "mosque": ("mosque* mosquée*", "مسجد= مساجد= جامع="),
    "market": ("market* souk*", "سوق= اسواق="),
    "bakery": ("bakery bakeries boulangerie*", "فرن= افران= مخبز= مخابز="),
    "factory": (
        "factory factories workshop* usine* atelier*",
        "معمل= معامل= مصنع= مصانع= ورشه= ورشات=",
    ),
    "checkpoint": ("checkpoint* barrage routier", "حاجز= حواجز="),
    "church": ("church* churches église*", "كنيسه= كنائس="),
    "bridge": ("bridge* pont ponts", "جسر= جسور="),
    "water": ("water station* water plant* pumping station* waterworks", ""),  # and _PHRASES
}


_Compiled = tuple[tuple[str, re.Pattern[str], frozenset[str] | None], ...]


def _compile(table: dict[str, tuple[str, str]]) -> _Compiled:
    """Each class's pattern, and the heads (first three letters, or the whole word when
    shorter) one of which any match must contain: a text holding none of them is not
    searched for that class. None where a hand-written phrase may match anything."""

    def parts(name: str, latin: str, arabic: str) -> list[str]:
        out = [_latin_pattern(latin)] if latin.strip() else []
        out += [_arabic_pattern(arabic)] if arabic.strip() else []
        return out + ([_PHRASES[name]] if name in _PHRASES else [])

    def heads(name: str, latin: str, arabic: str) -> frozenset[str] | None:
        if name in _PHRASES:
            return None
        words = [normalize(p.rstrip("*").split()[0]) for p in _phrases(latin)]
        words += [normalize(w.rstrip("=")) for w in arabic.split()]
        return frozenset(w[:3] for w in words if w)

    return tuple(
        (name, re.compile("|".join(parts(name, latin, arabic))), heads(name, latin, arabic))
        for name, (latin, arabic) in table.items()
    )


_ACT_PATTERNS = _compile(_ACTS)
_SITE_PATTERNS = _compile(_SITES)


def _pieces(folded: str) -> set[str]:
    """Every run of one to three characters in the text: what `_compile`'s heads are
    looked up in."""
    n = len(folded)
    return {folded[i : i + w] for w in (1, 2, 3) for i in range(n - w + 1)}


def _find(folded: str, patterns: _Compiled) -> dict[str, str]:
    pieces = _pieces(folded)
    found: dict[str, str] = {}
    for name, rx, heads in patterns:
        if heads is not None and heads.isdisjoint(pieces):
            continue  # none of its words can start here: no match is possible
        m = rx.search(folded)
        if m:
            found[name] = m.group(0)
    return found


@lru_cache(maxsize=8192)
def sites_of(text: str) -> dict[str, str]:
    """The kinds of site a claim names: kind -> the words that say it (as normalised)."""
    return _find(normalize(text), _SITE_PATTERNS)


def tell_apart(a: dict[str, str], b: dict[str, str]) -> bool:
    """Whether the acts of two claims (`acts_of`) say they tell two events: both known and
    none shared, or each done by a means the other's is not (a car bomb, an ambush)."""
    if a and b and not a.keys() & b.keys():
        return True
    means_a, means_b = a.keys() & MEANS, b.keys() & MEANS
    return bool(means_a and means_b and not means_a & means_b)


@lru_cache(maxsize=8192)
def acts_of(text: str) -> dict[str, str]:
    """The acts a claim states: act -> the words that say it (as normalised)."""
    return _find(_NOT_ACTS.sub(" ", normalize(text)), _ACT_PATTERNS)
