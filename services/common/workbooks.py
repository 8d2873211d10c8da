"""Tables as the files personnel officers open: CSV and XLSX from one column list.

One `Table` (columns and rows) renders both ways, so a workbook always holds
what its CSV holds:

* CSV: one rectangular table, a header of the JSON field names (programs read
  it; the names are the API's own), UTF-8 with a BOM so that Excel on a
  Traditional Chinese Windows opens it as UTF-8. No metadata rows: those go in
  the file name.
* XLSX: one header row whose cells read Chinese first, then the field name on
  a second line (`機關代碼` / `agency_code`): officers read the Chinese, the
  field name ties the column to the CSV and the API, and one header row keeps
  the freeze pane, the autofilter and programs reading the sheet simple.
  Numbers are numbers (hours, counts, amounts, shares as percentages); ids
  (agency codes, person and unit ids) are text on purpose, so `0012` keeps its
  zeros and nobody sums them. Widths fit the content, the header row is frozen
  and repeated on every printed page, the sheet prints fitted to the page
  width on A4, with the title in the page header and `page / pages` below.

A text cell that starts with = + - @ is prefixed with an apostrophe in both
files: a spreadsheet would run it as a formula.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal, cast

from openpyxl import Workbook
from openpyxl.chart import BarChart
from openpyxl.drawing.spreadsheet_drawing import AbsoluteAnchor
from openpyxl.drawing.xdr import XDRPositiveSize2D
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.header_footer import HeaderFooterItem
from openpyxl.worksheet.page import PrintPageSetup
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

Kind = Literal["id", "text", "int", "number", "money", "percent", "date", "bool"]
Cell = str | int | float | Decimal | date | bool | None

# Excel number formats per kind; "@" marks a text cell as text on purpose.
_FORMATS: dict[Kind, str] = {
    "id": "@",
    "text": "@",
    "int": "#,##0",
    "number": "#,##0.00",
    "money": "#,##0",
    "percent": "0.00%",
    "date": "yyyy-mm-dd",
    "bool": "General",
}
_MIN_WIDTH, _MAX_WIDTH = 6, 48
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
A4 = 9


@dataclass(frozen=True, slots=True)
class Column:
    key: str  # the JSON field name, the CSV header
    zh: str  # what an officer reads
    kind: Kind = "text"

    @property
    def label(self) -> str:
        return f"{self.zh}\n{self.key}"


@dataclass(frozen=True, slots=True)
class Table:
    columns: Sequence[Column]
    rows: Sequence[Sequence[Cell]]

    def __post_init__(self) -> None:
        width = len(self.columns)
        for index, row in enumerate(self.rows):
            if len(row) != width:
                raise ValueError(f"row {index} has {len(row)} cells for {width} columns")

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.columns]


def _safe(value: str) -> str:
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def csv_text(value: Cell) -> str:
    """A cell as the CSV writes it: the JSON report's own text for each value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return _safe(value)
    return str(value)


def to_csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.keys)
    for row in table.rows:
        writer.writerow([csv_text(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _xlsx_value(value: Cell, kind: Kind) -> Cell:
    if value is None or value == "":
        return None
    if kind in ("id", "text"):
        return _safe(str(value))
    if isinstance(value, Decimal):
        return (
            int(value)
            if kind in ("int", "money") and value == value.to_integral()
            else float(value)
        )
    return value


def display_width(text: str) -> int:
    """Columns a text takes on screen: CJK characters are two wide."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _shown(value: Cell, kind: Kind) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if kind == "percent" and isinstance(value, int | float | Decimal):
        return f"{float(value) * 100:.2f}%"
    if kind in ("number",) and isinstance(value, int | float | Decimal):
        return f"{float(value):,.2f}"
    if kind in ("int", "money") and isinstance(value, int | float | Decimal):
        return f"{float(value):,.0f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def write_table(sheet: Worksheet, table: Table, *, title: str, first_row: int = 1) -> None:
    """The table on `sheet` from `first_row`, typed, fitted, frozen, filtered and
    set up for printing."""
    header = first_row
    for index, column in enumerate(table.columns, start=1):
        cell = sheet.cell(row=header, column=index, value=column.label)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    widths = [max(display_width(line) for line in c.label.split("\n")) for c in table.columns]
    for offset, row in enumerate(table.rows, start=1):
        for index, (column, value) in enumerate(zip(table.columns, row, strict=True), start=1):
            cell = sheet.cell(
                row=header + offset, column=index, value=_xlsx_value(value, column.kind)
            )
            cell.number_format = _FORMATS[column.kind]
            widths[index - 1] = max(widths[index - 1], display_width(_shown(value, column.kind)))
    for index, width in enumerate(widths, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = min(_MAX_WIDTH, max(_MIN_WIDTH, width + 2))
    sheet.row_dimensions[header].height = 32  # two header lines
    last = get_column_letter(len(table.columns))
    sheet.freeze_panes = f"A{header + 1}"
    sheet.auto_filter.ref = f"A{header}:{last}{header + max(len(table.rows), 1)}"
    sheet.print_title_rows = f"{header}:{header}"
    printable(sheet, title=title, wide=len(table.columns) > 6)


def printable(sheet: Worksheet, *, title: str, wide: bool) -> None:
    """A4, fitted to the page width (as many pages down as the rows need), the
    title in the page header and `page / pages` in the footer."""
    setup = sheet.page_setup
    setup.paperSize = A4
    setup.orientation = "landscape" if wide else "portrait"
    setup.fitToWidth = 1
    setup.fitToHeight = 0
    properties = sheet.sheet_properties.pageSetUpPr
    if properties is None:
        properties = sheet.sheet_properties.pageSetUpPr = PageSetupProperties()
    properties.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6
    _header_footer(sheet.oddHeader, sheet.oddFooter, title)


def key_values(sheet: Worksheet, pairs: Sequence[tuple[Column, Cell]], *, title: str) -> None:
    """A two-column sheet of named values (項目 item, 值 value)."""
    table = Table(
        [Column("item", "項目"), Column("value", "值")],
        [[c.label.replace("\n", " "), None] for c, _ in pairs],
    )
    write_table(sheet, table, title=title)
    for offset, (column, value) in enumerate(pairs, start=2):
        cell = sheet.cell(row=offset, column=2, value=_xlsx_value(value, column.kind))
        cell.number_format = _FORMATS[column.kind]
        cell.alignment = Alignment(horizontal="left")
    widest = max((display_width(_shown(v, c.kind)) for c, v in pairs), default=0)
    sheet.column_dimensions["B"].width = min(_MAX_WIDTH, max(_MIN_WIDTH, widest + 2))


# A4 landscape less the margins, in EMU: the size a chart sheet's chart is drawn at.
_EMU_PER_CM = 360_000
_CHART_WIDTH_EMU, _CHART_HEIGHT_EMU = 26 * _EMU_PER_CM, 16 * _EMU_PER_CM


def chart_sheet(book: Workbook, name: str, chart: BarChart, *, title: str) -> None:
    """The chart on a sheet of its own, which prints as one landscape page.

    openpyxl anchors a chart sheet's chart with a size of 0 × 0: Excel stretches
    it over the sheet, but LibreOffice draws it at the size written, which
    printed a blank page (benchmarks/render_workbooks.py). The size written is
    the printable area of the page."""
    sheet = book.create_chartsheet(name)
    sheet.add_chart(chart)
    # openpyxl types the anchor as a cell reference; a chart sheet's is absolute.
    anchor = cast(AbsoluteAnchor, chart.anchor)
    anchor.ext = XDRPositiveSize2D(cx=_CHART_WIDTH_EMU, cy=_CHART_HEIGHT_EMU)
    sheet.pageSetup = PrintPageSetup(paperSize=A4, orientation="landscape")
    _header_footer(sheet.oddHeader, sheet.oddFooter, title)


def _header_footer(
    header: HeaderFooterItem | None, footer: HeaderFooterItem | None, title: str
) -> None:
    # `&` starts a code in a page header; the title's own is doubled.
    if header is not None and header.center is not None:
        header.center.text = title.replace("&", "&&")
    if footer is not None and footer.center is not None:
        footer.center.text = "&P / &N"


def to_bytes(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
