"""Many keys in one statement parameter, for lookups that join on them (PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Collection

from sqlalchemy import JSON, Text, cast, func, literal
from sqlalchemy.sql.selectable import TableValuedAlias


def key_rows(values: Collection[str], name: str = "keys") -> TableValuedAlias:
    """`values` as a FROM item of one column `v`, to join an index against.

    One statement whatever the count: an IN list of thousands of parameters costs
    more to build than to answer, and against a table without fresh statistics it
    can be planned as a scan. The keys travel as one JSON text, which Python writes
    in C: a list parameter is turned into an array element by element in Python.
    """
    payload = cast(literal(json.dumps(list(values)), Text), JSON)
    return func.json_array_elements_text(payload).table_valued("v").render_derived(name=name)
