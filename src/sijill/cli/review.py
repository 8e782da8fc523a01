"""`sijill review` (record a judgement) and `sijill reviews` (show them, with agreement)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import click

from sijill.archive.claims import claim_ref
from sijill.cli.common import Ctx, emit_json, err, escape, out, pass_ctx
from sijill.review import service
from sijill.review.vocabulary import CLAIM_STATUSES, CONFIDENCE, QUESTIONS

_AS = click.option(
    "--as", "as_name", default=None, metavar="NAME", help="Who judges (default SIJILL_USER)."
)


def _is_claim(ref: str) -> bool:
    return ref[:1] in "cC" and claim_ref(ref) is not None


def review_json(r: service.ReviewView) -> dict[str, Any]:
    doc = asdict(r)
    doc["created_at"] = r.created_at
    return doc


@click.command("review")
@click.argument("target", nargs=-1, required=True)
@click.option("--question", "-q", type=click.Choice(list(QUESTIONS)), default=None)
@click.option(
    "--answer",
    "-a",
    default=None,
    help="yes / no / unclear; identity: verified / partial / unverified / contradicted.",
)
@click.option(
    "--confidence",
    "-c",
    type=click.Choice(list(CONFIDENCE)),
    default=None,
    help="How likely your answer is right.",
)
@click.option("--method", default=None, help="identity: how it was checked.")
@click.option(
    "--status",
    type=click.Choice(list(CLAIM_STATUSES)),
    default=None,
    help="A claim's status (with a claim: c42).",
)
@click.option(
    "--accept",
    "decision",
    flag_value="accept",
    default=None,
    help="Accept a machine link (with: link N).",
)
@click.option("--reject", "decision", flag_value="reject", help="Reject a machine link.")
@click.option("--note", required=True, help="Your rationale.")
@click.option(
    "--at",
    "at",
    multiple=True,
    metavar="START-END",
    help="Seconds of the recording it rests on, e.g. 12-30 or 1:02-1:30.",
)
@click.option("--page", "pages", multiple=True, metavar="N[-M]", help="Pages it rests on.")
@_AS
@click.option("--json", "as_json", is_flag=True, help="Print the recorded review as JSON.")
@pass_ctx
def review_cmd(
    c: Ctx,
    target: tuple[str, ...],
    question: str | None,
    answer: str | None,
    confidence: str | None,
    method: str | None,
    status: str | None,
    decision: str | None,
    note: str,
    at: tuple[str, ...],
    pages: tuple[str, ...],
    as_name: str | None,
    as_json: bool,
) -> None:
    """Record a judgement: an item's question, a claim's status, or a link's decision.

    \b
    sijill review ITEM --question staged --answer no --confidence likely --note TEXT
    sijill review c42 --status disputed --note TEXT
    sijill review link 17 --reject --note TEXT

    A new judgement of yours on the same thing replaces your old one, which is kept."""
    ctx = c.context(as_name, person=True)
    if target[0] == "link":
        if len(target) != 2 or not target[1].isdigit():
            raise click.UsageError("write: sijill review link N --accept|--reject --note TEXT")
        if decision is None:
            raise click.UsageError("a link is decided with --accept or --reject")
        r = service.decide_link(ctx, int(target[1]), decision == "accept", note)
    elif len(target) != 1:
        raise click.UsageError("review one item, one claim (c42) or one link (link 17)")
    elif _is_claim(target[0]):
        if status is None:
            raise click.UsageError("a claim is reviewed with --status " + "|".join(CLAIM_STATUSES))
        r = service.set_claim_status(ctx, target[0], status, note)
    else:
        if question is None or answer is None or confidence is None:
            raise click.UsageError("an item's review needs --question, --answer and --confidence")
        anchors = [service.anchor_at(a) for a in at] + [service.anchor_page(p) for p in pages]
        r = service.review_item(
            ctx, target[0], question, answer, confidence, note, method=method, anchors=anchors
        )
    if as_json:
        emit_json(review_json(r))
        return
    err.print(f"[green]recorded[/] review {r.id}: {escape(_line(r))}")


def _line(r: service.ReviewView) -> str:
    if r.kind == "item":
        conf = f" ({r.confidence})" if r.confidence else ""
        method = f", by {r.method}" if r.method else ""
        return f"{r.question}: {r.answer}{conf}{method}"
    if r.kind == "claim":
        return f"claim c{r.info.get('claim')}: {r.answer}"
    return f"link {r.info.get('link')} ({r.info.get('relation')}): {r.answer}"


def _where(anchors: list[dict[str, Any]]) -> str:
    parts = []
    for a in anchors:
        if "page" in a:
            p, q = a["page"], a["end_page"]
            parts.append(f"p.{p}" if p == q else f"pp.{p}-{q}")
        else:
            parts.append(f"{a['start']:g}-{a['end']:g} s")
    return ", ".join(parts)


@click.command("reviews")
@click.argument("item_ref", required=False, metavar="ITEM")
@click.option("--case", "case_id", default=None, help="Every review of a case.")
@click.option("--history", is_flag=True, help="Superseded judgements too.")
@_AS
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@pass_ctx
def reviews_cmd(
    c: Ctx,
    item_ref: str | None,
    case_id: str | None,
    history: bool,
    as_name: str | None,
    as_json: bool,
) -> None:
    """Reviews of an item or a case, side by side, with agreement per question.

    Blind: you see others' answers to a question only after answering it yourself (owners
    see all)."""
    if (item_ref is None) == (case_id is None):
        raise click.UsageError("give an ITEM or --case C")
    ctx = c.context(as_name, person=True)
    if item_ref is not None:
        shown = service.reviews_of_item(ctx, item_ref, history=history)
    else:
        assert case_id is not None
        shown = service.reviews_of_case(ctx, case_id, history=history)
    hidden = [
        {"item_id": i, "question": q, "answers": n} for (i, q), n in sorted(shown.hidden.items())
    ]
    if as_json:
        emit_json(
            {
                "reviews": [review_json(r) for r in shown.reviews],
                "total": len(shown.reviews),
                "hidden": hidden,
                "agreement": [asdict(a) for a in shown.agreement],
            }
        )
        return
    last = None
    for r in shown.reviews:
        head = r.item_id if r.kind == "item" else f"{r.item_id} {r.kind}"
        if head != last:
            out.print(f"[bold]{escape(head or '')}[/]")
            last = head
        old = "" if r.current else " [dim](superseded)[/]"
        where = f" [{_where(r.anchors)}]" if r.anchors else ""
        out.print(f"  {escape(r.reviewer)}: {escape(_line(r))}{escape(where)}{old}")
        out.print(f"    [dim]{escape(r.note, line=True)}[/]")
    for h in hidden:
        out.print(
            f"[yellow]{h['answers']} answer(s) to {h['question']} on {h['item_id']} hidden[/] "
            "until you answer it yourself"
        )
    if shown.agreement:
        out.print("[bold]agreement[/] (Krippendorff's alpha, nominal)")
    for a in shown.agreement:
        figure = f"{a.alpha:.2f}" if a.alpha is not None else "n/a"
        extra = f"; {a.note}" if a.note else ""
        out.print(
            f"  {a.question}: {figure} over {a.items} items, {a.answers} answers, "
            f"{a.reviewers} reviewers{escape(extra)}"
        )
