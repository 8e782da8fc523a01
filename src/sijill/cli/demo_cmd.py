"""`sijill demo`: build a sample archive from the bundled, fictional demo corpus."""

from __future__ import annotations

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
@pass_ctx
def demo(c: Ctx, out_dir: Path) -> None:
    """Build a sample archive from the bundled demo corpus and show commands at work.

    The corpus is entirely fictional: a memo, an Arabic scan, a French testimony, a phone
    photo with GPS, an e-mail, a zip, two written testimonies, a video interview with a
    re-uploaded excerpt of it and a voice memo. Everything is ingested into case `demo` and
    processed; then status, items, search, show, transcript, similar and verify run against it.
    The passphrase is SIJILL_PASSPHRASE, or `demo-passphrase` when that is unset. The demo
    is always a local archive (SIJILL_DATABASE_URL and SIJILL_BLOBS_URL are ignored).
    The investigator web app will be served by `sijill serve` in a later version.
    """
    build_demo(out_dir, c.settings, console=out)
