"""Monitoring: the monthly overtime report, the balance and expiry report,
cases to report to the competent authority, and the settlement queue."""

# No `from __future__ import annotations`: FastAPI resolves annotations at import.

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from services.attendance.api.deps import ReportsReader, SettlementReader
from services.attendance.exports import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, to_csv, to_xlsx
from services.attendance.schemas import (
    AuthorityReportOut,
    BalanceReport,
    Day,
    Month,
    MonthlyOvertimeReport,
    PersonMinutes,
    SettlementEntry,
    SettlementRule,
)
from services.attendance.service import reports
from services.common.db import SessionDep
from services.common.pagination import Page, PageDep

router = APIRouter(tags=["reports"])

Format = Literal["json", "csv", "xlsx"]
FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "JSON, or a CSV / XLSX file when `format` asks for one",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


def _file(content: bytes, media_type: str, name: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _hours(minutes: int) -> float:
    return round(minutes / 60, 2)


@router.get(
    "/reports/monthly-overtime",
    summary="Monthly overtime per agency: staff over 60 h and the ≥ 45 h care list",
    response_model=MonthlyOvertimeReport,
    responses=FILE_RESPONSES,
)
def monthly_overtime_report(
    agency_code: Annotated[str, Query(max_length=16)],
    month: Month,
    session: SessionDep,
    principal: ReportsReader,
    format: Format = "json",
) -> Any:
    monthly = reports.monthly_overtime(session, principal, agency_code, month)
    minutes, watch = monthly.minutes, monthly.watch
    report = MonthlyOvertimeReport(
        agency_code=agency_code,
        month=month,
        people=len(minutes),
        total_minutes=sum(minutes.values()),
        over_limit=[PersonMinutes(person_id=p, minutes=minutes[p]) for p in watch.over_limit],
        needs_care=[PersonMinutes(person_id=p, minutes=minutes[p]) for p in watch.needs_care],
    )
    if format == "json":
        return report
    over = set(watch.over_limit)
    care = set(watch.needs_care)
    ranked = sorted(minutes.items(), key=lambda item: (-item[1], item[0]))
    header = ["person_id", "overtime_hours", "over_60h", "care_45h"]
    rows = [[p, _hours(m), p in over, p in care] for p, m in ranked]
    name = f"overtime-{agency_code}-{month}"
    if format == "csv":
        return _file(to_csv(header, rows), CSV_MEDIA_TYPE, f"{name}.csv")
    return _file(
        to_xlsx(f"{month}", header, rows, chart_title=f"Overtime {month}", value_columns=[1]),
        XLSX_MEDIA_TYPE,
        f"{name}.xlsx",
    )


@router.get(
    "/reports/comp-balances",
    summary="Comp-time balances and what expires in each coming month, for budget planning",
    response_model=BalanceReport,
    responses=FILE_RESPONSES,
)
def comp_balance_report(
    agency_code: Annotated[str, Query(max_length=16)],
    session: SessionDep,
    principal: ReportsReader,
    as_of: Day | None = None,
    months: Annotated[int, Query(ge=1, le=24)] = 12,
    format: Format = "json",
) -> Any:
    report = reports.comp_balances(session, principal, agency_code, as_of, months)
    day, labels, rows = report.as_of, report.months, report.rows
    if format == "json":
        return report
    name = f"comp-balances-{agency_code}-{day.isoformat()}"
    if format == "csv":
        header = ["person_id", "balance_hours", *labels, "exposure_ntd"]
        table = [
            [
                r.person_id,
                _hours(r.balance_minutes),
                *(_hours(r.expiring_by_month.get(m, 0)) for m in labels),
                r.exposure,
            ]
            for r in rows
        ]
        return _file(to_csv(header, table), CSV_MEDIA_TYPE, f"{name}.csv")
    # The workbook charts hours expiring per month across the agency.
    totals = [[m, _hours(sum(r.expiring_by_month.get(m, 0) for r in rows))] for m in labels]
    return _file(
        to_xlsx(
            "expiring",
            ["month", "expiring_hours"],
            totals,
            chart_title="Comp time expiring per month",
            value_columns=[1],
        ),
        XLSX_MEDIA_TYPE,
        f"{name}.xlsx",
    )


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


@router.get(
    "/settlements/export",
    summary="The settlement queue as CSV, for the payroll or commendation process",
    response_class=Response,
    responses={
        200: {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}}
    },
)
def export_settlements(
    agency_code: Annotated[str, Query(max_length=16)],
    session: SessionDep,
    principal: SettlementReader,
) -> Response:
    queue = reports.settlement_queue(session, principal, agency_code)
    header = [
        "id",
        "person_id",
        "grant_id",
        "expired_on",
        "hours",
        "outcome",
        "reason",
        "hourly_rate",
        "amount_ntd",
        "rule",
        "leave_request_id",
    ]
    rows = [
        [
            s.id,
            s.person_id,
            s.grant_id,
            s.expired_on.isoformat(),
            _hours(s.minutes),
            s.outcome,
            s.reason,
            s.hourly_rate,
            s.amount,
            reports.settlement_rule(s.reason),
            s.leave_request_id or "",
        ]
        for s in queue
    ]
    return _file(to_csv(header, rows), CSV_MEDIA_TYPE, f"settlements-{agency_code}.csv")
