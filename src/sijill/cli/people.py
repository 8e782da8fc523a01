"""`sijill user ...`: accounts, roles per case, passwords and API tokens."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from sijill.archive import people
from sijill.archive.access import Role
from sijill.cli.common import Ctx, emit_json, err, escape, out, pass_ctx

ROLES = click.Choice([r.label for r in sorted(Role, reverse=True)])


def _password(prompt: str) -> str:
    env = os.environ.get("SIJILL_USER_PASSWORD")
    if env:
        return env
    if not sys.stdin.isatty():
        raise click.UsageError(
            "set SIJILL_USER_PASSWORD (there is no terminal to ask for the password)"
        )
    value: str = click.prompt(prompt, hide_input=True, confirmation_prompt=True, err=True)
    return value


def person_json(p: people.Person) -> dict[str, Any]:
    return {
        "name": p.name,
        "roles": p.roles,
        "active": p.active,
        "created_at": p.created_at,
        "created_by": p.created_by,
        "removed_at": p.removed_at,
    }


@click.group()
def user() -> None:
    """Accounts: who may use the archive, and their role in each case.

    Roles per case: owner (manages members, approves copies), investigator (ingests, manages
    protected terms, makes publication copies, opens originals), reviewer (records reviews),
    observer (reads working copies). Each can do all the roles below it can."""


@user.command("add")
@click.argument("name")
@click.option("--role", required=True, type=ROLES, help="Role in the case.")
@click.option("--case", "case_id", required=True, help="The case the person joins.")
@pass_ctx
def user_add(c: Ctx, name: str, role: str, case_id: str) -> None:
    """Create an account (password from SIJILL_USER_PASSWORD or a prompt)."""
    ctx = c.context()
    person = people.add_user(
        ctx, name, _password("Password for " + name), Role.parse(role), case_id
    )
    err.print(f"[green]added[/] {escape(person.name)}: {role} in {escape(case_id)}")


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@pass_ctx
def user_list(c: Ctx, as_json: bool) -> None:
    """Accounts with their roles per case."""
    rows = people.list_people(c.context())
    if as_json:
        emit_json({"users": [person_json(p) for p in rows], "total": len(rows)})
        return
    for p in rows:
        roles = ", ".join(f"{r} in {cs}" for cs, r in p.roles.items()) or "no case"
        state = "" if p.active else " [dim](removed)[/]"
        out.print(f"[bold]{escape(p.name)}[/]{state}  {escape(roles)}")


@user.command("role")
@click.argument("name")
@click.option("--case", "case_id", required=True)
@click.option("--role", type=ROLES, default=None, help="The new role.")
@click.option("--remove", is_flag=True, help="Take the person out of the case.")
@click.option("--as", "as_name", default=None, metavar="NAME", help="Act as this owner.")
@pass_ctx
def user_role(
    c: Ctx, name: str, case_id: str, role: str | None, remove: bool, as_name: str | None
) -> None:
    """Set a person's role in a case, or take them out of it (--remove)."""
    if (role is None) == (not remove):
        raise click.UsageError("give --role ROLE or --remove")
    person = people.set_role(c.context(as_name), name, case_id, Role.parse(role) if role else None)
    what = f"{role} in {case_id}" if role else f"no longer in {case_id}"
    err.print(f"[green]{escape(person.name)}[/]: {escape(what)}")


@user.command("remove")
@click.argument("name")
@pass_ctx
def user_remove(c: Ctx, name: str) -> None:
    """Close an account: no login, tokens revoked, out of every case; its reviews stay."""
    person = people.remove_user(c.context(), name)
    err.print(f"[green]removed[/] {escape(person.name)}")


@user.command("passwd")
@click.argument("name")
@pass_ctx
def user_passwd(c: Ctx, name: str) -> None:
    """Set a new password (from SIJILL_USER_PASSWORD or a prompt)."""
    people.set_password(c.context(), name, _password("New password for " + name))
    err.print(f"[green]password changed[/] for {escape(name)}")


@user.command("token")
@click.argument("name")
@click.option("--revoke", is_flag=True, help="Revoke every token of the person instead.")
@pass_ctx
def user_token(c: Ctx, name: str, revoke: bool) -> None:
    """Print one new API token on stdout; it is shown only this once."""
    ctx = c.context()
    if revoke:
        n = people.revoke_tokens(ctx, name)
        err.print(f"revoked {n} token{'s' if n != 1 else ''} of {escape(name)}")
        return
    token = people.issue_token(ctx, name)
    sys.stdout.write(token + "\n")
    err.print("Keep it like a password: it is not stored and cannot be shown again.")
