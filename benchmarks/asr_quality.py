"""Benchmark: word error rate of each Whisper model on real speech in English and French, and
speed against raw faster-whisper with the same model and settings, in the same run.

Real recorded speech with reference texts, from Debian packages (none of it was used to tune):

  en  pocketsphinx-testdata: five LibriVox read sentences (16 kHz), and the English
      Asterisk prompts (asterisk-core-sounds-en-wav, one speaker, 8 kHz telephone audio)
      with their texts (core-sounds-en.txt);
  fr  the Canadian French Asterisk prompts (asterisk-core-sounds-fr-wav, one speaker, 8 kHz)
      with their texts (core-sounds-fr.txt).

Prompts of at least --min-words words are taken, in name order, at most --clips per language.
For each model and language:

  raw     one Python process: faster-whisper loads the model and transcribes every clip with
          the stage's settings (beam, VAD, word timestamps; the language given);
  sijill  a new archive: `sijill ingest`, the case set to that model and language,
          `sijill run --workers 1`; the text is read back with `sijill transcript --format json`.

WER is over all clips of a language (jiwer), after lower-casing, dropping punctuation and
writing the numbers 0-20 as words on both sides. Usage:

    sudo apt-get install pocketsphinx-testdata asterisk-core-sounds-en-wav \\
        asterisk-core-sounds-fr-wav
    .venv/bin/python benchmarks/asr_quality.py [--clips 40] [--models tiny.en,base]
        [--model-dir DIR ...]   (a CTranslate2 Whisper model you have, e.g. small)
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")
PROMPTS = {
    "en": (
        Path("/usr/share/asterisk/sounds/en_US_f_Allison"),
        Path("/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz"),
    ),
    "fr": (
        Path("/usr/share/asterisk/sounds/fr_CA_f_June"),
        Path("/usr/share/doc/asterisk-core-sounds-fr/core-sounds-fr.txt.gz"),
    ),
}
NUMBERS = {
    "en": "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen twenty",
    "fr": "zéro un deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze "
    "quinze seize dix-sept dix-huit dix-neuf vingt",
}

RAW = r"""
import json, sys, time
from faster_whisper import WhisperModel, decode_audio
path, threads = sys.argv[1], int(sys.argv[2])
clips, kw = json.loads(sys.argv[3]), json.loads(sys.argv[4])
model = WhisperModel(path, device="cpu", compute_type="int8", cpu_threads=threads,
                     local_files_only=True)
out = {}
for c in clips:
    segments, info = model.transcribe(decode_audio(c), **kw)
    out[c] = " ".join(s.text.strip() for s in segments)
print(json.dumps(out))
"""


def clips_for(lang: str, limit: int, min_words: int, work: Path) -> dict[Path, str]:
    """Clip path -> reference text. Each clip is copied under a unique name."""
    out: dict[Path, str] = {}
    folder = work / lang
    folder.mkdir()
    if lang == "en" and LIBRIVOX.is_dir():
        for line in (LIBRIVOX / "transcription").read_text().splitlines():
            m = re.match(r"<s>(.*)</s>\s*\((\S+)\)", line.strip())
            if m and (LIBRIVOX / f"{m.group(2)}.wav").is_file():
                dst = folder / f"librivox-{m.group(2)}.wav"
                shutil.copyfile(LIBRIVOX / f"{m.group(2)}.wav", dst)
                out[dst] = m.group(1).strip()
    sounds, texts = PROMPTS[lang]
    for line in gzip.open(texts, "rt", encoding="utf-8"):
        name, sep, text = line.partition(":")
        text = text.strip()
        if not sep or line.startswith(";") or "[" in text or "(" in text:
            continue
        wav = sounds / f"{name.strip()}.wav"
        if len(text.split()) < min_words or not wav.is_file():
            continue
        dst = folder / f"{name.strip().replace('/', '_')}.wav"
        shutil.copyfile(wav, dst)
        out[dst] = text
        if len(out) >= limit:
            break
    return out


def normalise(text: str, lang: str) -> str:
    text = unicodedata.normalize("NFC", text.lower()).replace("’", "'")
    words = NUMBERS[lang].split()
    text = re.sub(r"\b(\d{1,2})\b", lambda m: words[int(m.group())] if int(m.group()) <= 20
                  else m.group(), text)  # fmt: skip
    text = re.sub(r"[^\w'\- ]+", " ", text)
    return " ".join(text.replace("-", " ").split())


def wer(refs: list[str], hyps: list[str]) -> float:
    import jiwer

    return float(jiwer.wer(refs, hyps))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--clips", type=int, default=40, help="clips per language")
    ap.add_argument("--min-words", type=int, default=6)
    ap.add_argument("--models", default="tiny.en,base")
    ap.add_argument("--model-dir", action="append", default=[], help="another model directory")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--show", type=int, default=0, help="print this many worst clips")
    args = ap.parse_args()
    missing = [str(p) for s, t in PROMPTS.values() for p in (s, t) if not p.exists()]
    if missing:
        sys.exit(
            "real speech not installed (" + ", ".join(missing) + "); run: apt-get install "
            "pocketsphinx-testdata asterisk-core-sounds-en-wav asterisk-core-sounds-fr-wav"
        )

    from sijill.pipeline.stages.whisper_transcriber import WhisperTranscriber
    from sijill.pipeline.whisper_models import resolve

    d = WhisperTranscriber.defaults
    base_kw = {"beam_size": d["beam_size"], "vad_filter": d["vad"],
               "word_timestamps": d["word_timestamps"]}  # fmt: skip
    env = dict(os.environ, SIJILL_PASSPHRASE="benchmark", SIJILL_USER="bench")
    env.pop("OMP_THREAD_LIMIT", None)
    work = Path(tempfile.mkdtemp(prefix="sijill-bench-wer-"))
    try:
        sets = {lang: clips_for(lang, args.clips, args.min_words, work) for lang in ("en", "fr")}
        for lang, clips in sets.items():
            print(
                f"{lang}: {len(clips)} clips, {sum(len(t.split()) for t in clips.values())} words"
            )
        models = [(m, resolve(m).path) for m in args.models.split(",") if m]
        models += [(Path(p).name, Path(p)) for p in args.model_dir]
        print(f"\n{'model':10} {'lang':4} {'WER raw':>8} {'WER sijill':>10} "
              f"{'raw s':>7} {'sijill s':>8} {'ratio':>6}")  # fmt: skip
        for name, path in models:
            for lang, clips in sets.items():
                if name.endswith(".en") and lang != "en":
                    continue
                kw = dict(base_kw, language=lang)
                t = time.perf_counter()
                raw_out = subprocess.run(
                    [sys.executable, "-c", RAW, str(path), str(args.threads),
                     json.dumps([str(c) for c in clips]), json.dumps(kw)],
                    env=env, check=True, capture_output=True, text=True,
                ).stdout  # fmt: skip
                raw_s = time.perf_counter() - t
                raw_hyp = json.loads(raw_out)
                ours_hyp, ours_s = _sijill(work, name, path, lang, clips, env)
                refs = [normalise(clips[c], lang) for c in clips]
                w_raw = wer(refs, [normalise(raw_hyp[str(c)], lang) for c in clips])
                w_ours = wer(refs, [normalise(ours_hyp.get(c.name, ""), lang) for c in clips])
                print(f"{name:10} {lang:4} {w_raw:8.3f} {w_ours:10.3f} {raw_s:7.1f} "
                      f"{ours_s:8.1f} {ours_s / raw_s:6.2f}")  # fmt: skip
                if args.show:
                    worst = sorted(clips, key=lambda c: -wer([normalise(clips[c], lang)],
                                   [normalise(ours_hyp.get(c.name, ""), lang)]))  # fmt: skip
                    for c in worst[: args.show]:
                        print(f"    ref: {clips[c]}\n    got: {ours_hyp.get(c.name, '')}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _sijill(
    work: Path, name: str, path: Path, lang: str, clips: dict[Path, str], env: dict[str, str]
) -> tuple[dict[str, str], float]:
    archive = work / f"archive-{name}-{lang}"
    sijill = [sys.executable, "-m", "sijill", "--archive", str(archive)]

    def call(*a: str) -> str:
        return subprocess.run([*sijill, *a], env=env, check=True, capture_output=True,
                              text=True).stdout  # fmt: skip

    call("init")
    model = name if name in ("tiny.en", "base") else str(path)
    t = time.perf_counter()
    call("ingest", str(next(iter(clips)).parent), "--case", "bench")
    call("case", "config", "bench", f"whisper_transcriber.model={model}",
         f"whisper_transcriber.language={lang}")  # fmt: skip
    call("run", "--workers", "1", "--device", "cpu")
    took = time.perf_counter() - t
    out: dict[str, str] = {}
    for item in json.loads(call("items", "--json", "--kind", "audio"))["items"]:
        doc = json.loads(call("transcript", item["id"], "--format", "json"))
        out[item["name"]] = " ".join(s["text"].strip() for s in doc["segments"])
    return out, took


if __name__ == "__main__":
    main()
