"""Commands for cases (per-case stage settings) and for the stage registry."""

from __future__ import annotations

from typing import Any

import click

from sijill.archive import casework
from sijill.cli.common import Ctx, emit_json, out, pass_ctx
from sijill.pipeline.registry import default_registry


@click.group()
def case() -> None:
    """Cases: list them, and set their stage settings."""


@case.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@pass_ctx
def case_list(c: Ctx, as_json: bool) -> None:
    """List cases with their item counts and settings."""
    cases = casework.cases(c.context())
    if as_json:
        emit_json({"cases": cases, "total": len(cases)})
        return
    for cs in cases:
        out.print(f"[bold]{cs['id']}[/]  {cs['items']} items  {cs['config'] or ''}")


@case.command("config")
@click.argument("case_id")
@click.argument("settings", nargs=-1)
@click.option("--unset", multiple=True, help="STAGE.SETTING to return to its default.")
@pass_ctx
def case_config(c: Ctx, case_id: str, settings: tuple[str, ...], unset: tuple[str, ...]) -> None:
    """Show or change a case's stage settings: STAGE.SETTING=VALUE ...

    Example: sijill case config raqqa tesseract_ocr.languages=ara+eng

    A changed setting re-runs, at the next `sijill run`, only the stages it affects.
    """
    config = casework.configure_case(
        c.context(), default_registry(), case_id, list(settings), list(unset)
    )
    emit_json({"case": case_id, "config": config})


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def stages(as_json: bool) -> None:
    """List the pipeline stages, what they take, and their settings with defaults."""
    reg = default_registry()
    docs: list[dict[str, Any]] = [
        {
            "name": st.name,
            "version": st.version,
            "description": st.description,
            "after": list(st.after),
            "tools": list(st.tools),
            "settings": [
                {"name": k, "default": v, "help": st.config_help.get(k, "")}
                for k, v in st.defaults.items()
            ],
        }
        for st in reg.ordered()
    ]
    if as_json:
        emit_json({"stages": docs, "total": len(docs)})
        return
    for d in docs:
        out.print(f"[bold]{d['name']}[/] v{d['version']}: {d['description']}")
        for st in d["settings"]:
            out.print(f"    {d['name']}.{st['name']} = {st['default']!r}  [dim]{st['help']}[/]")
