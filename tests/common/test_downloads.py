"""Content negotiation of the report operations, and the files' tables."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.common.downloads import (
    CSV_MEDIA_TYPE,
    JSON_MEDIA_TYPE,
    XLSX_MEDIA_TYPE,
    NotAcceptable,
    attachment,
    choose,
    negotiate,
)
from services.common.workbooks import Column, Table, display_width, to_csv

OFFERED = [JSON_MEDIA_TYPE, CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE]


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, JSON_MEDIA_TYPE),
        ("", JSON_MEDIA_TYPE),
        ("*/*", JSON_MEDIA_TYPE),
        ("text/csv", CSV_MEDIA_TYPE),
        ("TEXT/CSV", CSV_MEDIA_TYPE),
        ("text/*", CSV_MEDIA_TYPE),
        (XLSX_MEDIA_TYPE, XLSX_MEDIA_TYPE),
        ("application/*", JSON_MEDIA_TYPE),
        ("text/csv;q=0.5, application/json;q=0.4", CSV_MEDIA_TYPE),
        ("text/csv;q=0.5, */*;q=0.9", JSON_MEDIA_TYPE),
        # The most specific range decides: JSON excluded, anything else welcome.
        ("application/json;q=0, */*", CSV_MEDIA_TYPE),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", JSON_MEDIA_TYPE),
        ("text/html", None),
        ("text/*;q=0", None),
        ("text/csv;q=abc", None),
        ("text/csv;q=2", None),
        ("application/problem+json", None),
    ],
)
def test_negotiate(accept, chosen):
    assert negotiate(accept, OFFERED) == chosen


@given(st.text(max_size=80))
def test_negotiate_never_fails_and_answers_an_offered_type(accept):
    assert negotiate(accept, OFFERED) in (None, *OFFERED)


def test_format_wins_over_accept_and_406_lists_the_types():
    assert choose("csv", XLSX_MEDIA_TYPE, OFFERED) == CSV_MEDIA_TYPE
    assert choose(None, XLSX_MEDIA_TYPE, OFFERED) == XLSX_MEDIA_TYPE
    with pytest.raises(NotAcceptable) as refused:
        choose(None, "image/png", OFFERED)
    assert refused.value.status == 406 and refused.value.extra["available"] == OFFERED


def test_attachment_names_the_file_and_refuses_unsafe_names():
    response = attachment(b"x", CSV_MEDIA_TYPE, "overtime-A01-2025-03.csv")
    assert response.headers["content-disposition"] == (
        'attachment; filename="overtime-A01-2025-03.csv"'
    )
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    for name in ('a"b.csv', "../x.csv", "報表.csv"):
        with pytest.raises(ValueError):
            attachment(b"x", CSV_MEDIA_TYPE, name)


def test_csv_is_rectangular_with_a_bom_and_formulas_defused():
    table = Table(
        [
            Column("person_id", "人員代號", "id"),
            Column("note", "備註"),
            Column("ok", "是否", "bool"),
        ],
        [["=1+1", None, True], ["P2", "-x", False]],
    )
    text = to_csv(table).decode("utf-8")
    assert text == "\ufeffperson_id,note,ok\r\n'=1+1,,true\r\nP2,'-x,false\r\n"


def test_a_row_of_the_wrong_width_is_refused():
    with pytest.raises(ValueError, match="row 1"):
        Table([Column("a", "甲")], [["1"], ["1", "2"]])


@pytest.mark.parametrize(("text", "width"), [("", 0), ("A01", 3), ("機關代碼", 8), ("民國115", 7)])
def test_display_width_counts_cjk_as_two(text, width):
    assert display_width(text) == width
