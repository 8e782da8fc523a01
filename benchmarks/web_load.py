"""Benchmark: the web app's pages under load, beside the JSON API in the same run.

Builds the demo archive (or reuses one given with --archive), gives it a reviewer account,
starts `sijill serve` on a free loopback port, and runs U concurrent users (threads, one
keep-alive connection each) for S seconds. Each user logs in through the login form (a
session cookie, as a browser) and loops over pages chosen at random: search results (35 %),
a testimony or document viewer (35 %), the case dashboard (10 %), an entity page (10 %) and
the claims list (10 %). Then the same number of clients, on the same server, for the same
time, call the API's mix (benchmarks/api_load.py: search, item, transcript) with a token.
Prints p50/p95/p99 per page and errors, and the API-only figures beside them.

    .venv/bin/python benchmarks/web_load.py [--users 50] [--seconds 60] [--archive DIR]

Target (issue 13): zero errors.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import api_load  # noqa: E402  (the shared helpers: prepare, run_load, summary, the API mix)


def page_mix(
    rng: random.Random, items: list[str], entities: list[int], case: str
) -> tuple[str, str]:
    r = rng.random()
    if r < 0.35:
        return "search page", "/search?q=" + rng.choice(api_load.QUERIES)
    if r < 0.70:
        return "item page", f"/items/{rng.choice(items)}"
    if r < 0.80:
        return "dashboard", f"/cases/{case}"
    if r < 0.90 and entities:
        return "entity page", f"/entities/{rng.choice(entities)}"
    return "claims page", f"/cases/{case}/claims"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--archive", type=Path, default=None, help="an archive to reuse")
    ap.add_argument("--passphrase", default=None, help="its passphrase (with --archive)")
    args = ap.parse_args()
    if args.passphrase:
        api_load.PASSPHRASE = args.passphrase
    work = Path(tempfile.mkdtemp(prefix="sijill-webload-"))
    try:
        archive, token, items, media = api_load.prepare(args.archive, work)
        import httpx

        server, log, base = api_load.start_server(archive, work, token)
        auth = {"Authorization": f"Bearer {token}"}
        name = httpx.get(base + "/api/session", headers=auth).json()["user"]
        case = next(iter(httpx.get(base + "/api/cases", headers=auth).json()["cases"]))["id"]
        probe = httpx.get(base + f"/api/items/{media[0]}/entities", headers=auth).json()
        entities = [e["id"] for e in probe.get("entities", [])][:20]
        local = threading.local()
        per_page: dict[str, list[float]] = {}
        per_lock = threading.Lock()

        def browser() -> httpx.Client:
            client = getattr(local, "client", None)
            if client is None:
                client = local.client = httpx.Client(base_url=base, timeout=60)
                r = client.post(
                    "/login",
                    data={"username": name, "password": api_load.PASSWORD, "next": "/"},
                )
                if r.status_code != 303:
                    raise RuntimeError(f"login refused: {r.status_code}")
            return client

        def page_call(rng: random.Random) -> tuple[str, bool]:
            client = browser()
            kind, path = page_mix(rng, items, entities, case)
            t0 = time.perf_counter()
            r = client.get(path)
            dt = time.perf_counter() - t0
            with per_lock:
                per_page.setdefault(kind, []).append(dt)
            ok = r.status_code == 200 and r.headers.get("content-type", "").startswith("text/html")
            return kind, ok and bool(re.search(r"<html lang=", r.text))

        def api_call(rng: random.Random) -> tuple[str, bool]:
            client = getattr(local, "api", None)
            if client is None:
                client = local.api = httpx.Client(base_url=base, headers=auth, timeout=60)
            kind, path, params = api_load.mix(rng, items, media)
            r = client.get(path, params=params)
            return kind, r.status_code == 200

        try:
            lat, err, n, kinds = api_load.run_load(args.users, args.seconds, page_call)
            lat2, err2, n2, _k = api_load.run_load(args.users, args.seconds, api_call)
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()
        print(f"{args.users} users, {args.seconds:.0f} s each side; pages: {kinds}")
        pages = api_load.summary("pages", lat, err, n, args.seconds)
        for kind, values in sorted(per_page.items()):
            api_load.summary(kind[:10], values, 0, len(values), args.seconds)
        api = api_load.summary("api only", lat2, err2, n2, args.seconds)
        print(
            f"ratio pages/api: p50 {pages['p50'] / api['p50']:.2f}x, "
            f"p95 {pages['p95'] / api['p95']:.2f}x"
        )
        print(f"errors: {err} on pages, {err2} on the API (target: 0)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
