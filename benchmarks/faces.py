"""Benchmark: face anonymisation of a video, `anonymise_video` against the `deface` command.

For each size (720p and 1080p by default) a video is generated once and cached in
benchmarks/.cache/: two copies of the astronaut's head (skimage) crossing a plain background
at different speeds, --seconds long at --fps. Both sides then anonymise the same file in the
same run, with solid fills:

  ours    `sijill.protect.video.anonymise_video` (CenterFace, tracking, padding, x264 veryfast
          crf 20, then the clean remux), timed in this process including model loading;
  deface  `.venv/bin/deface IN -o OUT --thresh 0.2 --replacewith solid --boxes` (the same
          model with onnxruntime, no tracking), told to encode as we do (libx264 veryfast,
          crf 20), timed as a subprocess including its start-up.

The threshold 0.2 is deface's default and ours: both sides fill the same candidates (we also
decode down to 0.1, the doubt band that goes on the review sheet). fps = frames / wall
seconds; ratio = ours fps / deface fps (target >= 1: tracking and padding must not make us
slower). Usage:

    .venv/bin/python benchmarks/faces.py [--sizes 1280x720,1920x1080] [--seconds 5] [--fps 25]
        [--device cpu|cuda] [--skip-deface]

Timings include whatever else the machine is running; compare rows of one run only.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(__file__).resolve().parent / ".cache"
sys.path.insert(0, str(ROOT / "src"))

FFMPEG = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]


def make_video(path: Path, width: int, height: int, seconds: float, fps: int) -> Path:
    """Two astronaut heads (40% and 20% of the frame height) crossing the frame."""
    import numpy as np
    from PIL import Image
    from skimage import data

    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    rgb = np.asarray(data.astronaut())
    crop = rgb[20:280, 100:360]  # the head, with some hair and suit around it
    heads = []
    for share in (0.4, 0.2):
        px = int(height * share) // 2 * 2
        head = path.with_name(f"{path.stem}.head{px}.png")
        Image.fromarray(crop).resize((px, px), Image.Resampling.LANCZOS).save(head)
        heads.append((head, px))
    (h1, p1), (h2, p2) = heads
    graph = (
        f"[0:v][1:v]overlay=x='(W-w)*t/{seconds}':y={(height - p1) // 3}[a];"
        f"[a][2:v]overlay=x='(W-w)*(1-t/{seconds})':y={height - p2 - height // 8},"
        "format=yuv420p[v]"
    )
    try:
        subprocess.run(
            [*FFMPEG, "-f", "lavfi", "-t", str(seconds),
             "-i", f"color=c=0x4a6a8a:size={width}x{height}:rate={fps}",
             "-loop", "1", "-framerate", str(fps), "-t", str(seconds), "-i", str(h1),
             "-loop", "1", "-framerate", str(fps), "-t", str(seconds), "-i", str(h2),
             "-filter_complex", graph, "-map", "[v]", "-c:v", "libx264", "-preset", "fast",
             "-crf", "18", "-t", str(seconds), str(path)],
            check=True, capture_output=True,
        )  # fmt: skip
    finally:
        for head, _ in heads:
            head.unlink(missing_ok=True)
    return path


def run_ours(src: Path, dst: Path, device: str) -> tuple[float, int, int]:
    from sijill.protect.faces import FaceDetector
    from sijill.protect.video import anonymise_video

    t0 = time.perf_counter()
    report = anonymise_video(src, dst, detector=FaceDetector(device=device))
    return time.perf_counter() - t0, report.frames, report.filled_frames


def run_deface(src: Path, dst: Path, device: str) -> float:
    exe = ROOT / ".venv" / "bin" / "deface"
    config = {
        "codec": "libx264",
        "quality": None,
        "output_params": ["-preset", "veryfast", "-crf", "20"],
    }
    cmd = [str(exe), str(src), "-o", str(dst), "--thresh", "0.2", "--replacewith", "solid"]
    cmd += ["--boxes", "--ffmpeg-config", json.dumps(config)]
    provider = "CUDAExecutionProvider" if device == "cuda" else "CPUExecutionProvider"
    cmd += ["--execution-provider", provider]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1280x720,1920x1080")
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--fps", type=int, default=25)
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    ap.add_argument("--skip-deface", action="store_true")
    args = ap.parse_args()

    out_dir = CACHE / "faces-out"
    out_dir.mkdir(parents=True, exist_ok=True)
    print(f"device {args.device}; {args.seconds:g} s at {args.fps} fps per size")
    print(f"{'size':>10} {'frames':>6} {'ours s':>8} {'ours fps':>9} {'filled':>7}"
          f" {'deface s':>9} {'deface fps':>11} {'ratio':>6}")  # fmt: skip
    for size in args.sizes.split(","):
        w, h = (int(v) for v in size.split("x"))
        src = make_video(
            CACHE / f"faces-{w}x{h}-{args.seconds:g}s-{args.fps}.mp4", w, h, args.seconds, args.fps
        )
        ours_s, frames, filled = run_ours(src, out_dir / f"ours-{w}x{h}.mp4", args.device)
        line = f"{size:>10} {frames:>6} {ours_s:>8.1f} {frames / ours_s:>9.2f} {filled:>7}"
        if not args.skip_deface:
            deface_s = run_deface(src, out_dir / f"deface-{w}x{h}.mp4", args.device)
            ratio = (frames / ours_s) / (frames / deface_s)
            line += f" {deface_s:>9.1f} {frames / deface_s:>11.2f} {ratio:>6.2f}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
