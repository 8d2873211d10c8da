"""The import pipeline's pure parts: the charset a body is read with, a CSV header
and its lines, JSON Lines, one checked row with every field's error (and never the
value refused), and a byte-order mark split across the body's chunks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field

from services.common.errors import Problem
from services.common.importing.charsets import UnsupportedCharset, codec_for
from services.common.importing.lines import RawLine, line_blocks
from services.common.importing.rows import (
    CsvRows,
    HeaderError,
    RowError,
    json_values,
    present,
    validated,
)

# --- charsets ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "codec"),
    [
        (None, "utf-8"),
        ("", "utf-8"),
        ("text/csv", "utf-8"),
        ("text/csv; charset=utf-8", "utf-8"),
        ("text/csv; charset=UTF8", "utf-8"),
        ("text/csv;charset=big5", "cp950"),
        ('text/csv; charset="big5"', "cp950"),
        ("text/csv; Charset = BIG5 ", "cp950"),
        ("application/x-ndjson; charset=cp950", "cp950"),
        ("text/csv; header=present; charset=x-big5", "cp950"),
    ],
)
def test_a_declared_charset_gives_its_codec(content_type, codec) -> None:
    assert codec_for(content_type) == codec


@pytest.mark.parametrize("charset", ["latin-1", "shift_jis", "utf-16"])
def test_another_charset_is_415_naming_it(charset) -> None:
    with pytest.raises(UnsupportedCharset) as raised:
        codec_for(f"text/csv; charset={charset}")
    problem = raised.value
    assert isinstance(problem, Problem)
    assert problem.status == 415
    assert problem.detail is not None
    assert repr(charset) in problem.detail


# --- CSV -------------------------------------------------------------------------


def test_header_names_are_stripped_and_lower_cased() -> None:
    rows = CsvRows(" Key ,VALUE", required=("key", "value"))
    assert rows.header == ["key", "value"]
    assert rows.values(1, "a,1") == {"key": "a", "value": "1"}


def test_a_required_group_is_met_by_any_of_its_columns() -> None:
    need = ("external_id", ("person_id", "national_id"))
    assert CsvRows("external_id,person_id", need).header == ["external_id", "person_id"]
    assert CsvRows("national_id,external_id", need).header == ["national_id", "external_id"]


def test_every_missing_column_is_named_in_order() -> None:
    need = ("external_id", ("person_id", "national_id"), "hours", "completed_at")
    with pytest.raises(HeaderError) as raised:
        CsvRows("hours,other", need)
    assert str(raised.value) == (
        "the header lacks column(s): external_id, person_id or national_id, completed_at"
    )


def test_known_columns_refuse_any_other() -> None:
    known = ("key", "value")
    assert CsvRows("value,key", known=known).header == ["value", "key"]
    with pytest.raises(HeaderError) as raised:
        CsvRows("key,value,Colour,size", known=known)
    # Positions, not names: without a header the line would be data.
    assert str(raised.value) == "unknown column(s) at position 3, 4; expected key, value"


def test_a_column_named_twice_is_refused() -> None:
    with pytest.raises(HeaderError, match="twice"):
        CsvRows("key,value,KEY")


def test_a_header_that_is_not_csv_is_refused() -> None:
    with pytest.raises(HeaderError, match="not valid CSV"):
        CsvRows('key,"value')


def test_quoted_fields_keep_their_commas_and_quotes() -> None:
    rows = CsvRows("key,value,note")
    assert rows.values(3, '"a,b",1,"say ""hi"", twice"') == {
        "key": "a,b",
        "value": "1",
        "note": 'say "hi", twice',
    }
    # A quoted header too.
    assert CsvRows('"key","value"').header == ["key", "value"]


@pytest.mark.parametrize(("line", "count"), [("a", 1), ("a,1,x", 3), ('"a,1",x,y', 3)])
def test_a_wrong_field_count_is_a_row_error(line, count) -> None:
    rows = CsvRows("key,value")
    error = rows.values(5, line)
    assert error == RowError(5, "line", f"has {count} fields where the header has 2", "field_count")


def test_an_unclosed_quote_is_a_csv_row_error() -> None:
    rows = CsvRows("key,value")
    error = rows.values(2, '"a,1')
    assert isinstance(error, RowError)
    assert (error.row, error.field, error.code) == (2, "line", "csv")
    # The reader is still good for the next line.
    assert rows.values(3, "b,2") == {"key": "b", "value": "2"}


def test_present_drops_empty_cells_and_strips() -> None:
    assert present({"a": " x ", "b": "", "c": "  "}) == {"a": "x"}


# --- JSON Lines ------------------------------------------------------------------


def test_json_values_are_text_by_lower_cased_key() -> None:
    line = (
        '{"Key": "k1", "value": 5, "gone": null, "yes": true, "no": false,'
        ' "tags": ["a", 2, "b"], "nested": {"x": 1}, "ratio": 1.5}'
    )
    assert json_values(1, line) == {
        "key": "k1",
        "value": "5",
        "yes": "true",
        "no": "false",
        "tags": "a;2;b",
        "nested": '{"x": 1}',
        "ratio": "1.5",
    }


@pytest.mark.parametrize("line", ["[1, 2]", '"text"', "3", "null", "{not json", '{"a": 1'])
def test_a_line_that_is_not_a_json_object_is_a_json_error(line) -> None:
    error = json_values(4, line)
    assert isinstance(error, RowError)
    assert (error.row, error.field, error.code) == (4, "line", "json")


# --- validated -----------------------------------------------------------------


class Thing(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: Annotated[str, Field(min_length=1, max_length=16)]
    value: Annotated[int, Field(ge=0)]
    note: Annotated[str, Field(max_length=8)] = ""


def test_a_valid_row_is_the_model() -> None:
    assert validated(Thing, 1, {"key": "k", "value": "3"}) == Thing(key="k", value=3)


def test_every_field_error_is_reported() -> None:
    errors = validated(Thing, 7, {"value": "-1", "note": "far too long a note"})
    assert isinstance(errors, list)
    assert [(e.row, e.field, e.code) for e in errors] == [
        (7, "key", "missing"),
        (7, "value", "greater_than_equal"),
        (7, "note", "string_too_long"),
    ]
    assert all(e.reason for e in errors)


def test_an_unknown_column_is_its_own_code() -> None:
    errors = validated(Thing, 2, {"key": "k", "value": "1", "colour": "A123456789"})
    assert errors == [RowError(2, "colour", "not a column of this import", "unknown_column")]


@settings(max_examples=300)
@given(st.text(min_size=10, max_size=10))
def test_a_reason_never_repeats_a_value_refused_as_an_int(value) -> None:
    errors = validated(Thing, 1, {"key": "k", "value": value})
    assume(isinstance(errors, list))
    assert isinstance(errors, list)
    assert [e.field for e in errors] == ["value"]
    for error in errors:
        assert value not in error.reason
        assert value.strip() not in error.reason


@settings(max_examples=300)
@given(st.text(min_size=17, max_size=40), st.text(min_size=9, max_size=20))
def test_a_reason_never_repeats_a_value_too_long(key, note) -> None:
    errors = validated(Thing, 1, {"key": key, "value": "1", "note": note})
    assert isinstance(errors, list)
    assert [(e.field, e.code) for e in errors] == [
        ("key", "string_too_long"),
        ("note", "string_too_long"),
    ]
    for error in errors:
        assert key not in error.reason
        assert note not in error.reason


# --- lines -----------------------------------------------------------------------


def _lines(chunks: list[bytes]) -> list[RawLine]:
    async def stream() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    async def collect() -> list[RawLine]:
        return [line async for block in line_blocks(stream()) for line in block]

    return asyncio.run(collect())


@pytest.mark.parametrize(
    "chunks",
    [
        [b"\xef", b"\xbb\xbfa,b\n"],
        [b"\xef", b"\xbb", b"\xbf", b"a,b\n"],
        [b"\xef\xbb", b"\xbfa,b\n"],
        [b"\xef\xbb\xbf", b"a,b\n"],
    ],
)
def test_a_bom_split_across_chunks_is_dropped_and_lines_count_from_1(chunks) -> None:
    assert _lines([*chunks, b"c,d\n"]) == [
        RawLine(1, b"a,b", True),
        RawLine(2, b"c,d", True),
    ]


def test_bytes_that_only_start_like_a_bom_are_kept() -> None:
    assert _lines([b"\xef", b"\xbbx\n"]) == [RawLine(1, b"\xef\xbbx", True)]
