"""Who is acting, and what their role in each case lets them do (DESIGN §5).

Every service takes an `Actor` and asks `require` before it reads or changes anything of a
case. The rules live here only, so the CLI, the HTTP API and every later face get the same:

- observers read working copies; reviewers also record reviews; investigators also ingest,
  manage protected terms, make publication copies and open originals; owners also manage
  members and approve copies. Each role can do all that the roles below it can.
- The local custodian (the CLI holding the passphrase, acting as nobody in particular) can do
  everything.
- A case a person is not a member of does not exist for them: `require` says NotFound, the
  same as for a case that does not exist, so its existence does not leak. Forbidden is only
  for a case they can see.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum, IntEnum

from sijill.errors import Forbidden, NotFound


class Role(IntEnum):
    OBSERVER = 1
    REVIEWER = 2
    INVESTIGATOR = 3
    OWNER = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Role:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(r.label for r in sorted(cls, reverse=True))
            raise ValueError(f"no role {text!r} (roles: {names})") from None


class Can(Enum):
    """What a service may be asked to do, and the least role that may do it."""

    READ = Role.OBSERVER  # working copies: items, texts, entities, claims, links
    REVIEW = Role.REVIEWER  # record reviews, claim statuses, link decisions
    INVESTIGATE = Role.INVESTIGATOR  # ingest, run, terms, publication copies, originals
    MANAGE = Role.OWNER  # members, approvals

    @property
    def least(self) -> Role:
        return Role(self.value)


_WORDS = {
    Can.READ: "read",
    Can.REVIEW: "record reviews in",
    Can.INVESTIGATE: "do an investigator's work in",
    Can.MANAGE: "manage",
}


@dataclass(frozen=True)
class Actor:
    """A person with an account and their roles per case, or the local custodian."""

    name: str
    user_id: int | None = None
    roles: Mapping[str, Role] = field(default_factory=dict)

    @property
    def is_custodian(self) -> bool:
        return self.user_id is None

    def role_in(self, case_id: str) -> Role | None:
        return Role.OWNER if self.is_custodian else self.roles.get(case_id)

    def sees(self, case_id: str) -> bool:
        return self.role_in(case_id) is not None

    def can(self, case_id: str, what: Can) -> bool:
        role = self.role_in(case_id)
        return role is not None and role >= what.least

    def cases(self, all_cases: list[str]) -> list[str]:
        """The cases of `all_cases` this actor can see, in the same order."""
        return [c for c in all_cases if self.sees(c)]


def custodian(name: str) -> Actor:
    """The local custodian, `name` being who they are in custody events (their login)."""
    return Actor(name=name)


def require(actor: Actor, case_id: str, what: Can, thing: str | None = None) -> Role:
    """The actor's role in `case_id` if it allows `what`; NotFound when they cannot see the
    case (the same words as for a missing one), Forbidden when their role is too low."""
    role = actor.role_in(case_id)
    if role is None:
        raise NotFound(f"no {thing}" if thing else f"no case {case_id!r}")
    if role < what.least:
        raise Forbidden(
            f"{actor.name} is {role.label} in case {case_id!r}: only "
            f"{what.least.label}s and above may {_WORDS[what]} it"
        )
    return role
