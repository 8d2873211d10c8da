"""The audit writer's own guarantees: every row handed over is written once,
also when the writer is far behind and requests wait for room; `at` is stored
as SQLAlchemy itself stores that instant, and read back as it was."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import String, cast, func, insert, select

from gateway.audit import FIELDS, AuditWriter, decisions
from services.common.db import make_engine
from tests.gateway.harness import AUDIT_DATABASE


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# Instants long past: the table is shared with the tests that list recent decisions.
PAST = 1_600_000_000.123456


def _row(rid: str, n: int, at: float) -> tuple[object, ...]:
    return (at, rid, f"s{n}", "human", "192.0.2.1", "GET", "/x", "allow", 200, 0.5)


@pytest.mark.anyio
async def test_every_row_is_written_once_when_requests_wait_for_room() -> None:
    engine = make_engine(AUDIT_DATABASE["url"])
    # A queue of 8 for 400 rows from 40 requests at once: most wait for the writer.
    writer = AuditWriter(engine, max_queue=8, batch=5, gather_seconds=0.001)
    writer.start()
    rid = f"writer-{uuid.uuid4().hex}"

    async def request(first: int) -> None:
        for n in range(first, first + 10):
            await writer.record_row(_row(rid, n, PAST))

    try:
        await asyncio.gather(*(request(10 * k) for k in range(40)))
        await writer.flush()
        with engine.connect() as conn:
            subjects = conn.execute(
                select(decisions.c.subject).where(decisions.c.request_id == rid)
            ).scalars()
            assert sorted(subjects) == sorted(f"s{n}" for n in range(400))
    finally:
        await writer.aclose()
        engine.dispose()


@pytest.mark.anyio
async def test_the_rows_handed_over_before_close_are_written() -> None:
    engine = make_engine(AUDIT_DATABASE["url"])
    writer = AuditWriter(engine, gather_seconds=30)  # only the close makes it write
    writer.start()
    rid = f"close-{uuid.uuid4().hex}"
    try:
        for n in range(25):
            await writer.record_row(_row(rid, n, PAST))
    finally:
        await writer.aclose()
    with engine.connect() as conn:
        count = conn.execute(
            select(func.count()).select_from(decisions).where(decisions.c.request_id == rid)
        ).scalar_one()
    engine.dispose()
    assert count == 25


@pytest.mark.anyio
async def test_at_is_stored_as_sqlalchemy_stores_the_same_instant() -> None:
    engine = make_engine(AUDIT_DATABASE["url"])
    writer = AuditWriter(engine, gather_seconds=0)
    writer.start()
    try:
        # A whole second too: no microseconds for a text form to leave out.
        for stamp in (PAST, float(int(PAST))):
            ours, theirs = f"at-ours-{uuid.uuid4().hex}", f"at-theirs-{uuid.uuid4().hex}"
            moment = datetime.fromtimestamp(stamp, UTC)
            await writer.record_row(_row(ours, 0, stamp))
            await writer.flush()
            with engine.begin() as conn:
                values = dict(zip(FIELDS, _row(theirs, 0, stamp), strict=True))
                conn.execute(insert(decisions), [{**values, "at": moment}])
                stored: dict[str, str] = dict(
                    conn.execute(
                        select(decisions.c.request_id, cast(decisions.c.at, String)).where(
                            decisions.c.request_id.in_([ours, theirs])
                        )
                    ).all()
                )
                read = conn.execute(
                    select(decisions.c.at).where(decisions.c.request_id == ours)
                ).scalar_one()
            assert stored[ours] == stored[theirs]
            assert read == moment
    finally:
        await writer.aclose()
        engine.dispose()


@pytest.mark.anyio
async def test_a_writer_closed_while_its_database_refuses_stops_its_thread(tmp_path) -> None:
    # A database that cannot be opened: every write fails and is retried.
    engine = make_engine(f"sqlite:///{tmp_path / 'missing' / 'audit.db'}")
    writer = AuditWriter(engine, gather_seconds=0)
    writer.start()
    await writer.record_row(_row("refused", 0, PAST))
    await writer.aclose(timeout=0.2)
    engine.dispose()
    assert writer._thread is not None and not writer._thread.is_alive()
