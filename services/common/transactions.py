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
