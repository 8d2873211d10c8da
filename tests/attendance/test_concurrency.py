"""Concurrent leave requests against one balance, each thread on its own
connection and transaction: the ledger never grants more than it holds.
Runs on SQLite (BEGIN IMMEDIATE) and on PostgreSQL (row lock on the anchor)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import Session, col

from services.attendance.models import ComptimeEntry
from services.attendance.service import comptime
from services.attendance.service.problems import NotEnoughComptime
from services.attendance.store import ledger, roster
from services.attendance.store.locking import begin_immediate
from tests.attendance.builders import approved_grant, balance

THREADS = 40
HELD_HOURS = 15


def test_parallel_requests_never_overdraw(api, actors, roster, apps):
    for day in ("2025-03-01", "2025-03-02", "2025-03-08"):
        approved_grant(api, actors, day, HELD_HOURS * 60 // 3)
    engine = apps["attendance"].state.engine
    start = threading.Barrier(THREADS)

    def request(i: int) -> bool:
        start.wait()
        with Session(engine, expire_on_commit=False) as session:
            begin_immediate(session)
            person = roster_person(session)
            try:
                comptime.request_leave(session, person, _at(i), 60, f"thread-{i}")
            except NotEnoughComptime:
                session.rollback()
                return False
            session.commit()
            return True

    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = list(pool.map(request, range(THREADS)))

    assert sum(outcomes) == HELD_HOURS
    state = balance(api, actors, as_of="2025-04-01")
    assert state["balance_minutes"] == 0
    with Session(engine) as session:
        total = session.execute(
            select(func.sum(ComptimeEntry.minutes)).where(col(ComptimeEntry.person_id) == "E1")
        ).scalar_one()
        uses = session.execute(
            select(func.count()).where(col(ComptimeEntry.kind) == "use")
        ).scalar_one()
        per_grant = ledger.remaining_by_grant(session, person_ids=["E1"], only_positive=False)
    assert total == 0
    assert all(g.remaining >= 0 for g in per_grant)
    assert uses >= HELD_HOURS


def roster_person(session: Session):
    person = roster.get(session, "E1")
    assert person is not None
    return person


def _at(i: int) -> datetime:
    return datetime.fromisoformat(f"2025-04-{1 + i % 28:02d}T09:00:00+08:00")
