"""Two registry writes of one person at once: each recounts the person's valid
certificates, and the count ends with both (store/person_certificates.py).

On PostgreSQL an UPDATE that waits for another transaction's row lock re-reads
only that row when the lock is released; its subqueries keep the snapshot taken
before the wait. A recount that waited so would count without the certificate
the other transaction had just committed. The recount therefore locks the rows
first and counts in a statement of its own, started after the lock. SQLite lets
one writer in at a time, so the interleaving cannot arise there: the test is
defined on PostgreSQL.
"""

# The fixtures imported from staffing_data are redefined as parameters.
# ruff: noqa: F811

from __future__ import annotations

import threading
import time
from datetime import date

import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlmodel import Session

from services.certs.models import TalentPerson
from services.certs.store.person_certificates import recount
from tests.certs.staffing_data import Data, data  # noqa: F401

DAY = date(2026, 6, 1)
PID = "P-CONCURRENT"
WAIT_S = 30.0


def _waiting_on_a_lock(engine: object, backend_pid: int) -> bool:
    with Session(engine) as watch:  # type: ignore[arg-type]
        kind = watch.execute(
            text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"),
            {"pid": backend_pid},
        ).scalar()
    return kind == "Lock"


def test_two_certificates_written_at_once_are_both_counted(certs_app: FastAPI, data: Data) -> None:
    engine = certs_app.state.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("the interleaving needs concurrent writers (PostgreSQL)")
    version = data.version("CONC-1")
    data.person(PID)
    data.commit()

    first = Session(engine)
    Data(first).certificate(PID, version, number="C-1")
    recount(first, [PID], DAY)  # holds the person's row until it commits

    second_pid: list[int] = []
    failure: list[BaseException] = []

    def second_write() -> None:
        try:
            with Session(engine) as second:
                second_pid.append(int(second.execute(text("SELECT pg_backend_pid()")).scalar_one()))
                Data(second).certificate(PID, version, number="C-2")
                recount(second, [PID], DAY)  # waits for the first
                second.commit()
        except BaseException as exc:  # surfaced by the assertion below
            failure.append(exc)

    thread = threading.Thread(target=second_write)
    thread.start()
    # Commit the first only once the second is waiting for its lock (polled:
    # the condition itself, not a fixed pause).
    deadline = time.monotonic() + WAIT_S
    while not (second_pid and _waiting_on_a_lock(engine, second_pid[0])):
        assert thread.is_alive(), failure
        assert time.monotonic() < deadline, "the second write never waited for the first"
        time.sleep(0.01)
    first.commit()
    first.close()
    thread.join(WAIT_S)
    assert not thread.is_alive()
    assert not failure, failure

    with Session(engine) as session:
        row = session.get(TalentPerson, PID)
        assert row is not None
        assert row.valid_certificates == 2
