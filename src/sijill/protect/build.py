"""Build the files of one publication copy from an item's original and its reviewed text.

Pure file work: no catalog, no blob store (the archive service in `archive/publication.py`
feeds it and stores what it makes). Every output is made anew from what may be shown:

- image: pixels only, upright, faces, manual regions and visible protected names filled;
- PDF: a new PDF of page content; pages with a protected name or a face are rasterised,
  filled and re-OCR'd;
- video: decoded frames with faces filled, re-encoded; the voice re-spoken from the redacted
  transcript (or no audio), one stream each; subtitles in a separate file;
- audio: the re-spoken voice (or nothing but subtitles);
- office document, e-mail, text: the redacted text laid out as a PDF with a text layer, and
  as plain text.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, is_dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sijill.errors import ConfigError
from sijill.protect.faces import FaceDetector, FaceReport, Region, anonymise_image
from sijill.protect.redact import Redactor

FACE_MODES = ("solid", "blur", "mosaic")
VOICE_MODES = ("revoice", "none", "mcadams")
KINDS = ("image", "pdf", "video", "audio", "document", "email")


@dataclass(frozen=True)
class TimedText:
    """A transcript segment (seconds) or a page of text (page, 1-based)."""

    text: str
    start: float | None = None
    end: float | None = None
    page: int | None = None
    lang: str | None = None


@dataclass
class BuildInput:
    kind: str  # one of KINDS
    original: Path
    stem: str  # the output files' base name (no real names: the item id)
    redactor: Redactor
    segments: Sequence[TimedText] = ()  # transcript of audio/video
    pages: Sequence[TimedText] = ()  # text of documents and e-mails
    regions: Sequence[Region] = ()
    face_mode: str = "solid"
    voice_mode: str = "revoice"
    ocr_langs: str = "eng+fra+ara"
    duration: float | None = None
    lossless: bool = False  # keep PNG for PNG/GIF/TIFF-like sources


@dataclass
class Built:
    files: list[tuple[Path, str]] = field(default_factory=list)  # (path, role)
    review: Path | None = None  # internal only: never part of the copy
    report: dict[str, Any] = field(default_factory=dict)


Progress = Callable[[int, int], None]


def _plain(obj: Any) -> Any:
    if is_dataclass(obj) and not isinstance(obj, type):
        return {k: _plain(v) for k, v in asdict(obj).items()}
    if isinstance(obj, Path):
        return obj.name
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    return obj


def build_copy(inp: BuildInput, out: Path, *, progress: Progress | None = None) -> Built:
    """Write the publication files for `inp` into the empty directory `out`."""
    if inp.face_mode not in FACE_MODES:
        raise ConfigError(f"face fill {inp.face_mode!r}: use one of {', '.join(FACE_MODES)}")
    if inp.voice_mode not in VOICE_MODES:
        raise ConfigError(f"voice {inp.voice_mode!r}: use one of {', '.join(VOICE_MODES)}")
    out.mkdir(parents=True, exist_ok=True)
    review_dir = out.parent / f"{out.name}-review"
    review_dir.mkdir(exist_ok=True)
    built = Built()
    if inp.kind == "image":
        _image(inp, out, review_dir, built)
    elif inp.kind == "pdf":
        _pdf(inp, out, review_dir, built)
    elif inp.kind in ("video", "audio"):
        _media(inp, out, review_dir, built, progress)
    elif inp.kind in ("document", "email"):
        _document(inp, out, built)
    else:
        raise ConfigError(f"no publication copy for a {inp.kind} item")
    if not built.files:
        raise ConfigError(
            "nothing to publish: no picture, no speech to re-voice and no text in this item"
        )
    sheets = sorted(review_dir.glob("*.jpg"))
    built.review = sheets[0] if sheets else None
    built.report = _plain(built.report)
    return built


def _face_fn(
    inp: BuildInput, review_dir: Path, detector: FaceDetector
) -> Callable[[np.ndarray], tuple[np.ndarray, FaceReport]]:
    def fn(rgb: np.ndarray) -> tuple[np.ndarray, FaceReport]:
        return anonymise_image(
            rgb,
            mode=inp.face_mode,
            regions=inp.regions,
            detector=detector,
            review_dir=review_dir,
        )

    return fn


def _image(inp: BuildInput, out: Path, review_dir: Path, built: Built) -> None:
    from sijill.protect.images import rebuild_image
    from sijill.protect.pdf import redact_raster

    detector = FaceDetector()
    faces = _face_fn(inp, review_dir, detector)

    def faces_and_names(rgb: np.ndarray) -> tuple[np.ndarray, FaceReport]:
        # Names written in the picture (a sign, a document photographed) are filled too.
        rgb, report = faces(rgb)
        if inp.redactor:
            rgb, hits = redact_raster(rgb, inp.redactor, inp.ocr_langs)
            built.report["visible_names"] = hits
        return rgb, report

    dst = out / f"{inp.stem}.{'png' if inp.lossless else 'jpg'}"
    built.report["image"] = rebuild_image(inp.original, dst, faces=faces_and_names)
    built.files.append((dst, "image"))


def _pdf(inp: BuildInput, out: Path, review_dir: Path, built: Built) -> None:
    from sijill.protect.pdf import rebuild_pdf

    detector = FaceDetector()
    dst = out / f"{inp.stem}.pdf"
    built.report["pdf"] = rebuild_pdf(
        inp.original,
        dst,
        redactor=inp.redactor,
        faces=_face_fn(inp, review_dir, detector),
        ocr_langs=inp.ocr_langs,
    )
    built.files.append((dst, "document"))


def _document(inp: BuildInput, out: Path, built: Built) -> None:
    from sijill.protect.office import text_to_pdf

    texts = [inp.redactor.redact(p.text) for p in inp.pages if p.text.strip()]
    if not texts:
        raise ConfigError("this item has no extracted text yet: run `sijill run` first")
    pdf = out / f"{inp.stem}.pdf"
    built.report["document"] = text_to_pdf(texts, pdf, ocr_langs=inp.ocr_langs)
    built.files.append((pdf, "document"))
    txt = out / f"{inp.stem}.txt"
    txt.write_text("\n\n".join(texts) + "\n", encoding="utf-8")
    built.files.append((txt, "text"))
    built.report["redactions"] = sum(len(inp.redactor.find(p.text)) for p in inp.pages)


def subtitles(segments: Sequence[TimedText]) -> str:
    """WebVTT of the (redacted) segments, escaped as the transcript command escapes them."""
    from sijill.text.subtitles import render

    cues = [
        {"start": seg.start, "end": seg.end, "text": seg.text}
        for seg in segments
        if seg.start is not None and seg.end is not None and seg.text.strip()
    ]
    return render({"segments": cues}, "vtt")


def _media(
    inp: BuildInput, out: Path, review_dir: Path, built: Built, progress: Progress | None
) -> None:
    from sijill.protect.media import mux
    from sijill.protect.video import anonymise_video
    from sijill.protect.voice import Segment, mcadams, revoice

    work = out.parent / f"{out.name}-work"
    work.mkdir(exist_ok=True)
    try:
        segs = [
            TimedText(text=inp.redactor.redact(s.text), start=s.start, end=s.end, lang=s.lang)
            for s in inp.segments
        ]
        built.report["redactions"] = sum(len(inp.redactor.find(s.text)) for s in inp.segments)
        video_only: Path | None = None
        if inp.kind == "video":
            video_only = work / "video.mp4"
            built.report["faces"] = anonymise_video(
                inp.original,
                video_only,
                mode=inp.face_mode,
                regions=inp.regions,
                detector=FaceDetector(),
                review_dir=review_dir,
                progress=progress,
                redactor=inp.redactor,
                ocr_langs=inp.ocr_langs,
            )
            built.report["visible_names"] = built.report["faces"].text
        audio: Path | None = None
        # Unknown length (a stream ffprobe cannot time): up to the last spoken word.
        duration = inp.duration or max((s.end or 0.0 for s in segs), default=0.0) + 0.5
        if inp.voice_mode == "revoice" and any(s.text.strip() for s in segs):
            audio = work / "voice.wav"
            built.report["voice"] = revoice(
                [
                    Segment(start=s.start or 0.0, end=s.end or 0.0, text=s.text, lang=s.lang)
                    for s in segs
                    if s.start is not None and s.end is not None
                ],
                duration,
                audio,
            )
        elif inp.voice_mode == "mcadams":
            audio = work / "voice.wav"
            built.report["voice"] = mcadams(inp.original, audio)
        else:
            built.report["voice"] = {"mode": "none", "why": "no audio: subtitles only"}
        if video_only is None and audio is None:
            built.report["audio"] = "nothing spoken to re-voice: subtitles only"
        else:
            dst = out / f"{inp.stem}.{'mp4' if video_only is not None else 'm4a'}"
            mux(dst, video=video_only, audio=audio)
            built.files.append((dst, inp.kind))
        if segs:
            vtt = out / f"{inp.stem}.vtt"
            vtt.write_text(subtitles(segs), encoding="utf-8")
            built.files.append((vtt, "subtitles"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
