"""Accounts, roles per case, passwords and API tokens: the people who may use an archive.

Passwords are hashed with argon2id (argon2-cffi's defaults: 64 MiB, three passes); API
tokens are 256 random bits shown once and kept only as their SHA-256, which is enough for a
secret that long and lets a token be found by its hash in one query. Logging in with a wrong
name costs the same as with a wrong password, so a login does not say which names exist.
Every change to an account or a role is a custody event; no event holds a password, a hash or
a token.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from sijill.archive.access import Actor, Can, Role, require
from sijill.archive.context import Context
from sijill.errors import AuthError, ConfigError, Forbidden, NotFound
from sijill.storage import custody
from sijill.storage.models import User, utcnow
from sijill.storage.repositories import people as repo

NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
MIN_PASSWORD = 12
TOKEN_PREFIX = "sijill_"
_HASHER = PasswordHasher()


@functools.cache
def _dummy() -> str:
    """Verified against when the name is unknown, so both failures take the same time."""
    return _HASHER.hash(secrets.token_hex(16))


@dataclass(frozen=True)
class Person:
    """An account as the services show it (never its hash)."""

    name: str
    roles: dict[str, str]
    created_at: datetime
    created_by: str
    removed_at: datetime | None

    @property
    def active(self) -> bool:
        return self.removed_at is None


def check_name(name: str) -> str:
    norm = name.strip().lower()
    if not NAME.fullmatch(norm):
        raise ConfigError(
            f"user name {name!r}: use letters, digits, '-', '_' or '.', at most 64 "
            "(a codename is safest: names show in custody events and reviews)"
        )
    return norm


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ConfigError(f"a password needs at least {MIN_PASSWORD} characters")


def _person(user: User, roles: dict[str, str]) -> Person:
    return Person(
        user.name, dict(sorted(roles.items())), user.created_at, user.created_by, user.removed_at
    )


def _custodian_only(ctx: Context, what: str) -> None:
    if not ctx.actor.is_custodian:
        raise Forbidden(f"only the archive's custodian (the CLI with the passphrase) can {what}")


def _live_user(s: Session, name: str) -> User:
    user = repo.user_by_name(s, check_name(name))
    if user is None or user.removed_at is not None:
        raise NotFound(f"no user {name!r}")
    return user


def add_user(ctx: Context, name: str, password: str, role: Role, case_id: str) -> Person:
    """A new account with one role in one case (the custodian only)."""
    _custodian_only(ctx, "create accounts")
    name = check_name(name)
    check_password(password)
    with ctx.session() as s:
        if not repo.case_exists(s, case_id):
            raise NotFound(f"no case {case_id!r}")
        old = repo.user_by_name(s, name)
        if old is not None:
            if old.removed_at is not None:
                raise ConfigError(
                    f"{name!r} was removed; its reviews keep the name, so choose another"
                )
            raise ConfigError(f"user {name!r} exists; change a role with `sijill user role`")
        user = repo.add_user(s, name, _HASHER.hash(password), ctx.actor.name)
        repo.set_membership(s, user.id, case_id, role.label, ctx.actor.name)
        custody.append(
            s,
            ctx.actor.name,
            "user_added",
            None,
            {"user": name, "case": case_id, "role": role.label},
        )
        return _person(user, {case_id: role.label})


def set_role(ctx: Context, name: str, case_id: str, role: Role | None) -> Person:
    """Give `name` a role in `case_id`, or take them out of it (None). Owners of the case and
    the custodian may; nobody changes their own role."""
    with ctx.session() as s:
        require(ctx.actor, case_id, Can.MANAGE)
        user = _live_user(s, name)
        if user.id == ctx.actor.user_id:
            raise Forbidden("nobody changes their own role; ask another owner or the custodian")
        if not repo.case_exists(s, case_id):
            raise NotFound(f"no case {case_id!r}")
        if role is None:
            if not repo.drop_membership(s, user.id, case_id):
                raise NotFound(f"{user.name} is not a member of case {case_id!r}")
            custody.append(
                s, ctx.actor.name, "member_removed", None, {"user": user.name, "case": case_id}
            )
        else:
            repo.set_membership(s, user.id, case_id, role.label, ctx.actor.name)
            custody.append(
                s,
                ctx.actor.name,
                "role_set",
                None,
                {"user": user.name, "case": case_id, "role": role.label},
            )
        return _person(user, repo.roles_of(s, user.id))


def remove_user(ctx: Context, name: str) -> Person:
    """Close an account (the custodian only): no login, no tokens, no roles; its reviews and
    its name stay."""
    _custodian_only(ctx, "remove accounts")
    with ctx.session() as s:
        user = _live_user(s, name)
        now = utcnow()
        user.removed_at = now
        user.password_hash = None
        tokens = repo.revoke_tokens(s, user.id, now)
        repo.drop_memberships(s, user.id)
        custody.append(
            s, ctx.actor.name, "user_removed", None, {"user": user.name, "tokens_revoked": tokens}
        )
        return _person(user, {})


def set_password(ctx: Context, name: str, password: str) -> None:
    """A new password: the custodian for anybody, a person for themself."""
    check_password(password)
    with ctx.session() as s:
        user = _live_user(s, name)
        if not ctx.actor.is_custodian and ctx.actor.user_id != user.id:
            raise Forbidden("a person changes only their own password")
        user.password_hash = _HASHER.hash(password)
        custody.append(s, ctx.actor.name, "password_changed", None, {"user": user.name})


def issue_token(ctx: Context, name: str) -> str:
    """A new API token for `name` (the custodian, or the person themself); shown only now."""
    with ctx.session() as s:
        user = _live_user(s, name)
        if not ctx.actor.is_custodian and ctx.actor.user_id != user.id:
            raise Forbidden("a person makes tokens only for themself")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = repo.add_token(s, user.id, token_digest(token))
        custody.append(
            s, ctx.actor.name, "token_issued", None, {"user": user.name, "token": row.id}
        )
        return token


def revoke_tokens(ctx: Context, name: str) -> int:
    with ctx.session() as s:
        user = _live_user(s, name)
        if not ctx.actor.is_custodian and ctx.actor.user_id != user.id:
            raise Forbidden("a person revokes only their own tokens")
        n = repo.revoke_tokens(s, user.id, utcnow())
        custody.append(s, ctx.actor.name, "tokens_revoked", None, {"user": user.name, "n": n})
        return n


def list_people(ctx: Context) -> list[Person]:
    """Everybody for the custodian; for a person, the members of the cases they can see,
    with only those cases' roles."""
    with ctx.reading() as s:
        roles = repo.all_roles(s)
        people = []
        for user in repo.users(s):
            mine = roles.get(user.id, {})
            if not ctx.actor.is_custodian:
                mine = {c: r for c, r in mine.items() if ctx.actor.sees(c)}
                if not mine and user.id != ctx.actor.user_id:
                    continue
            people.append(_person(user, mine))
        return people


def members(ctx: Context, case_id: str) -> list[dict[str, str]]:
    """Who is in a case, with their roles (any member may see who else is)."""
    with ctx.reading() as s:
        require(ctx.actor, case_id, Can.READ)
        roles = repo.all_roles(s)
        return [
            {"name": u.name, "role": roles[u.id][case_id]}
            for u in repo.users(s)
            if case_id in roles.get(u.id, {})
        ]


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _actor(user: User, roles: dict[str, str]) -> Actor:
    return Actor(user.name, user.id, {c: Role.parse(r) for c, r in roles.items()})


def actor_named(ctx: Context, name: str) -> Actor:
    """The person `name` as an actor (the CLI's `--as`, which holds the passphrase)."""
    with ctx.reading() as s:
        user = _live_user(s, name)
        return _actor(user, repo.roles_of(s, user.id))


def actor_by_id(ctx: Context, user_id: int) -> Actor:
    """The person behind a web session, with their roles as they are now."""
    with ctx.reading() as s:
        user = repo.user_by_id(s, user_id)
        if user is None or user.removed_at is not None:
            raise AuthError("this account was closed")
        return _actor(user, repo.roles_of(s, user.id))


def login(ctx: Context, name: str, password: str) -> Actor:
    """The person whose name and password these are; AuthError otherwise (same words and
    about the same time whether the name or the password was wrong)."""
    with ctx.session() as s:
        try:
            norm = check_name(name)
        except ConfigError:
            norm = ""
        user = repo.user_by_name(s, norm) if norm else None
        stored = user.password_hash if user is not None and user.removed_at is None else None
        try:
            _HASHER.verify(stored or _dummy(), password)
            ok = stored is not None
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok or user is None:
            raise AuthError("wrong name or password")
        if _HASHER.check_needs_rehash(stored or ""):
            user.password_hash = _HASHER.hash(password)
        return _actor(user, repo.roles_of(s, user.id))


def actor_for_token(ctx: Context, token: str) -> Actor:
    if not token.startswith(TOKEN_PREFIX):
        raise AuthError("not a Sijill API token")
    with ctx.reading() as s:
        found = repo.live_token(s, token_digest(token))
        if found is None:
            raise AuthError("unknown or revoked token")
        _row, user = found
        return _actor(user, repo.roles_of(s, user.id))
