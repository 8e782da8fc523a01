"""`sijill serve`: the web app and the HTTP API on uvicorn."""

from __future__ import annotations

import ipaddress
import logging

import click

from sijill.cli.common import Ctx, err, pass_ctx
from sijill.storage.archive import Archive


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@pass_ctx
def serve_cmd(c: Ctx, host: str, port: int) -> None:
    """Serve the web app (and its JSON API, under /api) to the people with accounts.

    What is uploaded in the browser is processed in the background, as `sijill run` does.

    The archive is unlocked with SIJILL_PASSPHRASE or a prompt. There is no TLS here: beyond
    this machine, put it behind a TLS proxy (session cookies are then marked Secure)."""
    serve(c.archive(unlock=True), host, port, c.settings.actor())


def serve(archive: Archive, host: str, port: int, actor_name: str) -> None:
    """Run the app on uvicorn until interrupted."""
    import uvicorn

    from sijill.web.app import create_app

    if not _loopback(host):
        err.print(
            f"[yellow]warning[/] serving on {host}: without a TLS proxy in front, passwords "
            "and tokens cross the network in clear"
        )
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    app = create_app(archive, actor_name=actor_name)
    err.print(
        f"serving the archive on http://{host}:{port}/ (the web app; the JSON API under /api); "
        "Ctrl-C stops"
    )
    # uvicorn's access log would write each query string (search words) and client address.
    uvicorn.run(
        app,
        host=host,
        port=port,
        access_log=False,
        log_level="info",
        server_header=False,
        proxy_headers=True,
    )
