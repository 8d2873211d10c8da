"""Each person's latest AI hours copied onto their `talent_persons` row
(`hours_year`, `hours_centi`): by the pull's pages, by role assignment of a
person new to the table, by the migration that added them; and the staffing
hours filter read from the copy only for the latest year."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from fastapi import FastAPI
from sqlalchemy import inspect, select, text
from sqlmodel import Session

from services.certs.models import TalentPerson
from services.certs.service.ai_hours_pull import _store_page
from services.certs.service.staffing import hours_copied
from services.certs.store import person_ai_hours, talent_persons
from services.certs.training_client import AiHoursEntry
from services.common.db import make_engine
from services.common.migrate import downgrade, upgrade
from services.common.transactions import batch_transaction
from tests.databases import fresh_database

AT = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)


def _entry(person: str, year: int, hours: str, agency: str | None = "A01") -> AiHoursEntry:
    return AiHoursEntry(
        person_id=person,
        year=year,
        ai_hours=Decimal(hours),
        ai_basic_hours=Decimal(hours),
        ai_advanced_hours=Decimal("0.00"),
        changed_at=AT,
        agency_code=agency,
        unit_id="",
    )


def _copies(engine) -> dict[str, tuple[int, int]]:
    with Session(engine) as session:
        rows = session.execute(
            select(TalentPerson.person_id, TalentPerson.hours_year, TalentPerson.hours_centi)  # type: ignore[call-overload]
        ).all()
    return {p: (y, c) for p, y, c in rows}


def test_pages_copy_the_latest_year_whatever_year_changed(certs_app: FastAPI) -> None:
    engine = certs_app.state.engine
    with batch_transaction(engine) as session:
        _store_page(session, [_entry("P1", 2025, "4.00"), _entry("P1", 2026, "7.50")], AT)
        _store_page(session, [_entry("P2", 2025, "3.00"), _entry("P3", 2026, "1.00", None)], AT)
    assert _copies(engine) == {"P1": (2026, 750), "P2": (2025, 300)}
    # A later page changes only an earlier year of P1 and moves P2 to a new year;
    # P3 is placed now: their rows follow, P1's stays on its latest year.
    with batch_transaction(engine) as session:
        _store_page(session, [_entry("P1", 2025, "9.00"), _entry("P2", 2026, "2.25")], AT)
        _store_page(session, [_entry("P3", 2026, "1.00")], AT)
    assert _copies(engine) == {"P1": (2026, 750), "P2": (2026, 225), "P3": (2026, 100)}


def test_a_person_new_to_the_table_gets_the_hours_already_pulled(certs_app: FastAPI) -> None:
    engine = certs_app.state.engine
    with batch_transaction(engine) as session:
        # Hours of a person the roster did not place: no row yet.
        _store_page(session, [_entry("P9", 2026, "12.00", None)], AT)
    assert _copies(engine) == {}
    with batch_transaction(engine) as session:
        talent_persons.upsert(session, [("P9", "A02", "")], AT)
        talent_persons.copy_hours(session, ["P9"])
    assert _copies(engine) == {"P9": (2026, 1200)}


def test_the_copy_answers_only_for_the_latest_year(certs_app: FastAPI) -> None:
    engine = certs_app.state.engine
    with Session(engine) as session:
        assert hours_copied(session, 2026)  # no hours at all yet
    with batch_transaction(engine) as session:
        _store_page(session, [_entry("P1", 2026, "4.00")], AT)
    with Session(engine) as session:
        assert person_ai_hours.latest_year(session) == 2026
        assert hours_copied(session, 2026)
        assert hours_copied(session, 2027)
        # A year before someone's latest: the copy holds that later year's.
        assert not hours_copied(session, 2025)


def test_the_migration_copies_the_latest_year_and_downgrade_drops_the_columns(tmp_path) -> None:
    now = datetime.now(UTC)
    with fresh_database("certs", tmp_path, migrate=False) as url:
        upgrade("certs", url, "c3d0c0180010")
        engine = make_engine(url)
        try:
            with engine.begin() as conn:
                conn.execute(
                    text(
                        "INSERT INTO talent_persons (person_id, agency_code, unit_id, "
                        "refreshed_at) VALUES ('P1', 'A01', '', :now), ('P2', 'A01', '', :now)"
                    ),
                    {"now": now},
                )
                conn.execute(
                    text(
                        "INSERT INTO person_ai_hours (person_id, year, ai_centi, basic_centi, "
                        "advanced_centi, changed_at, pulled_at) VALUES "
                        "('P1', 2025, 900, 900, 0, :now, :now), "
                        "('P1', 2026, 150, 150, 0, :now, :now), "
                        "('P3', 2026, 500, 500, 0, :now, :now)"
                    ),
                    {"now": now},
                )
            upgrade("certs", url, "c3d0c0190011")
            assert _copies(engine) == {"P1": (2026, 150), "P2": (0, 0)}
            downgrade("certs", url, "c3d0c0180010")
            with engine.connect() as conn:
                names = {c["name"] for c in inspect(conn).get_columns("talent_persons")}
            assert not {"hours_year", "hours_centi"} & names
        finally:
            engine.dispose()
