"""CSV and XLSX renderings of reports and queues. XLSX workbooks carry a bar
chart of the figures, for the agency head's monthly review."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _safe(value: Any) -> Any:
    # Spreadsheet formula injection: a cell starting with = + - @ is text, not a formula.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def to_csv(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_safe(v) for v in row])
    # A BOM so that Excel on a Traditional Chinese Windows opens it as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    chart_title: str,
    value_columns: Sequence[int],
    y_axis: str = "hours",
) -> bytes:
    """One sheet with the rows and a bar chart of `value_columns` (0-based)
    against the first column."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append(list(header))
    for row in rows:
        sheet.append([_safe(v) for v in row])
    if rows and value_columns:
        chart = BarChart()
        chart.title = chart_title
        chart.y_axis.title = y_axis
        for column in value_columns:
            data = Reference(sheet, min_col=column + 1, min_row=1, max_row=len(rows) + 1)
            chart.add_data(data, titles_from_data=True)
        categories = Reference(sheet, min_col=1, min_row=2, max_row=len(rows) + 1)
        chart.set_categories(categories)
        anchor = f"{chr(ord('A') + len(header) + 1)}2"
        sheet.add_chart(chart, anchor)  # type: ignore[call-arg]
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
