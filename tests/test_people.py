"""Accounts, roles and reviews through the services, on a real (encrypted SQLite) archive.

Items are really ingested; claims and links are written as rows (what the claim stage and the
case pass write), so the rules about judgements are tested without running the models."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sijill.archive import people
from sijill.archive.access import Actor, Can, Role, custodian, require
from sijill.archive.claims import claim_links, list_claims
from sijill.archive.context import Context
from sijill.archive.ingest import ingest
from sijill.archive.verify import verify
from sijill.errors import AuthError, ConfigError, Forbidden, NotFound
from sijill.review import service
from sijill.storage.archive import Archive
from sijill.storage.models import ApiToken, Claim, ClaimLink, CustodyEvent, Item, Job, User

PASSWORDS = {"amal": "amal-long-password", "bashir": "bashir-long-password"}


def _ctx(archive: Archive) -> Context:
    return Context(archive.catalog, custodian("keeper"))


def _item(archive: Archive, tmp_path: Path, name: str, text: str, case: str, witness: str) -> str:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    report = ingest(archive, [p], case=case, actor="keeper", witness=witness)
    item_id = report.outcomes[0].item_id
    assert item_id is not None
    return item_id


def _claim(archive: Archive, item_id: str, text: str) -> int:
    with archive.catalog.session() as s:
        item = s.get_one(Item, item_id)
        c = Claim(
            case_id=item.case_id,
            item_id=item_id,
            job_id=_job(s, item_id),
            text_unit_id=1,
            char_start=0,
            char_end=len(text),
            text=text,
            lang="en",
            info={},
        )
        s.add(c)
        s.flush()
        return c.id


def _job(s: Session, item_id: str) -> int:
    job = s.execute(select(Job.id).where(Job.item_id == item_id).limit(1)).scalar()
    if job is None:
        row = Job(
            item_id=item_id,
            stage="claim_extractor",
            stage_version=1,
            config_hash="t",
            input_sha256="0" * 64,
            state="done",
        )
        s.add(row)
        s.flush()
        return row.id
    return int(job)


def _link(archive: Archive, a: int, b: int, relation: str = "supports") -> int:
    with archive.catalog.session() as s:
        case = s.get_one(Claim, a).case_id
        lk = ClaimLink(
            case_id=case,
            claim_id=a,
            other_id=b,
            relation=relation,
            score=0.8,
            reasons=["same act: 'closed'"],
        )
        s.add(lk)
        s.flush()
        return lk.id


@pytest.fixture
def team(archive: Archive, tmp_path: Path) -> dict[str, object]:
    """Two cases; amal and bashir review in c1, olga observes it, ivan investigates it,
    owen owns it, and zed is only in c2."""
    ctx = _ctx(archive)
    for case in ("c1", "c2"):
        archive.ensure_case(case)
    roles = {
        "amal": Role.REVIEWER,
        "bashir": Role.REVIEWER,
        "olga": Role.OBSERVER,
        "ivan": Role.INVESTIGATOR,
        "owen": Role.OWNER,
    }
    for name, role in roles.items():
        people.add_user(ctx, name, PASSWORDS.get(name, f"{name}-long-password"), role, "c1")
    people.add_user(ctx, "zed", "zed-long-password", Role.OWNER, "c2")
    video = _item(archive, tmp_path, "t1.txt", "Testimony one.\n", "c1", "HERON")
    other = _item(archive, tmp_path, "t2.txt", "Testimony two.\n", "c1", "KESTREL")
    hidden = _item(archive, tmp_path, "t3.txt", "Another case.\n", "c2", "PLOVER")
    return {"ctx": ctx, "video": video, "other": other, "hidden": hidden}


def _as(ctx: Context, name: str) -> Context:
    return ctx.acting_as(people.actor_named(ctx, name))


def test_roles_are_ordered_and_the_rules_say_not_found_outside_a_case() -> None:
    reviewer = Actor("amal", 1, {"c1": Role.REVIEWER})
    assert require(reviewer, "c1", Can.READ) == Role.REVIEWER
    assert require(reviewer, "c1", Can.REVIEW) == Role.REVIEWER
    with pytest.raises(Forbidden):
        require(reviewer, "c1", Can.INVESTIGATE)
    # Not a member: exactly the words of a case that does not exist.
    with pytest.raises(NotFound) as outside:
        require(reviewer, "c2", Can.READ)
    with pytest.raises(NotFound) as missing:
        require(reviewer, "nope", Can.READ)
    assert str(outside.value).replace("c2", "X") == str(missing.value).replace("nope", "X")
    assert custodian("keeper").can("anything", Can.MANAGE)
    observer = Actor("olga", 2, {"c1": Role.OBSERVER})
    assert observer.can("c1", Can.READ) and not observer.can("c1", Can.REVIEW)
    assert [r.label for r in sorted(Role)] == ["observer", "reviewer", "investigator", "owner"]


def test_accounts_store_argon2id_and_token_hashes_only(archive: Archive, team: dict) -> None:
    ctx: Context = team["ctx"]  # type: ignore[assignment]
    token = people.issue_token(ctx, "amal")
    assert token.startswith("sijill_") and len(token) > 40
    with archive.catalog.session() as s:
        user = s.execute(select(User).where(User.name == "amal")).scalar_one()
        assert user.password_hash is not None and user.password_hash.startswith("$argon2id$")
        assert PASSWORDS["amal"] not in user.password_hash
        digests = list(s.execute(select(ApiToken.digest)).scalars())
        assert digests == [hashlib.sha256(token.encode()).hexdigest()]
        events = list(s.execute(select(CustodyEvent)).scalars())
    # No event holds a password, its hash or the token.
    dumped = json.dumps([e.details for e in events])
    for secret in (token, PASSWORDS["amal"], user.password_hash):
        assert secret not in dumped
    assert {"user_added", "token_issued"} <= {e.action for e in events}
    # The token and the password open the same account; a wrong one opens nothing.
    assert people.actor_for_token(ctx, token).name == "amal"
    assert people.login(ctx, "Amal", PASSWORDS["amal"]).roles == {"c1": Role.REVIEWER}
    with pytest.raises(AuthError) as wrong_pw:
        people.login(ctx, "amal", "not-the-password")
    with pytest.raises(AuthError) as wrong_name:
        people.login(ctx, "nobody", "not-the-password")
    assert str(wrong_pw.value) == str(wrong_name.value)
    with pytest.raises(AuthError):
        people.actor_for_token(ctx, token[:-2] + "xx")


def test_bad_names_passwords_and_duplicates_are_refused(archive: Archive, team: dict) -> None:
    ctx: Context = team["ctx"]  # type: ignore[assignment]
    with pytest.raises(ConfigError):
        people.add_user(ctx, "x" * 65, "a-long-enough-password", Role.OBSERVER, "c1")
    with pytest.raises(ConfigError):
        people.add_user(ctx, "new\u202eone", "a-long-enough-password", Role.OBSERVER, "c1")
    with pytest.raises(ConfigError):
        people.add_user(ctx, "short", "2short", Role.OBSERVER, "c1")
    with pytest.raises(ConfigError):
        people.add_user(ctx, "AMAL", "a-long-enough-password", Role.OBSERVER, "c1")
    with pytest.raises(NotFound):
        people.add_user(ctx, "newone", "a-long-enough-password", Role.OBSERVER, "no-case")
    # Only the custodian creates accounts.
    with pytest.raises(Forbidden):
        people.add_user(_as(ctx, "owen"), "newone", "a-long-enough-password", Role.OBSERVER, "c1")


def test_owners_manage_their_case_only_and_nobody_their_own_role(
    archive: Archive, team: dict
) -> None:
    ctx: Context = team["ctx"]  # type: ignore[assignment]
    owen = _as(ctx, "owen")
    assert people.set_role(owen, "olga", "c1", Role.REVIEWER).roles == {"c1": "reviewer"}
    with pytest.raises(Forbidden):
        people.set_role(_as(ctx, "ivan"), "olga", "c1", Role.OWNER)  # investigators cannot
    with pytest.raises(NotFound):
        people.set_role(owen, "olga", "c2", Role.OBSERVER)  # owen cannot see c2
    with pytest.raises(Forbidden):
        people.set_role(owen, "owen", "c1", Role.OBSERVER)
    people.set_role(owen, "olga", "c1", None)
    assert people.actor_named(ctx, "olga").roles == {}
    # What a person lists: members of the cases they see, with those cases' roles only.
    listed = {p.name: p.roles for p in people.list_people(_as(ctx, "zed"))}
    assert listed == {"zed": {"c2": "owner"}}
    assert len(people.list_people(ctx)) == 6


def test_removed_accounts_cannot_log_in_and_keep_their_name(archive: Archive, team: dict) -> None:
    ctx: Context = team["ctx"]  # type: ignore[assignment]
    token = people.issue_token(ctx, "bashir")
    service.review_item(_as(ctx, "bashir"), team["video"], "staged", "no", "likely", "calm")
    people.remove_user(ctx, "bashir")
    with pytest.raises(AuthError):
        people.login(ctx, "bashir", PASSWORDS["bashir"])
    with pytest.raises(AuthError):
        people.actor_for_token(ctx, token)
    with pytest.raises(NotFound):
        people.actor_named(ctx, "bashir")
    with pytest.raises(ConfigError, match="removed"):
        people.add_user(ctx, "bashir", "another-long-password", Role.REVIEWER, "c1")
    shown = service.reviews_of_item(ctx, team["video"])
    assert [r.reviewer for r in shown.reviews] == ["bashir"]


def test_passwords_change_for_oneself_or_by_the_custodian(archive: Archive, team: dict) -> None:
    ctx: Context = team["ctx"]  # type: ignore[assignment]
    with pytest.raises(Forbidden):
        people.set_password(_as(ctx, "amal"), "bashir", "hijacked-password")
    people.set_password(_as(ctx, "amal"), "amal", "amal-new-password")
    assert people.login(ctx, "amal", "amal-new-password").name == "amal"
    with pytest.raises(AuthError):
        people.login(ctx, "amal", PASSWORDS["amal"])
    with pytest.raises(Forbidden):
        people.issue_token(_as(ctx, "amal"), "bashir")


def test_reviews_are_blind_until_you_answer(archive: Archive, team: dict) -> None:
    ctx: Context = team["ctx"]  # type: ignore[assignment]
    video = str(team["video"])
    amal, bashir = _as(ctx, "amal"), _as(ctx, "bashir")
    service.review_item(
        amal,
        video,
        "staged",
        "no",
        "likely",
        "steady voice, no cuts",
        anchors=[service.anchor_at("0:05-0:40")],
    )
    service.review_item(amal, video, "coerced", "no", "almost-certainly", "speaks freely")
    # bashir has answered nothing: sees no answer of amal's, only that two wait.
    before = service.reviews_of_item(bashir, video)
    assert before.reviews == []
    assert before.hidden == {(video, "staged"): 1, (video, "coerced"): 1}
    service.review_item(bashir, video, "staged", "yes", "unlikely", "a cut at 0:12")
    after = service.reviews_of_item(bashir, video)
    assert sorted((r.reviewer, r.question) for r in after.reviews) == [
        ("amal", "staged"),
        ("bashir", "staged"),
    ]
    assert after.hidden == {(video, "coerced"): 1}
    # The owner and the custodian see everything; an observer sees nothing of others'.
    for who in (_as(ctx, "owen"), ctx):
        assert len(service.reviews_of_item(who, video).reviews) == 3
    assert service.reviews_of_item(_as(ctx, "olga"), video).reviews == []
    # Agreement is computed on what the viewer may see.
    staged = {a.question: a for a in service.reviews_of_item(ctx, video).agreement}["staged"]
    assert staged.items == 1 and staged.answers == 2


def test_a_new_review_supersedes_and_history_stays(archive: Archive, team: dict) -> None:
    ctx: Context = team["ctx"]  # type: ignore[assignment]
    video = str(team["video"])
    amal = _as(ctx, "amal")
    first = service.review_item(amal, video, "staged", "unclear", "even-chance", "not sure")
    again = service.review_item(amal, video, "staged", "unclear", "even chance", "not sure")
    assert again.id == first.id  # the same judgement again records nothing
    second = service.review_item(amal, video, "staged", "no", "likely", "saw the full tape")
    assert second.supersedes == first.id
    now = service.reviews_of_item(amal, video)
    assert [(r.id, r.answer) for r in now.reviews] == [(second.id, "no")]
    history = service.reviews_of_item(amal, video, history=True)
    assert [(r.id, r.current) for r in history.reviews] == [(first.id, False), (second.id, True)]
    with archive.catalog.session() as s:
        actions = [e.action for e in s.execute(select(CustodyEvent)).scalars()]
    assert actions.count("review_recorded") == 2
    report = verify(archive)
    assert report.ok, report.problems


def test_a_review_edited_in_the_catalog_is_named_by_verify(archive: Archive, team: dict) -> None:
    ctx: Context = team["ctx"]  # type: ignore[assignment]
    r = service.review_item(_as(ctx, "amal"), str(team["video"]), "staged", "no", "likely", "ok")
    assert verify(archive).ok
    with archive.catalog.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE reviews SET answer = 'yes' WHERE id = ?", (r.id,))
    report = verify(archive)
    assert not report.ok
    assert [(p["record"], p["id"]) for p in report.problems] == [("review", r.id)]


def test_who_may_review_what(archive: Archive, team: dict) -> None:
    ctx: Context = team["ctx"]  # type: ignore[assignment]
    video, hidden = str(team["video"]), str(team["hidden"])
    with pytest.raises(Forbidden):
        service.review_item(_as(ctx, "olga"), video, "staged", "no", "likely", "x")
    with pytest.raises(NotFound, match="no item"):
        service.review_item(_as(ctx, "amal"), hidden, "staged", "no", "likely", "x")
    with pytest.raises(NotFound):
        service.reviews_of_item(_as(ctx, "amal"), hidden)
    with pytest.raises(NotFound):
        service.reviews_of_case(_as(ctx, "amal"), "c2")
    with pytest.raises(ConfigError, match="person"):
        service.review_item(ctx, video, "staged", "no", "likely", "the custodian is nobody")
    amal = _as(ctx, "amal")
    for bad in (
        dict(question="pretty", answer="no"),
        dict(question="staged", answer="maybe"),
        dict(question="identity", answer="verified"),  # no method
    ):
        with pytest.raises(ConfigError):
            service.review_item(amal, video, bad["question"], bad["answer"], "likely", "x")
    with pytest.raises(ConfigError):
        service.review_item(amal, video, "staged", "no", "very sure", "x")
    with pytest.raises(ConfigError):
        service.review_item(amal, video, "staged", "no", "likely", "   ")
    r = service.review_item(
        amal,
        video,
        "identity",
        "partial",
        "likely",
        "face matches",
        method="compared with a 2013 photo",
    )
    assert r.method == "compared with a 2013 photo"
    for text in ("30-12", "abc", "1:xx"):
        with pytest.raises(ConfigError):
            service.anchor_at(text)
    assert service.anchor_at("1:02-1:30") == {"start": 62.0, "end": 90.0}
    assert service.anchor_page("3-4") == {"page": 3, "end_page": 4}
    with pytest.raises(ConfigError):
        service.anchor_page("0")


def test_claim_status_and_link_decision_outlive_recomputed_rows(
    archive: Archive, team: dict
) -> None:
    ctx: Context = team["ctx"]  # type: ignore[assignment]
    text_a = "The checkpoint at the bridge was closed on 3 March 2015."
    text_b = "They closed the bridge checkpoint in early March 2015."
    a = _claim(archive, str(team["video"]), text_a)
    b = _claim(archive, str(team["other"]), text_b)
    link = _link(archive, a, b)
    with archive.catalog.session() as s:
        rows, _n = list_claims(s, case="c1")
    first = {r["id"]: r for r in rows}[a]
    # Machines never say verified: until a person sets a status, it is a count of sources.
    assert first["status"] is None
    assert first["standing"] == "supported by 1 independent source"
    amal = _as(ctx, "amal")
    service.set_claim_status(amal, f"c{a}", "corroborated", "two witnesses, same day")
    service.decide_link(amal, link, False, "different checkpoints")
    # A later run deletes and recreates claims and links: new ids, same content.
    with archive.catalog.session() as s:
        s.query(ClaimLink).delete()
        s.query(Claim).delete()
    # (a claim found first, and an unrelated link, so the rows get other ids than before)
    first_found = _claim(archive, str(team["other"]), "A convoy left at dawn.")
    b2 = _claim(archive, str(team["other"]), text_b)
    a2 = _claim(archive, str(team["video"]), text_a)
    _link(archive, a2, first_found, "contradicts")
    link2 = _link(archive, a2, b2)
    assert (a2, link2) != (a, link)
    with archive.catalog.session() as s:
        rows, _n = list_claims(s, case="c1")
        links = claim_links(s, a2)
    again = {r["id"]: r for r in rows}[a2]
    assert again["status"]["status"] == "corroborated" and again["status"]["by"] == "amal"
    assert again["standing"] == "corroborated (set by amal)"
    # The rejected link is shown with its decision and counts for nothing.
    rejected = {lk["id"]: lk for lk in links}[link2]
    assert rejected["decision"]["decision"] == "reject" and rejected["decision"]["by"] == "amal"
    assert {r["id"]: r for r in rows}[b2]["standing"] == "no other source yet"
    assert {r["id"]: r for r in rows}[first_found]["standing"] == (
        "contradicted by 1 independent source"
    )
    with pytest.raises(Forbidden):
        service.decide_link(_as(ctx, "olga"), link2, True, "x")
    with pytest.raises(NotFound):
        service.decide_link(_as(ctx, "zed"), link2, True, "x")
    assert verify(archive).ok


def test_agreement_is_krippendorffs_alpha_per_question(archive: Archive, team: dict) -> None:
    ctx: Context = team["ctx"]  # type: ignore[assignment]
    amal, bashir = _as(ctx, "amal"), _as(ctx, "bashir")
    video, other = str(team["video"]), str(team["other"])
    # staged: they agree on both items; coerced: they disagree on both.
    for item in (video, other):
        service.review_item(amal, item, "staged", "no", "likely", "x")
        service.review_item(bashir, item, "staged", "no", "likely", "x")
    service.review_item(amal, video, "coerced", "yes", "likely", "x")
    service.review_item(bashir, video, "coerced", "no", "likely", "x")
    service.review_item(amal, other, "coerced", "no", "likely", "x")
    service.review_item(bashir, other, "coerced", "yes", "likely", "x")
    service.review_item(amal, other, "date_consistent", "yes", "likely", "x")
    got = {a.question: a for a in service.reviews_of_case(ctx, "c1").agreement}
    # Everybody said "no" to staged: no disagreement to expect, so no alpha (not 1.0).
    assert got["staged"].alpha is None and "undefined" in got["staged"].note
    assert got["staged"].items == 2
    # Systematic disagreement on a two-value question: alpha = 1 - Do/De = 1 - 1/(4/6) = -0.5.
    assert got["coerced"].alpha == pytest.approx(-0.5)
    assert got["coerced"].items == 2 and got["coerced"].reviewers == 2
    assert got["date_consistent"].alpha is None and got["date_consistent"].items == 0
