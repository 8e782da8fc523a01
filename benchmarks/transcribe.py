"""Benchmark: `sijill ingest` + `sijill run` on a set of spoken clips, against calling
faster-whisper directly on the same files with the same model and settings, in the same run.

Clips are English speech made with espeak-ng (different voices and speeds), saved as AAC like
a phone voice memo. For each packaged default model (tiny.en and the multilingual base):

  raw     one Python process: load the model, then for each clip decode it (faster-whisper's
          own decoder) and transcribe it with VAD and word timestamps, consuming every segment;
  sijill  a new archive: `sijill ingest` the clips, `sijill run --workers 1` with the case's
          model set; every stage runs (metadata, ffprobe, normalised audio, transcription).

Both sides are timed from process start to exit; their ratio is our whole overhead (sealing,
unlocking the key, other stages, language identification, indexing). The real-time factor is
processing seconds per second of audio. Usage:

    .venv/bin/python benchmarks/transcribe.py [--clips 12] [--seconds 75] [--threads 2]
        [--models tiny.en,base,auto]

Target (issue 3): ratio <= 1.10.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SENTENCES = [
    "The convoy left the checkpoint at dawn and drove north along the river road.",
    "Three trucks carried the detainees to the prison near the old bridge.",
    "The commander gave the order by radio, and nobody questioned it.",
    "We stayed in the school for two weeks before the shelling started again.",
    "My brother worked at the hospital until the end of the summer.",
    "They took our phones at the gate and wrote our names in a register.",
    "The market was closed, so we walked to the next village to buy bread.",
    "In the morning the guards changed, and the new ones did not speak to us.",
    "I saw four men in uniform, one of them carried a list of names.",
    "The office on the second floor kept the files of every prisoner.",
]
VOICES = ["en", "en-us", "en+m3", "en+f3", "en-gb-x-rp"]

RAW = r"""
import json, sys, time
from faster_whisper import WhisperModel, decode_audio
path, threads = sys.argv[1], int(sys.argv[2])
clips, kw = json.loads(sys.argv[3]), json.loads(sys.argv[4])
detector = sys.argv[5] if len(sys.argv) > 5 else None
opts = dict(device="cpu", compute_type="int8", cpu_threads=threads, local_files_only=True)
model = WhisperModel(path, **opts)
if detector:  # auto: detect the language with base first, as the stage does
    base = WhisperModel(detector, **opts)
for c in clips:
    audio = decode_audio(c)
    if detector:
        base.detect_language(audio, vad_filter=True)
    segments, info = model.transcribe(audio, **kw)
    for s in segments:
        pass
"""


def make_clips(d: Path, n: int, seconds: float) -> tuple[list[Path], float]:
    clips, total = [], 0.0
    for i in range(n):
        words_needed = int(seconds * 2.6)  # about 2.6 words a second at these rates
        text, k = [], i
        while sum(len(s.split()) for s in text) < words_needed:
            text.append(SENTENCES[k % len(SENTENCES)])
            k += 3
        wav = d / f"clip{i:02}.wav"
        subprocess.run(
            [
                "espeak-ng",
                "-v",
                VOICES[i % len(VOICES)],
                "-s",
                str(140 + 10 * (i % 4)),
                "-w",
                str(wav),
                " ".join(text),
            ],
            check=True,
            capture_output=True,
        )
        out = d / f"clip{i:02}.m4a"
        subprocess.run(
            [
                "ffmpeg",
                "-nostdin",
                "-loglevel",
                "error",
                "-y",
                "-i",
                str(wav),
                "-ac",
                "1",
                "-c:a",
                "aac",
                "-b:a",
                "48k",
                str(out),
            ],
            check=True,
        )
        wav.unlink()
        dur = float(
            subprocess.run(
                [
                    "ffprobe",
                    "-v",
                    "error",
                    "-show_entries",
                    "format=duration",
                    "-of",
                    "csv=p=0",
                    str(out),
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        clips.append(out)
        total += dur
    return clips, total


def timed(cmd: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--clips", type=int, default=12)
    ap.add_argument("--seconds", type=float, default=75.0, help="rough length of each clip")
    ap.add_argument(
        "--threads",
        type=int,
        default=os.cpu_count() or 1,
        help="CPU threads for CTranslate2 on both sides",
    )
    ap.add_argument("--models", default="tiny.en,base,auto")
    args = ap.parse_args()
    for tool in ("espeak-ng", "ffmpeg", "ffprobe"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed")

    from sijill.pipeline.stages.whisper_transcriber import WhisperTranscriber
    from sijill.pipeline.whisper_models import resolve

    d = WhisperTranscriber.defaults
    kw = {
        "beam_size": d["beam_size"],
        "vad_filter": d["vad"],
        "word_timestamps": d["word_timestamps"],
    }
    env = dict(os.environ, SIJILL_PASSPHRASE="benchmark", SIJILL_USER="bench")
    env.pop("OMP_THREAD_LIMIT", None)
    work = Path(tempfile.mkdtemp(prefix="sijill-bench-asr-"))
    try:
        clip_dir = work / "clips"
        clip_dir.mkdir()
        clips, audio_s = make_clips(clip_dir, args.clips, args.seconds)
        print(
            f"{len(clips)} clips, {audio_s / 60:.1f} min of speech; {args.threads} threads "
            f"on {os.cpu_count()} cores"
        )
        for name in args.models.split(","):
            # "auto" (the default) detects the language with base, then transcribes English
            # with tiny.en: its raw counterpart makes the same two calls.
            ref = resolve("tiny.en" if name == "auto" else name)
            kw_m = dict(kw)
            if name in ("tiny.en", "auto"):
                kw_m["language"] = "en"  # what the stage passes an English-only model
            else:
                kw_m["multilingual"] = d["multilingual"]
            detector = [str(resolve("base").path)] if name == "auto" else []
            raw = timed(
                [
                    sys.executable,
                    "-c",
                    RAW,
                    str(ref.path),
                    str(args.threads),
                    json.dumps([str(c) for c in clips]),
                    json.dumps(kw_m),
                    *detector,
                ],
                env,
            )
            archive = work / f"archive-{name}"
            sijill = [sys.executable, "-m", "sijill", "--archive", str(archive)]
            subprocess.run([*sijill, "init"], env=env, check=True, capture_output=True)
            t = time.perf_counter()
            subprocess.run(
                [*sijill, "ingest", str(clip_dir), "--case", "bench"],
                env=env,
                check=True,
                capture_output=True,
            )
            subprocess.run(
                [*sijill, "case", "config", "bench", f"whisper_transcriber.model={name}"],
                env=env,
                check=True,
                capture_output=True,
            )
            subprocess.run(
                [*sijill, "run", "--workers", "1", "--device", "cpu"],
                env=dict(env, SIJILL_WORKERS="1"),
                check=True,
                capture_output=True,
            )
            ours = time.perf_counter() - t
            print(
                f"{name:8} raw faster-whisper {raw:7.1f} s (RTF {raw / audio_s:.3f})   "
                f"sijill ingest+run {ours:7.1f} s (RTF {ours / audio_s:.3f})   "
                f"ratio {ours / raw:.2f} (target <= 1.10)"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
