"""Reading import files (CSV with a header, or JSON lines) into validated rows.

Pure: bytes in, numbered rows and per-row errors out. Errors name the row and
the field, never the value, which may be personal data.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ValidationError

ImportFormat = Literal["csv", "jsonl"]
M = TypeVar("M", bound=BaseModel)
UTF8_BOM = "\ufeff"


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    reason: str


@dataclass(frozen=True)
class ParsedRow(Generic[M]):
    row: int
    data: M


class FileError(ValueError):
    """The file as a whole cannot be read."""


def format_of(content_type: str | None, explicit: ImportFormat | None) -> ImportFormat:
    if explicit is not None:
        return explicit
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind in ("text/csv", "application/csv"):
        return "csv"
    if kind in ("application/x-ndjson", "application/jsonl", "application/json-lines"):
        return "jsonl"
    raise FileError("send text/csv or application/x-ndjson, or pass ?format=")


def _records(text: str, fmt: ImportFormat) -> Iterator[tuple[int, dict[str, Any] | None]]:
    if fmt == "jsonl":
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except ValueError:
                yield number, None
                continue
            yield number, value if isinstance(value, dict) else None
        return
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise FileError("the CSV file has no header row")
    for values in reader:
        # Row 1 is the header, so the first data row is row 2, as a spreadsheet shows it.
        cleaned = {
            k.strip(): (v.strip() if isinstance(v, str) else v)
            for k, v in values.items()
            if k is not None
        }
        yield reader.line_num, {k: v for k, v in cleaned.items() if v not in ("", None)}


def parse_rows(
    body: bytes, fmt: ImportFormat, model: type[M]
) -> tuple[list[ParsedRow[M]], list[RowError]]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise FileError("the file must be UTF-8") from None
    text = text.removeprefix(UTF8_BOM)
    rows: list[ParsedRow[M]] = []
    errors: list[RowError] = []
    for number, record in _records(text, fmt):
        if record is None:
            errors.append(RowError(number, "", "not a JSON object"))
            continue
        try:
            rows.append(ParsedRow(number, model.model_validate(record)))
        except ValidationError as exc:
            for err in exc.errors():
                where = ".".join(str(p) for p in err.get("loc", ()))
                errors.append(RowError(number, where, str(err.get("msg", "invalid"))))
    return rows, errors
