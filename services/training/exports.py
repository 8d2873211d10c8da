"""The training reports as tables, CSVs and workbooks; the numbers are the JSON
reports' own.

Each CSV is one `Table` (services/common/workbooks.py): the agency report's
compliance per unit, its shortfalls, a person's requirements and a person's
records. A workbook holds the tables of its CSVs, one sheet each, plus a summary
sheet with what the JSON report says once (agency, year, as-of day, each with its
ROC form beside the ISO one) and, for the agency, the completion by unit charted
on a sheet of its own. What would have been metadata rows above a CSV's table is
in the file's name instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.series import SeriesLabel

from services.common.timeutil import ROC_OFFSET, format_roc
from services.common.workbooks import (
    Cell,
    Column,
    Table,
    chart_sheet,
    key_values,
    to_bytes,
    write_table,
)
from services.training.domain.policy import (
    AI_ADVANCED_TARGET,
    AI_BASIC_TARGET,
    AI_MINIMUM,
    TOTAL,
)
from services.training.domain.topics import Topic
from services.training.schemas.reports import AgencyReportOut, PersonReportOut, TallyOut

# Short Chinese names of the requirement codes, for column headers; the long
# official names (民主治理價值（廉政與服務倫理…）) would make columns too wide to print.
_REQUIREMENT_ZH: dict[str, str] = {
    TOTAL: "總時數",
    AI_MINIMUM: "AI知能最低時數",
    AI_BASIC_TARGET: "AI知能基礎",
    AI_ADVANCED_TARGET: "AI知能進階",
    Topic.AI_BASIC: "AI知能基礎",
    Topic.AI_ADVANCED: "AI知能進階",
    Topic.ENVIRONMENTAL_EDUCATION: "環境教育",
    Topic.GENDER_MAINSTREAMING: "性別主流化",
    Topic.DEMOCRATIC_VALUES: "民主治理價值",
    Topic.MAJOR_POLICY: "重大政策",
    Topic.INFORMATION_SECURITY: "資通安全",
    Topic.SEXUAL_HARASSMENT_PREVENTION: "性騷擾防治",
}
_ZERO_HOURS = Decimal(0)


def requirement_zh(code: str) -> str:
    """What an officer reads for a requirement code; an agency's own code as is."""
    return _REQUIREMENT_ZH.get(code, code)


def requirement_codes(report: AgencyReportOut) -> list[str]:
    """Every requirement code of the report, in the order the tallies give them."""
    codes: dict[str, None] = {}
    for rate in report.tally.requirements:
        codes.setdefault(rate.code, None)
    for unit in report.units:
        for rate in unit.tally.requirements:
            codes.setdefault(rate.code, None)
    return list(codes)


def gap_codes(report: AgencyReportOut) -> list[str]:
    """The codes any shortfall names, the report's requirement order first."""
    codes = dict.fromkeys(requirement_codes(report))
    named: dict[str, None] = {}
    for s in report.shortfalls:
        for gap in s.gaps:
            named.setdefault(gap.code, None)
    return [c for c in codes if c in named] + [c for c in named if c not in codes]


def _stamp(day: date) -> str:
    return day.isoformat()


def agency_file_name(report: AgencyReportOut, kind: str, ext: str) -> str:
    """`training-compliance-A01-2026-as-of-2026-11-01.csv`: the metadata a CSV
    cannot hold above its table."""
    return f"training-{kind}-{report.agency_code}-{report.year}-as-of-{_stamp(report.as_of)}.{ext}"


def agency_title(report: AgencyReportOut) -> str:
    roc = report.year - ROC_OFFSET
    return (
        f"{report.agency_code} 學習時數達成情形 民國{roc}年 ({report.year}) "
        f"截至 {format_roc(report.as_of)} ({_stamp(report.as_of)})"
    )


# ------------------------------------------------------------ the agency report

LEVEL_AGENCY, LEVEL_UNIT = "agency", "unit"


def compliance_columns(codes: Sequence[str]) -> list[Column]:
    return [
        Column("level", "層級"),
        Column("agency_code", "機關代碼", "id"),
        Column("unit_id", "單位代號", "id"),
        Column("headcount", "應受訓人數", "int"),
        Column("compliant_count", "達成人數", "int"),
        Column("compliant_share", "達成率", "percent"),
        Column("ai_target_met_count", "AI知能達標人數", "int"),
        Column("ai_completion_rate", "AI知能達成率", "percent"),
        *(Column(f"share_{c}", f"{requirement_zh(c)}達成率", "percent") for c in codes),
    ]


def _tally_cells(tally: TallyOut, codes: Sequence[str]) -> list[Cell]:
    shares = {r.code: r.share for r in tally.requirements}
    return [
        tally.headcount,
        tally.compliant_count,
        tally.compliant_share,
        tally.ai_target_met_count,
        tally.ai_completion_rate,
        *(shares.get(code) for code in codes),
    ]


def compliance_table(report: AgencyReportOut) -> Table:
    """One row for the agency with the subordinates counted (`level` agency, no
    unit), then one per unit, in the JSON report's order."""
    codes = requirement_codes(report)
    rows: list[list[Cell]] = [
        [LEVEL_AGENCY, report.agency_code, None, *_tally_cells(report.tally, codes)]
    ]
    for unit in report.units:
        rows.append([LEVEL_UNIT, unit.agency_code, unit.unit_id, *_tally_cells(unit.tally, codes)])
    return Table(compliance_columns(codes), rows)


def shortfall_columns(codes: Sequence[str]) -> list[Column]:
    return [
        Column("person_id", "人員代號", "id"),
        Column("agency_code", "機關代碼", "id"),
        Column("unit_id", "單位代號", "id"),
        Column("hours_short", "至少尚缺時數", "number"),
        *(Column(f"missing_{c}", f"{requirement_zh(c)}尚缺時數", "number") for c in codes),
    ]


def shortfall_table(report: AgencyReportOut) -> Table:
    """One row per person short of a requirement; a requirement they met is 0."""
    codes = gap_codes(report)
    rows: list[list[Cell]] = []
    for s in report.shortfalls:
        missing = {g.code: g.missing for g in s.gaps}
        rows.append(
            [
                s.person_id,
                s.agency_code,
                s.unit_id,
                s.hours_short,
                *(missing.get(c, _ZERO_HOURS) for c in codes),
            ]
        )
    return Table(shortfall_columns(codes), rows)


def _agency_summary(report: AgencyReportOut) -> list[tuple[Column, Cell]]:
    t = report.tally
    return [
        (Column("agency_code", "機關代碼", "id"), report.agency_code),
        (Column("agencies", "涵蓋機關", "text"), ", ".join(report.agencies)),
        (Column("year", "年度", "int"), report.year),
        (Column("roc_year", "民國年度", "int"), report.year - ROC_OFFSET),
        (Column("as_of", "統計基準日", "date"), report.as_of),
        (Column("as_of_roc", "統計基準日(民國)", "text"), report.as_of_roc),
        (Column("headcount", "應受訓人數", "int"), t.headcount),
        (Column("compliant_count", "達成人數", "int"), t.compliant_count),
        (Column("compliant_share", "達成率", "percent"), t.compliant_share),
        (Column("ai_target_met_count", "AI知能達標人數", "int"), t.ai_target_met_count),
        (Column("ai_completion_rate", "AI知能達成率", "percent"), t.ai_completion_rate),
        (Column("shortfall_count", "未達成人數", "int"), len(report.shortfalls)),
    ]


COMPLIANCE_SHEET, SHORTFALL_SHEET, SUMMARY_SHEET, CHART_SHEET = (
    "達成率 compliance",
    "未達成 shortfalls",
    "摘要 summary",
    "圖 chart",
)


def agency_xlsx(report: AgencyReportOut) -> bytes:
    """The compliance table and the shortfall table, as in their CSVs, a summary,
    and the completion by unit charted on a sheet of its own."""
    title = agency_title(report)
    table = compliance_table(report)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = COMPLIANCE_SHEET
    write_table(sheet, table, title=title)
    write_table(book.create_sheet(SHORTFALL_SHEET), shortfall_table(report), title=title)
    key_values(book.create_sheet(SUMMARY_SHEET), _agency_summary(report), title=title)
    if report.units:
        chart = BarChart()
        chart.type = "col"
        chart.title = "各單位達成率 Completion by unit"
        chart.y_axis.title = "比率 share"
        chart.y_axis.number_format = "0%"
        chart.y_axis.scaling.min = 0
        chart.y_axis.scaling.max = 1
        chart.x_axis.title = "機關 / 單位 agency / unit"
        # Row 2, the agency with its subordinates, is left out: the bars are units.
        first, last = 3, len(table.rows) + 1
        keys = table.keys
        for key, label in (
            ("compliant_share", "達成率 compliant_share"),
            ("ai_completion_rate", "AI知能達成率 ai_completion_rate"),
        ):
            column = keys.index(key) + 1
            chart.add_data(Reference(sheet, min_col=column, min_row=first, max_row=last))
            chart.series[-1].tx = SeriesLabel(v=label)
        # Agency and unit together name a unit: unit ids repeat across agencies.
        agency, unit = keys.index("agency_code") + 1, keys.index("unit_id") + 1
        chart.set_categories(
            Reference(sheet, min_col=agency, max_col=unit, min_row=first, max_row=last)
        )
        chart_sheet(book, CHART_SHEET, chart, title=title)
    return to_bytes(book)


# ------------------------------------------------------------ the person report


def person_file_name(report: PersonReportOut, kind: str, ext: str) -> str:
    ev = report.evaluation
    return f"training-{kind}-{ev.person_id}-{ev.year}-as-of-{_stamp(ev.as_of)}.{ext}"


def person_title(report: PersonReportOut) -> str:
    ev = report.evaluation
    return (
        f"{ev.person_id} 學習時數 民國{ev.year - ROC_OFFSET}年 ({ev.year}) "
        f"截至 {ev.as_of_roc} ({_stamp(ev.as_of)})"
    )


REQUIREMENT_COLUMNS = (
    Column("code", "項目代碼", "id"),
    Column("kind", "類別"),
    Column("label_zh", "項目名稱"),
    Column("required", "應修時數", "number"),
    Column("completed", "已修時數", "number"),
    Column("missing", "尚缺時數", "number"),
    Column("met", "已達成", "bool"),
    Column("projected", "年底預估時數", "number"),
    Column("on_track", "進度符合", "bool"),
)


def requirement_table(report: PersonReportOut) -> Table:
    return Table(
        REQUIREMENT_COLUMNS,
        [
            [
                r.code,
                r.kind,
                r.label_zh,
                r.required,
                r.completed,
                r.missing,
                r.met,
                r.projected,
                r.on_track,
            ]
            for r in report.evaluation.requirements
        ],
    )


RECORD_COLUMNS = (
    Column("id", "紀錄編號", "id"),
    Column("source", "來源"),
    Column("external_id", "來源編號", "id"),
    Column("agency_code", "機關代碼", "id"),
    Column("unit_id", "單位代號", "id"),
    Column("course_id", "課程編號", "id"),
    Column("course_title", "課程名稱"),
    Column("category_code", "課程類別", "id"),
    Column("topics", "課程主題"),
    Column("is_digital", "數位課程", "bool"),
    Column("hours", "時數", "number"),
    Column("completed_on", "完成日期", "date"),
    Column("completed_on_roc", "完成日期(民國)", "text"),
    Column("withdrawn", "已撤銷", "bool"),
)


def record_table(report: PersonReportOut) -> Table:
    """The year's records, in the order completed; several topics joined by `;`
    (the import's own spelling)."""
    return Table(
        RECORD_COLUMNS,
        [
            [
                str(r.id),
                r.source,
                r.external_id,
                r.agency_code,
                r.unit_id,
                str(r.course_id),
                r.course_title,
                r.category_code,
                ";".join(r.topics),
                r.is_digital,
                r.hours,
                r.completed_on,
                r.completed_on_roc,
                r.withdrawn,
            ]
            for r in report.records
        ],
    )


def _person_summary(report: PersonReportOut) -> list[tuple[Column, Cell]]:
    ev = report.evaluation
    return [
        (Column("person_id", "人員代號", "id"), ev.person_id),
        (Column("agency_code", "機關代碼", "id"), ev.agency_code),
        (Column("year", "年度", "int"), ev.year),
        (Column("roc_year", "民國年度", "int"), ev.year - ROC_OFFSET),
        (Column("as_of", "統計基準日", "date"), ev.as_of),
        (Column("as_of_roc", "統計基準日(民國)", "text"), ev.as_of_roc),
        (Column("cutoff", "採計截止日", "date"), ev.cutoff),
        (Column("cutoff_roc", "採計截止日(民國)", "text"), ev.cutoff_roc),
        (Column("policy_version", "規定版本", "text"), ev.policy_version),
        (Column("compliant", "已達成", "bool"), ev.compliant),
        (Column("ai_target_met", "AI知能達標", "bool"), ev.ai_target_met),
        (Column("projected_compliant", "預估年底達成", "bool"), ev.projected_compliant),
        (Column("counted_hours", "採計時數", "number"), ev.counted_hours),
        (Column("counted_records", "採計筆數", "int"), ev.counted_records),
        (Column("digital_hours", "數位課程時數", "number"), ev.digital_hours),
        (Column("after_cutoff_hours", "截止日後時數", "number"), ev.after_cutoff_hours),
    ]


REQUIREMENT_SHEET, RECORD_SHEET = "要求 requirements", "紀錄 records"


def person_xlsx(report: PersonReportOut) -> bytes:
    """The requirements and the records, as in their CSVs, and a summary."""
    title = person_title(report)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = REQUIREMENT_SHEET
    write_table(sheet, requirement_table(report), title=title)
    write_table(book.create_sheet(RECORD_SHEET), record_table(report), title=title)
    key_values(book.create_sheet(SUMMARY_SHEET), _person_summary(report), title=title)
    return to_bytes(book)
