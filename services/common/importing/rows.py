"""From a decoded line to named values, and from named values to a checked row.

One `RowError` shape for every import: the row, the field, a reason and a
stable code. A reason never repeats the value: a rejected cell may be a
national ID or a telephone number.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class RowError:
    row: int  # data row, from 1 (the line after any header)
    field: str  # a column, or "line" for the line as a whole
    reason: str
    code: str


class HeaderError(ValueError):
    """The file as a whole cannot be read: no usable CSV header."""


# A column a file must have, or a group of which it must have one at least
# (e.g. a person named by `person_id` or by `national_id`).
Required = str | tuple[str, ...]


class _OneLine:
    """Feeds a csv.reader one line at a time, so one reader serves the whole file."""

    def __init__(self) -> None:
        self.line: str | None = None

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        if self.line is None:
            raise StopIteration
        line, self.line = self.line, None
        return line


class CsvRows:
    """A CSV file's header, then each line's values by (lower-cased) column name."""

    def __init__(
        self,
        header_line: str,
        required: Sequence[Required] = (),
        known: Sequence[str] | None = None,
    ) -> None:
        self._feed = _OneLine()
        self._reader = csv.reader(self._feed, strict=True)
        header = self._split(header_line)
        if header is None:
            raise HeaderError("the header line is not valid CSV")
        self.header = [name.strip().lower() for name in header]
        missing = [
            " or ".join(need) if isinstance(need, tuple) else need
            for need in required
            if not any(
                name in self.header for name in (need if isinstance(need, tuple) else (need,))
            )
        ]
        if missing:
            raise HeaderError(f"the header lacks column(s): {', '.join(missing)}")
        if len(set(self.header)) != len(self.header):
            raise HeaderError("the header names a column twice")
        if known is not None:
            unknown = [str(i + 1) for i, name in enumerate(self.header) if name not in known]
            if unknown:
                # Positions, not names: a file without a header has data in this line.
                raise HeaderError(
                    f"unknown column(s) at position {', '.join(unknown)}; "
                    f"expected {', '.join(known)}"
                )

    def _split(self, line: str) -> list[str] | None:
        if line and '"' not in line and "\r" not in line and "\x00" not in line:
            # Without quotes, carriage returns or NULs (lines are already cut at
            # line feeds) a CSV line is its commas: the csv module would give the
            # same fields, at several times the cost.
            return line.split(",")
        self._feed.line = line
        try:
            return next(self._reader)
        except (csv.Error, StopIteration):
            return None

    def values(self, row: int, line: str) -> dict[str, str] | RowError:
        fields = self._split(line)
        if fields is None:
            return RowError(row, "line", "not valid CSV (an unclosed quote?)", "csv")
        if len(fields) != len(self.header):
            return RowError(
                row,
                "line",
                f"has {len(fields)} fields where the header has {len(self.header)}",
                "field_count",
            )
        return dict(zip(self.header, fields, strict=True))


def json_values(row: int, line: str) -> dict[str, str] | RowError:
    """One JSON object's members as text, keys lower-cased: the same mapping a CSV
    line gives, so one row check serves both formats. A null is an absent member,
    a list is joined with `;` (e.g. topic tags), booleans are "true"/"false"."""
    try:
        value = json.loads(line)
    except ValueError:
        return RowError(row, "line", "not valid JSON", "json")
    if not isinstance(value, dict):
        return RowError(row, "line", "not a JSON object", "json")
    out: dict[str, str] = {}
    for key, item in value.items():
        if item is None:
            continue
        if isinstance(item, bool):
            out[str(key).lower()] = "true" if item else "false"
        elif isinstance(item, list):
            out[str(key).lower()] = ";".join(str(x) for x in item)
        elif isinstance(item, dict):
            out[str(key).lower()] = json.dumps(item)
        else:
            out[str(key).lower()] = str(item)
    return out


def present(values: Mapping[str, str]) -> dict[str, str]:
    """The cells with a value, stripped: an empty cell is an absent one."""
    out: dict[str, str] = {}
    for name, value in values.items():
        text = value.strip()
        if text:
            out[name] = text
    return out


def validated(model: type[M], row: int, values: Mapping[str, object]) -> M | list[RowError]:
    """`values` checked by a pydantic model: the row, or every field's error.

    pydantic's messages name the constraint, not the value; the input itself
    (`input` in pydantic's error) is never copied.
    """
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        errors: list[RowError] = []
        for err in exc.errors(include_input=False, include_url=False):
            where = ".".join(str(part) for part in err.get("loc", ())) or "line"
            code = "unknown_column" if err["type"] == "extra_forbidden" else err["type"]
            reason = (
                "not a column of this import"
                if code == "unknown_column"
                else str(err["msg"]).removeprefix("Value error, ")
            )
            errors.append(RowError(row, where, str(reason)[:300], code[:32]))
        return errors
