"""Monitoring for an agency: the monthly overtime report, comp-time balances
and what expires when, cases for the competent authority, the settlement queue.
Each is the agency's: the caller must reach the agency as a whole."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlmodel import Session

from services.attendance.access import REPORTS_READ, SETTLEMENT_READ, check_agency
from services.attendance.domain.worktime import MonthlyMonitoring, add_months, monthly_monitoring
from services.attendance.models import AuthorityReport, Settlement
from services.attendance.schemas import (
    BalanceReport,
    BalanceRow,
    SettlementEntry,
    SettlementOut,
    SettlementRefusalOut,
    SettlementRule,
)
from services.attendance.store import ledger as ledger_store
from services.attendance.store import records, settlements
from services.common.bounds_dates import month_start, next_month_start
from services.common.pagination import PageParams
from services.common.principal import Principal
from services.common.timeutil import today_taipei


@dataclass(frozen=True)
class MonthlyOvertime:
    """Each person's counted overtime minutes in the month, and who is over the
    60 h limit or on the 45 h care list."""

    minutes: dict[str, int]
    watch: MonthlyMonitoring


def monthly_overtime(
    session: Session, principal: Principal, agency_code: str, month: str
) -> MonthlyOvertime:
    check_agency(principal, REPORTS_READ, agency_code)
    first = month_start(month)
    last = next_month_start(month) - timedelta(days=1)
    minutes = records.monthly_overtime_by_person(session, agency_code, first, last)
    return MonthlyOvertime(minutes, monthly_monitoring(minutes))


def comp_balances(
    session: Session, principal: Principal, agency_code: str, as_of: date | None, months: int
) -> BalanceReport:
    """Each person's balance, what of it expires in each of the coming `months`,
    and what it would cost paid out at their hourly rate."""
    check_agency(principal, REPORTS_READ, agency_code)
    day = as_of or today_taipei()
    firsts = [add_months(day.replace(day=1), i) for i in range(months)]
    labels = [first.strftime("%Y-%m") for first in firsts]
    # A grant's month by (year, month), not by formatting each grant's date.
    label_of = {(first.year, first.month): first.strftime("%Y-%m") for first in firsts}
    balances: dict[str, int] = {}
    expiring: dict[str, dict[str, int]] = {}
    rates: dict[str, Decimal] = {}
    for g in ledger_store.agency_grants(session, agency_code):
        balances[g.person_id] = balances.get(g.person_id, 0) + g.remaining
        rates[g.person_id] = g.hourly_rate
        label = label_of.get((g.expires_on.year, g.expires_on.month))
        if label is not None:
            by_month = expiring.setdefault(g.person_id, {})
            by_month[label] = by_month.get(label, 0) + g.remaining
    rows = []
    for pid in sorted(balances):
        found = expiring.get(pid, {})
        rate = rates[pid]
        rows.append(
            BalanceRow(
                person_id=pid,
                balance_minutes=balances[pid],
                # In calendar order, whatever order the grants were read in.
                expiring_by_month={m: found[m] for m in labels if m in found},
                hourly_rate=rate,
                exposure=(Decimal(balances[pid]) * rate / 60).quantize(Decimal(1)),
            )
        )
    return BalanceReport(agency_code=agency_code, as_of=day, months=labels, rows=rows)


def authority_reports(
    session: Session, principal: Principal, agency_code: str, page: PageParams
) -> tuple[list[AuthorityReport], str | None]:
    check_agency(principal, REPORTS_READ, agency_code)
    return records.authority_reports_page(session, agency_code, page)


# The rule that applied to a settlement, by the decision's reason
# (services.attendance.domain.comptime.settlement_decision).
SETTLEMENT_RULES: dict[str, SettlementRule] = {
    "refused_business_necessity": "paid",
    "budget_exhausted": "commendation_budget_exhausted",
    "left_service": "paid_left_or_deceased",
    "deceased": "paid_left_or_deceased",
}


def settlement_rule(reason: str) -> SettlementRule:
    return SETTLEMENT_RULES[reason]


def settlement_page(
    session: Session,
    principal: Principal,
    agency_code: str,
    page: PageParams,
    *,
    outcome: str | None = None,
    rule: SettlementRule | None = None,
    from_day: date | None = None,
    to_day: date | None = None,
) -> tuple[list[SettlementEntry], str | None]:
    """A page of the queue, each entry with the rule that applied and the
    refusal it rests on."""
    check_agency(principal, SETTLEMENT_READ, agency_code)
    reasons = None if rule is None else [r for r, name in SETTLEMENT_RULES.items() if name == rule]
    where = settlements.QueueFilter(outcome, reasons, from_day, to_day)
    rows, nxt = settlements.page(session, agency_code, page, where)
    refused = settlements.refusals(
        session, [r.leave_request_id for r in rows if r.leave_request_id is not None]
    )
    entries = []
    for row in rows:
        request = refused.get(row.leave_request_id) if row.leave_request_id else None
        refusal = (
            None
            if request is None
            else SettlementRefusalOut(
                leave_request_id=row.leave_request_id,
                reason=request.refusal_reason or "",
                note=request.refusal_note,
                refused_on=request.decided_on,
                refused_by=request.decided_by,
            )
        )
        entries.append(
            SettlementEntry.model_validate(
                {
                    **SettlementOut.model_validate(row, from_attributes=True).model_dump(),
                    "rule": settlement_rule(row.reason),
                    "refusal": refusal,
                }
            )
        )
    return entries, nxt


def settlement_queue(session: Session, principal: Principal, agency_code: str) -> list[Settlement]:
    """The agency's whole queue, oldest first, for the payroll or commendation process."""
    check_agency(principal, SETTLEMENT_READ, agency_code)
    return settlements.of_agency(session, agency_code)
