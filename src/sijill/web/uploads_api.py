"""Uploads from a browser, in chunks (see `archive/uploads.py`): start, send chunks in order,
finish (the file is sealed and processing starts), or cancel."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from sijill.archive.context import Context
from sijill.archive.uploads import MAX_CHUNK, Uploads
from sijill.errors import ConfigError
from sijill.web.app import state, who

router = APIRouter(prefix="/api/uploads")
Who = Annotated[Context, Depends(who)]


class UploadIn(BaseModel):
    case: str = Field(max_length=64)
    name: str = Field(max_length=1000)
    size: int = Field(ge=0, le=2**50)
    witness: str | None = Field(default=None, max_length=200)
    date: str | None = Field(default=None, max_length=10)


def _uploads(request: Request) -> Uploads:
    up = state(request).uploads
    assert up is not None
    return up


@router.post("")
def start(body: UploadIn, ctx: Who, request: Request) -> dict[str, Any]:
    """Announce a file: its case, name and size (and optionally witness and date)."""
    up = _uploads(request).start(
        ctx, body.case, body.name, body.size, witness=body.witness or None, date=body.date or None
    )
    return {**up.json(), "chunk_size": MAX_CHUNK // 2}


@router.put("/{upload_id}")
async def chunk(
    upload_id: str,
    ctx: Who,
    request: Request,
    offset: Annotated[int, Query(ge=0, le=2**50)],
) -> dict[str, Any]:
    """The next bytes of the file, starting at `offset` (the body is the raw bytes)."""
    parts: list[bytes] = []
    size = 0
    async for part in request.stream():
        size += len(part)
        if size > MAX_CHUNK:
            raise ConfigError(f"a chunk is at most {MAX_CHUNK} bytes")
        parts.append(part)
    up = await run_in_threadpool(_uploads(request).chunk, ctx, upload_id, offset, b"".join(parts))
    return up.json()


@router.post("/{upload_id}/finish")
def finish(upload_id: str, ctx: Who, request: Request) -> dict[str, Any]:
    """Seal the file (as `sijill ingest`) and start processing it."""
    outcome = _uploads(request).finish(ctx, upload_id)
    proc = state(request).processor
    if proc is not None and outcome.get("status") == "new":
        proc.kick()
    return outcome


@router.delete("/{upload_id}")
def cancel(upload_id: str, ctx: Who, request: Request) -> dict[str, Any]:
    _uploads(request).cancel(ctx, upload_id)
    return {"cancelled": upload_id}
