"""Comp-time warnings: on the 1st of each month each person is shown what
expires next month and each unit supervisor gets the list for their people;
agencies may add warnings a set number of days before a grant's last day.

Each notice has a dedupe key (kind, period, recipient), so a second run on
the same data inserts nothing and sends nothing again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session

from services.attendance.domain.comptime import (
    Grant,
    GrantBalance,
    expiring_within,
    next_month_notice,
)
from services.attendance.domain.worktime import add_months
from services.attendance.models import Notice
from services.attendance.store import ledger as ledger_store
from services.attendance.store import policy as policy_store
from services.attendance.store import roster
from services.common.notices import store as notices_store


def _balances(rows: Iterable[ledger_store.GrantRemaining]) -> list[GrantBalance]:
    return [
        GrantBalance(
            Grant(str(r.grant_id), r.person_id, r.earned_on, r.minutes, r.expires_on),
            r.remaining,
        )
        for r in rows
    ]


def _grant_lines(balances: Iterable[GrantBalance]) -> list[dict[str, Any]]:
    return [
        {
            "grant_id": int(b.grant.grant_id),
            "earned_on": b.grant.earned_on.isoformat(),
            "expires_on": b.grant.expires_on.isoformat(),
            "minutes": b.remaining,
        }
        for b in balances
    ]


def _notice(
    recipient: str,
    agency: str,
    kind: str,
    key: str,
    today: date,
    subject: str,
    body: dict[str, Any],
) -> dict[str, Any]:
    return {
        "recipient_id": recipient,
        "agency_code": agency,
        "kind": kind,
        "dedupe_key": key,
        "issued_on": today,
        "subject": subject,
        "body": body,
    }


def monthly_notices(session: Session, today: date) -> dict[str, int]:
    """Notices of what lapses during next month. Issued on the 1st; a run later
    in the month (a missed 1st) issues the same notices once."""
    month = add_months(today.replace(day=1), 1)
    label = month.strftime("%Y-%m")
    rows = ledger_store.remaining_by_grant(
        session, expires_from=month, expires_to=add_months(month, 1) - timedelta(days=1)
    )
    expiring = next_month_notice(_balances(rows), today)
    by_person: dict[str, list[GrantBalance]] = defaultdict(list)
    for balance in expiring:
        by_person[balance.grant.person_id].append(balance)
    people = roster.by_ids(session, by_person)
    notices: list[dict[str, Any]] = []
    per_supervisor: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for person_id, balances in sorted(by_person.items()):
        person = people.get(person_id)
        agency = person.agency_code if person is not None else ""
        total = sum(b.remaining for b in balances)
        notices.append(
            _notice(
                person_id,
                agency,
                "expiring_next_month",
                f"month:{label}:{person_id}",
                today,
                f"Comp time expiring in {label}: {total // 60} h {total % 60:02d} min",
                {"month": label, "total_minutes": total, "grants": _grant_lines(balances)},
            )
        )
        if person is not None and person.supervisor_id:
            per_supervisor[person.supervisor_id].append(
                {
                    "person_id": person_id,
                    "minutes": total,
                    "first_expiry": balances[0].grant.expires_on.isoformat(),
                }
            )
    supervisors = roster.by_ids(session, per_supervisor)
    for supervisor_id, listed in sorted(per_supervisor.items()):
        sup = supervisors.get(supervisor_id)
        notices.append(
            _notice(
                supervisor_id,
                sup.agency_code if sup is not None else "",
                "unit_expiring_next_month",
                f"unit-month:{label}:{supervisor_id}",
                today,
                f"Your unit's comp time expiring in {label}: {len(listed)} people",
                {"month": label, "people": listed},
            )
        )
    created = notices_store.add_new(session, Notice, notices)
    return {"persons": len(by_person), "supervisors": len(per_supervisor), "created": created}


def lead_time_notices(session: Session, today: date) -> dict[str, int]:
    """The agencies' extra warnings, `lead` days or fewer before a last usable day."""
    policies = policy_store.all_policies(session)
    notices: list[dict[str, Any]] = []
    for policy in policies:
        for lead in sorted(set(policy.warning_lead_days or [])):
            rows = ledger_store.remaining_by_grant(
                session,
                agency_code=policy.agency_code,
                expires_from=today,
                expires_to=today + timedelta(days=lead),
            )
            due = expiring_within(_balances(rows), today, lead)
            grouped: dict[tuple[str, date], list[GrantBalance]] = defaultdict(list)
            for b in due:
                grouped[(b.grant.person_id, b.grant.expires_on)].append(b)
            for (person_id, last_day), balances in sorted(grouped.items()):
                total = sum(b.remaining for b in balances)
                notices.append(
                    _notice(
                        person_id,
                        policy.agency_code,
                        "expiring_soon",
                        f"lead:{lead}:{last_day.isoformat()}:{person_id}",
                        today,
                        f"Comp time expiring after {last_day.isoformat()}: "
                        f"{total // 60} h {total % 60:02d} min",
                        {
                            "lead_days": lead,
                            "last_day": last_day.isoformat(),
                            "total_minutes": total,
                            "grants": _grant_lines(balances),
                        },
                    )
                )
    return {"created": notices_store.add_new(session, Notice, notices)}
