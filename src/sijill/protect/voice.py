"""The voice of a publication copy: the reviewed transcript re-spoken by a synthetic voice.

A recognisable voice can identify a witness as surely as a face. `revoice` therefore keeps
nothing of the original sound: it never reads the recording at all, only the redacted,
reviewed transcript, which espeak-ng speaks segment by segment, each at its own start time, in
a WAV as long as the original. What remains of the witness is the words and their timing.

`mcadams` is the weak alternative, for a team that has explicitly accepted its risk: it keeps
the original's excitation (pitch, rhythm, breath, accent) and only moves the formants with the
McAdams coefficient. A determined adversary may undo or recognise it. Plain pitch shifting is
never offered: it is reversible by shifting back.

`read_audio` and `write_wav` are the decode and encode ends the orchestrator shares: ffmpeg
opens the input confined to a plain file and a recording's demuxer, and the WAV writer is the
standard library's, which writes nothing but the format and the samples.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import tempfile
import wave
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sijill.errors import ConfigError, StageError, ToolMissing
from sijill.pipeline.threads import worker_threads
from sijill.tools import run_tool
from sijill.tools.ffmpeg import input_args

READ_RATE = 16000  # what read_audio decodes to, and what mcadams works and writes at
VOICE_RATE = 22050  # espeak-ng's own output rate: no resampling of the synthetic voice

# espeak-ng voice per language. One fixed voice each: the output must not vary with
# anything about the witness.
VOICES = {"en": "en-us", "fr": "fr", "ar": "ar"}
_LANG_ALIASES = {"eng": "en", "fra": "fr", "fre": "fr", "ara": "ar"}
DEFAULT_LANG = "en"

BASE_WPM = 175  # espeak-ng's default rate
MAX_WPM = 320  # faster stops being understood, and Whisper stops hearing it
_RATE_TRIES = 4
FADE_S = 0.02  # fade-out where a segment is cut at the next one's start
_SILENCE = 1e-3  # |sample| below this counts as espeak's leading/trailing silence
_KEEP_S = 0.03  # silence kept on each side of trimmed speech, so consonants are not clipped
_TIMEOUT_S = 120.0

MCADAMS_WARNING = (
    "McAdams anonymisation is weak: it keeps the speaker's pitch, rhythm, accent and breathing "
    "and only moves the formants, so a determined adversary may undo it or recognise the "
    "speaker. Use it only where the team has explicitly accepted that risk; re-voicing "
    "(revoice) is the protection."
)
_LPC_ORDER = 20
_WIN_S = 0.025
_MAX_RADIUS = 0.998  # 0.998**_FFT_LEN < 1e-7: no wrap-around of the all-pole response
_FFT_LEN = 8192
_BATCH = 512  # frames per vectorised step: bounded memory on an hour-long recording
_FFMPEG_QUIET = ["-nostdin", "-hide_banner", "-loglevel", "error"]


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str  # already redacted
    lang: str | None = None  # en / fr / ar ...


# ---------------------------------------------------------------------------------------------
# Audio in and out


def _ffmpeg() -> str:
    exe = shutil.which("ffmpeg")
    if exe is None:
        raise ToolMissing("ffmpeg is not installed (Debian package ffmpeg)")
    return exe


def read_audio(path: Path) -> tuple[np.ndarray, int]:
    """The first audio stream of `path` as mono 16 kHz float32 samples in [-1, 1], and 16000.

    ffmpeg opens the file confined like any original (media_input): only this plain file, only
    a recording's demuxer, so a playlist inside it can never pull in another file.
    """
    cmd = [_ffmpeg(), *_FFMPEG_QUIET, *input_args(Path(path))]
    cmd += ["-map", "0:a:0", "-vn", "-sn", "-dn", "-ac", "1", "-ar", str(READ_RATE)]
    cmd += ["-f", "f32le", "-"]
    try:
        proc = run_tool(cmd, capture_output=True, timeout=3600, check=False)
    except subprocess.TimeoutExpired as exc:
        raise StageError(f"ffmpeg took too long decoding the audio of {path.name}") from exc
    if proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        why = lines[-1] if lines else f"ffmpeg exit code {proc.returncode}"
        raise StageError(f"could not decode the audio of {path.name}: {why}")
    usable = len(proc.stdout) - len(proc.stdout) % 4
    samples = np.frombuffer(proc.stdout[:usable], dtype="<f4").astype(np.float32)
    if samples.size == 0:
        raise StageError(f"{path.name} has no audio samples")
    return samples, READ_RATE


def write_wav(path: Path, samples: np.ndarray, rate: int) -> None:
    """A mono 16-bit PCM WAV: float samples in [-1, 1] (clipped) or int16 as they are.

    The stdlib writer emits the RIFF header, the format and the data chunk, nothing else: no
    LIST/INFO tags an exiftool check would have to clear.
    """
    arr = np.asarray(samples)
    if arr.ndim != 1:
        raise ConfigError(f"write_wav takes mono samples (1-D), not shape {arr.shape}")
    if arr.dtype == np.int16:
        pcm = arr
    else:
        scaled = np.clip(np.nan_to_num(arr.astype(np.float64)), -1.0, 1.0) * 32767.0
        pcm = np.round(scaled).astype(np.int16)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(int(rate))
        w.writeframes(pcm.astype("<i2").tobytes())


def _read_wav(path: Path) -> tuple[np.ndarray, int]:
    """An espeak-ng WAV (ours, not evidence) as float samples."""
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2 or w.getnchannels() != 1:
            raise StageError("espeak-ng wrote an unexpected WAV format")
        rate = w.getframerate()
        data = w.readframes(w.getnframes())
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0, rate


# ---------------------------------------------------------------------------------------------
# Re-voicing


def _espeak() -> str:
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise ToolMissing(
            "espeak-ng is not installed (Debian package espeak-ng); it is needed to re-voice "
            "a recording"
        )
    return exe


def _espeak_version(exe: str) -> str:
    out = run_tool([exe, "--version"], capture_output=True, text=True, timeout=30)
    # "eSpeak NG text-to-speech: 1.51  Data at: ..." — only the number, not local paths.
    m = re.search(r"text-to-speech:\s*(\S+)", out.stdout)
    return m.group(1) if m else "unknown"


def voice_lang(lang: str | None) -> tuple[str, bool]:
    """The language a segment is spoken in (en, fr, ar), and whether `lang` was one we have."""
    if not lang:
        return DEFAULT_LANG, True
    code = re.split(r"[-_]", lang.strip().lower(), maxsplit=1)[0]
    code = _LANG_ALIASES.get(code, code)
    if code in VOICES:
        return code, True
    return DEFAULT_LANG, False


def _clean_text(text: str) -> str:
    # Control characters would end up as noises; "[[" switches espeak-ng to raw phoneme input.
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    return re.sub(r"\[\s*\[", "[ [", text).strip()


def _trim(samples: np.ndarray, rate: int) -> np.ndarray:
    """espeak-ng's speech without most of its leading and trailing silence."""
    loud = np.flatnonzero(np.abs(samples) > _SILENCE)
    if loud.size == 0:
        return samples[:0]
    keep = int(_KEEP_S * rate)
    return samples[max(0, int(loud[0]) - keep) : int(loud[-1]) + 1 + keep]


@dataclass
class _Spoken:
    samples: np.ndarray
    wpm: int


def _synthesise(exe: str, voice: str, text: str, room: int, workdir: Path, n: int) -> _Spoken:
    """`text` spoken by `voice`, at the default rate if it fits in `room` samples, else faster
    (espeak-ng's own rate, so the voice keeps its pitch) up to MAX_WPM."""
    wav = workdir / f"seg{n}.wav"
    wpm = BASE_WPM
    spoken = np.zeros(0, dtype=np.float32)
    for _ in range(_RATE_TRIES):
        cmd = [exe, "-v", voice, "-s", str(wpm), "-b", "1", "-w", str(wav), "--stdin"]
        try:
            proc = run_tool(
                cmd, input=text.encode("utf-8"), capture_output=True, timeout=_TIMEOUT_S
            )
        except subprocess.TimeoutExpired as exc:
            raise StageError(f"espeak-ng took too long on segment {n}") from exc
        if proc.returncode != 0:
            why = proc.stderr.decode("utf-8", "replace").strip() or f"exit code {proc.returncode}"
            raise StageError(f"espeak-ng failed on segment {n}: {why}")
        raw, rate = _read_wav(wav)
        if rate != VOICE_RATE:
            # Not espeak-ng 1.5x's rate: linear resampling is enough for a synthetic voice.
            grid = np.arange(round(raw.size * VOICE_RATE / rate)) * (rate / VOICE_RATE)
            raw = np.interp(grid, np.arange(raw.size), raw).astype(np.float32)
        spoken = _trim(raw, VOICE_RATE)
        if spoken.size <= room or wpm >= MAX_WPM:
            break
        # Speech time is not exactly inverse to the rate (pauses shrink less), so aim a little
        # faster than the ratio says and try again.
        wpm = min(MAX_WPM, math.ceil(wpm * spoken.size / max(room, 1) * 1.05))
    return _Spoken(spoken, wpm)


def revoice(segments: Sequence[Segment], duration: float, dst: Path) -> dict[str, Any]:
    """Write to `dst` a WAV (22.05 kHz mono 16-bit) of exactly `duration` seconds in which each
    segment's (already redacted, reviewed) text is spoken by espeak-ng from its start time.

    A segment may use its own time and the silence after it, up to the next segment's start.
    Speech too long for that is re-synthesised faster, up to MAX_WPM; what still does not fit
    is cut at the next start with a short fade, and the report says so (`truncated`,
    `changes`). Segments never overlap. The original recording is never read.
    """
    if not (math.isfinite(duration) and duration > 0):
        raise StageError(f"cannot re-voice into a recording of {duration!r} seconds")
    exe = _espeak()
    total = int(round(duration * VOICE_RATE))
    order = sorted(range(len(segments)), key=lambda i: segments[i].start)
    for i in order:
        s = segments[i]
        if not (math.isfinite(s.start) and math.isfinite(s.end)) or s.start < 0:
            raise StageError(f"segment {i} has an invalid time ({s.start!r} to {s.end!r})")
        if s.start >= duration:
            raise StageError(
                f"segment {i} starts at {s.start:.2f} s, after the end of the recording "
                f"({duration:.2f} s): the transcript does not belong to this recording"
            )

    # Each segment's room: from its start to the next start (or the end of the recording).
    jobs: list[tuple[int, str, str, int, int]] = []  # index, voice, text, offset, room
    langs: dict[str, int] = {}
    fallback = 0
    for pos, i in enumerate(order):
        s = segments[i]
        offset = int(round(s.start * VOICE_RATE))
        nxt = segments[order[pos + 1]].start if pos + 1 < len(order) else duration
        room = max(0, min(int(round(nxt * VOICE_RATE)), total) - offset)
        text = _clean_text(s.text)
        if not text:
            continue
        lang, known = voice_lang(s.lang)
        fallback += not known
        langs[lang] = langs.get(lang, 0) + 1
        jobs.append((i, VOICES[lang], text, offset, room))

    out = np.zeros(total, dtype=np.float32)
    changes: list[dict[str, Any]] = []
    sped_up = truncated = 0
    # Scratch WAVs next to the output: inside the caller's work area, not a shared /tmp.
    with tempfile.TemporaryDirectory(prefix=".voice-", dir=Path(dst).parent) as tmp:
        workers = max(1, min(4, worker_threads(), len(jobs)))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [
                pool.submit(_synthesise, exe, voice, text, room, Path(tmp), i)
                for i, voice, text, _, room in jobs
            ]
            results = [f.result() for f in futures]
    for (i, _, _, offset, room), spoken in zip(jobs, results, strict=True):
        samples = spoken.samples
        cut = max(0, samples.size - room)
        if cut:
            samples = samples[:room].copy()
            fade = min(int(FADE_S * VOICE_RATE), samples.size)
            if fade:
                samples[-fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
        out[offset : offset + samples.size] += samples
        if spoken.wpm != BASE_WPM or cut:
            sped_up += spoken.wpm != BASE_WPM
            truncated += bool(cut)
            changes.append(
                {
                    "segment": i,
                    "start": round(segments[i].start, 3),
                    "wpm": spoken.wpm,
                    "cut_s": round(cut / VOICE_RATE, 3),
                }
            )
    write_wav(dst, out, VOICE_RATE)
    return {
        "mode": "revoice",
        "segments": len(segments),
        "spoken": len(jobs),
        "sped_up": sped_up,
        "truncated": truncated,
        "changes": changes,
        "voice": {
            "engine": "espeak-ng",
            "version": _espeak_version(exe),
            "voices": {lang: VOICES[lang] for lang in sorted(langs)},
            "segments_per_language": dict(sorted(langs.items())),
            "unknown_language_read_as_en": fallback,
            "base_wpm": BASE_WPM,
            "max_wpm": MAX_WPM,
        },
        "sample_rate": VOICE_RATE,
        "duration": total / VOICE_RATE,
    }


# ---------------------------------------------------------------------------------------------
# McAdams (weak)


def _levinson(r: np.ndarray, order: int) -> np.ndarray:
    """LPC polynomials [1, a1..ap] from autocorrelations `r` (frames x order+1), all frames
    at once (Levinson-Durbin; stable by construction for autocorrelation input)."""
    a = np.zeros((r.shape[0], order + 1))
    a[:, 0] = 1.0
    err = r[:, 0].copy()
    for i in range(1, order + 1):
        acc = r[:, i] + np.sum(a[:, 1:i] * r[:, i - 1 : 0 : -1], axis=1)
        k = np.clip(-acc / err, -0.9999, 0.9999)
        a[:, 1:i] = a[:, 1:i] + k[:, None] * a[:, i - 1 : 0 : -1]
        a[:, i] = k
        err = err * (1.0 - k * k)
    return a


def _mcadams_polys(a: np.ndarray, alpha: float) -> np.ndarray:
    """Each LPC polynomial with its complex poles' angles φ moved to φ**alpha (radius kept,
    real poles unchanged), all frames at once."""
    frames, p1 = a.shape
    companion = np.zeros((frames, p1 - 1, p1 - 1))
    companion[:, 0, :] = -a[:, 1:]
    companion[:, np.arange(1, p1 - 1), np.arange(p1 - 2)] = 1.0
    poles = np.linalg.eigvals(companion)
    # Radius capped so that the response dies out well inside the FFT length (_FFT_LEN).
    radius = np.minimum(np.abs(poles), _MAX_RADIUS)
    angle = np.angle(poles)
    complex_pole = np.abs(np.imag(poles)) > 1e-12
    moved = np.sign(angle) * np.clip(np.abs(angle) ** alpha, 0.0, np.pi)
    poles = radius * np.exp(1j * np.where(complex_pole, moved, angle))
    poly = np.zeros((frames, p1), dtype=complex)
    poly[:, 0] = 1.0
    for j in range(p1 - 1):  # multiply out prod(1 - pole z^-1)
        poly[:, 1:] = poly[:, 1:] - poles[:, j : j + 1] * poly[:, :-1]
    # Conjugate pairs stay pairs, so the polynomial is real up to rounding.
    return np.real(poly)


def mcadams(src: Path, dst: Path, *, alpha: float = 0.8) -> dict[str, Any]:
    """WEAK voice anonymisation: the McAdams-coefficient transform of `src` written to `dst`
    (16 kHz mono 16-bit WAV, as long as the decoded input).

    Per 25 ms Hann frame (50% overlap): LPC analysis, the residual by inverse filtering, and
    re-synthesis through the LPC filter whose complex poles' angles φ are raised to φ**alpha
    (formants move; pitch, timing and the residual stay). This is weak: a determined adversary
    may undo it or recognise the speaker. Use it only where a team has explicitly accepted
    that; `revoice` is the protection. The report carries that warning.
    """
    if not (math.isfinite(alpha) and 0.5 <= alpha <= 1.5) or abs(alpha - 1.0) < 0.05:
        raise ConfigError(
            f"McAdams alpha {alpha!r}: use a value from 0.5 to 1.5 away from 1 (1 changes nothing)"
        )
    x, rate = read_audio(src)
    n = x.size
    win_len = int(_WIN_S * rate)
    hop = win_len // 2
    # sqrt of a periodic Hann on analysis and synthesis: the product overlap-adds to one.
    win = np.sqrt(0.5 - 0.5 * np.cos(2 * np.pi * np.arange(win_len) / win_len))
    pad = np.concatenate([np.zeros(win_len), x.astype(np.float64), np.zeros(win_len + hop)])
    starts = np.arange(0, pad.size - win_len + 1, hop)
    y = np.zeros(pad.size)
    processed = 0
    for b in range(0, starts.size, _BATCH):
        at = starts[b : b + _BATCH]
        frames = pad[at[:, None] + np.arange(win_len)] * win
        spec = np.fft.rfft(frames, 2 * win_len, axis=1)
        r = np.fft.irfft(spec * np.conj(spec), axis=1)[:, : _LPC_ORDER + 1]
        voiced = r[:, 0] > 1e-10  # silent frames stay silent
        if not voiced.any():
            continue
        r = r[voiced]
        r[:, 0] *= 1.0 + 1e-6  # a little white noise keeps the recursion well-conditioned
        a = _levinson(r, _LPC_ORDER)
        # Residual A(z)·frame, then the new all-pole filter 1/A'(z), both as spectra: the FIR
        # part is exact, and the all-pole response has died out long before _FFT_LEN, so the
        # first win_len samples equal lfilter's (zero initial state, cut to the frame).
        gain = np.fft.rfft(a, _FFT_LEN, axis=1) / np.fft.rfft(
            _mcadams_polys(a, alpha), _FFT_LEN, axis=1
        )
        out = np.fft.irfft(np.fft.rfft(frames[voiced], _FFT_LEN, axis=1) * gain, _FFT_LEN)
        out = out[:, :win_len] * win
        for s0, frame in zip(at[voiced], out, strict=True):
            y[s0 : s0 + win_len] += frame
        processed += int(voiced.sum())
    y = y[win_len : win_len + n]
    # Same peak level as the input, never clipping.
    peak_in = float(np.max(np.abs(x)))
    peak_out = float(np.max(np.abs(y)))
    if peak_out > 0:
        y *= min(peak_in, 0.99) / peak_out
    write_wav(dst, y, rate)
    return {
        "mode": "mcadams",
        "alpha": alpha,
        "lpc_order": _LPC_ORDER,
        "frames": processed,
        "sample_rate": rate,
        "duration": n / rate,
        "warning": MCADAMS_WARNING,
    }
