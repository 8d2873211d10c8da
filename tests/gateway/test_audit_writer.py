"""The audit writer's own guarantees: every row handed over is written once,
also when the writer is far behind and requests wait for room; `at` is stored
as SQLAlchemy itself stores that instant, and read back as it was."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import String, cast, event, func, insert, select

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


@pytest.mark.anyio
async def test_a_large_batch_is_written_whole_in_multi_row_statements() -> None:
    """A batch past several chunks (and not a multiple of one): every row once,
    every value as handed over (None where a column allows it), one statement a
    chunk."""
    engine = make_engine(AUDIT_DATABASE["url"])
    statements: list[bool] = []

    def note(
        conn: object,
        cursor: object,
        statement: str,
        parameters: object,
        context: object,
        executemany: bool,
    ) -> None:
        if statement.startswith(f"INSERT INTO {decisions.name}"):
            statements.append(executemany)

    event.listen(engine, "before_cursor_execute", note)
    # One gather for the whole batch: the writer takes all 1,000 rows at once.
    writer = AuditWriter(engine, batch=1_000, gather_seconds=30)
    writer.start()
    rid = f"large-{uuid.uuid4().hex}"
    handed = [
        (
            PAST + n / 1000,
            rid,
            None if n % 7 == 0 else f"s{n}",
            None if n % 7 == 0 else "human",
            f"192.0.2.{n % 250}",
            "POST" if n % 2 else "GET",
            None if n % 5 == 0 else f"/x/{n}",
            "deny" if n % 3 == 0 else "allow",
            None if n % 11 == 0 else 200 + n % 300,
            n / 8,
        )
        for n in range(1_000)
    ]
    try:
        for entry in handed:
            await writer.record_row(entry)
        await writer.flush()
        fields = [decisions.c[name] for name in FIELDS[1:]]
        with engine.connect() as conn:
            stored = conn.execute(
                select(decisions.c.at, *fields)
                .where(decisions.c.request_id == rid)
                .order_by(decisions.c.id)
            ).all()
    finally:
        await writer.aclose()
        event.remove(engine, "before_cursor_execute", note)
        engine.dispose()
    assert [tuple(row[1:]) for row in stored] == [entry[1:] for entry in handed]
    assert [row[0] for row in stored] == [datetime.fromtimestamp(entry[0], UTC) for entry in handed]
    # 11 chunks of 90 and one of 10, none sent as executemany.
    assert statements == [False] * 12
