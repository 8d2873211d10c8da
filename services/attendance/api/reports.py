"""Monitoring: the monthly overtime report, the balance and expiry report,
cases to report to the competent authority, and the settlement queue.

Each report is JSON at its path and a CSV and an XLSX file at the same path with
`.csv` / `.xlsx` (services/common/downloads.py); the three share one dependency
that checks the permission, reads the filters and builds the report."""

# No `from __future__ import annotations`: FastAPI resolves annotations at import.

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import Response

from services.attendance import exports
from services.attendance.api.deps import ReportsReader, SettlementReader
from services.attendance.schemas import (
    AuthorityReportOut,
    BalanceReport,
    Day,
    Month,
    MonthlyOvertimeReport,
    PersonMinutes,
    PersonOvertime,
    SettlementEntry,
    SettlementRule,
)
from services.attendance.service import reports
from services.common.db import SessionDep
from services.common.downloads import (
    CSV_MEDIA_TYPE,
    JSON_MEDIA_TYPE,
    NOT_ACCEPTABLE_RESPONSE,
    XLSX_MEDIA_TYPE,
    attachment,
    choose,
    file_get,
    format_description,
)
from services.common.pagination import Page, PageDep
from services.common.timeutil import today_taipei
from services.common.workbooks import to_csv

router = APIRouter(tags=["reports"])

OFFERED = (JSON_MEDIA_TYPE, CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE)
AcceptHeader = Annotated[str | None, Header(include_in_schema=False)]


def _format(paths: str) -> Any:
    return Query(alias="format", deprecated=True, description=format_description(paths))


# ------------------------------------------------------------ monthly overtime


def monthly_overtime(
    agency_code: Annotated[str, Query(max_length=16)],
    month: Month,
    session: SessionDep,
    principal: ReportsReader,
) -> MonthlyOvertimeReport:
    """The report every representation renders: the filters and the permission
    are declared here once."""
    monthly = reports.monthly_overtime(session, principal, agency_code, month)
    minutes, watch = monthly.minutes, monthly.watch
    over, care = set(watch.over_limit), set(watch.needs_care)
    ranked = sorted(minutes.items(), key=lambda item: (-item[1], item[0]))
    return MonthlyOvertimeReport(
        agency_code=agency_code,
        month=month,
        people=len(minutes),
        total_minutes=sum(minutes.values()),
        over_limit=[PersonMinutes(person_id=p, minutes=minutes[p]) for p in watch.over_limit],
        needs_care=[PersonMinutes(person_id=p, minutes=minutes[p]) for p in watch.needs_care],
        rows=[
            PersonOvertime(person_id=p, minutes=m, over_60h=p in over, care_45h=p in care)
            for p, m in ranked
        ],
    )


OvertimeDep = Annotated[MonthlyOvertimeReport, Depends(monthly_overtime)]


def _overtime_name(report: MonthlyOvertimeReport, ext: str) -> str:
    return f"overtime-{report.agency_code}-{report.month}.{ext}"


def _overtime_file(report: MonthlyOvertimeReport, media_type: str) -> Response:
    if media_type == CSV_MEDIA_TYPE:
        content = to_csv(exports.overtime_table(report))
        return attachment(content, media_type, _overtime_name(report, "csv"))
    content = exports.overtime_xlsx(report)
    return attachment(content, media_type, _overtime_name(report, "xlsx"))


@router.get(
    "/reports/monthly-overtime",
    summary="Monthly overtime per agency: staff over 60 h and the ≥ 45 h care list",
    description="The files are `…/monthly-overtime.csv` and `…/monthly-overtime.xlsx`. "
    "For older callers this path still answers CSV or XLSX for the deprecated "
    "`format`, or for an `Accept` that prefers `text/csv` or the XLSX type; an "
    "`Accept` allowing none of the three is 406.",
    response_model=MonthlyOvertimeReport,
    responses=NOT_ACCEPTABLE_RESPONSE,
)
def monthly_overtime_report(
    report: OvertimeDep,
    accept: AcceptHeader = None,
    file_format: Annotated[
        Literal["json", "csv", "xlsx"] | None, _format("`.csv`, `.xlsx`")
    ] = None,
) -> Any:
    chosen = choose(file_format, accept, OFFERED)
    return report if chosen == JSON_MEDIA_TYPE else _overtime_file(report, chosen)


@file_get(
    router,
    "/reports/monthly-overtime.csv",
    summary="The monthly overtime report as CSV: one row per person with overtime",
    description="Columns: person_id, minutes, hours, over_60h, care_45h; UTF-8 with a "
    "BOM. The file is named `overtime-<agency>-<YYYY-MM>.csv`.",
    media_type=CSV_MEDIA_TYPE,
    what="The report's rows as CSV",
)
def monthly_overtime_csv(report: OvertimeDep) -> Response:
    return _overtime_file(report, CSV_MEDIA_TYPE)


@file_get(
    router,
    "/reports/monthly-overtime.xlsx",
    summary="The monthly overtime report as a workbook, with a chart of the hours",
    description="The CSV's table with bilingual headers, and a bar chart on a sheet "
    "of its own. The file is named `overtime-<agency>-<YYYY-MM>.xlsx`.",
    media_type=XLSX_MEDIA_TYPE,
    what="The report as an XLSX workbook",
)
def monthly_overtime_xlsx(report: OvertimeDep) -> Response:
    return _overtime_file(report, XLSX_MEDIA_TYPE)


# -------------------------------------------------------------- comp balances


def comp_balances(
    agency_code: Annotated[str, Query(max_length=16)],
    session: SessionDep,
    principal: ReportsReader,
    as_of: Day | None = None,
    months: Annotated[int, Query(ge=1, le=24)] = 12,
) -> BalanceReport:
    """The report every representation renders (filters and permission once)."""
    return reports.comp_balances(session, principal, agency_code, as_of, months)


BalancesDep = Annotated[BalanceReport, Depends(comp_balances)]


def _balance_file(report: BalanceReport, media_type: str) -> Response:
    name = f"comp-balances-{report.agency_code}-as-of-{report.as_of.isoformat()}"
    if media_type == CSV_MEDIA_TYPE:
        content = to_csv(exports.balance_table(report))
        return attachment(content, media_type, f"{name}.csv")
    return attachment(exports.balance_xlsx(report), media_type, f"{name}.xlsx")


@router.get(
    "/reports/comp-balances",
    summary="Comp-time balances and what expires in each coming month, for budget planning",
    description="The files are `…/comp-balances.csv` and `…/comp-balances.xlsx`. "
    "For older callers this path still answers CSV or XLSX for the deprecated "
    "`format`, or for an `Accept` that prefers them; an `Accept` allowing none "
    "of the three is 406.",
    response_model=BalanceReport,
    responses=NOT_ACCEPTABLE_RESPONSE,
)
def comp_balance_report(
    report: BalancesDep,
    accept: AcceptHeader = None,
    file_format: Annotated[
        Literal["json", "csv", "xlsx"] | None, _format("`.csv`, `.xlsx`")
    ] = None,
) -> Any:
    chosen = choose(file_format, accept, OFFERED)
    return report if chosen == JSON_MEDIA_TYPE else _balance_file(report, chosen)


@file_get(
    router,
    "/reports/comp-balances.csv",
    summary="Comp-time balances as CSV: one row per person",
    description="Columns: person_id, balance_minutes, balance_hours, "
    "expiring_hours_<YYYY-MM> for each month asked, hourly_rate, exposure_ntd; UTF-8 "
    "with a BOM. The file is named `comp-balances-<agency>-as-of-<day>.csv`.",
    media_type=CSV_MEDIA_TYPE,
    what="The report's rows as CSV",
)
def comp_balance_csv(report: BalancesDep) -> Response:
    return _balance_file(report, CSV_MEDIA_TYPE)


@file_get(
    router,
    "/reports/comp-balances.xlsx",
    summary="Comp-time balances as a workbook, with a chart of what expires per month",
    description="The CSV's table with bilingual headers and a total row, and the "
    "hours expiring per month charted on a sheet of its own. The file is named "
    "`comp-balances-<agency>-as-of-<day>.xlsx`.",
    media_type=XLSX_MEDIA_TYPE,
    what="The report as an XLSX workbook",
)
def comp_balance_xlsx(report: BalancesDep) -> Response:
    return _balance_file(report, XLSX_MEDIA_TYPE)


@router.get(
    "/authority-reports",
    summary="Cases to report to the competent authority (days over 14 h, months over 60 h)",
    response_model=Page[AuthorityReportOut],
)
def list_authority_reports(
    agency_code: Annotated[str, Query(max_length=16)],
    session: SessionDep,
    principal: ReportsReader,
    page: PageDep,
) -> Page[AuthorityReportOut]:
    rows, nxt = reports.authority_reports(session, principal, agency_code, page)
    items = [AuthorityReportOut.model_validate(r, from_attributes=True) for r in rows]
    return Page[AuthorityReportOut](items=items, next_cursor=nxt, limit=page.limit)


@router.get(
    "/settlements",
    summary="The settlement queue: lapsed hours owed as pay or a commendation",
    description="Each entry with the rule that applied (`paid`: refused for business "
    "necessity with budget available; `commendation_budget_exhausted`: the agency marked "
    "its budget exhausted; `paid_left_or_deceased`: the person left or died) and the "
    "comp-leave refusal it rests on. Filters: `outcome`, `rule`, and the days the hours "
    "lapsed (`from`, `to`, both included).",
    response_model=Page[SettlementEntry],
)
def list_settlements(
    agency_code: Annotated[str, Query(max_length=16)],
    session: SessionDep,
    principal: SettlementReader,
    page: PageDep,
    outcome: Annotated[Literal["pay", "commendation"] | None, Query()] = None,
    rule: Annotated[SettlementRule | None, Query()] = None,
    from_day: Annotated[Day | None, Query(alias="from")] = None,
    to_day: Annotated[Day | None, Query(alias="to")] = None,
) -> Page[SettlementEntry]:
    items, nxt = reports.settlement_page(
        session,
        principal,
        agency_code,
        page,
        outcome=outcome,
        rule=rule,
        from_day=from_day,
        to_day=to_day,
    )
    return Page[SettlementEntry](items=items, next_cursor=nxt, limit=page.limit)


@file_get(
    router,
    "/settlements/export",
    summary="The settlement queue as CSV, for the payroll or commendation process",
    description="The whole queue, oldest first. Columns: id, person_id, grant_id, "
    "expired_on, expired_on_roc, hours, outcome, reason, hourly_rate, amount_ntd, rule, "
    "leave_request_id; UTF-8 with a BOM. The file is named "
    "`settlements-<agency>-as-of-<day>.csv`.",
    media_type=CSV_MEDIA_TYPE,
    what="The settlement queue as CSV",
)
def export_settlements(
    agency_code: Annotated[str, Query(max_length=16)],
    session: SessionDep,
    principal: SettlementReader,
) -> Response:
    queue = reports.settlement_queue(session, principal, agency_code)
    content = to_csv(exports.settlement_table(queue, reports.settlement_rule))
    name = f"settlements-{agency_code}-as-of-{today_taipei().isoformat()}.csv"
    return attachment(content, CSV_MEDIA_TYPE, name)
