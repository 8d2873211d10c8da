"""The attendance reports as tables, CSVs and workbooks.

Each report is one `Table` (services/common/workbooks.py): its CSV is that
table, and its workbook holds that table on the first sheet plus a chart of it
on a sheet of its own, for the agency head's monthly review.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference

from services.attendance.models import Settlement
from services.attendance.schemas import BalanceReport, MonthlyOvertimeReport
from services.common.timeutil import format_roc, roc_year
from services.common.workbooks import Column, Table, chart_sheet, to_bytes, write_table


def hours(minutes: int) -> float:
    return round(minutes / 60, 2)


def roc_month(label: str) -> str:
    """`2025-03` → `114/03`."""
    year, month = label.split("-")
    return f"{roc_year(date(int(year), 1, 1)):03d}/{month}"


# ------------------------------------------------------------ monthly overtime

OVERTIME_COLUMNS = (
    Column("person_id", "人員代號", "id"),
    Column("minutes", "加班分鐘數", "int"),
    Column("hours", "加班時數", "number"),
    Column("over_60h", "逾60小時", "bool"),
    Column("care_45h", "達45小時關懷", "bool"),
)


def overtime_table(report: MonthlyOvertimeReport) -> Table:
    return Table(
        OVERTIME_COLUMNS,
        [[r.person_id, r.minutes, hours(r.minutes), r.over_60h, r.care_45h] for r in report.rows],
    )


def overtime_title(report: MonthlyOvertimeReport) -> str:
    return f"{report.agency_code} 加班時數月報 民國{roc_month(report.month)} ({report.month})"


def overtime_xlsx(report: MonthlyOvertimeReport) -> bytes:
    table = overtime_table(report)
    title = overtime_title(report)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "加班 overtime"
    write_table(sheet, table, title=title)
    if table.rows:
        chart = BarChart()
        chart.title = f"加班時數 Overtime hours {report.month}"
        chart.y_axis.title = "時數 hours"
        chart.x_axis.title = "人員 person"
        last = len(table.rows) + 1
        chart.add_data(Reference(sheet, min_col=3, min_row=1, max_row=last), titles_from_data=True)
        chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=last))
        chart.legend = None
        chart_sheet(book, "圖 chart", chart, title=title)
    return to_bytes(book)


# -------------------------------------------------------------- comp balances


def balance_columns(months: Sequence[str]) -> list[Column]:
    return [
        Column("person_id", "人員代號", "id"),
        Column("balance_minutes", "補休餘額分鐘數", "int"),
        Column("balance_hours", "補休餘額時數", "number"),
        *(Column(f"expiring_hours_{m}", f"{roc_month(m)} 到期時數", "number") for m in months),
        Column("hourly_rate", "每小時加班費", "money"),
        Column("exposure_ntd", "折算金額(元)", "money"),
    ]


def balance_table(report: BalanceReport) -> Table:
    return Table(
        balance_columns(report.months),
        [
            [
                r.person_id,
                r.balance_minutes,
                hours(r.balance_minutes),
                *(hours(r.expiring_by_month.get(m, 0)) for m in report.months),
                r.hourly_rate,
                r.exposure,
            ]
            for r in report.rows
        ],
    )


def balance_title(report: BalanceReport) -> str:
    day = report.as_of
    return f"{report.agency_code} 補休餘額及到期 民國{format_roc(day)} ({day.isoformat()})"


def balance_xlsx(report: BalanceReport) -> bytes:
    """The per-person table, as in the CSV, with a total row below it (outside
    the filter) and the hours expiring per month charted on a sheet of its own."""
    table = balance_table(report)
    title = balance_title(report)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "餘額 balances"
    write_table(sheet, table, title=title)
    total_row = len(table.rows) + 3
    sheet.cell(row=total_row, column=1, value="合計 total")
    for index, column in enumerate(table.columns[1:], start=2):
        if column.kind == "id":
            continue
        values = [row[index - 1] for row in table.rows]
        total = sum((Decimal(str(v)) for v in values if v is not None), Decimal(0))
        cell = sheet.cell(row=total_row, column=index, value=float(total))
        cell.number_format = "#,##0" if column.kind in ("int", "money") else "#,##0.00"
    if report.months:
        chart = BarChart()
        chart.title = "每月到期補休時數 Comp time expiring per month"
        chart.y_axis.title = "時數 hours"
        first, last = 4, 3 + len(report.months)
        chart.add_data(
            Reference(sheet, min_col=first, max_col=last, min_row=total_row), from_rows=True
        )
        chart.set_categories(Reference(sheet, min_col=first, max_col=last, min_row=1))
        chart.legend = None
        chart_sheet(book, "圖 chart", chart, title=title)
    return to_bytes(book)


# ----------------------------------------------------------- settlement queue

SETTLEMENT_COLUMNS = (
    Column("id", "結算編號", "int"),
    Column("person_id", "人員代號", "id"),
    Column("grant_id", "補休核給編號", "int"),
    Column("expired_on", "到期日", "date"),
    Column("expired_on_roc", "到期日(民國)", "text"),
    Column("hours", "時數", "number"),
    Column("outcome", "處理方式", "text"),
    Column("reason", "原因", "text"),
    Column("hourly_rate", "每小時加班費", "money"),
    Column("amount_ntd", "金額(元)", "money"),
    Column("rule", "適用規則", "text"),
    Column("leave_request_id", "補休申請編號", "int"),
)


def settlement_table(queue: Sequence[Settlement], rule: Callable[[str], str]) -> Table:
    return Table(
        SETTLEMENT_COLUMNS,
        [
            [
                s.id,
                s.person_id,
                s.grant_id,
                s.expired_on,
                format_roc(s.expired_on),
                hours(s.minutes),
                s.outcome,
                s.reason,
                s.hourly_rate,
                s.amount,
                rule(s.reason),
                s.leave_request_id,
            ]
            for s in queue
        ],
    )
