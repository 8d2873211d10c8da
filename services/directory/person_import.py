"""Reading person import files: streamed bytes in, numbered records and row errors out.

Pure: no HTTP, no database. The body is consumed chunk by chunk, and only one
line (or one quoted multi-line CSV record) is held at a time. Errors name the
row and the column, never the value: a rejected cell may be a national ID.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from services.directory.schemas import (
    AgencyCode,
    DisplayName,
    Email,
    FlexibleDate,
    NationalId,
    PersonnelId,
    PersonStatus,
    Phone,
    UnitCode,
)

ImportFormat = Literal["csv", "jsonl"]
MAX_LINE_BYTES = 64 * 1024
_SAFE_NAME = re.compile(r"[a-z_]{1,32}")
UTF8_BOM = b"\xef\xbb\xbf"
REQUIRED_COLUMNS = ("id", "name", "agency_code")
OPTIONAL_COLUMNS = (
    "unit_code",
    "national_id",
    "email",
    "phone",
    "status",
    "status_changed_on",
    "supervisor_id",
)
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
# Charsets an HR office's export may declare; Big5 files from Windows are really
# code page 950, a superset, so that is the codec used for them.
CHARSETS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "us-ascii": "utf-8",
    "big5": "cp950",
    "x-big5": "cp950",
    "cp950": "cp950",
    "big5-hkscs": "big5hkscs",
}


class HeaderError(ValueError):
    """The file as a whole cannot be read (no usable CSV header)."""


class UnsupportedCharset(ValueError):
    pass


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    reason: str


@dataclass(frozen=True)
class Record:
    row: int
    values: dict[str, Any]


@dataclass(frozen=True)
class PersonRow:
    """A validated row; `present` lists the columns the file gives, the others stay untouched."""

    row: int
    data: ImportRow
    present: frozenset[str]


class ImportRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: PersonnelId
    name: DisplayName
    agency_code: AgencyCode
    unit_code: UnitCode | None = None
    national_id: NationalId | None = None
    email: Email | None = None
    phone: Phone | None = None
    status: PersonStatus | None = None
    status_changed_on: FlexibleDate | None = None
    supervisor_id: PersonnelId | None = None


def codec_for(content_type: str | None) -> str:
    """The codec for the declared charset; UTF-8 (BOM or not) when none is declared."""
    charset = "utf-8"
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    if charset not in CHARSETS:
        raise UnsupportedCharset("charset must be utf-8 or big5")
    return CHARSETS[charset]


@dataclass(frozen=True)
class RawLine:
    number: int
    data: bytes
    terminated: bool
    overlong: bool = False


@dataclass
class LineSplitter:
    """Bytes in, complete lines out. Splitting on the byte 0x0A is safe for
    UTF-8 and for Big5, whose trail bytes never take that value."""

    max_bytes: int = MAX_LINE_BYTES
    _buffer: bytearray = field(default_factory=bytearray)
    _number: int = 0
    _skipping: bool = False

    def feed(self, chunk: bytes) -> list[RawLine]:
        lines: list[RawLine] = []
        self._buffer.extend(chunk)
        while True:
            end = self._buffer.find(b"\n")
            if end < 0:
                if len(self._buffer) > self.max_bytes and not self._skipping:
                    self._skipping = True  # drop the rest of this line as it arrives
                if self._skipping:
                    self._buffer.clear()
                return lines
            data = bytes(self._buffer[:end])
            del self._buffer[: end + 1]
            self._number += 1
            if self._skipping or len(data) > self.max_bytes:
                lines.append(RawLine(self._number, b"", True, overlong=True))
                self._skipping = False
            else:
                lines.append(RawLine(self._number, data, True))

    def close(self) -> list[RawLine]:
        if not self._buffer and not self._skipping:
            return []
        self._number += 1
        line = RawLine(self._number, bytes(self._buffer), False, overlong=self._skipping)
        self._buffer.clear()
        self._skipping = False
        return [line]


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


class RecordStream:
    """Bytes in, records (one per data row) and row errors out."""

    def __init__(self, fmt: ImportFormat, codec: str) -> None:
        self.fmt = fmt
        self.codec = codec
        self._lines = LineSplitter()
        self._header: list[str] | None = None
        self._pending: list[str] = []
        self._pending_start = 0

    def feed(self, chunk: bytes) -> list[Record | RowError]:
        return self._take(self._lines.feed(chunk))

    def finish(self) -> list[Record | RowError]:
        out = self._take(self._lines.close())
        if self._pending:
            out.append(
                RowError(
                    self._pending_start, "row", "truncated last line: unterminated quoted field"
                )
            )
            self._pending = []
        if self.fmt == "csv" and self._header is None:
            raise HeaderError("empty file: expected a header line")
        return out

    def _take(self, lines: list[RawLine]) -> list[Record | RowError]:
        out: list[Record | RowError] = []
        for line in lines:
            out.extend(self._line(line))
        return out

    def _decode(self, line: RawLine) -> str:
        data = line.data
        if line.number == 1 and data.startswith(UTF8_BOM):
            data = data[len(UTF8_BOM) :]
        if data.endswith(b"\r"):
            data = data[:-1]
        return data.decode(self.codec)

    def _line(self, line: RawLine) -> list[Record | RowError]:
        if line.overlong:
            self._pending = []
            return [RowError(line.number, "row", f"line longer than {MAX_LINE_BYTES} bytes")]
        try:
            text = self._decode(line)
        except UnicodeDecodeError:
            self._pending = []
            label = "Big5" if self.codec != "utf-8" else "UTF-8"
            return [RowError(line.number, "row", f"not valid {label} text")]
        if self.fmt == "jsonl":
            return self._json_line(line, text)
        return self._csv_line(line, text)

    def _json_line(self, line: RawLine, text: str) -> list[Record | RowError]:
        if not text.strip():
            return []
        try:
            value = json.loads(text)
        except ValueError:
            reason = "invalid JSON" if line.terminated else "truncated last line"
            return [RowError(line.number, "row", reason)]
        if not isinstance(value, dict):
            return [RowError(line.number, "row", "expected a JSON object")]
        unknown = sorted(k for k in value if k not in COLUMNS)
        if unknown:
            # Only names that cannot be personal data (no digits) are echoed.
            shown = [k for k in unknown if _SAFE_NAME.fullmatch(k)]
            listed = f": {', '.join(shown)}" if shown else ""
            return [RowError(line.number, "row", f"unknown field(s){listed}")]
        return [Record(line.number, {k: _clean(v) for k, v in value.items()})]

    def _csv_line(self, line: RawLine, text: str) -> list[Record | RowError]:
        if not self._pending:
            if not text.strip():
                return []
            self._pending_start = line.number
        self._pending.append(text)
        joined = "\n".join(self._pending)
        if joined.count('"') % 2:
            return []  # a quoted field goes on over the next line
        self._pending = []
        try:
            cells = next(csv.reader(io.StringIO(joined), strict=True))
        except (csv.Error, StopIteration):
            return [RowError(self._pending_start, "row", "malformed CSV")]
        if self._header is None:
            self._header = _check_header(cells)
            return []
        if len(cells) != len(self._header):
            if not line.terminated:
                return [RowError(self._pending_start, "row", "truncated last line")]
            return [
                RowError(
                    self._pending_start,
                    "row",
                    f"expected {len(self._header)} fields, found {len(cells)}",
                )
            ]
        return [
            Record(
                self._pending_start,
                {h: _clean(c) for h, c in zip(self._header, cells, strict=True)},
            )
        ]


def _check_header(cells: list[str]) -> list[str]:
    names = [c.strip().lstrip("\ufeff").lower() for c in cells]
    unknown = [str(i + 1) for i, n in enumerate(names) if n not in COLUMNS]
    if unknown:
        # Positions, not names: a file without a header has data in this line.
        raise HeaderError(
            f"unknown column(s) at position {', '.join(unknown)}; expected {', '.join(COLUMNS)}"
        )
    if len(set(names)) != len(names):
        raise HeaderError("a column appears twice in the header")
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise HeaderError(f"missing required column(s): {', '.join(missing)}")
    return names


def validate_record(record: Record) -> PersonRow | list[RowError]:
    errors = [
        RowError(record.row, column, "required")
        for column in REQUIRED_COLUMNS
        if record.values.get(column) is None
    ]
    if errors:
        return errors
    try:
        data = ImportRow.model_validate(record.values)
    except ValidationError as exc:
        return [
            RowError(
                record.row,
                str(err["loc"][0]) if err["loc"] else "row",
                str(err["msg"]).removeprefix("Value error, "),
            )
            for err in exc.errors(include_input=False, include_url=False)
        ]
    return PersonRow(record.row, data, frozenset(record.values))
