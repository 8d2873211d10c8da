"""Opening write transactions so that concurrent writers wait instead of failing.

On SQLite a DEFERRED transaction that has read and then writes must upgrade its
read lock to a write lock. When another connection committed a write after the
read began, the snapshot read is stale and SQLite refuses the upgrade at once
with SQLITE_BUSY: busy_timeout is not honoured, since waiting cannot make that
snapshot current. A transaction opened with BEGIN IMMEDIATE takes the write
lock before its first read and waits for it (up to busy_timeout) instead.
PostgreSQL needs neither: a row being written waits for the other writer.
"""

from __future__ import annotations

from sqlmodel import Session

IMMEDIATE = {"sqlite_begin": "IMMEDIATE"}


def _sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def begin_immediate(session: Session) -> None:
    """Open the session's transaction as BEGIN IMMEDIATE on SQLite (nothing on
    PostgreSQL). Before the transaction's first statement, or once it has been
    opened that way; a transaction already reading in DEFERRED mode cannot be
    made immediate, so that is an error rather than a later SQLITE_BUSY."""
    if not _sqlite(session):
        return
    if session.in_transaction():
        if session.connection().get_execution_options().get("sqlite_begin") != "IMMEDIATE":
            raise RuntimeError("begin_immediate called after the transaction started deferred")
        return
    session.connection(execution_options=IMMEDIATE)


def write_after_reading(session: Session) -> None:
    """End a transaction that has only read, and open the next one for writing.

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
