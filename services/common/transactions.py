"""Transactions outside a request: jobs and other batch work.

A request commits once through `services.common.db.SessionDep`; work that no
request drives (scheduled jobs, deliveries) commits in batches instead, each
batch one `batch_transaction`, so that a failure loses at most the batch it
happened in and locks are held only as long as one batch takes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Engine
from sqlmodel import Session

IMMEDIATE = {"sqlite_begin": "IMMEDIATE"}


@contextmanager
def batch_transaction(engine: Engine, *, write_lock: bool = False) -> Iterator[Session]:
    """One transaction: commit when the block ends, roll back when it raises.

    `write_lock` opens it as BEGIN IMMEDIATE on SQLite, which takes the
    database's write lock before the first read, so that work which reads and
    then claims rows cannot interleave with another writer; on PostgreSQL,
    where rows are locked by the statements themselves (`FOR UPDATE`), it
    changes nothing. Objects stay readable after the commit.
    """
    with Session(engine, expire_on_commit=False) as session:
        if write_lock and engine.dialect.name == "sqlite":
            # Read by services.common.db's "begin" listener when it emits BEGIN.
            session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def begin_immediate(session: Session) -> None:
    """Open the session's transaction as BEGIN IMMEDIATE on SQLite (nothing on
    PostgreSQL), so that a transaction that reads and then writes waits for the
    write lock instead of failing.

    On SQLite a DEFERRED transaction that has read and then writes must upgrade
    its read lock; when another connection committed a write after the read
    began, SQLite refuses at once with SQLITE_BUSY (busy_timeout is not
    honoured: waiting cannot make that snapshot current). PostgreSQL needs
    neither: a row being written waits for the other writer.

    Call it before the transaction's first statement, or once it has been opened
    that way; a transaction already reading in DEFERRED mode cannot be made
    immediate, so that is an error rather than a later SQLITE_BUSY."""
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.in_transaction():
        if session.connection().get_execution_options().get("sqlite_begin") != "IMMEDIATE":
            raise RuntimeError("begin_immediate called after the transaction started deferred")
        return
    session.connection(execution_options=IMMEDIATE)


def write_after_reading(session: Session) -> None:
    """End a request's transaction that has only read, and open the next one for
    writing: the one place, besides the request's own commit, where a request
    ends a transaction.

    For a look-up that writes only now and then (an account's last use): it reads
    without taking the write lock, so look-ups run side by side, and when a write
    is due it is made in its own short transaction rather than by upgrading the
    read one. The write must re-check its condition itself (a conditional
    UPDATE): what was read may have changed in between. Ending the transaction
    commits nothing, as nothing was written in it."""
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("write_after_reading: the transaction has pending writes")
    session.commit()
    begin_immediate(session)
