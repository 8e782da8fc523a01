"""SQL for accounts, memberships and API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from sijill.storage.models import ApiToken, Case, Membership, User


def user_by_name(s: Session, name: str) -> User | None:
    return s.execute(select(User).where(User.name == name)).scalar_one_or_none()


def user_by_id(s: Session, user_id: int) -> User | None:
    return s.get(User, user_id)


def add_user(s: Session, name: str, password_hash: str, created_by: str) -> User:
    user = User(name=name, password_hash=password_hash, created_by=created_by)
    s.add(user)
    s.flush()
    return user


def users(s: Session) -> list[User]:
    return list(s.execute(select(User).order_by(User.name)).scalars())


def roles_of(s: Session, user_id: int) -> dict[str, str]:
    rows = s.execute(
        select(Membership.case_id, Membership.role).where(Membership.user_id == user_id)
    )
    return {c: r for c, r in rows}


def all_roles(s: Session) -> dict[int, dict[str, str]]:
    out: dict[int, dict[str, str]] = {}
    for user_id, case_id, role in s.execute(
        select(Membership.user_id, Membership.case_id, Membership.role)
    ):
        out.setdefault(user_id, {})[case_id] = role
    return out


def membership(s: Session, user_id: int, case_id: str) -> Membership | None:
    return s.get(Membership, (user_id, case_id))


def set_membership(s: Session, user_id: int, case_id: str, role: str, by: str) -> None:
    row = membership(s, user_id, case_id)
    if row is None:
        s.add(Membership(user_id=user_id, case_id=case_id, role=role, created_by=by))
    else:
        row.role = role
    s.flush()


def drop_membership(s: Session, user_id: int, case_id: str) -> bool:
    result = s.execute(
        delete(Membership).where(Membership.user_id == user_id, Membership.case_id == case_id)
    )
    return bool(getattr(result, "rowcount", 0))


def drop_memberships(s: Session, user_id: int) -> None:
    s.execute(delete(Membership).where(Membership.user_id == user_id))


def case_exists(s: Session, case_id: str) -> bool:
    return s.get(Case, case_id) is not None


def add_token(s: Session, user_id: int, digest: str) -> ApiToken:
    token = ApiToken(user_id=user_id, digest=digest)
    s.add(token)
    s.flush()
    return token


def live_token(s: Session, digest: str) -> tuple[ApiToken, User] | None:
    row = s.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.digest == digest, ApiToken.revoked_at.is_(None), User.removed_at.is_(None))
    ).first()
    return None if row is None else (row[0], row[1])


def revoke_tokens(s: Session, user_id: int, at: datetime) -> int:
    result = s.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=at)
    )
    return int(getattr(result, "rowcount", 0))
