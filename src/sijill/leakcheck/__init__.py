"""The leak check: an independent scan of files meant for publication.

`scan` looks at each file the way an adversary would, with tools other than the ones that
made the publication copy: exiftool against an allow-list, ffprobe for streams, OpenCV Haar
cascades for faces, every text, tag, PDF object and revision and the spoken words for
protected terms. It imports nothing from `sijill.protect`, so a mistake there cannot hide
itself here. Every problem, including a file it cannot read, is a Finding; it never raises
for a bad file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pikepdf
import pypdfium2
from PIL import Image, ImageOps, UnidentifiedImageError

from sijill.errors import SijillError
from sijill.leakcheck import faces, files, metadata, pdf, streams
from sijill.leakcheck.terms import TermMatcher

Progress = Callable[[int, int, Path], None]
MAX_IMAGE_FRAMES = 50


@dataclass(frozen=True)
class Finding:
    file: str
    where: str  # "exif:GPS:GPSLatitude", "stream 2 (subtitle)", "page 3", "frame at 1.20 s"
    what: str  # plain words: what was found
    kind: str  # metadata | stream | face | term | speech | structure | unreadable

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class _FileScan:
    """Findings for one file, each (where, what, kind) kept once."""

    def __init__(self, path: Path, matcher: TermMatcher) -> None:
        self.path = path
        self.name = str(path)
        self.matcher = matcher
        self.findings: list[Finding] = []
        self._seen: set[tuple[str, str, str]] = set()
        self.terms_found: set[str] = set()

    def add(self, where: str, what: str, kind: str) -> None:
        key = (where, what, kind)
        if key not in self._seen:
            self._seen.add(key)
            self.findings.append(Finding(self.name, where, what, kind))

    def terms(self, where: str, text: str, *, kind: str = "term", fuzzy: bool = True) -> None:
        # Lenient everywhere (issue 10): a misheard name reaches subtitles, PDFs and tags too.
        for term in self.matcher.find(text, fuzzy=fuzzy):
            self.terms_found.add(term)
            self.add(where, f"protected term {term!r}", kind)

    def pictured_text(self, where: str, rgb: np.ndarray, *, frame: bool = False) -> None:
        """OCR `rgb` (several passes, `ocr.py`; fewer for a video `frame`) and record the
        protected terms it shows."""
        if not self.matcher:
            return  # no terms: nothing the text could be matched against
        from sijill.leakcheck import ocr

        for text in ocr.read_texts(rgb, passes=ocr.FRAME if frame else ocr.PICTURE):
            for term in self.matcher.find(text, fuzzy=True):
                self.terms_found.add(term)
                self.add(where, f"protected term {term!r} painted in the picture", "term")

    def faces(self, where: str, rgb: np.ndarray) -> None:
        found = faces.detect(faces.to_gray(rgb))
        if found:
            f = max(found, key=lambda x: x.w * x.h)
            # A box from a tilted pass can reach past the picture's edge: shown clipped to it.
            height, width = rgb.shape[:2]
            x0, y0 = max(0, f.x), max(0, f.y)
            w, h = min(width, f.x + f.w) - x0, min(height, f.y + f.h) - y0
            self.add(
                where,
                f"{len(found)} face detection(s), largest {w}x{h} px at ({x0}, {y0})",
                "face",
            )


def scan(
    paths: Sequence[Path],
    *,
    terms: Sequence[str] = (),
    speech: bool = True,
    progress: Progress | None = None,
) -> list[Finding]:
    """Check every file under `paths` (folders walked, symlinks reported, not followed)."""
    matcher = TermMatcher(terms)
    entries = list(files.walk([Path(p) for p in paths]))
    findings: list[Finding] = []
    for i, entry in enumerate(entries):
        if progress is not None:
            progress(i, len(entries), entry.path)
        one = _FileScan(entry.path, matcher)
        if entry.symlink:
            one.add("file", "a symbolic link (not followed; publish real files only)", "structure")
        elif not entry.path.exists():
            one.add("file", "does not exist", "unreadable")
        else:
            try:
                _scan_file(one, speech=speech)
            except (OSError, SijillError) as exc:
                one.add("file", f"could not be checked: {exc}", "unreadable")
            except Exception as exc:  # noqa: BLE001
                # Fail closed: a hostile file that trips a parser is reported, never skipped,
                # and never stops the check of the other files.
                one.add("file", f"could not be checked ({type(exc).__name__}: {exc})", "unreadable")
        findings += one.findings
    if progress is not None:
        progress(len(entries), len(entries), Path())
    return findings


def count_files(paths: Sequence[Path]) -> int:
    return sum(1 for _ in files.walk([Path(p) for p in paths]))


def _scan_file(one: _FileScan, *, speech: bool) -> None:
    path = one.path
    one.terms("file name", path.name)
    with open(path, "rb") as f:
        head = f.read(4096)
    if path.stat().st_size == 0:
        if path.suffix.lower() not in files.TEXT_SUFFIXES:
            one.add("file", "an empty file", "unreadable")
        return
    boxed = files.container(head)
    if boxed:
        one.add(
            "file", f"{boxed}: files inside are not checked, publish them unpacked", "structure"
        )
    kind = files.sniff(head)
    if kind is None and not boxed:
        text = files.decode_text(path.read_bytes())
        if text is not None:
            kind = "text"
        else:
            one.add("file", "an unexpected file type for a publication", "structure")
    if kind and path.suffix.lower() not in files.SUFFIXES[kind]:
        one.add("file", f"a {kind} file named {path.suffix or '(no suffix)'}", "structure")
    if kind == "text":
        _text(one)
        return
    _metadata(one)
    if kind in files.IMAGE:
        _image(one, kind)
    elif kind == "pdf":
        _pdf(one)
    elif kind in files.MEDIA:
        _media(one, speech=speech)


def _metadata(one: _FileScan) -> None:
    tags = metadata.read_tags(one.path)
    for key, value in tags.items():
        if key == "ExifTool:Error":
            one.add("exif:" + key, f"exiftool cannot read it: {value}", "unreadable")
        elif key == "ExifTool:Warning":
            one.add("exif:" + key, f"exiftool warns: {metadata.shorten(value)}", "structure")
        elif not metadata.allowed(key, value):
            one.add("exif:" + key, metadata.describe(key, value), "metadata")
    for key, text in metadata.tag_values(tags):
        one.terms("exif:" + key, text)


def _text(one: _FileScan) -> None:
    text = files.decode_text(one.path.read_bytes())
    if text is None:
        one.add("file", "not UTF-8 or UTF-16 text", "unreadable")
        return
    for n, line_block in enumerate(_blocks(text), 0):
        one.terms(f"text, lines {n * 200 + 1}-{n * 200 + line_block[1]}", line_block[0])


def _blocks(text: str, size: int = 200) -> list[tuple[str, int]]:
    """Text in blocks of `size` lines (overlapping by one line, so a name broken over a line
    end is still whole in one block), to say roughly where a term is."""
    lines = text.splitlines() or [""]
    out = []
    for start in range(0, len(lines), size):
        chunk = lines[start : start + size + 1]
        out.append(("\n".join(chunk), min(size, len(lines) - start)))
    return out


def _image(one: _FileScan, kind: str) -> None:
    data = one.path.read_bytes()
    structure = files.jpeg_structure(data) if kind == "jpeg" else []
    if kind == "png":
        structure = files.png_structure(data)
    for where, what in structure:
        one.add(where, what, "structure")
    try:
        with Image.open(one.path) as im:
            frames = getattr(im, "n_frames", 1)
            for i in range(min(frames, MAX_IMAGE_FRAMES)):
                im.seek(i)
                # Orientation applied, as a browser shows the picture.
                rgb = np.asarray(ImageOps.exif_transpose(im.convert("RGB")))
                where = "image" if frames == 1 else f"image frame {i + 1}"
                one.faces(where, rgb)
                one.pictured_text(where, rgb)
            if frames > MAX_IMAGE_FRAMES:
                one.add(
                    "image",
                    f"{frames} frames; only the first {MAX_IMAGE_FRAMES} checked",
                    "structure",
                )
    except (UnidentifiedImageError, Image.DecompressionBombError, ValueError, OSError) as exc:
        one.add("image", f"the picture cannot be decoded: {exc}", "unreadable")


def _pdf(one: _FileScan) -> None:
    try:
        rep = pdf.inspect(one.path)
    except (pikepdf.PdfError, pypdfium2.PdfiumError, ValueError) as exc:
        one.add("file", f"the PDF cannot be opened: {exc}", "unreadable")
        return
    for where, what in rep.structure:
        one.add(where, what, "structure")
    raw: list[tuple[str, str]] = []
    for where, text in rep.texts:
        if where.startswith("raw bytes"):
            raw.append((where, text))
        else:
            one.terms(where, text)
    # The raw pass is a safety net: it speaks only for terms nothing else found.
    known = set(one.terms_found)
    for where, text in raw:
        for term in one.matcher.find(text):
            if term not in known:
                one.terms_found.add(term)
                one.add(where, f"protected term {term!r} (in no object a reader uses)", "term")
    # Every picture's full pixels (inline ones and those in forms too), masks and clips not
    # applied: a copy's reader may pull out the whole picture.
    for where, rgb in rep.images:
        one.faces(where, rgb)
        one.pictured_text(where, rgb)
    try:
        for page, rgb in pdf.render_pages(one.path):
            one.faces(f"page {page}", rgb)
    except pypdfium2.PdfiumError as exc:
        one.add("pages", f"pages cannot be rendered: {exc}", "unreadable")


def _media(one: _FileScan, *, speech: bool) -> None:
    from sijill.leakcheck import speech as speech_mod

    try:
        probe = streams.probe(one.path)
    except SijillError as exc:
        one.add("streams", str(exc), "unreadable")
        return
    for issue in probe.issues:
        one.add(issue.where, issue.what, "stream")
    for where, text in probe.tag_texts:
        one.terms(where, text)
    if probe.video:
        from sijill.leakcheck.frames import sample_frames

        hits: list[tuple[float, faces.Face]] = []
        try:
            # Two frames a second and every scene change, however long the video: a face
            # shown for two seconds of ten minutes is seen.
            last: tuple[np.ndarray, list[faces.Face]] | None = None
            for t, rgb in sample_frames(one.path):
                gray = faces.to_gray(rgb)
                # A still stretch (a title card, a blank minute) is searched once: frames
                # within compression noise of the one before give the same answer.
                if last is not None and faces.same_picture(last[0], gray):
                    found = last[1]
                else:
                    found = faces.detect(gray, sideways=False)
                    last = (gray, found)
                if found:
                    hits.append((t, max(found, key=lambda x: x.w * x.h)))
        except SijillError as exc:
            one.add("frames", f"frames cannot be decoded: {exc}", "unreadable")
        _face_spans(one, hits)
    if probe.video and one.matcher:
        from sijill.leakcheck.frames import sample_frames as frames_for_text

        try:
            # Names burned into frames: one frame a second and every scene change (OCR
            # costs more than the face check), with no maximum count.
            for t, rgb in frames_for_text(one.path, fps=1.0, scene=0.3):
                one.pictured_text(f"frame at {t:.2f} s", rgb, frame=True)
        except SijillError as exc:
            one.add("frames", f"frames cannot be read for text: {exc}", "unreadable")
    if speech and probe.audio and one.matcher:
        before = len(one.findings)
        for language in [None, *speech_mod.languages_for(one.matcher.originals())]:
            for said in speech_mod.transcribe(one.path, language):
                where = f"speech at {said.start:.1f}-{said.end:.1f} s"
                one.terms(where, said.text, kind="speech", fuzzy=True)
            if len(one.findings) > before:
                break


def _face_spans(one: _FileScan, hits: list[tuple[float, faces.Face]]) -> None:
    """One finding per run of sampled frames with faces (gaps over 1.5 s split a run)."""
    runs: list[list[tuple[float, faces.Face]]] = []
    for t, f in hits:
        if runs and t - runs[-1][-1][0] <= 1.5:
            runs[-1].append((t, f))
        else:
            runs.append([(t, f)])
    for run in runs:
        big = max((f for _, f in run), key=lambda f: f.w * f.h)
        start, end = run[0][0], run[-1][0]
        where = f"frame at {start:.2f} s" if start == end else f"frames at {start:.2f}-{end:.2f} s"
        one.add(where, f"a face in {len(run)} sampled frame(s), largest {big.w}x{big.h} px", "face")
