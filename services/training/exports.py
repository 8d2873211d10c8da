"""CSV and XLSX renderings of the reports; the numbers are the JSON reports' own.

Dates appear twice, Gregorian and ROC (民國), because personnel offices file in ROC.
Shares are written as numbers formatted as percentages, so they can be charted and summed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.series import SeriesLabel
from openpyxl.worksheet.worksheet import Worksheet

from services.common.timeutil import ROC_OFFSET, format_roc
from services.training.schemas.reports import AgencyReportOut, PersonReportOut, TallyOut

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TALLY_COLUMNS = (
    "headcount",
    "compliant_count",
    "compliant_share",
    "ai_target_met_count",
    "ai_completion_rate",
)


def requirement_codes(report: AgencyReportOut) -> list[str]:
    codes: dict[str, None] = {}
    for rate in report.tally.requirements:
        codes.setdefault(rate.code, None)
    for unit in report.units:
        for rate in unit.tally.requirements:
            codes.setdefault(rate.code, None)
    return list(codes)


def _tally_cells(tally: TallyOut, codes: Sequence[str]) -> list[object]:
    shares = {r.code: r.share for r in tally.requirements}
    return [
        tally.headcount,
        tally.compliant_count,
        tally.compliant_share,
        tally.ai_target_met_count,
        tally.ai_completion_rate,
        *(shares.get(code, "") for code in codes),
    ]


def _table(report: AgencyReportOut) -> tuple[list[str], list[list[object]]]:
    codes = requirement_codes(report)
    header = ["agency_code", "unit_id", *TALLY_COLUMNS, *(f"share_{c}" for c in codes)]
    rows: list[list[object]] = [[report.agency_code, "(all)", *_tally_cells(report.tally, codes)]]
    for unit in report.units:
        rows.append([unit.agency_code, unit.unit_id, *_tally_cells(unit.tally, codes)])
    return header, rows


def _shortfall_rows(report: AgencyReportOut) -> Iterable[list[object]]:
    for s in report.shortfalls:
        gaps = "; ".join(f"{g.code} {g.missing}" for g in s.gaps)
        yield [s.person_id, s.agency_code, s.unit_id, s.hours_short, gaps]


def agency_csv(report: AgencyReportOut) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["year", report.year, "roc_year", report.year - ROC_OFFSET])
    writer.writerow(["as_of", report.as_of.isoformat(), "as_of_roc", format_roc(report.as_of)])
    writer.writerow([])
    header, rows = _table(report)
    writer.writerow(header)
    writer.writerows(rows)
    writer.writerow([])
    writer.writerow(["person_id", "agency_code", "unit_id", "hours_short", "gaps"])
    writer.writerows(_shortfall_rows(report))
    # BOM: Excel then opens the UTF-8 file with its Chinese text intact.
    return "\ufeff" + out.getvalue()


def _cell(value: object) -> object:
    # Decimal is not a spreadsheet type; shares and hours become numbers there.
    return float(value) if isinstance(value, Decimal) else value


def _percent(sheet: Worksheet, column: int, first_row: int, last_row: int) -> None:
    for row in range(first_row, last_row + 1):
        sheet.cell(row=row, column=column).number_format = "0.00%"


def agency_xlsx(report: AgencyReportOut) -> bytes:
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "summary"
    summary.append(["agency_code", report.agency_code])
    summary.append(["agencies", ", ".join(report.agencies)])
    summary.append(["year", report.year])
    summary.append(["roc_year", report.year - ROC_OFFSET])
    summary.append(["as_of", report.as_of])
    summary.append(["as_of_roc", format_roc(report.as_of)])
    t = report.tally
    summary.append(["headcount", t.headcount])
    summary.append(["compliant_count", t.compliant_count])
    summary.append(["compliant_share", float(t.compliant_share)])
    summary.append(["ai_target_met_count", t.ai_target_met_count])
    summary.append(["ai_completion_rate", float(t.ai_completion_rate)])
    for rate in t.requirements:
        summary.append([f"share_{rate.code}", float(rate.share)])

    units = book.create_sheet("units")
    header, rows = _table(report)
    units.append(header)
    for values in rows:
        units.append([_cell(v) for v in values])
    share_columns = [i + 1 for i, name in enumerate(header) if "share" in name or "rate" in name]
    for column in share_columns:
        _percent(units, column, 2, len(rows) + 1)
    if len(rows) > 1:
        # Completion by unit: the compliant share and the AI completion rate per unit.
        chart = BarChart()
        chart.type = "col"
        chart.title = "Completion by unit"
        chart.y_axis.title = "share"
        chart.y_axis.number_format = "0%"
        # Rows 3 onwards are the units; row 2, the agency total, is left out of the chart.
        cats = Reference(units, min_col=2, min_row=3, max_row=len(rows) + 1)
        for name in ("compliant_share", "ai_completion_rate"):
            column = header.index(name) + 1
            data = Reference(units, min_col=column, min_row=3, max_row=len(rows) + 1)
            chart.add_data(data, titles_from_data=False)
            chart.series[-1].tx = SeriesLabel(v=name)
        chart.set_categories(cats)
        units.add_chart(chart, f"A{len(rows) + 4}")

    short = book.create_sheet("shortfalls")
    short.append(["person_id", "agency_code", "unit_id", "hours_short", "gaps"])
    for values in _shortfall_rows(report):
        short.append([_cell(v) for v in values])

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def person_csv(report: PersonReportOut) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    ev = report.evaluation
    writer.writerow(["person_id", ev.person_id, "year", ev.year, "roc_year", ev.year - ROC_OFFSET])
    writer.writerow(
        ["as_of", ev.as_of.isoformat(), "as_of_roc", ev.as_of_roc, "compliant", ev.compliant]
    )
    writer.writerow([])
    writer.writerow(
        ["requirement", "label", "required", "completed", "missing", "met", "projected"]
    )
    for r in ev.requirements:
        writer.writerow(
            [r.code, r.label_zh, r.required, r.completed, r.missing, r.met, r.projected]
        )
    writer.writerow([])
    writer.writerow(["completed_on", "completed_on_roc", "course", "hours", "topics", "withdrawn"])
    for rec in report.records:
        writer.writerow(
            [
                rec.completed_on.isoformat(),
                rec.completed_on_roc,
                rec.course_title,
                rec.hours,
                ";".join(rec.topics),
                rec.withdrawn,
            ]
        )
    # BOM, as in `agency_csv`.
    return "\ufeff" + out.getvalue()
