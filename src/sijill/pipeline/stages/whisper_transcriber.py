"""Speech to text with faster-whisper: segments and words with timestamps, per-segment language,
and an English translation (Whisper's translate task) of speech in other languages.

Audio is decoded by ffmpeg straight from the original into 16 kHz mono and read in windows
(20 minutes by default) cut at the quietest moment near each window's end, so a three-hour
recording never sits in memory whole. Models come from packages or a directory the user names
(`whisper_models`); nothing is downloaded.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, ClassVar

from sijill.errors import ConfigError, InputRejected, StageError, ToolMissing
from sijill.pipeline.stage import ItemInfo, Stage, StageContext, StageResult, TextUnitOut
from sijill.pipeline.threads import within_omp_limit, worker_threads
from sijill.pipeline.whisper_models import ModelRef, resolve
from sijill.tools import start_tool
from sijill.tools.ffmpeg import input_args, probed_demuxer

SR = 16000
_CUT_SEARCH_S = 5.0  # look this far back from a window's end for a quiet place to cut
_FRAME = SR // 10  # 100 ms energy frames

# Loaded models, kept by the worker between jobs (loading base takes about a second).
_models: dict[tuple[str, str, str, int], Any] = {}


def cuda_devices() -> int:
    try:
        import ctranslate2

        return int(ctranslate2.get_cuda_device_count())
    except (ImportError, RuntimeError):
        return 0


def device_and_compute(device: str, compute_type: str) -> tuple[str, str]:
    """Resolve "auto" device and compute type: CUDA when a GPU is present, else CPU int8."""
    if device not in ("auto", "cpu", "cuda"):
        raise ConfigError(f"device {device!r}: use auto, cpu or cuda")
    if device == "auto":
        device = "cuda" if cuda_devices() > 0 else "cpu"
    if compute_type == "auto":
        compute_type = "float16" if device == "cuda" else "int8"
    return device, compute_type


def load_model(ref: ModelRef, device: str, compute_type: str, threads: int) -> Any:
    threads = within_omp_limit(threads)
    key = (str(ref.path), device, compute_type, threads)
    if key not in _models:
        os.environ["HF_HUB_OFFLINE"] = "1"  # belt and braces: a local path never downloads
        from faster_whisper import WhisperModel

        if len(_models) >= 2:
            _models.pop(next(iter(_models)))
        try:
            _models[key] = WhisperModel(
                str(ref.path),  # a str, not a Path (DESIGN §7)
                device=device,
                compute_type=compute_type,
                cpu_threads=threads,
                local_files_only=True,
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise StageError(f"cannot load Whisper model {ref.name}: {exc}") from exc
    return _models[key]


def _read_exact(f: IO[bytes], n: int) -> bytes:
    parts = []
    while n > 0:
        b = f.read(n)
        if not b:
            break
        parts.append(b)
        n -= len(b)
    return b"".join(parts)


def _quiet_cut(window: Any, search: int) -> int:
    """Index near the end of `window` (int16) at the centre of its quietest 100 ms."""
    import numpy as np

    start = max(0, len(window) - search)
    tail = window[start:].astype(np.float32)
    n = len(tail) // _FRAME
    if n < 2:
        return len(window)
    energy = (tail[: n * _FRAME].reshape(n, _FRAME) ** 2).mean(axis=1)
    return start + int(np.argmin(energy)) * _FRAME + _FRAME // 2


def audio_windows(
    path: Path, window_s: float, demuxer: str | None = None
) -> Iterator[tuple[float, Any]]:
    """(offset seconds, float32 samples) windows of the first audio stream, streamed.

    ffmpeg reads only this plain file, with a recording's demuxer (`demuxer`, the one
    ffprobe_metadata found, when given): never what a playlist inside it names."""
    import numpy as np

    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise ToolMissing("ffmpeg is not installed (Debian package ffmpeg)")
    cmd = [ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error"]
    cmd += input_args(path, demuxer=demuxer)
    cmd += ["-map", "0:a:0", "-vn", "-sn", "-dn", "-ac", "1", "-ar", str(SR), "-f", "s16le"]
    cmd += ["pipe:1"]
    want = max(int(window_s * SR), 60 * SR)
    with tempfile.TemporaryFile() as errf:
        proc = start_tool(cmd, stdout=subprocess.PIPE, stderr=errf, stdin=subprocess.DEVNULL)
        assert proc.stdout is not None
        carry = np.empty(0, dtype=np.int16)
        offset = 0
        decoded = 0
        try:
            while True:
                raw = _read_exact(proc.stdout, (want - len(carry)) * 2)
                raw = raw[: len(raw) // 2 * 2]
                chunk = np.frombuffer(raw, dtype=np.int16)
                decoded += len(chunk)
                window = np.concatenate([carry, chunk]) if len(carry) else chunk
                if len(window) < want:  # end of stream
                    if len(window):
                        yield offset / SR, window.astype(np.float32) / 32768.0
                    break
                cut = _quiet_cut(window, int(_CUT_SEARCH_S * SR))
                yield offset / SR, window[:cut].astype(np.float32) / 32768.0
                carry = window[cut:].copy()
                offset += cut
        finally:
            proc.stdout.close()
            code = proc.wait()
        if decoded == 0:
            errf.seek(0)
            msg = errf.read().decode("utf-8", "replace").strip().splitlines()
            why = msg[-1] if msg else f"ffmpeg exit code {code}"
            if code != 0 or not decoded:
                raise InputRejected(f"no audio could be decoded ({why})", status="invalid")


class WhisperTranscriber(Stage):
    name = "whisper_transcriber"
    version = 1
    description = "speech to text with timestamps (faster-whisper), per-segment language, English"
    kinds: ClassVar[frozenset[str]] = frozenset({"audio", "video"})
    after: ClassVar[tuple[str, ...]] = ("ffprobe_metadata",)
    tools: ClassVar[tuple[str, ...]] = ("ffmpeg",)
    defaults: ClassVar[dict[str, Any]] = {
        "model": "auto",
        "language": "auto",
        "multilingual": True,
        "vad": True,
        "word_timestamps": True,
        "beam_size": 5,
        "translate": True,
        "compute_type": "auto",
        "window_s": 1200,
        "max_duration_s": 12 * 3600,
    }
    config_help: ClassVar[dict[str, str]] = {
        "model": "auto (tiny.en for English speech, else the multilingual base), tiny.en, base, "
        "or a directory holding any CTranslate2 Whisper model (e.g. large-v3)",
        "language": "auto, or the ISO 639-1 code of the speech",
        "multilingual": "detect the language again every 30 s (speakers who switch language)",
        "vad": "skip silence and non-speech (Silero voice-activity detection)",
        "word_timestamps": "keep each word's start and end",
        "beam_size": "decoder beam width",
        "translate": "also translate non-English speech to English (multilingual models only)",
        "compute_type": "auto (int8 on CPU, float16 on CUDA) or any CTranslate2 compute type",
        "window_s": "seconds of audio decoded and transcribed at a time (memory bound)",
        "max_duration_s": "longest recording transcribed (seconds); a longer one is refused",
    }
    timeout_s = 12 * 3600
    memory_mb = 6144

    def accepts(self, item: ItemInfo, previous: dict[str, dict[str, Any]]) -> bool:
        if item.kind not in self.kinds:
            return False
        return item.info.get("has_audio", True) is not False

    def run(self, ctx: StageContext) -> StageResult:
        cfg = ctx.config
        device, compute = device_and_compute(
            os.environ.get("SIJILL_DEVICE", "auto"), str(cfg["compute_type"])
        )
        threads = worker_threads()
        duration = float(ctx.item.info.get("duration_s") or 0.0)
        limit = float(cfg["max_duration_s"])
        if duration > limit:
            # The stage's 12-hour timeout would kill it anyway, after hours of work lost.
            raise InputRejected(
                f"the recording lasts {duration / 3600:.1f} h, over the limit of "
                f"{limit / 3600:.1f} h (raise it with `sijill case config CASE "
                f"{self.name}.max_duration_s=SECONDS`)",
                status="rejected",
            )
        choice = str(cfg["model"])
        forced = None if cfg["language"] in ("auto", "", None) else str(cfg["language"])

        units: list[TextUnitOut] = []
        translations: list[tuple[float, float, str]] = []
        language: str | None = forced
        language_p: float | None = None
        model_ref: ModelRef | None = None
        model: Any = None
        note: str | None = None
        speech_s = 0.0
        windows = 0
        demuxer = probed_demuxer(ctx.previous)
        for offset, audio in audio_windows(ctx.input_path, float(cfg["window_s"]), demuxer):
            windows += 1
            if model is None:
                speech = None
                if choice == "auto" and forced is None:
                    # "auto" picks the model by the language of the first speech heard, not
                    # of the silence or noise a recording may open with.
                    speech = _speech_only(audio) if cfg["vad"] else audio
                    if speech is None:
                        if duration:
                            ctx.progress((offset + len(audio) / SR) / duration)
                        continue
                model_ref, model, language, language_p = self._choose(
                    choice, forced, speech, device, compute, threads
                )
            # A language the user names holds for the whole item: no re-detection.
            multilingual = (
                bool(cfg["multilingual"]) and model.model.is_multilingual and forced is None
            )
            kw: dict[str, Any] = {
                "beam_size": int(cfg["beam_size"]),
                "vad_filter": bool(cfg["vad"]),
                "word_timestamps": bool(cfg["word_timestamps"]),
                "multilingual": multilingual,
                "language": None if multilingual else language,
            }
            segments, tinfo = self._transcribe(model, audio, device, kw)
            # Without a language chosen above, Whisper detects it (on the first 30 s of speech).
            heard = language or tinfo.language
            first = len(units)
            for seg in segments:
                text = seg.text.strip()
                if duration:
                    ctx.progress((offset + seg.end) / duration)
                if not text:
                    continue
                if language is None:
                    language = heard
                    language_p = round(float(tinfo.language_probability), 3)
                lang, conf = _segment_language(text, language)
                units.append(
                    TextUnitOut(
                        kind="segment",
                        text=text,
                        method="whisper",
                        start=round(float(offset + seg.start), 2),
                        end=round(float(offset + seg.end), 2),
                        lang=lang or language,
                        lang_confidence=conf,
                        info=_segment_info(seg, offset),
                    )
                )
                speech_s += float(seg.end - seg.start)
            # Translate a window when the item's speech is not English, or when a speaker
            # switches: some longer segment of this window is in another language.
            if duration:
                ctx.progress((offset + len(audio) / SR) / duration)
            wants_translation = bool(cfg["translate"]) and (
                (language not in (None, "en"))
                or any(u.lang not in (None, "en") and len(u.text) >= 40 for u in units[first:])
            )
            if wants_translation and model.model.is_multilingual:
                kw_t = dict(kw, word_timestamps=False)
                if not multilingual:
                    kw_t["language"] = language
                segs_t, _ = self._transcribe(model, audio, device, kw_t, task="translate")
                translations.extend(
                    (
                        round(float(offset + s.start), 2),
                        round(float(offset + s.end), 2),
                        s.text.strip(),
                    )
                    for s in segs_t
                    if s.text.strip()
                )
            elif wants_translation and model_ref is not None:
                note = f"no translation: the model {model_ref.name} is English-only"
        if model is None:
            why = "no speech detected" if windows else "no audio samples"
            return StageResult(
                data={"segments": 0, "speech": False},
                item_info={"speech": why, "transcript_segments": 0},
            )
        n_source = len(units)
        for start, end, text in translations:
            sources = [
                i
                for i, u in enumerate(units[:n_source])
                if u.start is not None and u.end is not None and u.start < end and u.end > start
            ]
            units.append(
                TextUnitOut(
                    kind="translation",
                    text=text,
                    method="whisper_translate",
                    start=start,
                    end=end,
                    lang="en",
                    lang_confidence=None,
                    sources=sources,
                )
            )
        assert model_ref is not None
        info: dict[str, Any] = {
            "speech_language": language,
            "speech_language_probability": language_p,
            "transcription_model": model_ref.name,
            "speech_seconds": round(float(speech_s), 1),
            "transcript_segments": n_source,
        }
        if translations:
            info["translation"] = f"Whisper translate ({model_ref.name})"
        elif note:
            info["translation"] = note
        if n_source == 0:
            info["speech"] = "no speech detected"
        return StageResult(
            data={
                "segments": n_source,
                "translations": len(translations),
                "language": language,
                "model": model_ref.name,
                "device": device,
                "compute_type": compute,
            },
            text_units=units,
            item_info=info,
        )

    def _choose(
        self,
        choice: str,
        forced: str | None,
        audio: Any,
        device: str,
        compute: str,
        threads: int,
    ) -> tuple[ModelRef, Any, str | None, float | None]:
        """Pick the model: "auto" detects the language with the multilingual base, then uses
        tiny.en for English speech. A named model detects the language itself while it
        transcribes (no separate pass): the language is None here."""
        if choice != "auto":
            ref = resolve(choice)
            model = load_model(ref, device, compute, threads)
            if forced or not model.model.is_multilingual:
                return ref, model, forced or "en", None
            return ref, model, None, None
        if forced is not None:
            ref = resolve("tiny.en" if forced == "en" else "base")
            return ref, load_model(ref, device, compute, threads), forced, None
        ref = resolve("base")
        model = load_model(ref, device, compute, threads)
        lang, p = _detect(model, audio)
        if lang == "en":
            ref = resolve("tiny.en")
            model = load_model(ref, device, compute, threads)
        return ref, model, lang, p

    @staticmethod
    def _transcribe(
        model: Any, audio: Any, device: str, kw: dict[str, Any], task: str = "transcribe"
    ) -> Any:
        if device == "cuda":
            from faster_whisper import BatchedInferencePipeline

            return BatchedInferencePipeline(model=model).transcribe(
                audio, task=task, batch_size=16, **kw
            )
        return model.transcribe(audio, task=task, **kw)


def _t(seconds: float) -> float:
    return round(float(seconds), 2)


def _segment_language(text: str, item_language: str | None) -> tuple[str | None, float | None]:
    """A segment is in the item's spoken language unless its text clearly says otherwise.

    Text-based identification of a short segment is weak, so it only overrides Whisper's
    detection when it is near-certain among the languages in play (a switch to English or
    Arabic in a French testimony, say)."""
    from sijill.pipeline.langid import detect_among

    candidates = {"en", "fr", "ar"} | ({item_language} if item_language else set())
    best, conf = detect_among(text, candidates)
    letters = sum(ch.isalpha() for ch in text)
    if best is None or item_language is None:
        return best or item_language, conf
    if best != item_language and (conf or 0) >= 0.99 and letters >= 30:
        return best, conf
    return item_language, None


def _speech_only(audio: Any, limit_s: float = 30.0) -> Any:
    """Up to `limit_s` seconds of the speech in `audio` (Silero VAD), or None if none."""
    import numpy as np
    from faster_whisper.vad import get_speech_timestamps

    # A minute at a time, stopping once enough speech is found: a 20-minute window that
    # opens with speech costs one minute of VAD here, not twenty.
    parts, total, step = [], 0, 60 * SR
    for start in range(0, len(audio), step):
        chunk = audio[start : start + step]
        for ts in get_speech_timestamps(chunk):
            piece = chunk[ts["start"] : ts["end"]]
            parts.append(piece)
            total += len(piece)
        if total >= limit_s * SR:
            break
    return np.concatenate(parts) if parts else None


def _detect(model: Any, audio: Any) -> tuple[str | None, float | None]:
    """Language of the first 30 s of speech, with its probability."""
    try:
        lang, p, _all = model.detect_language(audio)
    except (RuntimeError, ValueError, IndexError):
        return None, None
    return str(lang), round(float(p), 3)


def _segment_info(seg: Any, offset: float) -> dict[str, Any]:
    info: dict[str, Any] = {
        "avg_logprob": round(float(seg.avg_logprob), 3),
        "no_speech_prob": round(float(seg.no_speech_prob), 3),
    }
    if seg.words:
        info["words"] = [
            [
                round(float(offset + w.start), 2),
                round(float(offset + w.end), 2),
                w.word,
                round(float(w.probability), 3),
            ]
            for w in seg.words
        ]
    return info
