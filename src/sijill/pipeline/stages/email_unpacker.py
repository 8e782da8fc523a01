"""Read e-mail (.eml, mbox, Outlook .msg): headers as metadata, the body as searchable text,
attachments and forwarded messages as child items.

An mbox is only split: each message becomes a child item, which this stage then reads as a
single message. Attachments go through `unpack_limits.Unpacking` like archive members (counted,
sealed under a counter name, limits checked); their declared file names are only displayed.
"""

from __future__ import annotations

import email.errors
import mailbox
import struct
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC
from email import policy
from email.message import Message
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from sijill.errors import InputRejected
from sijill.pipeline.stage import Stage, StageContext, StageResult, TextUnitOut
from sijill.pipeline.stages.plain_text import _Html
from sijill.pipeline.stages.unpack_limits import (
    LIMIT_DEFAULTS,
    LIMIT_HELP,
    MIB,
    Limits,
    Unpacking,
    clean_text,
    fmt_bytes,
)

MBOX = "application/mbox"
MSG = "application/vnd.ms-outlook"
RFC822 = "message/rfc822"
HEADERS = (
    ("from", "From"),
    ("to", "To"),
    ("cc", "Cc"),
    ("date", "Date"),
    ("subject", "Subject"),
    ("message_id", "Message-ID"),
)
# The stdlib header and MIME parsers raise assorted errors on hostile input instead of
# recording a defect; any of these means "this part cannot be read", not a bug of ours.
_PARSE_ERRORS = (
    email.errors.MessageError,
    ValueError,
    TypeError,
    IndexError,
    LookupError,
    AttributeError,
    AssertionError,
    UnicodeError,
)
# Re-emit a forwarded message as it was parsed: never refold its headers.
_AS_PARSED = policy.default.clone(refold_source="none")
_MAX_PARTS_DEPTH = 50
MAX_BODY_CHARS = 5_000_000
_T = TypeVar("_T")


def _safe(fn: Callable[[], _T], default: _T) -> _T:
    try:
        return fn()
    except _PARSE_ERRORS:
        return default


def html_to_text(html: str) -> str:
    """The text a reader of an HTML body sees (see `html_parts`)."""
    return html_parts(html)[0]


def html_parts(html: str) -> tuple[str, str]:
    """(what a reader sees, what they never see) of an HTML body, parsed as a web page is
    (`plain_text._Html`): elements that are `hidden`, `display:none`, `visibility:hidden`,
    `font-size:0` or `opacity:0` inline, scripts, styles, templates and comments are kept
    apart, so a name hidden in a mail's markup never reaches a publication copy."""
    parser = _Html()
    parser.feed(html)
    parser.close()
    hidden = " ".join(" ".join(parser.hidden).split())
    unseen = [hidden] if hidden else []
    unseen += [c.strip() for c in parser.comments if c.strip()]
    return parser.text(), "\n".join(unseen)


def _body_text(
    job: Unpacking, subject: str | None, chunks: list[str], hidden: Sequence[str] = ()
) -> list[TextUnitOut]:
    body = "\n\n".join(c.strip() for c in chunks if c and c.strip())
    text = f"Subject: {subject}\n\n{body}" if subject else body
    text = clean_text(text.strip())
    limit = int(job.ctx.config.get("max_body_chars", MAX_BODY_CHARS))
    if len(text) > limit:
        job.warnings.append(f"body text cut to its first {limit} characters (max_body_chars)")
        text = text[:limit]
    units = [TextUnitOut(kind="body", text=text, method="email")] if text else []
    unseen = clean_text("\n\n".join(h.strip() for h in hidden if h.strip()))[:limit]
    if unseen:
        # Evidence to search, never laid out in a copy (kind "hidden", as for documents).
        units.append(
            TextUnitOut(kind="hidden", text=unseen, method="email", info={"hidden": "hidden"})
        )
    return units


class EmailUnpacker(Stage):
    name = "email_unpacker"
    # 2: what an HTML body hides (hidden elements, comments) is a unit of kind "hidden".
    version = 2
    description = "e-mail headers, body text and attachments (.eml, mbox, Outlook .msg)"
    kinds: ClassVar[frozenset[str]] = frozenset({"email"})
    defaults: ClassVar[dict[str, Any]] = {
        **LIMIT_DEFAULTS,
        "max_message_bytes": 256 * MIB,
        "max_body_chars": MAX_BODY_CHARS,
    }
    config_help: ClassVar[dict[str, str]] = {
        **LIMIT_HELP,
        "max_message_bytes": "refuse to parse a single message bigger than this (it is read "
        "into memory); an mbox is split whatever its size",
        "max_body_chars": "keep at most this many characters of a message's body text",
    }

    def run(self, ctx: StageContext) -> StageResult:
        job = Unpacking(ctx, Limits(ctx.config), "e-mail")
        job.check_depth()
        with open(ctx.input_path, "rb") as f:
            head = f.read(8)
        if ctx.item.mime == MBOX:
            return _split_mbox(job, ctx.input_path)
        limit = int(ctx.config.get("max_message_bytes", self.defaults["max_message_bytes"]))
        if ctx.item.size > limit:
            raise InputRejected(
                f"message of {fmt_bytes(ctx.item.size)} is over "
                f"max_message_bytes={fmt_bytes(limit)}",
                status="rejected",
            )
        if ctx.item.mime == MSG or head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
            return _read_msg(job, ctx.input_path)
        return _read_eml(job, ctx.input_path)


def _split_mbox(job: Unpacking, path: Path) -> StageResult:
    box = mailbox.mbox(path, create=False)
    try:
        keys = box.keys()  # one pass over the file, noting where each message starts
        job.check_declared(len(keys))
        for n, key in enumerate(keys, 1):
            job.count_entries()
            with box.get_file(key) as fobj:
                job.add_stream(f"message-{n}.eml", fobj.read, mime_hint=RFC822)
    finally:
        box.close()
    return job.result(format="mbox")


def _leaves(
    part: Message,
    ancestors: tuple[Message, ...] = (),
) -> Iterator[tuple[Message, tuple[Message, ...]]]:
    """(leaf part, its multipart ancestors), depth first; message/* parts are leaves."""
    if part.is_multipart() and part.get_content_maintype() == "multipart":
        if len(ancestors) >= _MAX_PARTS_DEPTH:
            raise InputRejected(
                f"MIME parts nested more than {_MAX_PARTS_DEPTH} deep", status="invalid"
            )
        for sub in part.get_payload():
            if isinstance(sub, Message):
                yield from _leaves(sub, (*ancestors, part))
    else:
        yield part, ancestors


def _text_of(part: Message) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
        if isinstance(content, str):
            return content
    except _PARSE_ERRORS:
        pass
    raw = _safe(lambda: part.get_payload(decode=True), None)
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else ""


def _part_bytes(part: Message) -> tuple[bytes, str | None]:
    """The content of an attachment, decoded; a forwarded message re-emitted whole."""
    payload = part.get_payload()
    if isinstance(payload, list):  # message/rfc822 and kin: the parsed message(s)
        data = b"".join(_message_bytes(m) for m in payload if isinstance(m, Message))
        return data, RFC822 if part.get_content_type() in (RFC822, "message/global") else None
    raw = _safe(lambda: part.get_payload(decode=True), None)
    if isinstance(raw, bytes):
        return raw, None
    return (payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""), None


def _message_bytes(msg: Message) -> bytes:
    try:
        return msg.as_bytes(policy=_AS_PARSED)
    except _PARSE_ERRORS:
        return b""


def _header_values(msg: Message, header: str) -> list[str]:
    try:
        return [str(v) for v in msg.get_all(header, [])]
    except _PARSE_ERRORS:
        return []


def _headers(msg: Message) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for key, header in HEADERS:
        values = _header_values(msg, header)
        meta[key] = clean_text(", ".join(values)) if values else None
    if meta["date"]:
        when = _safe(lambda: parsedate_to_datetime(meta["date"]), None)
        if when is not None and when.tzinfo is not None:
            meta["date_utc"] = when.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return meta


def _read_eml(job: Unpacking, path: Path) -> StageResult:
    with open(path, "rb") as f:
        try:
            msg: Message = BytesParser(policy=policy.default).parse(f)
        except RecursionError as exc:
            raise InputRejected(
                "message structure nested too deeply to parse", status="invalid"
            ) from exc
    meta = _headers(msg)
    body = _safe(
        lambda: msg.get_body(preferencelist=("plain", "html")),  # type: ignore[attr-defined]
        None,
    )
    leaves = list(_leaves(msg))
    # The other renderings of the body (its HTML twin, perhaps inside multipart/related)
    # live under the nearest multipart/alternative above it.
    alternative: Message | None = None
    for part, ancestors in leaves:
        if part is body:
            alternative = next(
                (a for a in reversed(ancestors) if a.get_content_subtype() == "alternative"), None
            )
    chunks: list[str] = []
    hidden: list[str] = []

    def body_text(text: str, ctype: str) -> str:
        if ctype != "text/html":
            return text
        seen, unseen = html_parts(text)
        hidden.append(unseen)
        return seen

    attachments = 0
    for part, ancestors in leaves:
        ctype = part.get_content_type()
        disposition = _safe(part.get_content_disposition, None)
        filename = _safe(part.get_filename, None)
        is_text = ctype in ("text/plain", "text/html")
        if part is body:
            text = _text_of(part)
            chunks.insert(0, body_text(text, ctype))
            continue
        if is_text and alternative is not None and any(a is alternative for a in ancestors):
            continue  # the same body, rendered otherwise
        if is_text and disposition != "attachment" and not filename:
            text = _text_of(part)  # a body in several pieces (a footer, a forward)
            chunks.append(body_text(text, ctype))
            continue
        attachments += 1
        job.count_entries()
        data, hint = _part_bytes(part)
        job.add_bytes(filename or "", data, mime_hint=hint, fallback=f"attachment-{attachments}")
    result = job.result(format="eml")
    meta["format"] = "eml"
    meta["attachments"] = attachments
    defects = len(getattr(msg, "defects", []))
    if defects:
        meta["defects"] = defects
    result.metadata = {"email": meta}
    result.text_units = _body_text(job, meta["subject"], chunks, hidden)
    return result


def _msg_attr(obj: Any, attr: str) -> Any:
    """An extract_msg property: each is decoded on access, and may fail on a broken file."""
    from extract_msg.exceptions import ExMsgBaseException

    try:
        return getattr(obj, attr, None)
    except (ExMsgBaseException, OSError, struct.error, *_PARSE_ERRORS):
        return None


def _read_msg(job: Unpacking, path: Path) -> StageResult:
    import extract_msg
    from extract_msg.enums import AttachmentType, ErrorBehavior
    from extract_msg.exceptions import ExMsgBaseException

    errors = (ExMsgBaseException, OSError, EOFError, struct.error, *_PARSE_ERRORS)
    try:
        # Broken attachments come back as such (and are listed as skipped) instead of losing
        # the whole message; they are read only when asked for.
        msg = extract_msg.openMsg(
            str(path),
            strict=False,
            delayAttachments=True,
            errorBehavior=ErrorBehavior.ATTACH_SUPPRESS_ALL,
        )
    except errors as exc:
        raise InputRejected(f"not a readable Outlook message: {exc}", status="invalid") from exc
    try:
        meta: dict[str, Any] = {"format": "msg"}
        for key, attr in (
            ("from", "sender"),
            ("to", "to"),
            ("cc", "cc"),
            ("subject", "subject"),
            ("message_id", "messageId"),
        ):
            value = _msg_attr(msg, attr)
            meta[key] = clean_text(str(value)) if value else None
        date = _msg_attr(msg, "date")
        meta["date"] = date.isoformat() if date is not None else None
        body = _msg_attr(msg, "body")
        unseen = ""
        if not body:
            html = _msg_attr(msg, "htmlBody")
            if isinstance(html, bytes):
                body, unseen = html_parts(html.decode("utf-8", "replace"))
        atts: list[Any]
        try:
            atts = list(msg.attachments)
        except errors as exc:
            job.warnings.append(f"the attachments cannot be read: {exc}")
            atts = []
        job.check_declared(len(atts))
        for n, att in enumerate(atts, 1):
            job.count_entries()
            name = str(
                _msg_attr(att, "longFilename")
                or _msg_attr(att, "shortFilename")
                or _msg_attr(att, "displayName")
                or ""
            )
            kind = _msg_attr(att, "type")
            if kind == AttachmentType.DATA and isinstance(att.data, bytes):
                job.add_bytes(name, att.data, fallback=f"attachment-{n}")
            elif kind == AttachmentType.MSG:
                try:
                    data = att.data.exportBytes()
                except errors as exc:
                    job.skip(name or f"attachment-{n}", f"embedded message unreadable: {exc}")
                    continue
                job.add_bytes(name, data, mime_hint=MSG, fallback=f"attachment-{n}.msg")
            else:
                label = kind.name.lower() if kind is not None else "unknown"
                job.skip(name or f"attachment-{n}", f"{label} attachment with no content here")
        meta["attachments"] = len(job.children)
    finally:
        msg.close()
    result = job.result(format="msg")
    result.metadata = {"email": meta}
    result.text_units = _body_text(job, meta["subject"], [str(body)] if body else [], [unseen])
    return result
