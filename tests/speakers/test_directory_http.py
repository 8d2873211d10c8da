"""The lecturer directory over HTTP: consent per role, search validation and
audit, a lecturer's own profile, hidden records, the contact relay."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import Session, col

from services.common.pagination import decode_cursor
from services.speakers.models import Notice, SearchAudit
from tests.speakers.conftest import (
    NOBODY,
    OFFICER,
    SEARCHER,
    add_engagement,
    add_lecturer,
    lecturer_account,
    set_consent,
)

EMAIL = "lin.lecturer@example.gov.tw"
PHONE = "02-2397-9000"
BIO = "資安治理講座，曾任資通安全署顧問。"
LEVELS = ("searchers", "training_officers", "hidden")
ROLES = {"searcher": SEARCHER, "training_officer": OFFICER}
SEES = {
    ("searcher", "searchers"): True,
    ("searcher", "training_officers"): False,
    ("searcher", "hidden"): False,
    ("training_officer", "searchers"): True,
    ("training_officer", "training_officers"): True,
    ("training_officer", "hidden"): False,
}


def _profiled(call, person_id: str = "P-LIN") -> int:
    lecturer_id = add_lecturer(
        call,
        name="林資安",
        organisation="數位發展部",
        expertise=["資通安全", "人工智慧"],
        email=EMAIL,
        phone=PHONE,
        biography=BIO,
        person_id=person_id,
    )
    add_engagement(call, lecturer_id)
    return lecturer_id


FIELDS = ("email", "phone", "biography", "engagements")


def _settings(field: str, level: str) -> dict[str, str]:
    """`field` at `level`, every other field at the opposite extreme, so that a
    leak of one field into another's setting shows."""
    other = "searchers" if level == "hidden" else "hidden"
    return {f: (level if f == field else other) for f in FIELDS}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("level", LEVELS)
def test_each_field_shows_only_as_far_as_its_consent_allows(call, role, field, level):
    chosen = _settings(field, level)
    email, phone, biography, engagements = (chosen[f] for f in FIELDS)
    lecturer_id = _profiled(call)
    set_consent(call, "P-LIN", **chosen)
    response = call("GET", "/search", ROLES[role], params={"expertise": "資安"})
    # 資安 is not in 資通安全: the name 林資安 is searched by name instead.
    assert response.json()["items"] == []
    response = call("GET", "/search", ROLES[role], params={"name": "資安"})
    assert response.status_code == 200, response.text
    [item] = response.json()["items"]
    assert item["id"] == lecturer_id
    assert (item["email"] == EMAIL) is SEES[(role, email)]
    assert (item["phone"] == PHONE) is SEES[(role, phone)]
    assert (item["biography"] == BIO) is SEES[(role, biography)]
    assert (item["engagements"] is not None) is SEES[(role, engagements)]
    body = response.text
    for value, level in ((EMAIL, email), (PHONE, phone), (BIO, biography)):
        if not SEES[(role, level)]:
            assert value not in body
    if not SEES[(role, engagements)]:
        assert "資訊安全研習班" not in body
        assert item["last_engaged_on"] is None


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("level", LEVELS)
def test_class_and_course_criteria_match_only_disclosed_records(call, role, level):
    _profiled(call)
    set_consent(call, "P-LIN", engagements=level)
    found = call("GET", "/search", ROLES[role], params={"course_name": "資安"}).json()["items"]
    assert bool(found) is SEES[(role, level)]


def test_consent_takes_effect_at_once_and_keeps_its_history(call):
    _profiled(call)
    me = lecturer_account("P-LIN")
    set_consent(call, "P-LIN", email="searchers")
    assert (
        call("GET", "/search", SEARCHER, params={"name": "林"}).json()["items"][0]["email"] == EMAIL
    )
    set_consent(call, "P-LIN", email="hidden")
    assert (
        call("GET", "/search", SEARCHER, params={"name": "林"}).json()["items"][0]["email"] is None
    )
    consent = call("GET", "/me/consent", me).json()
    assert consent["current"]["email"] == "hidden"
    assert [h["disclosure"] for h in consent["history"] if h["field"] == "email"] == [
        "hidden",
        "searchers",
    ]


def test_contact_details_are_hidden_until_the_lecturer_chooses(call):
    _profiled(call)
    [item] = call("GET", "/search", OFFICER, params={"name": "林"}).json()["items"]
    assert item["email"] is None and item["phone"] is None
    assert item["can_message"] is True


def test_searches_are_audited_without_contact_data(call, apps):
    _profiled(call)
    set_consent(call, "P-LIN", email="searchers", phone="searchers")
    response = call("GET", "/search", SEARCHER, params={"name": "林", "expertise": "ＡＩ"})
    assert response.json()["items"] == []
    found = call("GET", "/search", SEARCHER, params={"name": "林資"})
    assert found.json()["items"][0]["email"] == EMAIL
    with Session(apps["speakers"].state.engine) as session:
        rows = session.scalars(select(SearchAudit).order_by(col(SearchAudit.id))).all()
    assert [(r.searcher, r.criteria, r.result_count) for r in rows] == [
        ("searcher.a01", {"name": "林", "expertise": "ＡＩ"}, 0),
        ("searcher.a01", {"name": "林資"}, 1),
    ]
    for row in rows:
        flat = repr(row.model_dump())
        assert EMAIL not in flat and PHONE not in flat
    reads = call(
        "GET", "/audit/personal-data-reads", {"permissions": ["speakers:audit:read"]}
    ).json()["items"]
    assert any(r["resource"] == "search" and r["fields"] == "email,phone" for r in reads)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "query"),
        ({"name": "   "}, "query.name"),
        ({"course_name": "課" * 51}, "query.course_name"),
        ({"expertise": "x" * 101}, "query.expertise"),
        ({"name": "林", "cursor": "bm90LWEtY3Vyc29y"}, "query.cursor"),
    ],
)
def test_bad_criteria_are_a_problem_naming_the_field(call, params, field):
    response = call("GET", "/search", SEARCHER, params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]


def test_searching_needs_the_search_permission(call):
    assert call("GET", "/search", None, params={"name": "林"}).status_code == 401
    for principal in (NOBODY, lecturer_account("P-LIN")):
        assert call("GET", "/search", principal, params={"name": "林"}).status_code == 403


def test_search_pages_are_walked_by_cursor(call):
    ids = [add_lecturer(call, name=f"陳倫理{i}") for i in range(5)]
    seen, cursor = [], None
    while True:
        params = {"name": "倫理", "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = call("GET", "/search", SEARCHER, params=params).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == ids and len(seen) == 5


def test_ranking_puts_exact_then_prefix_then_substring(call):
    inside = add_lecturer(call, name="x", expertise=["應用人工智慧"])
    exact = add_lecturer(call, name="y", expertise=["人工智慧"])
    prefix = add_lecturer(call, name="z", expertise=["人工智慧倫理"])
    items = call("GET", "/search", SEARCHER, params={"expertise": "人工智慧"}).json()["items"]
    assert [i["id"] for i in items] == [exact, prefix, inside]
    assert [i["score"] for i in items] == [3, 2, 1]


def test_a_lecturer_reads_and_edits_only_their_own_profile(call):
    mine = _profiled(call, "P-LIN")
    other = add_lecturer(call, name="張倫理", person_id="P-CHANG")
    me = lecturer_account("P-LIN")
    profile = call("GET", "/me/profile", me).json()
    assert (profile["id"], profile["email"]) == (mine, EMAIL)
    edited = call("PATCH", "/me/profile", me, json={"title": "教授", "expertise": ["資安治理"]})
    assert edited.status_code == 200 and edited.json()["title"] == "教授"
    # The lecturer's account cannot reach any other lecturer's record.
    assert call("PATCH", f"/lecturers/{other}", me, json={"title": "x"}).status_code == 403
    assert call("GET", "/me/profile", lecturer_account("P-CHANG")).json()["id"] == other
    assert call("GET", "/me/profile", lecturer_account("P-NOBODY")).status_code == 404
    found = call("GET", "/search", SEARCHER, params={"expertise": "治理"}).json()["items"]
    assert [i["id"] for i in found] == [mine]


def test_a_lecturer_hides_one_engagement_record(call):
    lecturer_id = _profiled(call)
    second = add_engagement(
        call, lecturer_id, session_number=2, class_name="倫理講堂", course_name="公務倫理"
    )
    set_consent(call, "P-LIN", engagements="searchers")
    me = lecturer_account("P-LIN")
    other = lecturer_account("P-CHANG")
    add_lecturer(call, name="張", person_id="P-CHANG")
    assert (
        call("PATCH", f"/me/engagements/{second}", other, json={"hidden": True}).status_code == 404
    )
    hidden = call("PATCH", f"/me/engagements/{second}", me, json={"hidden": True})
    assert hidden.status_code == 200 and hidden.json()["hidden"] is True
    assert call("GET", "/search", SEARCHER, params={"course_name": "倫理"}).json()["items"] == []
    [item] = call("GET", "/search", SEARCHER, params={"name": "林"}).json()["items"]
    assert [e["course_name"] for e in item["engagements"]] == ["資安治理"]
    assert call("GET", f"/engagements/{second}", SEARCHER).status_code == 404
    # The lecturer still sees it, marked hidden.
    mine = call("GET", "/me/engagements", me).json()["items"]
    assert {(e["id"], e["hidden"]) for e in mine} >= {(second, True)}


def test_training_engagements_without_names_stay_compatible(call):
    lecturer_id = add_lecturer(call, name="吳")
    body = {
        "class_ref": "training:CLS-9",
        "session_number": 1,
        "lecturer_id": lecturer_id,
        "agency_code": "A01",
        "held_on": "2024-02-29",
        "hours": "2",
        "topic": "人工智慧導論",
    }
    made = call("POST", "/engagements", OFFICER, json=body)
    assert made.status_code == 201 and made.json()["course_name"] == "人工智慧導論"
    found = call("GET", "/search", OFFICER, params={"course_name": "人工"}).json()["items"]
    assert [i["id"] for i in found] == [lecturer_id]


def test_relay_never_discloses_the_address_and_the_lecturer_sees_who_wrote(call, apps):
    lecturer_id = _profiled(call)
    sent = call(
        "POST",
        f"/lecturers/{lecturer_id}/messages",
        SEARCHER,
        json={"subject": "邀請授課", "body": "敬邀講授資安治理", "reply_to": "me@example.gov.tw"},
    )
    assert sent.status_code == 201, sent.text
    assert EMAIL not in sent.text and PHONE not in sent.text
    inbox = call("GET", "/me/messages", lecturer_account("P-LIN")).json()["items"]
    assert [(m["sender"], m["sender_agency_code"], m["subject"]) for m in inbox] == [
        ("searcher.a01", "A01", "邀請授課")
    ]
    with Session(apps["speakers"].state.engine) as session:
        [notice] = session.scalars(select(Notice)).all()
    assert notice.recipient_id == f"lecturer:{lecturer_id}"
    assert EMAIL not in repr(notice.model_dump())
    missing = call(
        "POST", "/lecturers/99999/messages", SEARCHER, json={"subject": "a", "body": "b"}
    )
    assert missing.status_code == 404 and EMAIL not in missing.text


def test_relay_is_rate_limited_per_sender(call):
    lecturer_id = _profiled(call)
    path = f"/lecturers/{lecturer_id}/messages"
    for n in range(5):
        assert (
            call("POST", path, SEARCHER, json={"subject": f"s{n}", "body": "b"}).status_code == 201
        )
    refused = call("POST", path, SEARCHER, json={"subject": "s6", "body": "b"})
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert 3500 < int(refused.headers["Retry-After"]) <= 3600
    assert refused.json()["per_hour"] == 5
    assert EMAIL not in refused.text
    # Another sender has a limit of their own.
    assert call("POST", path, OFFICER, json={"subject": "s", "body": "b"}).status_code == 201
    assert call("POST", path, NOBODY, json={"subject": "s", "body": "b"}).status_code == 403


@pytest.mark.parametrize(
    "criteria", [{"expertise": "資安治理"}, {"expertise": "資安", "name": "講"}]
)
def test_undisclosed_engagement_days_do_not_rank_a_lecturer(call, criteria):
    """A lecturer whose records a caller may not see ranks, for that caller, as
    never engaged: neither the order nor a page's cursor tells when they last
    taught. One criterion (read from the links' days) and two (ranked in one
    statement) alike; a consent change re-ranks at once."""
    recent = add_lecturer(call, name="甲講", expertise=["資安治理"], person_id="P-RECENT")
    add_engagement(call, recent, held_on="2026-03-02")
    older = add_lecturer(call, name="乙講", expertise=["資安治理"], person_id="P-OLDER")
    add_engagement(call, older, session_number=2, held_on="2020-02-29")
    never = add_lecturer(call, name="丙講", expertise=["資安治理"])
    set_consent(call, "P-RECENT", engagements="training_officers")
    set_consent(call, "P-OLDER", engagements="searchers")

    def order(who: dict, limit: int = 20) -> list[int]:
        items = call("GET", "/search", who, params={**criteria, "limit": limit}).json()["items"]
        return [i["id"] for i in items]

    assert order(OFFICER) == [recent, older, never]
    # For a searcher the recent lecturer's day is hidden: it ranks with the
    # never-engaged, by id, after the one whose 2020 record it may see.
    assert order(SEARCHER) == [older, recent, never]
    page = call("GET", "/search", SEARCHER, params={**criteria, "limit": 2}).json()
    assert [i["id"] for i in page["items"]] == [older, recent]
    assert decode_cursor(page["next_cursor"])[1] == "0001-01-01"
    set_consent(call, "P-RECENT", engagements="searchers")
    assert order(SEARCHER) == [recent, older, never]
    set_consent(call, "P-RECENT", engagements="hidden")
    assert order(OFFICER) == [older, recent, never]
