"""The certs files: WebHR table 51 rows (webhr_table51.py maps the columns) and
an agency's talent summary by certificate kind × talent role, as CSV and XLSX
(services/common/workbooks.py: one `Table` rendered both ways)."""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference

from services.certs.domain.talent import CertificateKind, TalentRole
from services.certs.staffing_schemas import TalentSummaryOut
from services.common.timeutil import format_roc
from services.common.workbooks import (
    Column,
    Table,
    chart_sheet,
    key_values,
    to_bytes,
    write_table,
)

ROLES = tuple(r.value for r in TalentRole)
SUMMARY_COLUMNS = (
    Column("agency_code", "機關代碼", "id"),
    Column("kind", "證照類別代碼", "id"),
    Column("kind_zh", "證照類別"),
    *(Column(r.value, r.label_zh, "int") for r in TalentRole),
    Column("no_role", "未認定人才類別", "int"),
    Column("persons", "持證人數", "int"),
)
SUMMARY_SHEET, ABOUT_SHEET, CHART_SHEET = "類別 by kind", "摘要 summary", "圖 chart"


def summary_table(report: TalentSummaryOut) -> Table:
    return Table(
        SUMMARY_COLUMNS,
        [
            [
                r.agency_code,
                r.kind.value,
                CertificateKind(r.kind.value).label_zh,
                r.policy,
                r.application,
                r.development,
                r.research,
                r.no_role,
                r.persons,
            ]
            for r in report.rows
        ],
    )


def summary_file_name(report: TalentSummaryOut, ext: str) -> str:
    return f"certs-talent-summary-{report.agency_code}-as-of-{report.valid_on.isoformat()}.{ext}"


def summary_title(report: TalentSummaryOut) -> str:
    return (
        f"{report.agency_code} AI人才證照統計 截至 {report.valid_on_roc} "
        f"({report.valid_on.isoformat()})"
    )


def summary_xlsx(report: TalentSummaryOut) -> bytes:
    """The CSV's table, a summary sheet, and the holders per kind and role
    charted on a sheet of its own."""
    title = summary_title(report)
    table = summary_table(report)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SUMMARY_SHEET
    write_table(sheet, table, title=title)
    key_values(
        book.create_sheet(ABOUT_SHEET),
        [
            (Column("agency_code", "機關代碼", "id"), report.agency_code),
            (Column("agencies", "統計機關"), ", ".join(report.agencies)),
            (Column("valid_on", "有效日期", "date"), report.valid_on),
            (Column("valid_on_roc", "有效日期(民國)"), format_roc(report.valid_on)),
            (Column("persons", "持證人次(各類別合計)", "int"), sum(r.persons for r in report.rows)),
        ],
        title=title,
    )
    if report.rows:
        chart = BarChart()
        chart.type = "col"
        chart.grouping = "clustered"
        chart.title = "各類別證照持有人數 Holders by kind and role"
        chart.y_axis.title = "人數 persons"
        chart.x_axis.title = "機關 / 類別 agency / kind"
        last = len(table.rows) + 1
        first_role = table.keys.index(ROLES[0]) + 1
        chart.add_data(
            Reference(
                sheet, min_col=first_role, max_col=first_role + len(ROLES), min_row=1, max_row=last
            ),
            titles_from_data=True,
        )
        kind_zh = table.keys.index("kind_zh") + 1
        chart.set_categories(Reference(sheet, min_col=1, max_col=kind_zh, min_row=2, max_row=last))
        chart_sheet(book, CHART_SHEET, chart, title=title)
    return to_bytes(book)
