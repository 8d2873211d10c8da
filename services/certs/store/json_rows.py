"""Many rows in one statement parameter (PostgreSQL): `json_to_recordset` over
one JSON text, typed by the target table's columns.

A multi-row VALUES statement has a parameter per value and is compiled again
for every call (SQLAlchemy cannot cache it), which costs more than the database
spends writing the rows; an executemany sends a statement per row. One JSON
text, which Python writes in C, keeps the statement the same whatever the count.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Table, Text, cast, column, func, literal
from sqlalchemy.sql.selectable import TableValuedAlias


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            raise ValueError("naive datetime: a timezone is required")
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


def json_rows(
    rows: Sequence[Sequence[Any]], table: Table, names: Sequence[str]
) -> TableValuedAlias:
    """`rows` (values in the order of `names`) as a FROM item whose columns are
    `names`, typed as `table`'s columns of those names."""
    payload = json.dumps([dict(zip(names, row, strict=True)) for row in rows], default=_plain)
    return (
        func.json_to_recordset(cast(literal(payload, Text), JSON))
        .table_valued(*(column(name, table.c[name].type) for name in names))
        .render_derived(name="feed_rows", with_types=True)
    )
