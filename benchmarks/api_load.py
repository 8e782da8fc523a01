"""Benchmark: the HTTP API under load, against the same calls on the service layer directly.

Builds the demo archive (or reuses one given with --archive), gives it a reviewer account with
an API token, starts `sijill serve` on a free loopback port, and runs C concurrent clients
(threads, one keep-alive connection each) for S seconds, each looping over a mix of search
(40 %), item pages (40 %) and transcripts (20 %) chosen at random. Then the same mix, the same
number of threads, for the same time, calls the services in this process (no HTTP, no JSON).
Prints requests per second, p50/p95/p99 latency and errors for both, and the ratio.

    .venv/bin/python benchmarks/api_load.py [--clients 50] [--seconds 60] [--archive DIR]

Target (issue 12): zero errors.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

PASSPHRASE = "load-test-passphrase"
PASSWORD = "load-test-password"
QUERIES = (
    "checkpoint",
    "convoy",
    "prison",
    "Raqqa",
    "الرقة",
    "témoin",
    "bridge",
    "commander",
    '"the checkpoint"',
    "detain*",
    "market OR hospital",
    "brigade -convoy",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(archive: Path | None, work: Path) -> tuple[Path, str, list[str], list[str]]:
    from sijill.archive import people
    from sijill.archive.access import Role, custodian
    from sijill.archive.context import Context
    from sijill.settings import Settings
    from sijill.storage.archive import Archive
    from sijill.storage.repositories.item_views import list_items

    settings = Settings(passphrase=PASSPHRASE, user="bench")
    if archive is None:
        from sijill.cli.demo import build_demo

        archive = work / "demo-archive"
        t0 = time.perf_counter()
        build_demo(archive, settings, examples=False)
        print(f"demo archive built in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    arch = Archive.open(archive, settings)
    try:
        ctx = Context(arch.catalog, custodian("bench"))
        cases = [c["id"] for c in __import__("sijill.archive.reading", fromlist=["x"]).cases(ctx)]
        name = f"loadtest{int(time.time())}"
        people.add_user(ctx, name, PASSWORD, Role.REVIEWER, cases[0])
        for c in cases[1:]:
            people.set_role(ctx, name, c, Role.REVIEWER)
        token = people.issue_token(ctx, name)
        with arch.catalog.session() as s:
            rows, _n = list_items(s)
            items = [i.id for i in rows]
            media = [i.id for i in rows if i.kind in ("video", "audio")]
    finally:
        arch.close()
    return archive, token, items, media or items


def start_server(archive: Path, work: Path, token: str) -> tuple[Any, Any, str]:
    """`sijill serve` on a free loopback port, once it answers: (process, its log, base URL)."""
    import httpx

    port = _free_port()
    env = dict(os.environ, SIJILL_PASSPHRASE=PASSPHRASE)
    log = open(work / "serve.log", "w")  # noqa: SIM115 - closed by the caller
    server = subprocess.Popen(
        [sys.executable, "-m", "sijill", "--archive", str(archive), "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            httpx.get(
                base + "/api/session", headers={"Authorization": f"Bearer {token}"}, timeout=2
            )
            break
        except httpx.TransportError:
            time.sleep(0.1)
    return server, log, base


def mix(rng: random.Random, items: list[str], media: list[str]) -> tuple[str, str, Any]:
    r = rng.random()
    if r < 0.4:
        return "search", "/api/search", {"q": rng.choice(QUERIES)}
    if r < 0.8:
        return "item", f"/api/items/{rng.choice(items)}", None
    return "transcript", f"/api/items/{rng.choice(media)}/transcript", None


def run_load(
    clients: int, seconds: float, call: Callable[[random.Random], tuple[str, bool]]
) -> tuple[list[float], int, int, dict[str, int]]:
    latencies: list[float] = []
    errors = 0
    kinds: dict[str, int] = {}
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def worker(n: int) -> None:
        nonlocal errors
        rng = random.Random(n)
        mine: list[float] = []
        bad = 0
        seen: dict[str, int] = {}
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            try:
                kind, ok = call(rng)
            except Exception as exc:  # noqa: BLE001 - counted as an error, the load goes on
                kind, ok = type(exc).__name__, False
            mine.append(time.perf_counter() - t0)
            bad += not ok
            seen[kind] = seen.get(kind, 0) + 1
        with lock:
            latencies.extend(mine)
            errors += bad
            for k, v in seen.items():
                kinds[k] = kinds.get(k, 0) + v

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors, len(latencies), kinds


def summary(label: str, lat: list[float], errors: int, n: int, seconds: float) -> dict[str, float]:
    q = statistics.quantiles(lat, n=100) if len(lat) >= 2 else [lat[0]] * 99
    out = {"rps": n / seconds, "p50": q[49] * 1000, "p95": q[94] * 1000, "p99": q[98] * 1000}
    print(
        f"{label:<10} {n:>7} calls {out['rps']:>8.1f}/s  p50 {out['p50']:>7.1f} ms  "
        f"p95 {out['p95']:>7.1f} ms  p99 {out['p99']:>7.1f} ms  errors {errors}"
    )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--archive", type=Path, default=None, help="an archive to reuse")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sijill-load-"))
    try:
        archive, token, items, media = prepare(args.archive, work)
        print(
            f"{len(items)} items, {len(media)} with a transcript; {args.clients} clients, "
            f"{args.seconds:.0f} s each side",
            file=sys.stderr,
        )
        server, log, base = start_server(archive, work, token)
        import httpx

        headers = {"Authorization": f"Bearer {token}"}
        local = threading.local()

        def http_call(rng: random.Random) -> tuple[str, bool]:
            client = getattr(local, "client", None)
            if client is None:
                client = local.client = httpx.Client(base_url=base, headers=headers, timeout=60)
            kind, path, params = mix(rng, items, media)
            r = client.get(path, params=params)
            return kind, r.status_code == 200

        try:
            lat, err, n, kinds = run_load(args.clients, args.seconds, http_call)
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()
        print(f"mix: {kinds}")
        api = summary("http", lat, err, n, args.seconds)

        from sijill.archive import people, reading
        from sijill.archive.access import custodian
        from sijill.archive.context import Context
        from sijill.settings import Settings
        from sijill.storage.archive import Archive

        arch = Archive.open(archive, Settings(passphrase=PASSPHRASE, user="bench"))
        base_ctx = Context(arch.catalog, custodian("bench"))
        ctx = base_ctx.acting_as(people.actor_for_token(base_ctx, token))

        def service_call(rng: random.Random) -> tuple[str, bool]:
            kind, path, params = mix(rng, items, media)
            if kind == "search":
                reading.search(ctx, params["q"])
            elif kind == "item":
                reading.item(ctx, path.rsplit("/", 1)[1])
            else:
                reading.item_transcript(ctx, path.split("/")[3])
            return kind, True

        try:
            lat2, err2, n2, _k = run_load(args.clients, args.seconds, service_call)
        finally:
            arch.close()
        direct = summary("services", lat2, err2, n2, args.seconds)
        print(
            f"ratio http/services: p50 {api['p50'] / direct['p50']:.2f}x, "
            f"p95 {api['p95'] / direct['p95']:.2f}x, throughput "
            f"{direct['rps'] / api['rps']:.2f}x fewer calls per second over HTTP"
        )
        print(f"errors: {err} over HTTP, {err2} on the services (target: 0)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
