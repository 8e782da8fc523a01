"""The `sijill` command's entry point: starts unlocking the archive, then loads the CLI.

Loading the command line (SQLAlchemy, the pipeline, rich) takes about a second; opening the
archive key with the passphrase takes about as long again on one core. With the passphrase
in SIJILL_PASSPHRASE, the key is opened in a forked child while the rest loads (see
`storage.crypto.unlock_ahead`; this runs before the process has started any thread).
Only the archive folder the command will most likely use is tried (`--archive DIR`, else
SIJILL_ARCHIVE, else ./sijill-archive); if the command uses another, it unlocks that one
itself as before.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def _archive_arg(argv: list[str]) -> str | None:
    for i, arg in enumerate(argv):
        if arg == "--archive" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--archive="):
            return arg.split("=", 1)[1]
        if not arg.startswith("-"):
            return None  # the subcommand: options after it are its own
    return None


def main() -> None:
    secret = os.environ.get("SIJILL_PASSPHRASE", "")
    if secret:
        from sijill.storage.crypto import unlock_ahead

        root = _archive_arg(sys.argv[1:]) or os.environ.get("SIJILL_ARCHIVE") or "sijill-archive"
        try:
            unlock_ahead(Path(root) / "keys", secret)
        except OSError:
            pass  # the command says what is wrong with the folder
    from sijill.cli.main import main as cli_main

    cli_main()
