"""`sijill demo`: build a sample archive from the bundled, fictional demo corpus."""

from __future__ import annotations

import os
from pathlib import Path

import click

from sijill.cli.common import Ctx, out, pass_ctx
from sijill.cli.demo import build_demo


@click.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=Path("demo-archive"),
    show_default=True,
    help="Where to build the demo archive (an earlier demo there is replaced; "
    "any other non-empty directory is refused).",
)
@click.option(
    "--serve",
    "and_serve",
    is_flag=True,
    help="Then serve the web app and its API (as `sijill serve`) until Ctrl-C, and print a "
    "login per role; what `make demo` does.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="With --serve.")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="With --serve."
)
@pass_ctx
def demo(c: Ctx, out_dir: Path, and_serve: bool, host: str, port: int) -> None:
    """Build a sample archive from the bundled demo corpus and show commands at work.

    The corpus is entirely fictional: a memo, an Arabic scan, a French testimony, a phone
    photo with GPS, an e-mail, a zip, two written testimonies, a video interview with a
    re-uploaded excerpt of it and a voice memo. Everything is ingested into case `demo` and
    processed; then status, items, search, show, transcript, similar and verify run against it.
    The passphrase is SIJILL_PASSPHRASE, or `demo-passphrase` when that is unset. The demo
    is always a local archive (SIJILL_DATABASE_URL and SIJILL_BLOBS_URL are ignored).
    It also has five people, one per role (lead, analyst, expert1, expert2, reader), and two
    experts' reviews of the interview. With --serve the web app is then served to them.
    """
    build_demo(out_dir, c.settings, console=out)
    if and_serve:
        from sijill.cli.demo import DEMO_PASSWORD, DEMO_PEOPLE, demo_settings
        from sijill.cli.serve import serve
        from sijill.storage.archive import Archive

        settings = demo_settings(c.settings)
        archive = Archive.open(out_dir.absolute(), settings)
        password = os.environ.get("SIJILL_USER_PASSWORD") or DEMO_PASSWORD
        shown = password if password == DEMO_PASSWORD else "(SIJILL_USER_PASSWORD)"
        out.print(f"[bold]Open http://{host}:{port}/ in a browser and log in as one of:[/]")
        for name, role in DEMO_PEOPLE:
            out.print(f"  {role:<13} {name:<8} password {shown}")
        try:
            archive.unlock()
            serve(archive, host, port, settings.actor())
        finally:
            archive.close()
