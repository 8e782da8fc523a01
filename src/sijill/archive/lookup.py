"""Finding what a service is asked about, as the actor may see it: one rule for every
service (a person names an item by its exact id; what they cannot see is not there)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from sijill.archive.access import Can, require
from sijill.archive.context import Context
from sijill.errors import NotFound
from sijill.storage.models import Item
from sijill.storage.repositories.item_views import resolve_item


def item_of(s: Session, ctx: Context, item_id: str, what: Can = Can.READ) -> Item:
    """The item with this id. The local custodian may also give a unique prefix; a person
    may not (an ambiguous prefix would say that an id exists in a case they cannot see)."""
    item = s.get(Item, item_id)
    if item is None and ctx.actor.is_custodian:
        item = resolve_item(s, item_id)
    if item is None or not ctx.actor.sees(item.case_id):
        raise NotFound(f"no item {item_id!r}")
    require(ctx.actor, item.case_id, what)
    return item
