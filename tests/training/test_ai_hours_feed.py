"""The AI-hours feed (`GET /ai-hours`): what it counts, who may pull it, how
`changed_since` follows every write, and paging that neither repeats nor skips
while records are written at the same time."""

from __future__ import annotations

import random
import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlmodel import Session, col

from services.common.transactions import batch_transaction
from services.training.domain.ai_hours import split_centi
from services.training.models import AiHours, LearningRecord, personal_data_reads
from services.training.store import ai_hours, records
from tests.training.builders import import_rows
from tests.training.conftest import HR_A01, IMPORTER

CERTS = {"sub": "svc.certs", "kind": "service", "permissions": ["training:ai_hours:read"]}
ROOT = {"sub": "root", "permissions": ["training:records:read", "training:records:write"]}

Key = tuple[str, int]


def feed(call, principal: dict[str, Any] | None = None, **params: Any):
    return call("GET", "/ai-hours", CERTS if principal is None else principal, params=params)


def pull(
    call, since: str | None = None, limit: int = 1000, first_page: threading.Event | None = None
) -> tuple[list[dict], str | None]:
    """Every page of one pull: its items in order, and its `until`; `first_page`
    is set once the first page is in."""
    params: dict[str, Any] = {"limit": limit}
    if since is not None:
        params["changed_since"] = since
    items: list[dict] = []
    first = feed(call, **params)
    assert first.status_code == 200, first.text
    body = first.json()
    if first_page is not None:
        first_page.set()
    until = body["until"]
    items += body["items"]
    while body["next_cursor"]:
        response = feed(call, **params, cursor=body["next_cursor"])
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["until"] == until
        items += body["items"]
    return items, until


def by_key(items: list[dict]) -> dict[Key, dict]:
    return {(i["person_id"], i["year"]): i for i in items}


def record_ids(call) -> dict[str, int]:
    listed = call("GET", "/records", ROOT, params={"limit": 500}).json()["items"]
    return {r["external_id"]: r["id"] for r in listed}


@pytest.fixture
def people(call, wiring):
    wiring.persons.update({f"P{n:03d}": ("A01", 11) for n in range(1, 40)})
    return wiring


def test_it_counts_ai_hours_by_person_and_year_as_compliance_does(call, people):
    import_rows(
        call,
        ("E1", "P001", "AI-101", "ai_basic", "3", "2026-03-02"),
        ("E2", "P001", "AI-201", "ai_advanced", "2", "2026-04-02"),
        # Both levels: counted once, as advanced.
        ("E3", "P001", "AI-301", "ai_advanced;ai_basic", "1.5", "2026-05-02"),
        ("E4", "P001", "ENV-1", "environmental_education", "4", "2026-05-03"),
        # 00:30 on 1 Jan Taipei is 31 Dec in UTC: the Taipei year counts.
        ("E5", "P001", "AI-101", "ai_basic", "1", "2026-01-01T00:30:00"),
        ("E6", "P001", "AI-101", "ai_basic", "0.25", "2025-12-31"),
        ("E7", "P002", "AI-101", "ai_basic", "2", "2024-02-29"),
        ("E8", "P003", "ENV-1", "environmental_education", "8", "2026-05-03"),
    )
    items, until = pull(call)
    assert sorted(by_key(items)) == [("P001", 2025), ("P001", 2026), ("P002", 2024)]
    p001 = by_key(items)[("P001", 2026)]
    assert (p001["ai_hours"], p001["ai_basic_hours"], p001["ai_advanced_hours"]) == (
        "7.50",
        "4.00",
        "3.50",
    )
    assert by_key(items)[("P001", 2025)]["ai_hours"] == "0.25"
    assert by_key(items)[("P002", 2024)]["ai_hours"] == "2.00"
    assert until == max(i["changed_at"] for i in items)


def test_an_empty_feed_answers_no_items_and_no_until(call):
    body = feed(call).json()
    assert body == {"items": [], "next_cursor": None, "limit": 1000, "until": None}
    since = "2026-12-01T00:00:00+08:00"
    body = feed(call, changed_since=since).json()
    assert body["items"] == [] and datetime.fromisoformat(body["until"]) == datetime.fromisoformat(
        since
    )


@pytest.mark.parametrize(
    "principal",
    [
        # A person holding the permission by mistake: still refused.
        {**HR_A01, "permissions": [*HR_A01["permissions"], "training:ai_hours:read"]},
        # Another service, and a machine account, holding it.
        {"sub": "svc.training", "kind": "service", "permissions": ["training:ai_hours:read"]},
        {**IMPORTER, "permissions": ["training:ai_hours:read"]},
        # A human account named like the certs account.
        {"sub": "svc.certs", "kind": "human", "permissions": ["training:ai_hours:read"]},
        # The certs account without its grant.
        {"sub": "svc.certs", "kind": "service", "permissions": ["training:records:read"]},
    ],
    ids=["human", "other-service", "machine", "human-named-svc.certs", "certs-without-grant"],
)
def test_only_the_certs_service_account_may_pull(call, people, principal):
    import_rows(call, ("E1", "P001", "AI-101", "ai_basic", "3", "2026-03-02"))
    response = feed(call, principal)
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "P001" not in response.text


def test_a_refusal_names_every_rule_broken(call):
    both = feed(call, {"sub": "hr.a01", "kind": "human", "permissions": []}).json()["detail"]
    assert "requires permission training:ai_hours:read" in both
    assert "only the certs service's own account svc.certs may call this" in both
    grant = feed(call, {"sub": "svc.certs", "kind": "service", "permissions": []}).json()
    assert grant["detail"] == "requires permission training:ai_hours:read"


def test_no_token_is_401(call):
    assert call("GET", "/ai-hours").status_code == 401


def test_bad_input_is_422_naming_the_field(call):
    naive = feed(call, changed_since="2026-12-01T00:00:00")
    assert naive.status_code == 422
    assert {e["field"] for e in naive.json()["errors"]} == {"query.changed_since"}
    assert "2026-12-01" not in naive.json()["detail"]
    too_many = feed(call, limit=5001)
    assert [e["field"] for e in too_many.json()["errors"]] == ["query.limit"]
    for cursor in ("WzFd", "WyJ4IiwieCIsIngiLDFd"):  # [1]; ["x","x","x",1]
        forged = feed(call, cursor=cursor)
        assert forged.status_code == 422
        assert [e["field"] for e in forged.json()["errors"]] == ["query.cursor"]


def test_each_person_pulled_is_logged_as_read_by_the_certs_account(call, apps, people):
    import_rows(
        call,
        ("E1", "P001", "AI-101", "ai_basic", "3", "2026-03-02"),
        ("E2", "P002", "AI-101", "ai_basic", "3", "2026-03-02"),
    )
    pull(call)
    with Session(apps["training"].state.engine) as session:
        rows = session.execute(
            select(personal_data_reads.c.reader, personal_data_reads.c.subject_person_id).where(
                personal_data_reads.c.resource == "ai_hours"
            )
        ).all()
    assert sorted(rows) == [("svc.certs", "P001"), ("svc.certs", "P002")]


def test_changed_since_follows_every_write_exactly(call, people):
    import_rows(
        call,
        ("E1", "P001", "AI-101", "ai_basic", "3", "2026-03-02"),
        ("E2", "P002", "AI-101", "ai_basic", "2", "2026-03-02"),
        ("E3", "P003", "AI-101", "ai_basic", "1", "2026-03-02"),
    )
    ids = record_ids(call)
    first, mark = pull(call)
    assert len(first) == 3 and mark is not None

    def since(moment: str | None) -> dict[Key, dict]:
        items, until = pull(call, moment)
        assert until is not None
        return by_key(items)

    # Nothing since: nothing.
    assert since(mark) == {}
    # Exactly at a change is not after it; a microsecond before is.
    last = max(first, key=lambda i: i["changed_at"])
    before = (datetime.fromisoformat(last["changed_at"]) - timedelta(microseconds=1)).isoformat()
    assert (last["person_id"], last["year"]) in since(before)
    assert since(last["changed_at"]) == {}

    # A correction of the hours.
    corrected = call(
        "POST", f"/records/{ids['E2']}/corrections", HR_A01, json={"hours": "5", "reason": "typo"}
    )
    assert corrected.status_code == 200, corrected.text
    changed = since(mark)
    assert list(changed) == [("P002", 2026)] and changed[("P002", 2026)]["ai_hours"] == "5.00"
    mark = pull(call, mark)[1]

    # A withdrawal: the person's hours fall to 0, and the feed says so.
    withdrawn = call("POST", f"/records/{ids['E3']}/withdrawal", HR_A01, json={"reason": "dup"})
    assert withdrawn.status_code == 200, withdrawn.text
    changed = since(mark)
    assert list(changed) == [("P003", 2026)] and changed[("P003", 2026)]["ai_hours"] == "0.00"
    mark = pull(call, mark)[1]

    # A record moved to another year: both years change.
    moved = call(
        "POST",
        f"/records/{ids['E1']}/corrections",
        HR_A01,
        json={"completed_on": "2025-12-31", "reason": "wrong year"},
    )
    assert moved.status_code == 200, moved.text
    changed = since(mark)
    assert sorted(changed) == [("P001", 2025), ("P001", 2026)]
    assert changed[("P001", 2025)]["ai_hours"] == "3.00"
    assert changed[("P001", 2026)]["ai_hours"] == "0.00"
    mark = pull(call, mark)[1]

    # A re-import that gives a record to another person: both persons change.
    import_rows(call, ("E2", "P004", "AI-101", "ai_basic", "5", "2026-03-02"))
    changed = since(mark)
    assert sorted(changed) == [("P002", 2026), ("P004", 2026)]
    assert changed[("P002", 2026)]["ai_hours"] == "0.00"
    assert changed[("P004", 2026)]["ai_hours"] == "5.00"
    mark = pull(call, mark)[1]

    # A new AI record: its person changes; a record that is not AI changes nobody's
    # AI hours, nor does re-importing what is stored.
    import_rows(
        call,
        ("E4", "P005", "AI-201", "ai_advanced", "1.25", "2026-06-01"),
        ("E5", "P006", "ENV-1", "environmental_education", "4", "2026-06-01"),
    )
    changed = since(mark)
    assert sorted(changed) == [("P005", 2026)]
    assert changed[("P005", 2026)]["ai_advanced_hours"] == "1.25"
    mark = pull(call, mark)[1]
    import_rows(call, ("E6", "P006", "ENV-1", "environmental_education", "2", "2026-06-02"))
    import_rows(call, ("E4", "P005", "AI-201", "ai_advanced", "1.25", "2026-06-01"))
    assert since(mark) == {}


def test_pages_cover_the_feed_once_in_order(call, people):
    import_rows(
        call,
        *[(f"E{n}", f"P{n:03d}", "AI-101", "ai_basic", f"{n}", "2026-03-02") for n in range(1, 26)],
        *[(f"F{n}", f"P{n:03d}", "AI-101", "ai_basic", "1", "2025-03-02") for n in range(1, 6)],
    )
    items, _until = pull(call, limit=7)
    keys = [(i["changed_at"], i["person_id"], i["year"]) for i in items]
    assert len(keys) == 30 and len(set(keys)) == 30
    assert [datetime.fromisoformat(k[0]) for k in keys] == sorted(
        datetime.fromisoformat(k[0]) for k in keys
    )
    assert keys == sorted(keys, key=lambda k: (datetime.fromisoformat(k[0]), k[1], k[2]))


# --- concurrent writes --------------------------------------------------------------------


def _expected(session: Session) -> dict[Key, tuple[int, int]]:
    """Every person-year's AI hundredths, straight from the records (brute force)."""
    sums: dict[Key, list[int]] = {}
    for row in session.execute(
        select(LearningRecord).where(col(LearningRecord.withdrawn).is_(False))
    ).scalars():
        basic, advanced = split_centi(row.topic_mask, int(row.hours * 100))
        if basic or advanced:
            pair = sums.setdefault((row.person_id, row.year), [0, 0])
            pair[0] += basic
            pair[1] += advanced
    return {key: (b, a) for key, (b, a) in sums.items()}


def _centi(item: dict) -> tuple[int, int]:
    return int(Decimal(item["ai_basic_hours"]) * 100), int(Decimal(item["ai_advanced_hours"]) * 100)


def test_paging_under_concurrent_writes_neither_repeats_nor_skips(call, apps, people):
    import_rows(
        call,
        *[(f"E{n}", f"P{n:03d}", "AI-101", "ai_basic", "1", "2026-03-02") for n in range(1, 31)],
    )
    engine = apps["training"].state.engine
    with Session(engine) as session:
        course_id = session.execute(text("SELECT id FROM courses LIMIT 1")).scalar_one()
        record_ids_ = list(session.execute(select(col(LearningRecord.id))).scalars())
    rng = random.Random(10)
    reading = threading.Event()
    failures: list[BaseException] = []
    writes = 60

    def writer() -> None:
        try:
            # Every write after the first pull fixed its `until`, while it pages on.
            assert reading.wait(30)
            for n in range(writes):
                with batch_transaction(engine, write_lock=True) as session:
                    if n % 3 == 0:
                        # A new person's first AI record: appended to the feed.
                        now = datetime.now(UTC)
                        person = f"Q{n:03d}"
                        row: tuple[Any, ...] = (
                            *("elearn", f"W{n}", person, "A01", "", course_id, 1),
                            *(Decimal("1.50"), date(2026, 7, 1), None, 2026, False, "", 1),
                            *(now, now),
                        )
                        records.insert_many(session, [row])
                        ai_hours.refresh(session, {(person, 2026)})
                    else:
                        record = session.get(LearningRecord, rng.choice(record_ids_))
                        assert record is not None
                        records.change(
                            session,
                            record,
                            action="corrected",
                            actor="test",
                            reason="concurrent",
                            hours=Decimal(rng.randint(1, 900)) / 100,
                        )
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    pulls = [pull(call, None, limit=4, first_page=reading)]
    since = pulls[-1][1]
    while thread.is_alive():
        pulls.append(pull(call, since, limit=4))
        since = pulls[-1][1]
    thread.join()
    assert not failures, failures
    pulls.append(pull(call, since, limit=4))

    with Session(engine) as session:
        stored = {
            (r.person_id, r.year): (r.basic_centi, r.advanced_centi, r.changed_at)
            for r in session.execute(select(AiHours)).scalars()
        }
        expected = _expected(session)
    # The writes came after the first pull fixed its range.
    first_until = pulls[0][1]
    assert first_until is not None
    assert max(v[2] for v in stored.values()) > datetime.fromisoformat(first_until)
    # The feed's table is what the records say, every figure.
    assert {k: v[:2] for k, v in stored.items()} == expected
    seen: dict[Key, tuple[int, int]] = {}
    for items, until in pulls:
        keys = [(i["person_id"], i["year"]) for i in items]
        # No pull repeats a person-year.
        assert len(keys) == len(set(keys))
        for item in items:
            assert until is not None
            assert datetime.fromisoformat(item["changed_at"]) <= datetime.fromisoformat(until)
            seen[(item["person_id"], item["year"])] = _centi(item)
        # No gap: whatever stands now stamped within this pull's range was in it.
        if until is not None:
            mark = datetime.fromisoformat(until)
            for key, (basic, advanced, changed_at) in stored.items():
                if changed_at <= mark:
                    assert seen.get(key) == (basic, advanced), key
    # Pulled one after another, the pulls end with the table as it stands.
    assert seen == {k: v[:2] for k, v in stored.items()}


def test_stamps_are_strictly_later_than_every_stamp_before(apps):
    engine = apps["training"].state.engine
    with batch_transaction(engine) as session:
        session.execute(
            AiHours.__table__.insert(),  # type: ignore[attr-defined]
            {
                "person_id": "P900",
                "year": 2026,
                "basic_centi": 1,
                "advanced_centi": 0,
                # A stamp from a clock ahead of this one.
                "changed_at": datetime.now(UTC) + timedelta(hours=1),
            },
        )
    with batch_transaction(engine) as session:
        ahead = ai_hours.latest(session)
        assert ahead is not None
        session.execute(
            LearningRecord.__table__.insert(),  # type: ignore[attr-defined]
            {
                "source": "x",
                "external_id": "1",
                "person_id": "P900",
                "agency_code": "A01",
                "unit_id": "",
                "course_id": _course(session),
                "topic_mask": 2,
                "hours": Decimal("2"),
                "completed_on": date(2026, 2, 28),
                "year": 2026,
                "withdrawn": False,
                "digest": "",
                "version": 1,
                "created_at": datetime.now(UTC),
                "updated_at": datetime.now(UTC),
            },
        )
        assert ai_hours.refresh(session, {("P900", 2026)}) == 1
        assert ai_hours.latest(session) == ahead + timedelta(microseconds=1)


def _course(session: Session) -> int:
    session.execute(text("INSERT INTO categories (code, name) VALUES ('C9', 'x')"))
    session.execute(
        text(
            "INSERT INTO courses (source, external_id, title, category_code, topics, is_digital,"
            " created_at) VALUES ('x', 'c', 't', 'C9', 'ai_advanced', false, :now)"
        ),
        {"now": datetime.now(UTC).isoformat()},
    )
    return int(session.execute(text("SELECT id FROM courses WHERE source = 'x'")).scalar_one())
