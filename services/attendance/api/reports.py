"""Monitoring: the monthly overtime report, the balance and expiry report,
cases to report to the competent authority, and the settlement queue."""

# No `from __future__ import annotations`: FastAPI resolves annotations at import.

from datetime import timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from sqlmodel import col, select

from services.attendance.access import check_agency
from services.attendance.api.deps import (
    REPORTS_READ,
    SETTLEMENT_READ,
    ReportsReader,
    SettlementReader,
)
from services.attendance.domain.worktime import add_months, monthly_monitoring
from services.attendance.exports import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, to_csv, to_xlsx
from services.attendance.models import AuthorityReport, RosterPerson, Settlement
from services.attendance.schemas import (
    AuthorityReportOut,
    BalanceReport,
    BalanceRow,
    Day,
    Month,
    MonthlyOvertimeReport,
    PersonMinutes,
    SettlementOut,
)
from services.attendance.store import ledger as ledger_store
from services.attendance.store import records
from services.common.bounds_dates import month_start, next_month_start
from services.common.db import SessionDep
from services.common.pagination import Page, PageDep, paginate
from services.common.timeutil import today_taipei

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
    check_agency(principal, REPORTS_READ, agency_code)
    first = month_start(month)
    last = next_month_start(month) - timedelta(days=1)
    minutes = records.monthly_overtime_by_person(session, agency_code, first, last)
    watch = monthly_monitoring(minutes)
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
    check_agency(principal, REPORTS_READ, agency_code)
    day = as_of or today_taipei()
    labels = [add_months(day.replace(day=1), i).strftime("%Y-%m") for i in range(months)]
    grants = ledger_store.remaining_by_grant(session, agency_code=agency_code)
    people: dict[str, dict[str, int]] = {}
    balances: dict[str, int] = {}
    for g in grants:
        balances[g.person_id] = balances.get(g.person_id, 0) + g.remaining
        label = g.expires_on.strftime("%Y-%m")
        by_month = people.setdefault(g.person_id, {})
        if label in labels:
            by_month[label] = by_month.get(label, 0) + g.remaining
    rates = {
        p.person_id: p.hourly_rate
        for p in session.exec(
            select(RosterPerson).where(col(RosterPerson.agency_code) == agency_code)
        )
    }
    rows = [
        BalanceRow(
            person_id=pid,
            balance_minutes=balances[pid],
            expiring_by_month=people.get(pid, {}),
            hourly_rate=rates.get(pid, Decimal(0)),
            exposure=(Decimal(balances[pid]) * rates.get(pid, Decimal(0)) / 60).quantize(
                Decimal(1)
            ),
        )
        for pid in sorted(balances)
    ]
    report = BalanceReport(agency_code=agency_code, as_of=day, months=labels, rows=rows)
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
    check_agency(principal, REPORTS_READ, agency_code)
    stmt = select(AuthorityReport).where(col(AuthorityReport.agency_code) == agency_code)
    rows, nxt = paginate(session, stmt, col(AuthorityReport.id), page)
    items = [AuthorityReportOut.model_validate(r, from_attributes=True) for r in rows]
    return Page[AuthorityReportOut](items=items, next_cursor=nxt, limit=page.limit)


def _settlements(session: SessionDep, agency_code: str) -> list[Settlement]:
    return list(
        session.exec(
            select(Settlement)
            .where(col(Settlement.agency_code) == agency_code)
            .order_by(col(Settlement.id))
        ).all()
    )


@router.get(
    "/settlements",
    summary="The settlement queue: lapsed hours owed as pay or a commendation",
    response_model=Page[SettlementOut],
)
def list_settlements(
    agency_code: Annotated[str, Query(max_length=16)],
    session: SessionDep,
    principal: SettlementReader,
    page: PageDep,
) -> Page[SettlementOut]:
    check_agency(principal, SETTLEMENT_READ, agency_code)
    stmt = select(Settlement).where(col(Settlement.agency_code) == agency_code)
    rows, nxt = paginate(session, stmt, col(Settlement.id), page)
    items = [SettlementOut.model_validate(r, from_attributes=True) for r in rows]
    return Page[SettlementOut](items=items, next_cursor=nxt, limit=page.limit)


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
    check_agency(principal, SETTLEMENT_READ, agency_code)
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
        ]
        for s in _settlements(session, agency_code)
    ]
    return _file(to_csv(header, rows), CSV_MEDIA_TYPE, f"settlements-{agency_code}.csv")
