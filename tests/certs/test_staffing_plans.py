"""A staffing read (search, team proposal, agency summary) plans its queries
without parallel workers on PostgreSQL, for its own transaction only
(store/staffing.py `plan_serially`), and asks nothing of the kind of SQLite."""

# ruff: noqa: F811
from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import event, text
from sqlmodel import Session

from services.certs.store.staffing import plan_serially
from tests.certs.staffing_data import STAFF_A01, Data, data  # noqa: F401
from tests.databases import BACKEND

SERIAL = "SET LOCAL max_parallel_workers_per_gather = 0"


@pytest.fixture
def statements(certs_app: FastAPI) -> Iterator[list[str]]:
    """Every statement the certs service sends while the test runs."""
    seen: list[str] = []
    engine = certs_app.state.engine

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    yield seen
    event.remove(engine, "before_cursor_execute", note)


@pytest.fixture
def scene(data: Data) -> None:
    tool = data.version("plans-tool", "tool", "intermediate (中級)", ("application",))
    pid = data.person("P-PLANS", "A01", "U1")
    data.role(pid, "application")
    data.certificate(pid, tool, date(2026, 1, 5))
    data.hours(pid, 2026, 600)
    data.commit()


READS = (
    ("GET", "/staffing/persons", {"params": {"valid_on": "2026-06-01", "roles": "application"}}),
    (
        "POST",
        "/staffing/team-proposals",
        {"json": {"valid_on": "2026-06-01", "slots": [{"role": "application", "count": 1}]}},
    ),
    ("GET", "/agencies/A01/staffing-summary", {"params": {"valid_on": "2026-06-01"}}),
)


@pytest.mark.parametrize(("method", "path", "kwargs"), READS, ids=[r[1] for r in READS])
def test_a_staffing_read_plans_serially_on_postgresql_only(
    call: Any, scene: None, statements: list[str], method: str, path: str, kwargs: Any
) -> None:
    answer = call(method, path, STAFF_A01, **kwargs)
    assert answer.status_code == 200, answer.text
    persons_read = [i for i, s in enumerate(statements) if "talent_persons" in s]
    assert persons_read, statements
    serial = [i for i, s in enumerate(statements) if s == SERIAL]
    if BACKEND == "postgresql":
        # Set once, before the first read of the persons' rows.
        assert len(serial) == 1 and serial[0] < persons_read[0]
    else:
        assert serial == []
        assert not any(s.startswith("SET") for s in statements)


@pytest.mark.skipif(BACKEND != "postgresql", reason="parallel plans are PostgreSQL's")
def test_the_setting_lasts_for_the_transaction_only(certs_app: FastAPI) -> None:
    show = text("SHOW max_parallel_workers_per_gather")
    with Session(certs_app.state.engine) as session:
        before = session.scalar(show)
        plan_serially(session)
        assert session.scalar(show) == "0"
        session.rollback()
        assert session.scalar(show) == before
    assert before != "0"
