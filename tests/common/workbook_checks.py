"""Checks every exported file must pass: a CSV is one rectangular table, and a
workbook's table sheet has bilingual headers, a frozen header row, an autofilter
over the table, and a printable layout. Shared by the services' report tests."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import datetime
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

CJK = re.compile(r"[\u4e00-\u9fff]")


def csv_rows(content: bytes) -> list[list[str]]:
    """The rows of a CSV, checked to be UTF-8 with a BOM and rectangular."""
    assert content.startswith("\ufeff".encode()), "the CSV starts with a BOM"
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows, "the CSV has a header"
    width = len(rows[0])
    assert all(len(r) == width for r in rows), [len(r) for r in rows]
    assert all(re.fullmatch(r"[a-z0-9_\-]+", name) for name in rows[0]), rows[0]
    return rows


def csv_records(content: bytes) -> list[dict[str, str]]:
    header, *rows = csv_rows(content)
    return [dict(zip(header, r, strict=True)) for r in rows]


def workbook(content: bytes) -> Workbook:
    return load_workbook(io.BytesIO(content))


def check_table_sheet(sheet: Worksheet, keys: list[str], rows: int) -> dict[str, int]:
    """The sheet's table: header cells `中文\\nfield`, frozen, filtered, printable.
    Returns each field's column number."""
    header = [c.value for c in sheet[1]][: len(keys)]
    assert [str(h).split("\n")[-1] for h in header] == keys
    for cell in header:
        zh, en = str(cell).split("\n")
        assert CJK.search(zh), f"{cell!r}: Chinese first"
        assert not CJK.search(en)
    assert sheet.freeze_panes == "A2"
    last = get_column_letter(len(keys))
    assert sheet.auto_filter.ref == f"A1:{last}{1 + max(rows, 1)}"
    assert sheet.print_title_rows == "$1:$1"
    setup = sheet.page_setup
    assert setup.fitToWidth == 1 and setup.fitToHeight == 0
    assert sheet.sheet_properties.pageSetUpPr is not None
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert setup.orientation in ("portrait", "landscape") and setup.paperSize == 9
    for index in range(1, len(keys) + 1):
        width = sheet.column_dimensions[get_column_letter(index)].width
        assert width and width >= 6
    return {key: index for index, key in enumerate(keys, start=1)}


def column_values(sheet: Worksheet, column: int, rows: int) -> list[Any]:
    return [sheet.cell(row=r, column=column).value for r in range(2, rows + 2)]


def check_id_column(sheet: Worksheet, column: int, rows: int) -> None:
    for r in range(2, rows + 2):
        cell = sheet.cell(row=r, column=column)
        assert isinstance(cell.value, str) and cell.number_format == "@", cell.coordinate


def check_number_column(sheet: Worksheet, column: int, rows: int) -> None:
    for r in range(2, rows + 2):
        value = sheet.cell(row=r, column=column).value
        assert isinstance(value, int | float) and not isinstance(value, bool), (r, value)


def chart_sheets(book: Workbook) -> list[Any]:
    return [s for s in book.chartsheets if s._charts]  # type: ignore[attr-defined]


def page_header(sheet: Worksheet) -> str:
    header = sheet.oddHeader
    assert header is not None and header.center is not None
    return header.center.text or ""


def check_sheet_holds_csv(sheet: Worksheet, records: list[dict[str, str]]) -> None:
    """Every cell of the CSV is on the sheet, under the same field, as the same
    value: text as text, numbers as numbers, booleans and days as themselves."""
    keys = [str(c.value).split("\n")[-1] for c in sheet[1]]
    for offset, record in enumerate(records, start=2):
        for key, text in record.items():
            value = sheet.cell(row=offset, column=keys.index(key) + 1).value
            where = (offset, key, value, text)
            if isinstance(value, str):
                assert value == text, where
            elif text == "":
                assert value is None, where
            elif text in ("true", "false"):
                assert value is (text == "true"), where
            elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                assert isinstance(value, datetime) and value.date().isoformat() == text, where
            else:
                assert isinstance(value, int | float) and not isinstance(value, bool), where
                assert value == float(text), where


def check_chart_sheets_drawn(content: bytes) -> int:
    """Each chart sheet's chart has a size: one written 0 × 0 prints blank in
    LibreOffice (Excel stretches it). Returns the number of chart sheets."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = [n for n in archive.namelist() if re.fullmatch(r"xl/drawings/drawing\d+\.xml", n)]
        anchors = [
            m
            for name in names
            for m in re.finditer(
                r'<absoluteAnchor><pos x="0" y="0" ?/><ext cx="(\d+)" cy="(\d+)"',
                archive.read(name).decode("utf-8"),
            )
        ]
    for anchor in anchors:
        assert int(anchor.group(1)) > 0 and int(anchor.group(2)) > 0, anchor.group(0)
    return len(anchors)
