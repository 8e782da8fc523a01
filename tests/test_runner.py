"""The runner: kill -9 at any moment loses nothing and duplicates nothing; limits hold."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter, deque
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw, ImageFont

from sijill.storage.archive import Archive
from tests.conftest import CLI
from tests.dbutil import connect_catalog
from tests.pdfgen import write_scanned_pdf, write_text_pdf


def _corpus(root: Path) -> Path:
    src = root / "corpus"
    src.mkdir()
    for i in range(6):
        write_text_pdf(
            src / f"memo{i}.pdf",
            [
                [f"Memo {i}: the checkpoint at gate {i} opens at dawn and closes at dusk."],
                [f"Second page of memo {i}, listing {i + 3} guards by their kunya."],
            ],
        )
    for i in range(4):
        write_scanned_pdf(
            src / f"scan{i}.pdf", [f"Scanned order number {i}", "Report to the office."]
        )
    for i in range(4):
        (src / f"note{i}.txt").write_text(f"Note {i}: the witness described the prison yard.\n")
    return src


def _snapshot(root: Path) -> dict[str, object]:
    db = connect_catalog(root)
    jobs = Counter(
        db.execute(
            "SELECT i.name, j.stage, j.state FROM jobs j JOIN items i ON i.id=j.item_id "
            "WHERE j.state != 'superseded'"
        ).fetchall()
    )
    units = Counter(
        db.execute(
            "SELECT i.name, t.stage, t.page, t.text FROM text_units t "
            "JOIN items i ON i.id=t.item_id"
        ).fetchall()
    )
    processed = Counter(
        db.execute(
            "SELECT item_id, json_extract(details, '$.stage') FROM custody_events "
            "WHERE action='processed'"
        ).fetchall()
    )
    items = sorted(db.execute("SELECT id, name, status FROM items").fetchall())
    fts = db.execute("SELECT count(*) FROM text_fts").fetchone()[0]
    db.close()
    return {"jobs": jobs, "units": units, "processed": processed, "items": items, "fts": fts}


def _ancestry(pid: str) -> list[bytes]:
    """The command lines of a process's ancestors, nearest first."""
    lines: list[bytes] = []
    while pid not in ("0", "1"):
        try:
            stat = (Path("/proc") / pid / "stat").read_text()
            pid = stat.rsplit(")", 1)[1].split()[1]
            lines.append((Path("/proc") / pid / "cmdline").read_bytes())
        except (OSError, IndexError):
            break
    return lines


def _stay_open_exiftools(archive: Path) -> int:
    """How many long-lived exiftool processes serve this test's archive right now, or were
    left orphaned (no longer descended from the test run). Tools held by other tests running
    side by side under xdist, for their own archives, do not count."""
    n = 0
    mark = str(archive).encode()
    for proc in Path("/proc").iterdir():
        try:
            cmd = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if b"exiftool\x00-stay_open" not in cmd:
            continue
        ancestors = _ancestry(proc.name)
        # Serving this archive (a worker, or the CLI itself), or cut off from the test run
        # altogether (its parent died and it was adopted): both count.
        if any(mark in a for a in ancestors) or not any(b"pytest" in a for a in ancestors):
            n += 1
    return n


@pytest.mark.slow
def test_sigkill_during_run_then_rerun_finishes_everything_once(
    tmp_path: Path, env: dict[str, str]
) -> None:
    src = _corpus(tmp_path)
    ref = CLI(tmp_path / "reference", env)
    ref("init")
    ref("ingest", str(src))
    ref("run", "--workers", "2")
    expected = _snapshot(ref.archive)

    cli = CLI(tmp_path / "killed", env)
    cli("init")
    cli("ingest", str(src))
    tools_before = _stay_open_exiftools(cli.archive)
    kills = 0
    for delay in (2.2, 3.0, 3.8, 4.6, 5.5):
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sijill",
                "--archive",
                str(cli.archive),
                "run",
                "--workers",
                "2",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait()
    assert kills >= 2, "the run finished before it could be killed; make the corpus bigger"
    cli("run", "--workers", "2")
    got = _snapshot(cli.archive)
    assert got["items"] == expected["items"]
    assert got["jobs"] == expected["jobs"]
    assert got["units"] == expected["units"]
    assert all(n == 1 for n in got["units"].values())  # type: ignore[attr-defined]
    assert got["processed"] == expected["processed"]
    assert all(n == 1 for n in got["processed"].values())  # type: ignore[attr-defined]
    assert got["fts"] == expected["fts"]
    assert cli.json("verify")["ok"]
    leftovers = [p for p in (cli.archive / "tmp").iterdir() if p.name.startswith("job")]
    assert leftovers == []  # decrypted work files do not linger
    time.sleep(0.5)
    # No tool outlives the workers it served.
    assert _stay_open_exiftools(cli.archive) <= tools_before


def test_sigkill_during_ingest_loses_nothing(tmp_path: Path, env: dict[str, str]) -> None:
    src = tmp_path / "many"
    src.mkdir()
    for i in range(60):
        (src / f"f{i:03}.txt").write_text(f"file number {i} " * 50)
    cli = CLI(tmp_path / "a", env)
    cli("init")
    proc = subprocess.Popen(
        [sys.executable, "-m", "sijill", "--archive", str(cli.archive), "ingest", str(src)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.2)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    cli("ingest", str(src))
    items = cli.json("items")
    assert items["total"] == 60
    assert sorted(i["name"] for i in items["items"]) == sorted(p.name for p in src.iterdir())
    assert cli.json("verify")["ok"]


def test_stage_timeout_is_recorded_and_run_goes_on(cli: CLI, tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    # Six dense pages take Tesseract well over 4 s; a note's stages take well under that
    # even on a loaded machine (1 s was not, under a parallel test run).
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 20)
    pages = []
    for p in range(6):
        page = Image.new("L", (2480, 3508), 255)
        draw = ImageDraw.Draw(page)
        for i in range(70):
            line = f"Page {p} line {i} of a scanned page that takes a while to read, word by word"
            draw.text((150, 200 + i * 44), line, font=font, fill=0)
        pages.append(page)
    pages[0].save(src / "scan.pdf", "PDF", resolution=300.0, save_all=True, append_images=pages[1:])
    (src / "note.txt").write_text("a note that is processed in no time at all\n")
    cli("ingest", str(src))
    res = cli("run", "--timeout", "4")
    assert "failed" in res.stdout
    status = cli.json("status")
    fails = {f["name"]: f for f in status["failures"]}
    assert "scan.pdf" in fails and "timed out" in fails["scan.pdf"]["error"]
    assert "note.txt" not in fails
    assert cli.json("search", "note processed")["total"] == 1
    items = {i["name"]: i for i in cli.json("items")["items"]}
    assert items["scan.pdf"]["status"] == "failed"
    assert "timed out" in items["scan.pdf"]["status_reason"]
    cli("run", "--retry-failed")
    assert cli.json("status")["failures"] == []
    assert cli.json("search", "scanned page")["total"] == 6  # one hit per page


@pytest.mark.slow
def test_memory_limit_is_recorded_and_run_goes_on(cli: CLI, tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    write_scanned_pdf(src / "scan.pdf", ["A page rendered at 300 dpi needs memory"])
    cli("ingest", str(src))
    cli("run", "--memory-mb", "64")
    fails = cli.json("status")["failures"]
    assert fails, "a 64 MB address-space limit must stop these stages"
    for f in fails:
        assert f["error"]
    cli("run", "--retry-failed")
    status = cli.json("status")
    assert status["failures"] == [] and status["items_by_status"] == {"processed": 1}


def test_result_the_catalog_cannot_hold_fails_only_that_job(
    archive: Archive, tmp_path: Path
) -> None:
    """A stage result with text SQLite cannot store (a lone surrogate) fails its job cleanly."""
    from sijill.archive.ingest import ingest
    from sijill.pipeline import jobs
    from sijill.pipeline.runner import Progress, Runner, RunStats
    from sijill.pipeline.stage import StageResult, TextUnitOut
    from sijill.pipeline.worker import JobOutcome
    from sijill.storage.models import Item, Job
    from sijill.storage.repositories import jobs as job_repo

    f = tmp_path / "n.txt"
    f.write_text("a perfectly ordinary note for the archive\n")
    ingest(archive, [f], actor="tester")
    runner = Runner(archive, workers=1, actor="tester")
    runner.queued, runner.total = set(), 0
    with archive.catalog.session() as s:
        job_id = jobs.plan(s, runner.registry)[0]
        job_repo.mark_running(s, job_id)
    bad = StageResult(
        text_units=[
            TextUnitOut(kind="body", text="bad \ud800 text", method="x", norm="bad \ud800 text")
        ]
    )
    stats = RunStats()
    runner._commit([(JobOutcome(job_id, True, result=bad), "some_stage")], stats, Progress())
    assert stats.failed == 1 and stats.done == 0
    with archive.catalog.session() as s:
        job = s.get_one(Job, job_id)
        assert job.state == "failed" and "result not recorded" in (job.error or "")
        item = s.get_one(Item, job.item_id)
        assert item.status == "failed"


def test_a_free_worker_takes_a_job_of_an_item_no_other_worker_is_on() -> None:
    """One item's long jobs (the entities and the translation of a huge table) must not hold
    every worker while other items wait: the scheduler's choice, on its own."""

    from sijill.pipeline.runner import choose_job

    queue = deque([11, 12, 21, 31])
    item_of = {11: "big", 12: "big", 21: "small-1", 31: "small-2"}
    assert choose_job(queue, item_of, busy={"big"}) == 2  # small-1 first, big waits
    assert choose_job(queue, item_of, busy={"small-1"}) == 0  # nothing busy ahead: the head
    assert choose_job(queue, item_of, busy=set()) == 0
    assert choose_job(deque([11, 12]), item_of, busy={"big"}) == 0  # only big left: go on
    assert choose_job(queue, item_of, busy={"big"}, lookahead=2) == 0  # looks only so far


def test_the_queue_makes_every_file_readable_first_then_the_biggest_text_first() -> None:
    """Readable stages (extraction, OCR, transcription) before the stages that read their
    text; among those the biggest item first, so a huge table's claim job does not start
    last and run alone; arrival order otherwise; a dead worker's jobs go back in place."""
    from sijill.pipeline.runner import JobQueue, choose_job

    q = JobQueue()
    q.add(1, tier=2, size=10)  # claims of a small letter
    q.add(2, tier=0, size=10)  # text of another file
    q.add(3, tier=2, size=5_000_000)  # claims of a huge table
    q.add(6, tier=1, size=10)  # metadata of a file
    q.add(4, tier=0, size=99)
    q.add(5, tier=2, size=10)
    assert list(q) == [2, 4, 6, 3, 1, 5]
    assert q.pop(0) == 2 and q.pop(2) == 3
    q.requeue([3, 2])
    assert list(q) == [2, 4, 6, 3, 1, 5] and len(q) == 6
    q.discard({4, 1})
    q.add(7, tier=0, size=1)
    assert list(q) == [2, 7, 6, 3, 5]
    # The busy-item rule works on it as on any sequence.
    item_of = {2: "a", 7: "b", 6: "b", 3: "big", 5: "c"}
    assert q[choose_job(q, item_of, busy={"a"})] == 7


def test_ingest_run_seals_and_processes_in_one_command(
    cli: CLI, tmp_path: Path, env: dict[str, str]
) -> None:
    """`sijill ingest --run` leaves the archive exactly as `ingest` then `run` do (same jobs,
    text, custody), unlocks once, and refuses to seal anything while another run holds the
    archive."""
    import fcntl
    import json

    src = tmp_path / "in"
    src.mkdir()
    for i in range(3):
        write_text_pdf(src / f"memo{i}.pdf", [[f"Memo {i}: the convoy left the depot at dawn."]])
    (src / "note.txt").write_text("The witness saw the convoy cross the bridge.\n")
    out = cli.json("ingest", "--run", "--workers", "1", str(src))
    assert out["new"] == 4 and out["run"]["failed"] == 0 and out["run"]["done"] > 4
    hits = cli.json("search", "convoy")["hits"]
    assert {h["name"] for h in hits} == {"memo0.pdf", "memo1.pdf", "memo2.pdf", "note.txt"}

    two = CLI(tmp_path / "two", env)
    two("init")
    two("ingest", str(src))
    two("run", "--workers", "1")
    one_snap, two_snap = _snapshot(cli.archive), _snapshot(two.archive)
    for key in ("jobs", "units", "processed", "fts"):
        assert one_snap[key] == two_snap[key], key

    again = cli.json("ingest", "--run", str(src))  # nothing new: nothing to run, no hang
    assert again["duplicate"] == 4 and again["run"]["done"] == 0

    bad = cli("ingest", "--workers", "2", str(src), check=False)
    assert bad.returncode == 2 and "--workers goes with --run" in bad.stderr
    missing = cli("ingest", "--run", str(tmp_path / "nowhere"), check=False)
    assert missing.returncode == 2 and "no such file" in " ".join(missing.stderr.split())

    more = tmp_path / "more"
    more.mkdir()
    (more / "late.txt").write_text("Another note about the depot.\n")
    fd = os.open(cli.archive / "run.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a `sijill run` in progress holds it
        busy = cli("ingest", "--run", str(more), check=False)
    finally:
        os.close(fd)
    assert busy.returncode != 0 and "another `sijill run`" in busy.stderr
    names = {i["name"] for i in json.loads(cli("items", "--json").stdout)["items"]}
    assert "late.txt" not in names  # nothing was sealed


def test_results_committed_together_one_the_catalog_cannot_hold_fails_alone(
    archive: Archive, tmp_path: Path
) -> None:
    """Quick jobs' results are committed in one transaction; one result SQLite cannot store
    must fail that job only, and the others of the batch are recorded as done."""
    from sijill.archive.ingest import ingest
    from sijill.pipeline import jobs
    from sijill.pipeline.runner import Progress, Runner, RunStats
    from sijill.pipeline.stage import StageResult, TextUnitOut
    from sijill.pipeline.worker import JobOutcome
    from sijill.storage.models import Job, TextUnit
    from sijill.storage.repositories import jobs as job_repo

    for i in range(3):
        (tmp_path / f"n{i}.txt").write_text(f"ordinary note number {i} for the archive\n")
    ingest(archive, sorted(tmp_path.glob("n*.txt")), actor="tester")
    runner = Runner(archive, workers=1, actor="tester")
    runner.queued, runner.total = set(), 0
    with archive.catalog.session() as s:
        planned = jobs.plan(s, runner.registry)
        text_jobs = [j for j in planned if s.get_one(Job, j).stage == "office_text_extractor"]
        job_repo.mark_running(s, text_jobs)
    assert len(text_jobs) == 3

    def result(text: str) -> StageResult:
        return StageResult(text_units=[TextUnitOut(kind="body", text=text, method="x", norm=text)])

    done = [
        (JobOutcome(text_jobs[0], True, result=result("first fine text")), "office_text_extractor"),
        (JobOutcome(text_jobs[1], True, result=result("bad \ud800 text")), "office_text_extractor"),
        (JobOutcome(text_jobs[2], True, result=result("third fine text")), "office_text_extractor"),
    ]
    stats = RunStats()
    runner._commit(done, stats, Progress())
    assert (stats.done, stats.failed) == (2, 1)
    with archive.catalog.session() as s:
        states = [s.get_one(Job, j).state for j in text_jobs]
        assert states == ["done", "failed", "done"]
        texts = {u.text for u in s.query(TextUnit).filter(TextUnit.job_id.in_(text_jobs))}
        assert texts == {"first fine text", "third fine text"}
    # What the two good results made possible is queued once each, not lost with the batch.
    assert runner.queued and len(runner.queue) == len(runner.queued)


def test_quick_jobs_go_out_several_at_a_time_and_all_finish(
    archive: Archive, tmp_path: Path
) -> None:
    """After a few quick jobs, a worker is handed several of that stage at once (one
    transaction marks them running: they share a start time); every file is still done."""
    from sijill.archive.ingest import ingest
    from tests.conftest import process

    for i in range(16):
        (tmp_path / f"m{i:02}.txt").write_text(f"The convoy passed checkpoint {i} at dawn.\n")
    ingest(archive, sorted(tmp_path.glob("m*.txt")), actor="tester")
    stats = process(archive, workers=1)
    assert stats.failed == 0
    db = connect_catalog(archive.root)
    rows = db.execute(
        "SELECT started_at, state FROM jobs WHERE stage = 'office_text_extractor'"
    ).fetchall()
    db.close()
    assert len(rows) == 16 and {state for _t, state in rows} == {"done"}
    together = Counter(t for t, _s in rows)
    assert max(together.values()) > 1, together


def test_ingest_run_processes_committed_batches_while_the_rest_is_sealed(
    archive: Archive, tmp_path: Path
) -> None:
    """`sijill ingest --run` hands the runner each committed batch: its jobs are done while
    later files are still to be sealed (a long ingest of videos shows its first transcripts
    early). The feed below seals the second half only once a job of the first half is done;
    a runner that waited for the whole ingest before working would never get there."""
    from sijill.archive.ingest import IngestReport, ingest_batches
    from sijill.pipeline.runner import Runner

    first, second = tmp_path / "first", tmp_path / "second"
    for folder in (first, second):
        folder.mkdir()
        for i in range(3):
            (folder / f"n{i}.txt").write_text(f"{folder.name} note {i}: the gate at dawn.\n")
    report = IngestReport()
    seen: dict[str, float] = {}

    def feed() -> Any:
        yield from ingest_batches(archive, [first], report=report, actor="tester")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            db = connect_catalog(archive.root)
            done = db.execute("SELECT count(*) FROM jobs WHERE state = 'done'").fetchone()[0]
            db.close()
            if done:
                seen["done before the second half"] = done
                break
            yield []  # nothing new yet: the runner goes on receiving and committing
            time.sleep(0.05)
        yield from ingest_batches(archive, [second], report=report, actor="tester")

    runner = Runner(archive, workers=1, actor="tester")
    runner.start_workers()
    stats = runner.run(feed=feed())
    assert seen, "no job of the first batch was done while the ingest was still going"
    assert report.count("new") == 6 and stats.failed == 0
    db = connect_catalog(archive.root)
    states = db.execute(
        "SELECT i.name, j.state FROM jobs j JOIN items i ON i.id = j.item_id "
        "WHERE j.stage = 'office_text_extractor'"
    ).fetchall()
    db.close()
    assert len(states) == 6 and {s for _n, s in states} == {"done"}


def test_while_sealing_one_worker_is_kept_for_the_jobs_that_make_text(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    """During `ingest --run`, jobs that read text (claims: seconds each) never take every
    worker: the next batch's text extraction would wait behind them. Afterwards they do.
    (Workers are stand-ins here: the choice of who gets which job is all this checks.)"""
    from sijill.pipeline.runner import JobQueue, Runner

    runner = Runner(archive, workers=2, actor="tester")

    class Stand:
        def __init__(self) -> None:
            self.ready = True
            self.inflight: list[tuple[int, str]] = []

    def dispatch(w: Any, ids: list[int]) -> None:
        w.inflight.extend((j, runner.stage_of[j]) for j in ids)

    monkeypatch.setattr(runner, "_dispatch", dispatch)
    a, b = Stand(), Stand()
    runner.queue = JobQueue()

    def queue(job: int, tier: int, stage: str) -> None:
        runner.queue.add(job, tier, 100)
        runner.item_of[job], runner.stage_of[job] = f"item{job}", stage

    for job in (1, 2, 3):
        queue(job, 2, "claim_extractor")
    runner._sealing = iter([])  # `ingest --run` still sealing
    runner._fill([a, b])  # type: ignore[list-item]
    assert sorted(len(w.inflight) for w in (a, b)) == [0, 1] and len(runner.queue) == 2
    free = a if not a.inflight else b
    queue(4, 0, "pdfium_text_extractor")  # the next batch's text arrives
    runner._fill([a, b])  # type: ignore[list-item]
    assert free.inflight == [(4, "pdfium_text_extractor")]
    free.inflight.clear()
    runner._fill([a, b])  # type: ignore[list-item]
    assert not free.inflight  # still sealing: kept free
    runner._sealing = None  # sealing is over
    runner._fill([a, b])  # type: ignore[list-item]
    assert free.inflight and free.inflight[0][1] == "claim_extractor"


def test_workers_learn_how_many_of_them_are_idle(archive: Archive) -> None:
    """The runner shares the count of idle workers with every worker (the claims of a huge
    file, alone at the end, use their cores); while it seals files, none is lent.
    (Workers are stand-ins: the count the real workers read is what this checks.)"""
    from sijill.pipeline import threads
    from sijill.pipeline.runner import Runner

    runner = Runner(archive, workers=3, actor="tester")
    runner._context()

    class Stand:
        def __init__(self, ready: bool, jobs: int) -> None:
            self.ready = ready
            self.inflight = [(j, "claim_extractor") for j in range(jobs)]

    pool = [Stand(True, 1), Stand(True, 0), Stand(True, 0), Stand(False, 0)]
    runner._note_idle(pool)  # type: ignore[arg-type]
    threads.share_idle(runner._idle)
    try:
        assert threads.idle_workers() == 2  # a worker still starting is not idle
        runner._sealing = iter([])
        runner._note_idle(pool)  # type: ignore[arg-type]
        assert threads.idle_workers() == 0
        runner._sealing = None
        pool[1].inflight.append((9, "ocr"))
        runner._note_idle(pool)  # type: ignore[arg-type]
        assert threads.idle_workers() == 1
    finally:
        threads.share_idle(None)
    assert threads.idle_workers() == 0  # outside a run
