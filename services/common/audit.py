"""Audit of personal-data reads: every service records who read whose data, and why."""

from __future__ import annotations

import json

from sqlalchemy import (
    JSON,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    cast,
    func,
    insert,
    literal,
    select,
)
from sqlmodel import Session

from services.common.principal import Principal
from services.common.timestamps import UtcDateTime
from services.common.timeutil import now_utc

_COLUMNS = [
    "at",
    "request_id",
    "reader",
    "reader_person_id",
    "subject_person_id",
    "resource",
    "fields",
]


def personal_data_reads_table(metadata: MetaData) -> Table:
    return Table(
        "personal_data_reads",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        # Aware UTC on the way in and out: SQLite keeps no offset, and a time
        # without one is no RFC 3339 date-time for the auditor's client.
        Column("at", UtcDateTime(), nullable=False, index=True),
        Column("request_id", String(128), nullable=True),
        Column("reader", String(128), nullable=False, index=True),
        Column("reader_person_id", String(64), nullable=True),
        Column("subject_person_id", String(64), nullable=False, index=True),
        Column("resource", String(128), nullable=False),
        Column("fields", String(512), nullable=False, default=""),
    )


def record_personal_data_read(
    session: Session,
    table: Table,
    principal: Principal,
    subject_person_ids: list[str],
    resource: str,
    fields: str = "",
) -> None:
    """One row per subject read by someone other than the subject themself."""
    others = [pid for pid in subject_person_ids if pid != principal.person_id]
    if not others:
        return
    at = now_utc()
    if session.get_bind().dialect.name == "postgresql" and len(others) > 1:
        # One statement whatever the count, the subjects in one JSON text: a feed
        # page logs 5,000 persons, which as an executemany is 5,000 statements.
        subjects = (
            func.json_array_elements_text(cast(literal(json.dumps(others), Text), JSON))
            .table_valued("v")
            .render_derived(name="subjects")
        )
        c = table.c
        session.execute(
            insert(table).from_select(
                _COLUMNS,
                select(
                    literal(at, c.at.type),
                    literal(principal.request_id, c.request_id.type),
                    literal(principal.sub, c.reader.type),
                    literal(principal.person_id, c.reader_person_id.type),
                    subjects.c.v,
                    literal(resource, c.resource.type),
                    literal(fields, c.fields.type),
                ),
            )
        )
        return
    session.execute(
        insert(table),
        [
            {
                "at": at,
                "request_id": principal.request_id,
                "reader": principal.sub,
                "reader_person_id": principal.person_id,
                "subject_person_id": pid,
                "resource": resource,
                "fields": fields,
            }
            for pid in others
        ],
    )
