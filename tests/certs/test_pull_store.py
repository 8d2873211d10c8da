"""The pull's store steps at page size: the upserts take a whole page of 5,000
in one statement and store every row, again with new figures; only persons new
to `talent_persons` are counted; a page's reads are logged one row a person."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from fastapi import FastAPI
from sqlalchemy import func, select
from sqlmodel import Session

from services.certs.models import PersonAiHours, TalentPerson, personal_data_reads
from services.certs.service.ai_hours_pull import _store_page
from services.certs.store import person_ai_hours, talent_persons
from services.certs.training_client import AiHoursEntry
from services.common.audit import record_personal_data_read
from services.common.principal import Principal
from services.common.timeutil import today_taipei
from services.common.transactions import batch_transaction

AT = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
PAGE = 5000


def _row(n: int, hours: int, at: datetime) -> dict[str, object]:
    return {
        "person_id": f"P{n:05d}",
        "year": 2026,
        "ai_centi": hours,
        "basic_centi": hours - n % 3,
        "advanced_centi": n % 3,
        "changed_at": at + timedelta(milliseconds=n),
        "pulled_at": at,
    }


def test_a_page_of_hours_is_upserted_whole_and_replaced(certs_app: FastAPI) -> None:
    engine = certs_app.state.engine
    with batch_transaction(engine) as session:
        person_ai_hours.upsert(session, [_row(n, 300 + n % 7, AT) for n in range(PAGE)])
    later = AT + timedelta(days=1)
    with batch_transaction(engine) as session:
        # Half of them again with other figures, and new ones past the page.
        person_ai_hours.upsert(
            session, [_row(n, 900 + n % 5, later) for n in range(PAGE // 2, PAGE + 10)]
        )
    with Session(engine) as session:
        rows = {r.person_id: r for r in session.exec(select(PersonAiHours)).scalars()}  # type: ignore[call-overload]
    assert len(rows) == PAGE + 10
    assert rows["P00001"].ai_centi == 301 and rows["P00001"].pulled_at == AT
    last = rows[f"P{PAGE - 1:05d}"]
    assert (last.ai_centi, last.basic_centi, last.advanced_centi) == (
        900 + (PAGE - 1) % 5,
        900 + (PAGE - 1) % 5 - (PAGE - 1) % 3,
        (PAGE - 1) % 3,
    )
    assert last.changed_at == later + timedelta(milliseconds=PAGE - 1)


def test_places_are_upserted_and_only_new_persons_counted(certs_app: FastAPI) -> None:
    engine = certs_app.state.engine
    # A person already known, with a count the registry left uncovered: the pull
    # moves them and leaves their count to the registry and the expiry job.
    with batch_transaction(engine) as session:
        talent_persons.upsert(session, [("P00000", "A01", "1")], AT)
    entries = [
        AiHoursEntry(
            person_id=f"P{n:05d}",
            year=2026,
            ai_hours=Decimal("3.00"),
            ai_basic_hours=Decimal("3.00"),
            ai_advanced_hours=Decimal("0.00"),
            changed_at=AT,
            agency_code="A02",
            unit_id=str(n % 4),
        )
        for n in range(PAGE)
    ]
    with batch_transaction(engine) as session:
        assert talent_persons.known(session, ["P00000", "P00001", "P00000"]) == {"P00000"}
        assert _store_page(session, entries, AT) == PAGE
    day = today_taipei()
    with Session(engine) as session:
        people = {p.person_id: p for p in session.exec(select(TalentPerson)).scalars()}  # type: ignore[call-overload]
    assert len(people) == PAGE
    assert {(p.agency_code, p.unit_id) for p in people.values()} == {
        ("A02", str(u)) for u in range(4)
    }
    moved = people["P00000"]
    assert (moved.unit_id, moved.valid_count_from) == ("0", date(9999, 12, 31))
    new = people[f"P{PAGE - 1:05d}"]
    assert new.valid_certificates == 0
    assert new.valid_count_from <= day < new.valid_count_until


def test_a_page_of_reads_is_logged_one_row_a_person(certs_app: FastAPI) -> None:
    engine = certs_app.state.engine
    who = Principal(sub="svc.certs", kind="service", request_id="req-1")
    subjects = [f"P{n:05d}" for n in range(PAGE)]
    with batch_transaction(engine) as session:
        record_personal_data_read(session, personal_data_reads, who, subjects, "ai_hours", "x")
    t = personal_data_reads.c
    with Session(engine) as session:
        logged = session.execute(
            select(t.subject_person_id, t.reader, t.request_id, t.resource, t.fields, t.at)
        ).all()
        count = session.execute(select(func.count()).select_from(personal_data_reads)).scalar()
    assert count == PAGE
    assert sorted(r[0] for r in logged) == subjects
    assert {r[1:5] for r in logged} == {("svc.certs", "req-1", "ai_hours", "x")}
    assert all(r[5].utcoffset() is not None for r in logged)


def test_an_unchanged_place_is_not_rewritten_and_a_moved_one_is(certs_app: FastAPI) -> None:
    engine = certs_app.state.engine
    first = [(f"P{n:05d}", "A01", str(n % 3)) for n in range(PAGE)]
    with batch_transaction(engine) as session:
        talent_persons.upsert(session, first, AT)
    later = AT + timedelta(days=1)
    # The next night: the same places, but for a tenth moved to another unit
    # and a tenth to another agency, and some persons new.
    again = [
        (p, "A02" if n % 10 == 1 else a, "9" if n % 10 == 2 else u)
        for n, (p, a, u) in enumerate(first)
    ] + [(f"Q{n:05d}", "A03", "") for n in range(10)]
    with batch_transaction(engine) as session:
        talent_persons.upsert(session, again, later)
    with Session(engine) as session:
        people = {p.person_id: p for p in session.exec(select(TalentPerson)).scalars()}  # type: ignore[call-overload]
    assert len(people) == PAGE + 10
    for n, (p, a, u) in enumerate(again):
        row = people[p]
        assert (row.agency_code, row.unit_id) == (a, u)
        moved = p.startswith("Q") or n % 10 in (1, 2)
        assert row.refreshed_at == (later if moved else AT), p
