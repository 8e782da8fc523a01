"""Hostile containers: bombs, path traversal, links, passwords, truncation, limits.

One real `sijill run` processes every hostile input together with a plain file, to show that
each bad input is flagged on its own item and the rest goes on. The stages are also driven
directly, with the worker's real context and the archive's real blob store, where the point
is time, memory or a limit set per case.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import struct
import subprocess
import tarfile
import time
import tracemalloc
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import py7zr
import pytest
from sqlalchemy import select

from sijill.errors import InputRejected
from sijill.pipeline.stage import ItemInfo, Stage
from sijill.pipeline.stages.container_unpacker import ContainerUnpacker
from sijill.pipeline.stages.email_unpacker import EmailUnpacker
from sijill.pipeline.worker import JobSpec, _Context
from sijill.settings import Settings
from sijill.storage.archive import Archive
from sijill.storage.models import Case, Item, Job
from sijill.storage.repositories.item_views import item_detail
from sijill.tools.identify import identify
from tests.conftest import CLI, PASSPHRASE, cli_env

GIB = 1 << 30
TRAVERSAL = ("../x", "../../etc/x", "/etc/x", "..\\..\\win\\x", "a/../../x\x1b[31m")


def deflated_zeros(mib: int) -> tuple[bytes, bytes, int]:
    """(repeated block, last block, crc32) of a raw deflate stream of `mib` MiB of zeros.

    Deflating 1 GiB takes seconds; after a full flush every 1 MiB block of zeros compresses
    to the same bytes, so one block is compressed and written `mib - 1` times.
    """
    chunk = bytes(1 << 20)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    last = comp.compress(chunk) + comp.flush()
    crc = 0
    for _ in range(mib):
        crc = zlib.crc32(chunk, crc)
    return block, last, crc


def zeros_gzip(path: Path, mib: int = 1024) -> None:
    """A bare gzip of `mib` MiB of zeros (about 1 MB for 1 GiB)."""
    block, last, crc = deflated_zeros(mib)
    with open(path, "wb") as f:
        f.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03")
        for _ in range(mib - 1):
            f.write(block)
        f.write(last + struct.pack("<II", crc, (mib << 20) & 0xFFFFFFFF))


def zeros_zip(path: Path, mib: int = 1024, name: str = "zeros.bin") -> None:
    """A zip of one member of `mib` MiB of zeros, written by hand in well under a second."""
    block, last, crc = deflated_zeros(mib)
    csize, usize, fname = len(block) * (mib - 1) + len(last), mib << 20, name.encode()
    local = (
        struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, csize, usize, len(fname), 0)
        + fname
    )
    central = (
        struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            20,
            20,
            0,
            8,
            0,
            0x21,
            crc,
            csize,
            usize,
            len(fname),
            0,
            0,
            0,
            0,
            0,
            0,
        )
        + fname
    )
    with open(path, "wb") as f:
        f.write(local)
        for _ in range(mib - 1):
            f.write(block)
        f.write(last)
        offset = f.tell()
        f.write(central)
        f.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), offset, 0))


def nested_bomb(path: Path, levels: int = 8, copies: int = 10) -> None:
    """Zip in zip in zip..., each level holding `copies` copies of the next."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(copies):
            z.writestr(f"zeros-{i}.bin", bytes(1 << 20))
    for level in range(2, levels + 1):
        data, buf = buf.getvalue(), io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for i in range(copies):
                z.writestr(f"level{level - 1}-{i}.zip", data)
    path.write_bytes(buf.getvalue())


def traversal_zip(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as z:
        for n, name in enumerate(TRAVERSAL):
            z.writestr(name, f"zip member {n} tried to escape\n")
        link = zipfile.ZipInfo("link")
        link.create_system = 3
        link.external_attr = 0o120777 << 16  # S_IFLNK: the content is the link's target
        z.writestr(link, "/etc/passwd")
        z.writestr("ok.txt", "an honest zip member\n")


def traversal_tar(path: Path) -> None:
    with tarfile.open(path, "w") as t:
        for n, name in enumerate(TRAVERSAL):
            data = f"tar member {n} tried to escape\n".encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
        for name, kind in (("link", tarfile.SYMTYPE), ("hard", tarfile.LNKTYPE)):
            info = tarfile.TarInfo(name)
            info.type, info.linkname = kind, "/etc/passwd"
            t.addfile(info)
        fifo = tarfile.TarInfo("pipe")
        fifo.type = tarfile.FIFOTYPE
        t.addfile(fifo)
        data = b"an honest tar member\n"
        info = tarfile.TarInfo("ok-tar.txt")
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))


def make_hostile(src: Path) -> None:
    src.mkdir()
    zeros_zip(src / "flat-bomb.zip")
    zeros_gzip(src / "flat-bomb.gz")
    nested_bomb(src / "nested-bomb.zip")
    traversal_zip(src / "traversal.zip")
    traversal_tar(src / "traversal.tar")
    (src / "secret.txt").write_text("the password is not here\n")
    subprocess.run(
        ["7z", "a", "-tzip", "-pSECRET", str(src / "locked.zip"), str(src / "secret.txt")],
        check=True,
        capture_output=True,
    )
    (src / "secret.txt").unlink()
    with py7zr.SevenZipFile(src / "locked.7z", "w", password="SECRET") as z:
        z.writestr(b"sealed by password\n", "inside.txt")
    with py7zr.SevenZipFile(
        src / "locked-list.7z", "w", password="SECRET", header_encryption=True
    ) as z:
        z.writestr(b"even the names are sealed\n", "inside.txt")
    whole = io.BytesIO()
    with zipfile.ZipFile(whole, "w", zipfile.ZIP_DEFLATED) as z:
        for n in range(5):
            z.writestr(f"part-{n}.txt", os.urandom(2000))
    (src / "truncated.zip").write_bytes(whole.getvalue()[: len(whole.getvalue()) // 2])
    tgz = io.BytesIO()
    with tarfile.open(fileobj=tgz, mode="w:gz") as t:
        for n in range(4):
            data = f"kept member {n}\n".encode() + os.urandom(3000)
            info = tarfile.TarInfo(f"kept-{n}.txt")
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    (src / "truncated.tar.gz").write_bytes(tgz.getvalue()[:-1500])
    (src / "garbage.7z").write_bytes(b"7z\xbc\xaf\x27\x1c\x00\x04" + os.urandom(500))
    (src / "plain.txt").write_text("An ordinary statement that must still be processed.\n")


@dataclass
class Hostile:
    cli: CLI
    archive: Archive
    root: Path
    items: list[dict[str, Any]]
    run_output: str
    run_seconds: float

    def one(self, name: str) -> dict[str, Any]:
        found = [i for i in self.items if i["name"] == name and i["depth"] == 0]
        assert len(found) == 1, name
        return found[0]

    def children(self, item: dict[str, Any]) -> list[dict[str, Any]]:
        return [i for i in self.items if i["parent_id"] == item["id"]]

    def job_result(self, item: dict[str, Any], stage: str) -> dict[str, Any]:
        with self.archive.catalog.session() as s:
            job = s.execute(
                select(Job).where(Job.item_id == item["id"], Job.stage == stage)
            ).scalar_one()
            return dict(job.result or {})


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hostile]:
    if shutil.which("7z") is None:
        pytest.skip("the 7z command (Debian p7zip-full) is needed to make an encrypted zip")
    root = tmp_path_factory.mktemp("hostile")
    cli = CLI(root / "archive", cli_env())
    cli("init")
    make_hostile(root / "in")
    # A case whose limits are set low, to show that per-case config reaches the stage.
    archive = Archive.open(root / "archive", Settings(passphrase=PASSPHRASE, user="tester"))
    archive.ensure_case("strict")
    with archive.catalog.session() as s:
        s.get_one(Case, "strict").config = {"container_unpacker": {"max_total_bytes": 2 << 20}}
    (root / "strict").mkdir()
    with zipfile.ZipFile(root / "strict" / "three-mib.zip", "w") as z:
        for n in range(3):
            z.writestr(f"random-{n}.bin", os.urandom(1 << 20))
    cli("ingest", str(root / "in"))
    cli("ingest", "--case", "strict", str(root / "strict"))
    started = time.monotonic()
    run = cli("run", timeout=300)
    elapsed = time.monotonic() - started
    try:
        yield Hostile(cli, archive, root, cli.json("items")["items"], run.stdout, elapsed)
    finally:
        archive.close()


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def test_flat_bombs_are_rejected_and_the_run_goes_on(hostile: Hostile) -> None:
    # A zip's declared sizes bound what zipfile yields: refused before a byte is written.
    bomb = hostile.one("flat-bomb.zip")
    assert bomb["status"] == "rejected"
    assert "max_ratio" in bomb["status_reason"] and "before unpacking" in bomb["status_reason"]
    # A gzip declares nothing trustworthy: it is expanded, counted, and stopped part-way.
    gz = hostile.one("flat-bomb.gz")
    assert gz["status"] == "rejected" and "max_ratio" in gz["status_reason"]
    stopped = re.search(r"stopped after (\d+) bytes", gz["status_reason"])
    # 200 x 1 MB, far from the 1 GiB it would expand to
    assert stopped is not None and int(stopped.group(1)) < 300 << 20
    assert hostile.children(bomb) == [] and hostile.children(gz) == []
    assert hostile.one("plain.txt")["status"] == "processed"
    # Everything sealed (bombs included) fits in a few MB; no decrypted work file is left.
    assert dir_size(hostile.root / "archive") < 40 << 20
    assert [p for p in (hostile.root / "archive" / "tmp").rglob("*") if p.is_file()] == []
    assert hostile.run_seconds < 240


def test_nested_bomb_stops_at_max_depth(hostile: Hostile) -> None:
    chain = [hostile.one("nested-bomb.zip")]
    while kids := hostile.children(chain[-1]):
        assert len(kids) == 1  # ten identical copies are one item with ten receipts
        chain.append(kids[0])
    assert [i["depth"] for i in chain] == [0, 1, 2, 3, 4, 5]
    assert all(i["status"] == "processed" for i in chain[:-1])
    assert chain[-1]["status"] == "rejected"
    assert "max_depth" in chain[-1]["status_reason"]
    with hostile.archive.catalog.session() as s:
        receipts = item_detail(s, s.get_one(Item, chain[1]["id"]))["receipts"]
    assert len(receipts) == 10


def test_traversal_names_never_become_paths(hostile: Hostile) -> None:
    assert not Path("/etc/x").exists()
    for folder in (hostile.root, *hostile.root.parents):
        for name in ("x", "win"):
            assert not (folder / name).exists(), folder / name
    for container in ("traversal.zip", "traversal.tar"):
        item = hostile.one(container)
        assert item["status"] == "processed"
        names = [c["name"] for c in hostile.children(item)]
        assert len(names) == len(TRAVERSAL) + 1
        for name in names:
            parts = name.split("/")
            assert ".." not in parts and not name.startswith("/") and "\\" not in name
            assert not any(ord(ch) < 32 for ch in name), name
        assert {"x", "etc/x", "win/x"} <= set(names)


def test_links_and_special_members_are_skipped_not_followed(hostile: Hostile) -> None:
    passwd = hashlib.sha256(Path("/etc/passwd").read_bytes()).hexdigest()
    link_target = hashlib.sha256(b"/etc/passwd").hexdigest()
    assert not any(i["sha256"] in (passwd, link_target) for i in hostile.items)
    zip_skipped = hostile.job_result(hostile.one("traversal.zip"), "container_unpacker")
    assert zip_skipped["skipped"] == [{"name": "link", "reason": "symbolic link (not followed)"}]
    tar_result = hostile.job_result(hostile.one("traversal.tar"), "container_unpacker")
    reasons = {s["name"]: s["reason"] for s in tar_result["skipped"]}
    assert set(reasons) == {"link", "hard", "pipe"}
    assert "symbolic link" in reasons["link"] and "hard link" in reasons["hard"]
    assert {r["raw"] for r in tar_result["renamed"]} >= {"../x", "/etc/x"}


def test_password_protected_archives_are_flagged_encrypted(hostile: Hostile) -> None:
    for name in ("locked.zip", "locked.7z", "locked-list.7z"):
        item = hostile.one(name)
        assert item["status"] == "encrypted", item
        assert "password" in item["status_reason"]
        assert hostile.children(item) == []


def test_corrupt_archives_are_invalid_or_keep_what_came_out(hostile: Hostile) -> None:
    for name in ("truncated.zip", "garbage.7z"):
        item = hostile.one(name)
        assert item["status"] == "invalid", item
        assert "corrupt" in item["status_reason"] or "not a readable" in item["status_reason"]
    tgz = hostile.one("truncated.tar.gz")
    assert tgz["status"] == "processed"
    kept = sorted(c["name"] for c in hostile.children(tgz))
    assert kept and kept == [f"kept-{n}.txt" for n in range(len(kept))] and len(kept) < 4
    warnings = hostile.job_result(tgz, "container_unpacker")["warnings"]
    assert any("truncated" in w for w in warnings)


def test_case_config_lowers_the_limits(hostile: Hostile) -> None:
    strict = [i for i in hostile.items if i["name"] == "three-mib.zip"][0]
    assert strict["case"] == "strict" and strict["status"] == "rejected"
    assert "max_total_bytes" in strict["status_reason"]


def test_status_lists_every_flagged_item(hostile: Hostile) -> None:
    status = hostile.cli.json("status")
    flagged = {f["name"]: f["status"] for f in status["flagged"]}
    assert flagged == {
        "flat-bomb.zip": "rejected",
        "flat-bomb.gz": "rejected",
        "level3-0.zip": "rejected",
        "three-mib.zip": "rejected",
        "locked.zip": "encrypted",
        "locked.7z": "encrypted",
        "locked-list.7z": "encrypted",
        "truncated.zip": "invalid",
        "garbage.7z": "invalid",
    }
    assert all(f["reason"] for f in status["flagged"])
    assert "failed" not in status["items_by_status"]


# --- The stages driven directly: the worker's context, the archive's blob store. ---------


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    """One archive for the direct runs below (creating its keys costs seconds)."""
    root = tmp_path_factory.mktemp("direct")
    a = Archive.init(root / "archive", Settings(passphrase=PASSPHRASE, user="tester"), PASSPHRASE)
    yield a
    a.close()


def stage_run(
    archive: Archive, stage: Stage, path: Path, tmp: Path, *, depth: int = 0, **config: Any
) -> Any:
    mime, _ = identify(path)
    info = ItemInfo(
        id="test",
        sha256="",
        size=path.stat().st_size,
        name=path.name,
        mime=mime,
        kind="archive",
        depth=depth,
        case="default",
    )
    spec = JobSpec(
        job_id=0, stage=stage.name, config={**stage.defaults, **config}, item=info, blob=""
    )
    workdir = tmp / "work"
    workdir.mkdir(exist_ok=True)
    return stage.run(_Context(spec, path, workdir, archive.blobs))


def test_flat_bomb_stops_fast_in_little_memory(store: Archive, tmp_path: Path) -> None:
    zeros_gzip(tmp_path / "bomb.gz")
    before = dir_size(store.root / "blobs")
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(InputRejected, match="max_ratio") as caught:
            stage_run(store, ContainerUnpacker(), tmp_path / "bomb.gz", tmp_path)
        elapsed = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert caught.value.status == "rejected"
    assert elapsed < 30 and peak < 32 << 20
    assert dir_size(store.root / "blobs") == before  # the half-expanded member was dropped
    assert [p for p in (tmp_path / "work").rglob("*") if p.is_file()] == []


def test_7z_and_tar_bombs_are_rejected(store: Archive, tmp_path: Path) -> None:
    # Small bombs, with the ratio enforced from the first byte, keep this test quick.
    with py7zr.SevenZipFile(tmp_path / "bomb.7z", "w") as z:
        z.writestr(bytes(6 << 20), "zeros.bin")
    with pytest.raises(InputRejected, match="max_ratio"):
        stage_run(store, ContainerUnpacker(), tmp_path / "bomb.7z", tmp_path, ratio_min_bytes=0)
    with tarfile.open(tmp_path / "bomb.tar.gz", "w:gz") as t:
        info = tarfile.TarInfo("zeros.bin")
        info.size = 8 << 20
        t.addfile(info, io.BytesIO(bytes(info.size)))
    with pytest.raises(InputRejected, match="max_ratio"):
        stage_run(store, ContainerUnpacker(), tmp_path / "bomb.tar.gz", tmp_path, ratio_min_bytes=0)
    before = dir_size(store.root / "blobs")
    with pytest.raises(InputRejected, match="max_total_bytes"):
        stage_run(
            store, ContainerUnpacker(), tmp_path / "bomb.7z", tmp_path, max_total_bytes=1 << 20
        )
    assert dir_size(store.root / "blobs") == before


def test_member_and_count_limits(store: Archive, tmp_path: Path) -> None:
    many = tmp_path / "many.zip"
    with zipfile.ZipFile(many, "w") as z:
        for n in range(30):
            z.writestr(f"f{n}.txt", f"file {n}")
    with pytest.raises(InputRejected, match="max_members"):
        stage_run(store, ContainerUnpacker(), many, tmp_path, max_members=10)
    big = tmp_path / "big.tar"
    with tarfile.open(big, "w") as t:
        info = tarfile.TarInfo("big.bin")
        info.size = 3 << 20
        t.addfile(info, io.BytesIO(os.urandom(info.size)))
    with pytest.raises(InputRejected, match="max_member_bytes"):
        stage_run(store, ContainerUnpacker(), big, tmp_path, max_member_bytes=1 << 20)
    with pytest.raises(InputRejected, match="max_depth"):
        stage_run(store, ContainerUnpacker(), many, tmp_path, depth=5)


def test_7z_member_names(store: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # py7zr refuses to write such names; an attacker's tool would not, so lift its check
    # while making the file (and only then).
    with monkeypatch.context() as m:
        m.setattr(py7zr.py7zr, "check_archive_path", lambda _name: True)
        with py7zr.SevenZipFile(tmp_path / "names.7z", "w") as z:
            for n, name in enumerate(("../x", "/etc/x", "a/../../x", "ok.txt")):
                z.writestr(f"7z member {n}".encode(), name)
    result = stage_run(store, ContainerUnpacker(), tmp_path / "names.7z", tmp_path)
    assert sorted(c.name for c in result.children) == ["etc/x", "ok.txt"]
    assert [s["reason"].split(";")[0] for s in result.data["skipped"]] == [
        "unsafe path '../x'",
        "unsafe path 'a/../../x'",
    ]
    assert not Path("/etc/x").exists() and not (tmp_path.parent / "x").exists()


def test_hostile_email(store: Archive, tmp_path: Path) -> None:
    m = EmailMessage()
    m["From"] = "Mallory <m@example.org>"
    m["Subject"] = "Invoice"
    m.set_content("See the files.")
    for n in range(4):
        m.add_attachment(
            f"payload {n}".encode(),
            maintype="application",
            subtype="octet-stream",
            filename=f"../../etc/cron.d/evil{n}",
        )
    raw = bytes(m).replace(b"Subject: Invoice", b"Subject: Invoice \xff\xfe\x00 broken")
    path = tmp_path / "evil.eml"
    path.write_bytes(raw)
    result = stage_run(store, EmailUnpacker(), path, tmp_path)
    assert [c.name for c in result.children] == [f"etc/cron.d/evil{n}" for n in range(4)]
    subject = result.metadata["email"]["subject"]
    subject.encode("utf-8")  # no lone surrogates reach the catalog
    assert "\x00" not in result.text_units[0].text
    with pytest.raises(InputRejected, match="max_members"):
        stage_run(store, EmailUnpacker(), path, tmp_path, max_members=2)
    with pytest.raises(InputRejected, match="max_message_bytes"):
        stage_run(store, EmailUnpacker(), path, tmp_path, max_message_bytes=100)
