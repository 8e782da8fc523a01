"""Split one text unit into atomic factual claims, with exact offsets. Pure functions.

A claim is one assertion: who did what, where, when, how many. The input is one text unit
(a PDF or OCR page, an e-mail body, a Whisper segment, a whole testimony file) in English,
French or Arabic. Each claim keeps ``start``/``end`` into that text, so a reader can always
see it in place: ``text[start:end] == claim.text``, trimmed of spaces.

Why a regex splitter and not spaCy: spaCy is too slow to run on every unit and has no Arabic
model here. The rules are plain and conservative; a missed split costs less than a bad one.

1. Lines. A line starting ``LABEL:`` (Q, A, R, Interviewer, Journaliste, س, ج, المحاور,
   SPARROW-07, Abu Khaled…) is a new speaker turn; the label is in force until the next one
   and is not part of the claim. "He said:" or "Subject:" are not labels. A blank line ends a
   paragraph. A single line break is a wrap (PDF) when the next line starts in lower case,
   the line ends with a comma or hyphen, or the line is long (≥ 60 chars); else a break.
   A table row (cells joined by tabs) never runs on.
2. Sentences end at . ! ? ؟ ۔ … followed by a space, but not after abbreviations (Dr. M.
   e.g. p. 3), initials (J. Smith), dotted acronyms (U.N.), list numbers ("1."), nor when the
   next word starts in lower case. Decimals (3.5, 1.500) have no space and never split.
3. Atomic clauses: a sentence is cut at "; " and a few connectors that start a new assertion
   (", then", " and then ", ", and they/we/he/she/I", ", puis", ", et ils/nous…", "؛",
   " ثم ", "، و" or " ف" + a past-tense verb from a short list). A cut that would leave a
   part under 3 words is not made. A piece over ``max_chars`` is cut at the last comma or
   semicolon, else at a space.
4. Questions (ending ? or ؟, "Can you…", "هل…", or said by the interviewer) are marked
   ``is_question`` and only returned with ``include_questions=True``.
5. `split_claims` keeps only what `looks_factual` accepts (`atomic_spans` gives every span):
   it drops fillers ("Okay.", "Merci.", "شكرا"), meta-talk ("Can you tell us…") and pure
   feelings ("I was very afraid."). A claim needs ≥ 4 words and one concrete marker: a
   number, a capitalised word inside the sentence, a date word, a place/unit cue (in, at,
   camp, prison, في, حاجز…) or an action verb (killed, arrêté, قتل…). Arabic is matched on
   normalised text, with prefixes (و ف ب ل ال) and verb endings allowed.

Speed: regexes are compiled once; Arabic connectors match the raw text (no offset map). About
10,000-15,000 short sentences a second on one core.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from sijill.analysis.claim_words import LATIN_NOISE, arabic_is_noise
from sijill.text.normalise import normalize

__all__ = ["ClaimSpan", "atomic_spans", "looks_factual", "split_claims"]


@dataclass(frozen=True, slots=True)
class ClaimSpan:
    start: int
    end: int
    text: str
    speaker_label: str | None
    is_question: bool


# --------------------------------------------------------------------------- shared bits

_AR = "\u0621-\u064a"  # Arabic letters (after normalisation, all forms fall in here)
_AR_ANY_RE = re.compile(r"[\u0600-\u06ff]")
_UPPER = "".join(c for c in map(chr, range(0x41, 0x250)) if c.isupper())
_INVISIBLE = frozenset("\ufeff\u200b\u200c\u200d\u200e\u200f\u2066\u2067\u2068\u2069") | {
    chr(c) for c in range(0x202A, 0x202F)
}
_WORD_RE = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
_ALNUM_RE = re.compile(r"[^\W_]")
_DIGIT_RE = re.compile(r"\d")
_APOSTROPHE_RE = re.compile(r"['’]")


def _lang2(lang: str | None) -> str | None:
    if not lang:
        return None
    code = lang.strip().lower()[:2]
    return code if code in ("en", "fr", "ar") else None


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and (text[s].isspace() or text[s] in _INVISIBLE):
        s += 1
    while e > s and (text[e - 1].isspace() or text[e - 1] in _INVISIBLE):
        e -= 1
    return s, e


# --------------------------------------------------------------------------- speaker labels

_INTERVIEWER_LABELS = frozenset(
    normalize(w)
    for w in (
        "q", "interviewer", "interviewers", "question", "journalist", "journaliste",
        "intervieweur", "intervieweuse", "enquêteur", "enquêtrice", "investigator",
        "س", "سؤال", "المحاور", "المحاورة", "الصحفي", "الصحفية", "الصحافي", "الصحافية",
    )
)  # fmt: skip
_KNOWN_LABELS = _INTERVIEWER_LABELS | frozenset(
    normalize(w)
    for w in (
        "a", "r", "answer", "réponse", "witness", "témoin", "interviewee", "répondant",
        "répondante", "speaker", "survivor", "survivant", "survivante", "defector",
        "transfuge", "translator", "interpreter", "interprète", "traducteur",
        "ج", "جواب", "الشاهد", "الشاهدة", "الضحية", "المترجم", "المتحدث", "المنشق",
    )
)  # fmt: skip
# First words that make "Word:" a header or a lead-in rather than a speaker.
_NOT_LABELS = frozenset(
    normalize(w)
    for w in (
        "subject", "date", "from", "to", "cc", "bcc", "sent", "objet", "de", "à", "envoyé",
        "note", "nb", "re", "fwd", "tr", "tel", "tél", "phone", "email", "e-mail", "source",
        "page", "attachment", "attachments", "title", "titre", "ref", "reference",
        "référence", "location", "lieu", "place", "time", "heure", "address", "adresse",
        "name", "nom", "ps", "warning", "update", "example", "important", "translation",
        "traduction", "transcript", "summary", "résumé", "context", "contexte", "he",
        "she", "they", "we", "it", "il", "elle", "ils", "nous", "on", "then", "puis",
        "and", "et", "but", "mais", "so", "alors", "donc", "the", "le", "la", "les",
    )
)  # fmt: skip
_LABEL_RE = re.compile(
    r"(?P<label>[^\W\d_][^\r\n:：?؟.!]{0,29}?)[ \t\u00a0\u202f]*[:：](?=[ \t\u00a0\u202f]|$)"
)
_LABEL_SUFFIX_RE = re.compile(r"[\s_\-]*(?:\d+|[a-z])$")
_LATIN_CODE_RE = re.compile(r"[A-Z][A-Z0-9]*(?:[-_ .][A-Z0-9]+)*")
_LATIN_NAME_RE = re.compile(
    rf"[{_UPPER}][^\s\d]*(?: (?:[{_UPPER}][^\s]*|\d+|(?:al|el|ad|ar|as|ash|at|az)-\S+|"
    r"bin|ibn|de|du|van|von|la|le)){0,3}"
)
_TIMESTAMP_RE = re.compile(r"[\[(]\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?[\])]\s*")


def _label_at(text: str, pos: int, end: int, *, known_only: bool) -> tuple[str, int] | None:
    """The speaker label starting at `pos` and where its text begins, or None."""
    m = _LABEL_RE.match(text, pos, end)
    if m is None:
        return None
    label = m.group("label").rstrip()
    norm = normalize(label).strip()
    base = _LABEL_SUFFIX_RE.sub("", norm) or norm
    ok = norm in _KNOWN_LABELS or base in _KNOWN_LABELS
    if not ok and not known_only:
        first = norm.split(" ", 1)[0]
        if first not in _NOT_LABELS:
            ok = bool(_LATIN_CODE_RE.fullmatch(label) or _LATIN_NAME_RE.fullmatch(label))
    if not ok:
        return None
    return label, m.end()


def _is_interviewer(label: str | None) -> bool:
    if label is None:
        return False
    norm = normalize(label).strip()
    return norm in _INTERVIEWER_LABELS or _LABEL_SUFFIX_RE.sub("", norm) in _INTERVIEWER_LABELS


# --------------------------------------------------------------------------- lines → blocks

_LINE_RE = re.compile(r"[^\r\n]+")
_BULLET_RE = re.compile(r"(?:[-•*–—▪◦·]|\(?\d{1,3}[.)])[ \t\u00a0]+")
_WRAP_END = frozenset(',،;؛-–—(«“"')
_FUNCTION_WORDS = frozenset(
    "of the a an in at to from by with and or for on into de la le les des du un une au aux "
    "à et ou dans par pour sur en avec vers في من إلى الى على عن مع و ثم".split()
)


def _wraps(text: str, prev_s: int, prev_e: int, nxt: int) -> bool:
    """Whether the line ending at `prev_e` runs on into the line starting at `nxt`."""
    last = text[prev_e - 1]
    first = text[nxt]
    line_end = text.find("\n", nxt)
    next_line = text[nxt : line_end if line_end >= 0 else len(text)]
    if "\t" in text[prev_s:prev_e] or "\t" in next_line:
        return False  # a table row (office extractors join cells with tabs) stands alone
    if last in ".!?؟۔…" or last in _WRAP_END or first.islower():
        return True  # sentence punctuation: the sentence splitter decides
    if last == ":" or _BULLET_RE.match(text, nxt):
        return False
    if prev_e - prev_s >= 60:
        return True
    tail = text[max(prev_s, prev_e - 12) : prev_e].rsplit(None, 1)[-1].lower()
    return tail in _FUNCTION_WORDS


def _blocks(text: str) -> list[tuple[int, int, str | None, bool]]:
    """(start, end, label, label_set_here) runs of text to split into sentences.

    `label` is meaningful only where `label_set_here` (the block opens a speaker turn).
    """
    blocks: list[tuple[int, int, str | None, bool]] = []
    label: str | None = None
    cur: list[int] | None = None  # [start, end, last_line_start] of the open block
    cur_label: str | None = None
    cur_new = False
    para_break = True
    pending_turn = False
    for m in _LINE_RE.finditer(text):
        ls, le = _trim(text, m.start(), m.end())
        if ls >= le:
            para_break = True
            continue
        ts = _TIMESTAMP_RE.match(text, ls, le)
        if ts is not None:
            ls = ts.end()
        found = _label_at(text, ls, le, known_only=False)
        new_turn = False
        if found is not None:
            label, ls = found
            ls, le = _trim(text, ls, le)
            new_turn = True
            if ls >= le:
                pending_turn = True
                if cur is not None:
                    blocks.append((cur[0], cur[1], cur_label, cur_new))
                    cur = None
                continue
        if pending_turn:
            new_turn, pending_turn = True, False
        if cur is not None and not new_turn and not para_break and _wraps(text, cur[2], cur[1], ls):
            cur[1], cur[2] = le, ls
        else:
            if cur is not None:
                blocks.append((cur[0], cur[1], cur_label, cur_new))
            cur, cur_label, cur_new = [ls, le, ls], label, new_turn
        para_break = False
    if cur is not None:
        blocks.append((cur[0], cur[1], cur_label, cur_new))
    return blocks


# --------------------------------------------------------------------------- sentences

_BOUNDARY_RE = re.compile(r"[.!?؟۔…]+[\"'”’»)\]]*(?=\s|$)")
_TOKEN_STOP = frozenset("([{«“\"'")
_ABBR_ALWAYS = frozenset(
    """dr mr mrs ms mme mlle mlles mmes mgr prof pr st ste gen gén col lt lieut sgt capt
    cpt maj cdt cmdt brig adm rev hon messrs jr sr e.g i.e cf vs viz approx env ca mt av
    al resp dept co أ د أ.د""".split()
)
_ABBR_NUM = frozenset(
    """no nos nº n° n p pp art arts vol vols ch chap fig figs para sec tel tél réf ref
    jan feb mar apr jun jul aug sep sept oct nov dec janv fév févr avr juil déc ص""".split()
)
_DOTTED_RE = re.compile(r"(?:[^\W\d_]{1,2}\.)+-?[^\W\d_]{1,2}")
_LIST_TOKEN_RE = re.compile(r"\d{1,3}|[ivxlcIVXLC]{1,5}")


def _is_boundary(text: str, m: re.Match[str], sent_start: int, end: int) -> bool:
    k = m.end()
    while k < end and text[k].isspace():
        k += 1
    if k >= end:
        return True
    nxt = text[k]
    if nxt.islower():
        return False
    punct = m.group().rstrip("\"'”’»)]")
    if punct != "." and punct != "..":
        return True  # ? ! ؟ ۔ and ellipses
    p = m.start()
    t = p
    while (
        t > sent_start
        and p - t < 40
        and not text[t - 1].isspace()
        and text[t - 1] not in _TOKEN_STOP
    ):
        t -= 1
    tok = text[t:p]
    if not tok:
        return True
    low = tok.lower()
    if low in _ABBR_ALWAYS:
        return False
    if nxt.isdigit() and low in _ABBR_NUM:
        return False
    if len(tok) == 1 and tok in _UPPER:
        return False  # an initial: "J. Smith", "M. Haddad"
    if "." in tok:
        if low in ("a.m", "p.m"):
            return True
        if _DOTTED_RE.fullmatch(tok):
            return False
    if _LIST_TOKEN_RE.fullmatch(tok) and _trim(text, sent_start, t)[0] == t:
        return False  # "1. We were…"
    return True


# --------------------------------------------------------------------------- questions

_QUESTION_TAIL = frozenset("?؟")
_ASKS_RE = re.compile(
    r"(?:can|could|would|will|did|do|does|were|was|have|had|are)\s+you\b|"
    r"(?:tell|show)\s+(?:us|me)\b|"
    r"(?:qu['’])?est-ce\s+(?:que|qu['’])|(?:\S+\s+){0,2}[^\s\-]+-(?:vous|tu)\b|"
    r"هل\s",
    re.IGNORECASE,
)
_WH_RE = re.compile(
    r"(?:what|where|when|who|whom|why|which|how(?:\s+many|\s+much|\s+long)?)\s+"
    r"(?:did|do|does|were|was|are|is|have|had|can|could|would|will)\b|"
    r"(?:où|quand|pourquoi|comment|combien|qui|quel|quelle)\s+(?:\S+-(?:vous|tu|ils|il|elle)|"
    r"est-ce)\b|"
    r"(?:ماذا|لماذا|اين|أين|متى|كيف|كم)\s",
    re.IGNORECASE,
)


def _is_question(text: str, s: int, e: int) -> bool:
    j = e
    while j > s and text[j - 1] in "\"'”’»)]":
        j -= 1
    if j > s and text[j - 1] in _QUESTION_TAIL:
        return True
    if _ASKS_RE.match(text, s, e):
        return True
    return j > s and text[j - 1] not in ".!…" and _WH_RE.match(text, s, e) is not None


# --------------------------------------------------------------------------- clauses

_EN_CLAUSE = r";\s+|,\s*(?:and\s+)?then\s+|\sand\s+then\s+|,\s*and\s+(?=(?:we|they|he|she|i)\b)"
_FR_CLAUSE = (
    r";\s+|,?\s+puis\s+|,\s*et\s+ensuite\s+|,\s*et\s+(?=(?:nous|ils|il|elles|elle|on|je)\b|j['’])"
)
_LATIN_CLAUSE_RE: dict[str | None, re.Pattern[str]] = {
    "en": re.compile(_EN_CLAUSE, re.IGNORECASE),
    "fr": re.compile(_FR_CLAUSE, re.IGNORECASE),
    None: re.compile(f"{_EN_CLAUSE}|{_FR_CLAUSE}", re.IGNORECASE),
}
# Arabic connectors are matched on the raw text (exact offsets, no per-character mapping):
# each letter of a normalised word stands for its written forms, harakat and tatweel allowed.
_HARAKAT = "[\u064b-\u065f\u0670\u0640]*"
_AR_LETTER_NOT_TATWEEL = "\u0621-\u063f\u0641-\u064a\u0671-\u06d3"
_AR_FORMS = {"ا": "[اأإآٱ]", "ه": "[هة]", "ي": "[يىئی]", "و": "[وؤ]", "ك": "[كک]"}


def _ar_raw(words: list[str]) -> str:
    """A regex alternation matching the written forms of normalised Arabic `words`."""
    alts = ("".join(_AR_FORMS.get(ch, re.escape(ch)) + _HARAKAT for ch in w) for w in words)
    return "|".join(alts)


_AR_CLAUSE_VERBS = sorted(
    {
        normalize(w)
        for w in (
            "قام كان تم أخذ نقل اعتقل قتل بدأ أصبح ذهب وضع جاء أطلق وصل رأيت رأينا رأوا "
            "شاهد قصف هاجم ضرب عذب سجن دخل خرج بقي قال أمر طلب حاول هرب درب تدرب احتجز "
            "أعدم أجبر أرسل جلب استلم سلم فتح أغلق حمل صار عاد رجع "
            "أحرق حرق هدم دمر أعطى سرق نهب خطف اختطف جرح أصاب أخرج أدخل فر غادر ترك "
            "وجد رفض منع طرد ذبح دفن حاصر اقتحم داهم صادر جلد أحضر اغتصب فجر"
        ).split()
    },
    key=len,
    reverse=True,
)
_AR_VERB_SUFFIXES = "وا و ت نا تم تا ا ن وني ونا وه وها وهم ني ه ها هم".split()
_AR_CLAUSE_RE = re.compile(
    rf"؛\s*|;\s+|(?:،\s*|\s)(?:{_ar_raw(['ومن'])}\s+)?{_ar_raw(['ثم'])}\s+|"
    rf"(?:،\s*|\s)[وف]{_HARAKAT}(?=(?:{_ar_raw(_AR_CLAUSE_VERBS)})"
    rf"(?:{_ar_raw(sorted(_AR_VERB_SUFFIXES, key=len, reverse=True))})?"
    rf"(?![{_AR_LETTER_NOT_TATWEEL}]))"
)
_SOFT_CUT_RE = re.compile(r"\s*[;؛,،]\s+")
_SPACE_RE = re.compile(r"\s+")


def _clause_cuts(text: str, s: int, e: int, lang: str | None) -> list[tuple[int, int]]:
    cuts: list[tuple[int, int]] = []
    if lang != "ar":
        cuts.extend((m.start(), m.end()) for m in _LATIN_CLAUSE_RE[lang].finditer(text, s, e))
    if lang in ("ar", None) and _AR_ANY_RE.search(text, s, e):
        cuts.extend((m.start(), m.end()) for m in _AR_CLAUSE_RE.finditer(text, s, e))
        cuts.sort()
    return cuts


def _atomic(text: str, s: int, e: int, lang: str | None) -> list[tuple[int, int]]:
    cuts = _clause_cuts(text, s, e, lang)
    if not cuts:
        return [(s, e)]
    spans = [m.span() for m in _WORD_RE.finditer(text, s, e)]
    starts = [a for a, _b in spans]
    ends = [b for _a, b in spans]

    def words(a: int, b: int) -> int:
        # Words with any letter in [a, b): a cut can fall inside one ("وأحرقوا" loses its و).
        return bisect_left(starts, b) - bisect_right(ends, a)

    # Arabic writes articles, prepositions and pronouns onto the word: "قصفوا السوق" is a
    # whole clause in two.
    least = 2 if lang == "ar" or (lang is None and _AR_ANY_RE.search(text, s, e)) else 3
    out: list[tuple[int, int]] = []
    seg = s
    for a, b in cuts:
        if a < seg or b >= e:
            continue
        if words(seg, a) >= least and words(b, e) >= least:
            out.append((seg, a))
            seg = b
    out.append((seg, e))
    return out


def _cut_long(text: str, s: int, e: int, max_chars: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    while e - s > max_chars:
        limit = s + max_chars
        cut: tuple[int, int] | None = None
        for m in _SOFT_CUT_RE.finditer(text, s + max_chars // 4, limit):
            cut = (m.start(), m.end())
        if cut is None:
            for m in _SPACE_RE.finditer(text, s + 1, limit + 1):
                cut = (m.start(), m.end())
        if cut is None or cut[0] <= s:
            cut = (limit, limit)
        out.append((s, cut[0]))
        s = cut[1]
    out.append((s, e))
    return out


# --------------------------------------------------------------------------- split_claims


def split_claims(
    text: str, lang: str | None = None, *, include_questions: bool = False, max_chars: int = 400
) -> list[ClaimSpan]:
    """Atomic factual claims of one text unit, in order, with exact offsets (module docs).

    The spans of `atomic_spans` that `looks_factual` keeps; questions are kept as they are.
    """
    return [
        c
        for c in atomic_spans(text, lang, include_questions=include_questions, max_chars=max_chars)
        if c.is_question or looks_factual(c.text, lang)
    ]


def atomic_spans(
    text: str, lang: str | None = None, *, include_questions: bool = False, max_chars: int = 400
) -> list[ClaimSpan]:
    """Every atomic sentence or clause, factual or not ("Okay." included): rules 1-4."""
    if not text or text.isspace():
        return []
    lang2 = _lang2(lang)
    max_chars = max(1, max_chars)
    out: list[ClaimSpan] = []

    def emit(a: int, b: int, label: str | None, question: bool) -> None:
        for ps, pe in _cut_long(text, a, b, max_chars):
            ps, pe = _trim(text, ps, pe)
            if ps < pe and _ALNUM_RE.search(text, ps, pe):
                out.append(ClaimSpan(ps, pe, text[ps:pe], label, question))

    label: str | None = None
    for bs, be, block_label, set_here in _blocks(text):
        if set_here:  # else the label in force goes on, including one switched mid-line
            label = block_label
        pos = bs
        sentences: list[tuple[int, int]] = []
        for m in _BOUNDARY_RE.finditer(text, bs, be):
            if _is_boundary(text, m, pos, be):
                sentences.append((pos, m.end()))
                pos = m.end()
        sentences.append((pos, be))
        for ss, se in sentences:
            ss, se = _trim(text, ss, se)
            if ss >= se:
                continue
            if ss != bs:  # a turn starting mid-line: "…? A: We were…"
                found = _label_at(text, ss, se, known_only=True)
                if found is not None:
                    label, ss = found
                    ss, se = _trim(text, ss, se)
                    if ss >= se:
                        continue
            bullet = _BULLET_RE.match(text, ss, se)
            if bullet is not None:
                ss = bullet.end()
            question = _is_interviewer(label) or _is_question(text, ss, se)
            if question:
                if include_questions:
                    emit(ss, se, label, True)
                continue
            for cs, ce in _atomic(text, ss, se, lang2):
                emit(cs, ce, label, False)
    return out


# --------------------------------------------------------------------------- looks_factual


def _folded_set(words: str) -> frozenset[str]:
    return frozenset(normalize(w) for w in words.split())


_FILLERS = frozenset(
    normalize(w)
    for w in (
        "thank you|thanks|thank you very much|thanks a lot|okay|ok|yes|no|yeah|yep|right|"
        "sure|alright|all right|of course|exactly|i see|good|fine|go on|continue|"
        "i don't know|i do not know|i dont know|i don't remember|i do not remember|"
        "i'm not sure|i am not sure|hello|hi|goodbye|bye|sorry|"
        "merci|merci beaucoup|oui|non|d'accord|je ne sais pas|je sais pas|"
        "je ne me souviens pas|voilà|bon|bien|très bien|bonjour|au revoir|pardon|exactement|"
        "نعم|لا|شكرا|شكرا لك|شكرا جزيلا|لا أعرف|لا اعرف|لا أدري|ما بعرف|ما بعرفش|طيب|حسنا|"
        "أيوه|اي|إي|تمام|الحمد لله|أهلا|مرحبا|السلام عليكم|وعليكم السلام|صحيح|بالضبط"
    ).split("|")
)
_KEY_RE = re.compile(r"[^\w'’]+")
_META_RE = re.compile(
    r"(?:can you|could you|would you|will you|tell us|tell me|please tell|thank you|thanks|"
    r"pouvez vous|pourriez vous|racontez nous|dites nous|merci|"
    r"هل|اخبرنا|اخبرني|حدثنا|احك لنا|احكي لنا|شكرا)(?:\s|$)"
)
_NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy "
    "eighty ninety hundred hundreds thousand thousands million millions dozen dozens "
    "deux trois quatre cinq sept huit neuf dix onze douze treize quatorze quinze seize "
    "vingt trente quarante cinquante soixante cent cents mille milliers dizaine dizaines "
    "centaine centaines"
)
_DATE_WORDS = (
    "year years month months week weeks day days morning mornings evening night nights "
    "afternoon yesterday hour hours o'clock dawn midnight noon monday tuesday wednesday "
    "thursday friday saturday sunday january february march april june july august "
    "september october november december jan feb mar apr jun jul aug sep sept oct nov dec "
    "ans année années mois semaine semaines jour jours matin soir soirée nuit hier heure "
    "heures aube midi minuit lundi mardi mercredi jeudi vendredi samedi dimanche janvier "
    "février mars avril mai juin juillet août septembre octobre novembre décembre "
    "ramadan"
)
_PLACE_WORDS = (
    "in at near inside outside checkpoint checkpoints camp camps prison prisons jail cell "
    "cells brigade brigades battalion battalions regiment division unit base village town "
    "city district province border hospital mosque school headquarters court army police "
    "militia intelligence branch airport road street kilometres kilometers kilometre "
    "kilometer km miles metres meters basement compound barracks front frontline "
    "à au aux dans près chez prison bataillon barrage ville frontière hôpital mosquée école "
    "caserne kilomètres kilomètre armée milice renseignement quartier route rue cellule "
    "sous-sol front emir émir commander commandant"
)
_VERB_WORDS = (
    "kill kills killed killing arrested arrest arrests executed execution executions "
    "detained detention detainees attacked attack attacks shelled shelling bombed bombing "
    "bombs trained training moved took taken brought saw seen shot shooting tortured "
    "torture beat beaten captured kidnapped abducted imprisoned transferred fired burned "
    "burnt destroyed raped looted buried wounded injured recruited ordered fought fled "
    "escaped crossed joined deployed sent paid met witnessed interrogated searched "
    "confiscated stole hanged beheaded disappeared released held arrived gave led "
    "commanded smuggled"
)
_FR_VERB_STEMS = (
    "tu arrêt exécut bombard attaqu form amen emmen transfér tortur frapp enlev kidnapp "
    "emprisonn bless captur recrut envoy interrog fusill égorg pill viol brûl pend enterr "
    "déplac amené arriv"
)
_FR_VERB_EXTRA = (
    "vu vus vue vues vit virent détenu détenus détenue détenues abattu abattus abattue "
    "détruit détruits détruite détruites pris prise prises mort morts morte mortes "
    "exécution exécutions arrestation arrestations"
)


def _fr_forms() -> str:
    forms: list[str] = []
    for stem in _FR_VERB_STEMS.split():
        forms.extend(stem + suf for suf in ("é", "ée", "és", "ées", "er", "ent", "ait"))
    return " ".join(forms)


_LATIN_MARKERS = frozenset(
    f"{_NUMBER_WORDS} {_DATE_WORDS} {_PLACE_WORDS} {_VERB_WORDS} {_fr_forms()} "
    f"{_FR_VERB_EXTRA}".casefold().split()
)
# Accent-folded forms too (OCR drops accents), but not where folding makes an English word.
_LATIN_MARKERS_FOLDED = frozenset(normalize(w) for w in _LATIN_MARKERS) - {"a"}
_LATIN_TOKEN_RE = re.compile(r"[^\W\d_]+")
_CAP_WORD_RE = re.compile(rf"(?<![^\s\"'“«(\-])[{_UPPER}][^\W\d_]*")
_CAP_IGNORE = frozenset("I I'm I'd I've I'll OK Okay God Allah".split())

# Arabic: words with optional prefixes و ف ب ل ك ال, matched on normalised text.
_AR_NOUNS = (
    "في فيه فيها عند قرب داخل حاجز حواجز معسكر معسكرات سجن سجون لواء كتيبة كتائب فرع "
    "مخيم قرية مدينة حدود مستشفى مسجد جامع مدرسة مقر ثكنة كيلومتر كيلومترات كم منطقة حي "
    "شارع مطار قاعدة فرقة جيش أمن مخابرات معبر زنزانة زنزانات قبو محكمة تدريب أمير قائد "
    "اثنان اثنين اثنتين ثلاث ثلاثة ثلاثين أربع أربعة أربعين خمس خمسة خمسين ستة ستين "
    "سبعة سبعين ثمانية ثماني ثمانين تسعة تسعين عشر عشرة عشرين عشرات مئة مائة مئات مئتين مئتي مئتا "
    "ألف ألفين آلاف مليون "
    "سنة سنوات سنين عام أعوام شهر أشهر شهور أسبوع أسابيع يوم أيام صباح مساء ليلة ليل "
    "سنتين سنتان عامين شهرين يومين أسبوعين أمس البارحة ساعة ساعات فجر ظهر "
    "السبت الأحد الاثنين الثلاثاء الأربعاء الخميس الجمعة "
    "كانون شباط آذار نيسان أيار حزيران تموز أيلول تشرين يناير فبراير مارس أبريل إبريل "
    "مايو يونيو يونيه يوليو يوليه أغسطس سبتمبر أكتوبر نوفمبر ديسمبر محرم رمضان شوال"
)
_AR_VERBS = (
    "قتل اعتقل أعدم احتجز هاجم قصف درب تدرب نقل رأيت رأينا رأوا شاهد عذب ضرب أطلق خطف "
    "اختطف جند ذبح دفن جرح أصيب أحرق حرق دمر اغتصب سرق نهب فجر أخذ أحضر جلب حاصر "
    "اقتحم داهم صادر جلد سجن"
)


def _alt(words: str) -> str:
    return "|".join(sorted({normalize(w) for w in words.split()}, key=len, reverse=True))


_AR_MARKER_RE = re.compile(
    rf"(?<![{_AR}])(?:"
    rf"(?:[وف])?(?:لل|[بلك]?(?:ال)?)(?:{_alt(_AR_NOUNS)})(?:ه|ها|هم|نا|ات|ين|ان)?|"
    rf"(?:[وف])?(?:س?[يتن])?(?:{_alt(_AR_VERBS)})[{_AR}]{{0,4}}"
    rf")(?![{_AR}])"
)


def looks_factual(sentence: str, lang: str | None = None) -> bool:
    """Whether `sentence` reads as a concrete factual claim (see module docs, rule 5)."""
    del lang  # the marker lists of all three languages are used together
    s = sentence.strip()
    if not s:
        return False
    norm = normalize(s)
    key = _KEY_RE.sub(" ", norm.replace("’", "'")).strip()
    if key in _FILLERS or _META_RE.match(key):
        return False
    words = _WORD_RE.findall(s)
    arabic = _AR_ANY_RE.search(s) is not None
    # Arabic writes articles, prepositions and pronouns onto the word: two or three words
    # say as much as an English four ("قصفوا السوق", "أخذ سامي المال": "Sami took the money").
    if len(words) < (2 if arabic else 4):
        return False
    if not _reads_as_prose(s, arabic):
        return False
    if _DIGIT_RE.search(s):
        return True
    if not _LATIN_MARKERS.isdisjoint(_LATIN_TOKEN_RE.findall(s.casefold())):
        return True
    if not _LATIN_MARKERS_FOLDED.isdisjoint(_LATIN_TOKEN_RE.findall(norm)):
        return True
    for i, m in enumerate(_CAP_WORD_RE.finditer(s)):
        if m.start() == 0 or (i == 0 and not s[: m.start()].strip(" \"'“«(-")):
            continue
        if m.group() not in _CAP_IGNORE:
            return True
    if arabic and _AR_MARKER_RE.search(norm) is not None:
        return True
    return _content_words(norm) >= 2


_TAG_RE = re.compile(r"</?[A-Za-z_][^<>]{0,200}>|</?_>")
# Below this share of letters among its visible characters, a "sentence" is data (a table of
# numbers, coordinates of a classifier in XML, a symbol map), not something a person said:
# issue 11's corpus made 12,000 claims such as "7 1 9 6 -1.</_>" out of one XML file.
PROSE_LETTERS = 0.35


def _reads_as_prose(s: str, arabic: bool) -> bool:
    """Words of letters, not a run of numbers and markup."""
    text = _TAG_RE.sub(" ", s)
    letters = 0
    lettered = 0
    for w in _WORD_RE.findall(text):
        n = sum(ch.isalpha() for ch in w)
        if n >= 2 and n > len(w) - n:  # "0x7f3a" and "3e-01" are not words
            lettered += 1
            letters += n
    if lettered < (1 if arabic else 2):
        return False
    visible = sum(not ch.isspace() for ch in text)
    return letters >= PROSE_LETTERS * visible


def _content_words(norm: str) -> int:
    """Words of a normalised sentence that are not grammar, feeling or vagueness."""
    count = 0
    for word in _WORD_RE.findall(norm):
        if _AR_ANY_RE.search(word):
            count += len(word) >= 2 and not arabic_is_noise(word)
            continue
        for part in _APOSTROPHE_RE.split(word):
            if len(part) >= 2 and part not in LATIN_NOISE and not part.isdigit():
                count += 1
    return count
