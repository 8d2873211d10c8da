"""What an import's file holds, told to the client: one table of columns per
import (name, required, format, example), written into the operation's
description, and the body declared with the media types the import reads.

A row model (pydantic) gives the names, whether each is required and its
format, so the table cannot drift from what the import checks; an import whose
rows are parsed by hand (learning records, for speed) lists its columns itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

CSV = "text/csv"
JSON_LINES = "application/x-ndjson"
# A body read as a stream of bytes: CSV or JSON Lines, chosen by `format`.
FILE_SCHEMA: dict[str, Any] = {"type": "string", "format": "binary"}


@dataclass(frozen=True)
class Column:
    name: str
    required: str  # "yes", "no", or the rule ("one of person_id, national_id")
    format: str
    example: str


def _format_of(schema: dict[str, Any]) -> str:
    variants = [v for v in schema.get("anyOf", [schema]) if v.get("type") != "null"]
    words = []
    for v in variants:
        if "enum" in v:
            words.append("one of " + ", ".join(f"`{e}`" for e in v["enum"]))
        elif v.get("format") == "date":
            words.append(v.get("description") or "ISO date (YYYY-MM-DD)")
        elif v.get("format") == "date-time":
            words.append("ISO date-time with offset")
        elif v.get("type") == "boolean":
            words.append("`true`/`false`")
        elif v.get("type") == "integer":
            bounds = [f"≥ {v['minimum']}" for _ in [0] if "minimum" in v]
            bounds += [f"> {v['exclusiveMinimum']}" for _ in [0] if "exclusiveMinimum" in v]
            bounds += [f"≤ {v['maximum']}" for _ in [0] if "maximum" in v]
            words.append(" ".join(["integer", *bounds]))
        elif v.get("format") == "decimal":
            words.append(f"decimal, {v.get('x-decimal-places', 2)} places")
        elif v.get("type") == "number":
            continue  # the decimal's string form says it
        elif "pattern" in v:
            words.append(f"text matching `{v['pattern']}`")
        elif v.get("type") == "string":
            limit = f", at most {v['maxLength']} characters" if "maxLength" in v else ""
            words.append("text" + limit)
        elif "$ref" in v:
            words.append("see the row schema")
    return "; or ".join(dict.fromkeys(words)) or "text"


def columns_of(
    model: type[BaseModel],
    examples: Mapping[str, str],
    *,
    required: Mapping[str, str] | None = None,
    formats: Mapping[str, str] | None = None,
) -> tuple[Column, ...]:
    """The columns of a row model, in its field order. `examples` gives one value
    per column (a missing one is an error: the table is for people to copy);
    `required` and `formats` say more where the schema alone cannot (a rule
    across columns, a date read in ROC form too)."""
    schema = model.model_json_schema()
    defs = schema.get("$defs", {})
    properties: dict[str, Any] = schema["properties"]
    needed = set(schema.get("required", []))
    columns = []
    for name, prop in properties.items():
        if "$ref" in prop:
            prop = defs[prop["$ref"].rsplit("/", 1)[-1]]
        elif "allOf" in prop and "$ref" in prop["allOf"][0]:
            prop = defs[prop["allOf"][0]["$ref"].rsplit("/", 1)[-1]]
        rule = (required or {}).get(name) or ("yes" if name in needed else "no")
        shape = (formats or {}).get(name) or _format_of(prop)
        columns.append(Column(name, rule, shape, examples[name]))
    return tuple(columns)


def column_table(columns: Sequence[Column]) -> str:
    lines = ["| column | required | format | example |", "|---|---|---|---|"]
    lines += [f"| `{c.name}` | {c.required} | {c.format} | `{c.example}` |" for c in columns]
    return "\n".join(lines)


def describe_import(what: str, columns: Sequence[Column], notes: str = "") -> str:
    """An import operation's own description: what a row is, the file's shape,
    and its columns."""
    shape = (
        f"The body is the file itself, streamed: CSV (`{CSV}`) with a header line naming "
        f"the columns, in any order, or JSON Lines (`{JSON_LINES}`, one object per line "
        "with the columns as keys); `format` says which. UTF-8 with or without a BOM; "
        "declare `charset=big5` for Big5. Rows are numbered from 1, the first row after "
        "the header."
    )
    parts = [what, shape, *([notes] if notes else []), column_table(columns)]
    return "\n\n".join(parts)
