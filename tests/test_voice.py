"""Voice protection with real tools: espeak-ng speaks, faster-whisper (tiny.en) listens.

The "testimony" is itself espeak-ng, in a different voice (Scottish English, male variant, high
pitch, slow) from the one revoice uses, so that what the output contains can be told apart.
"""

from __future__ import annotations

import re
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sijill.errors import ConfigError, StageError, ToolMissing
from sijill.pipeline.whisper_models import tiny_en
from sijill.protect import voice
from sijill.protect.voice import Segment, mcadams, read_audio, revoice, write_wav

RATE = voice.VOICE_RATE
SENTENCES = ("My name is Abu Rayyan.", "I saw the soldiers take my brother at the checkpoint.")
PSEUDONYM = ("Abu Rayyan", "Witness A")


@dataclass(frozen=True)
class Recording:
    path: Path
    samples: np.ndarray  # at RATE
    duration: float
    placed: list[tuple[float, float]]  # where each sentence really is, seconds


def _espeak_wav(path: Path, text: str, *args: str) -> np.ndarray:
    subprocess.run(["espeak-ng", *args, "-w", str(path), text], check=True, capture_output=True)
    with wave.open(str(path), "rb") as w:
        assert w.getframerate() == RATE
        return np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768


@pytest.fixture(scope="module")
def testimony(tmp_path_factory: pytest.TempPathFactory) -> Recording:
    d = tmp_path_factory.mktemp("testimony")
    parts: list[np.ndarray] = [np.zeros(int(0.5 * RATE), np.float32)]
    placed = []
    at = 0.5
    for k, text in enumerate(SENTENCES):
        s = _espeak_wav(
            d / f"part{k}.wav", text, "-v", "en-gb-scotland+m3", "-p", "70", "-s", "140"
        )
        placed.append((at, at + s.size / RATE))
        parts += [s, np.zeros(int(1.5 * RATE), np.float32)]
        at += (s.size + int(1.5 * RATE)) / RATE
    samples = np.concatenate(parts)
    path = d / "testimony.wav"
    write_wav(path, samples, RATE)
    return Recording(path, samples, samples.size / RATE, placed)


@pytest.fixture(scope="module")
def whisper() -> Any:
    import faster_whisper

    ref = tiny_en()
    return faster_whisper.WhisperModel(
        str(ref.path), device="cpu", compute_type="int8", cpu_threads=1
    )


def _transcribe(model: Any, path: Path) -> list[Any]:
    segs, _ = model.transcribe(str(path), language="en", beam_size=1)
    return list(segs)


def _wav(path: Path) -> tuple[np.ndarray, wave._wave_params]:
    with wave.open(str(path), "rb") as w:
        params = w.getparams()
        data = w.readframes(w.getnframes())
    return np.frombuffer(data, "<i2").astype(np.float32) / 32768, params


def _onset(samples: np.ndarray, start: float, end: float, rate: int = RATE) -> float | None:
    """First 10 ms frame in [start, end) whose RMS is above -34 dBFS, in seconds."""
    hop = rate // 100
    for i in range(int(start * rate), int(end * rate) - hop, hop):
        if np.sqrt(np.mean(samples[i : i + hop] ** 2)) > 0.02:
            return i / rate
    return None


def test_revoice_speaks_the_redacted_transcript_each_segment_in_its_slot(
    testimony: Recording, whisper: Any, tmp_path: Path
) -> None:
    heard = _transcribe(whisper, testimony.path)
    assert len(heard) == 2, [s.text for s in heard]
    # tiny.en mishears the name in the original; a reviewer corrects the text, then the name
    # is replaced by its pseudonym. Whisper's timings are kept.
    original_name = re.sub(r"[^a-z]", "", heard[0].text.lower().split("is", 1)[1])
    segments = [
        Segment(s.start, s.end, text.replace(*PSEUDONYM), "en")
        for s, text in zip(heard, SENTENCES, strict=True)
    ]
    out = tmp_path / "voice.wav"
    report = revoice(segments, testimony.duration, out)

    samples, params = _wav(out)
    assert (params.nchannels, params.sampwidth, params.framerate) == (1, 2, RATE)
    assert params.nframes == round(testimony.duration * RATE)
    assert report["duration"] == pytest.approx(testimony.duration, abs=1 / RATE)
    assert report["segments"] == 2 and report["sped_up"] == 0 and report["truncated"] == 0
    assert report["voice"]["engine"] == "espeak-ng" and report["voice"]["voices"] == {"en": "en-us"}

    said = [s.text.lower() for s in _transcribe(whisper, out)]
    text = " ".join(said)
    assert re.search(r"\bwit", said[0]), said  # "Witness A" (tiny.en hears "Wittes-A")
    assert "soldiers" in text and "checkpoint" in text, said
    for gone in ("rayyan", "rayan", "abu", original_name):
        assert gone not in re.sub(r"[^a-z ]", "", text), (gone, said)

    bounds = [s.start for s in segments] + [testimony.duration]
    assert _onset(samples, 0.0, bounds[0]) is None  # nothing before the first segment
    for k, seg in enumerate(segments):
        onset = _onset(samples, seg.start, bounds[k + 1])
        assert onset is not None and onset - seg.start < 0.5, (k, seg.start, onset)


def _best_ncc(haystack: np.ndarray, needle: np.ndarray) -> float:
    """Highest normalised cross-correlation of `needle` anywhere in `haystack` (1: contained)."""
    size = haystack.size + needle.size
    full = np.fft.irfft(np.fft.rfft(haystack, size) * np.fft.rfft(needle[::-1], size), size)
    num = full[needle.size - 1 : haystack.size]
    power = np.concatenate(([0.0], np.cumsum(haystack.astype(np.float64) ** 2)))
    energy = power[needle.size :] - power[: -needle.size]
    den = np.linalg.norm(needle) * np.sqrt(np.maximum(energy, 1e-12))
    return float(np.max(np.abs(num) / den))


def test_revoiced_audio_does_not_contain_the_original_voice(
    testimony: Recording, tmp_path: Path
) -> None:
    start, _ = testimony.placed[1]
    chunk = testimony.samples[int(start * RATE) : int((start + 1.0) * RATE)]
    segments = [
        Segment(a, b, text.replace(*PSEUDONYM), "en")
        for (a, b), text in zip(testimony.placed, SENTENCES, strict=True)
    ]
    out = tmp_path / "voice.wav"
    revoice(segments, testimony.duration, out)
    samples, _ = _wav(out)

    # The measure finds the original mixed in at half level under the new voice (about 0.56
    # here)...
    assert _best_ncc(samples + 0.5 * testimony.samples, chunk) > 0.45
    # ...and nothing of it in what revoice made (about 0.16: chance similarity of speech).
    assert _best_ncc(samples, chunk) < 0.25


def test_a_segment_too_long_for_its_slot_is_sped_up_and_never_overlaps_the_next(
    tmp_path: Path,
) -> None:
    long_text = "Witness A saw three trucks leave the checkpoint before the soldiers came back."
    # It fits in 2.5 s once faster: sped up, not cut; the (silent) next segment bounds it.
    out = tmp_path / "fast.wav"
    report = revoice([Segment(0.0, 1.0, long_text), Segment(2.5, 3.0, "")], 4.0, out)
    samples, _ = _wav(out)
    assert report["sped_up"] == 1 and report["truncated"] == 0, report
    change = report["changes"][0]
    assert voice.BASE_WPM < change["wpm"] <= voice.MAX_WPM and change["cut_s"] == 0
    assert not np.any(samples[int(2.5 * RATE) :])
    assert np.max(np.abs(samples[: int(2.5 * RATE)])) > 0.1

    # Far too long even at the top rate: cut at the next start with a fade, and reported;
    # the next segment still starts on time.
    out = tmp_path / "cut.wav"
    report = revoice(
        [Segment(0.0, 0.8, long_text * 2), Segment(1.5, 2.5, "Witness A"), Segment(3.0, 3.2, "")],
        4.0,
        out,
    )
    samples, _ = _wav(out)
    assert report["sped_up"] == 1 and report["truncated"] == 1, report
    assert report["changes"][0]["wpm"] == voice.MAX_WPM and report["changes"][0]["cut_s"] > 0
    edge = int(1.5 * RATE)
    assert np.max(np.abs(samples[edge - RATE // 500 : edge])) < 0.02  # faded out
    onset = _onset(samples, 1.5, 3.0)
    assert onset is not None and onset - 1.5 < 0.5
    assert not np.any(samples[int(3.0 * RATE) :])


def test_french_and_arabic_segments_are_spoken_in_their_own_voice(tmp_path: Path) -> None:
    segments = [
        Segment(0.0, 2.5, "Le témoin A a vu les soldats au poste de contrôle.", "fr"),
        Segment(3.0, 5.5, "رأى الشاهد أ الجنود عند الحاجز", "ar"),
        Segment(6.0, 7.0, "Witness A", "ku"),  # no Kurdish voice: English, and reported
    ]
    out = tmp_path / "voice.wav"
    report = revoice(segments, 8.0, out)
    samples, _ = _wav(out)
    assert report["voice"]["voices"] == {"ar": "ar", "en": "en-us", "fr": "fr"}
    assert report["voice"]["unknown_language_read_as_en"] == 1
    for a, b in ((0.0, 3.0), (3.0, 6.0), (6.0, 8.0)):
        part = samples[int(a * RATE) : int(b * RATE)]
        assert np.sqrt(np.mean(part**2)) > 0.01, (a, b)


def test_revoice_refuses_what_it_cannot_place(tmp_path: Path) -> None:
    with pytest.raises(StageError, match="after the end"):
        revoice([Segment(5.0, 6.0, "Witness A")], 4.0, tmp_path / "a.wav")
    with pytest.raises(StageError):
        revoice([Segment(0.0, 1.0, "Witness A")], 0.0, tmp_path / "b.wav")


def test_missing_espeak_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH without espeak-ng
    with pytest.raises(ToolMissing, match="espeak-ng"):
        revoice([Segment(0.0, 1.0, "Witness A")], 2.0, tmp_path / "a.wav")


def _f0(x: np.ndarray, rate: int = 16000) -> float:
    """Median autocorrelation pitch (60-400 Hz) of the clearly voiced 40 ms frames."""
    n = int(0.04 * rate)
    found = []
    for i in range(0, x.size - n, n // 2):
        f = x[i : i + n] - np.mean(x[i : i + n])
        if np.sqrt(np.mean(f**2)) < 0.02:
            continue
        ac = np.correlate(f, f, "full")[n - 1 :]
        lo, hi = rate // 400, rate // 60
        lag = lo + int(np.argmax(ac[lo:hi]))
        if ac[lag] > 0.4 * ac[0]:
            found.append(rate / lag)
    return float(np.median(found))


def _f1(x: np.ndarray, rate: int = 16000) -> float:
    """Median first formant: the lowest sharp LPC resonance above 200 Hz of voiced frames."""
    n = int(0.025 * rate)
    found = []
    for i in range(0, x.size - n, n // 2):
        f = x[i : i + n] * np.hanning(n)
        if np.sqrt(np.mean(f**2)) < 0.02:
            continue
        r = np.correlate(f, f, "full")[n - 1 : n + 12]
        toeplitz = r[np.abs(np.subtract.outer(np.arange(12), np.arange(12)))]
        a = np.concatenate(([1.0], np.linalg.solve(toeplitz, -r[1:13])))
        poles = np.roots(a)
        poles = poles[(np.imag(poles) > 0) & (np.abs(poles) > 0.85)]
        freqs = np.sort(np.angle(poles)) * rate / (2 * np.pi)
        freqs = freqs[freqs > 200]
        if freqs.size:
            found.append(freqs[0])
    return float(np.median(found))


def test_mcadams_moves_formants_keeps_pitch_and_warns(testimony: Recording, tmp_path: Path) -> None:
    out = tmp_path / "mcadams.wav"
    report = mcadams(testimony.path, out, alpha=0.8)
    assert "weak" in report["warning"] and "adversary" in report["warning"]
    assert "weak" in (mcadams.__doc__ or "").lower()

    x, rate = read_audio(testimony.path)
    y, rate_y = read_audio(out)
    assert rate == rate_y == 16000 and x.size == y.size
    assert not np.array_equal(x, y)
    assert abs(float(np.corrcoef(x, y)[0, 1])) < 0.5
    # Formants move (alpha < 1 lifts the low ones: F1 up by a fifth or more)...
    assert _f1(y) > 1.15 * _f1(x), (_f1(x), _f1(y))
    # ...but the pitch stays: this is not a pitch shift, which the same measure would catch.
    assert _f0(y) == pytest.approx(_f0(x), rel=0.1)
    # Played 25% faster: a plain pitch shift up.
    shifted = np.interp(np.arange(0, x.size - 1, 1.25), np.arange(x.size), x)
    assert _f0(shifted) > 1.15 * _f0(x)


def test_mcadams_refuses_an_alpha_that_changes_nothing(
    testimony: Recording, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError):
        mcadams(testimony.path, tmp_path / "a.wav", alpha=1.0)


def test_write_wav_and_read_audio_round_trip(tmp_path: Path) -> None:
    t = np.arange(RATE) / RATE
    tone = 0.5 * np.sin(2 * np.pi * 440 * t)
    path = tmp_path / "tone.wav"
    write_wav(path, np.concatenate([tone, [3.0, -3.0]]), RATE)  # out-of-range samples clip
    raw, params = _wav(path)
    assert params.nframes == RATE + 2 and raw[-2] == pytest.approx(1.0, abs=1e-4)
    assert raw[-1] == pytest.approx(-1.0, abs=1e-4)
    samples, rate = read_audio(path)
    assert rate == 16000 and abs(samples.size - 16000) <= 2 and samples.dtype == np.float32
    spectrum = np.abs(np.fft.rfft(samples[:16000]))
    assert abs(int(np.argmax(spectrum)) - 440) <= 2
    with pytest.raises(ConfigError):
        write_wav(tmp_path / "stereo.wav", np.zeros((2, 10)), RATE)


def test_read_audio_only_opens_a_recording(tmp_path: Path) -> None:
    tone = tmp_path / "tone.wav"
    write_wav(tone, np.zeros(1600), 16000)
    listing = tmp_path / "list.ffconcat"  # a concat script naming another file: never followed
    listing.write_text(f"ffconcat version 1.0\nfile '{tone}'\n")
    with pytest.raises(StageError):
        read_audio(listing)
    text = tmp_path / "notes.txt"
    text.write_text("not audio at all\n")
    with pytest.raises(StageError):
        read_audio(text)
