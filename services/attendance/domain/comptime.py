"""The comp-time clock (補休): one clock per overtime grant, a FIFO ledger,
expiry, transfer and settlement.

Amounts are integer minutes; dates are Taipei calendar days.

Decisions and the seed passages they rest on (seed 000, 2024 personnel-heads
briefing; seed 001 has no comp-time content):

* Validity. 「補休假應於加班後2年內補休完畢」, and 「112年1月1日後之加班補休將
  自114年1月1日陸續屆期」: overtime on 2023-01-01 lapses on 2025-01-01, so the
  day of the overtime is day one and the period ends the day before the
  corresponding date (Civil Code §121), or on the last day of the final month
  when it has no corresponding day. Agencies may shorten it, never lengthen.
* Settlement happens only for hours the agency could not grant:
  「如確實因必要範圍內之業務需要，致所屬公務員加班時數無法於補休期限內休畢」.
  Commendation is the fallback when budget is lacking, which the seed calls
  the exception to be reduced (「以減少平時考核獎勵辦理結算之例外情形」).
  Business necessity is shown by an application refused on record; hours
  never applied for show none and are not settled.
* People who left or died. Neither seed mentions leaving or death. Following
  docs/domain.md §4 they are paid rather than commended (a 平時考核獎勵 cannot
  reach someone out of service). Hours they never applied for are NOT paid:
  the seed ties every settlement to 「必要範圍內之業務需要」, and a departure
  is not a refusal.
* Money: hours × hourly rate as exact Decimals, rounded once, half up, to a
  whole NT$ (四捨五入), so per-grant rounding cannot add up to a drift.
* Notices go to 「當事人及其單位主管」; the helpers here pick the grants, the
  caller picks the recipients.
"""

from __future__ import annotations

import calendar
import dataclasses
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Final, TypeAlias

from services.common.timeutil import taipei_date

MAX_VALIDITY_MONTHS: Final = 24
DEFAULT_UNIT_MINUTES: Final = 60


# ------------------------------------------------------------------ validity


def civil_period_end(start: date, months: int) -> date:
    """Last day of a period of ``months`` counted from ``start`` inclusive
    (Civil Code §121): the day before the corresponding date, or the last day
    of the final month when that month has no corresponding date."""
    if months < 1:
        raise ValueError("a period must be at least one month")
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last_day = calendar.monthrange(year, month)[1]
    if start.day > last_day:
        return date(year, month, last_day)
    return date(year, month, start.day) - timedelta(days=1)


def expiry_date(earned_on: date, validity_months: int = MAX_VALIDITY_MONTHS) -> date:
    """Last day on which comp time earned on ``earned_on`` may be taken."""
    if isinstance(validity_months, bool) or not 1 <= validity_months <= MAX_VALIDITY_MONTHS:
        raise ValueError(
            f"validity_months must be between 1 and {MAX_VALIDITY_MONTHS}, got {validity_months}"
        )
    return civil_period_end(earned_on, validity_months)


# -------------------------------------------------------------------- grants


@dataclass(frozen=True)
class Grant:
    """Comp time earned by one overtime record; usable earned_on..expires_on inclusive."""

    grant_id: str
    person_id: str
    earned_on: date
    minutes: int
    expires_on: date

    def __post_init__(self) -> None:
        if self.minutes <= 0:
            raise ValueError("a grant must have positive minutes")
        if self.expires_on < self.earned_on:
            raise ValueError("a grant cannot expire before it is earned")
        if self.expires_on > expiry_date(self.earned_on):
            raise ValueError("a grant cannot outlive the statutory two years")

    def usable_on(self, day: date) -> bool:
        return self.earned_on <= day <= self.expires_on

    @property
    def fifo_key(self) -> tuple[date, date, str]:
        return (self.expires_on, self.earned_on, self.grant_id)


def new_grant(
    grant_id: str,
    person_id: str,
    earned: date | datetime,
    minutes: int,
    validity_months: int = MAX_VALIDITY_MONTHS,
) -> Grant:
    """A grant whose clock starts on the Taipei day of the overtime; a timestamp
    in any zone is first turned into that day."""
    earned_on = taipei_date(earned) if isinstance(earned, datetime) else earned
    return Grant(grant_id, person_id, earned_on, minutes, expiry_date(earned_on, validity_months))


@dataclass(frozen=True)
class GrantBalance:
    grant: Grant
    remaining: int


@dataclass(frozen=True)
class Allocation:
    grant_id: str
    minutes: int


class InsufficientBalance(ValueError):
    def __init__(self, available: int, requested: int) -> None:
        super().__init__(
            f"insufficient comp time: {available} minutes usable, {requested} requested"
        )
        self.available = available
        self.requested = requested


class UnknownRequest(ValueError):
    def __init__(self, request_id: str) -> None:
        super().__init__(f"no comp-time use recorded for request {request_id!r}")
        self.request_id = request_id


def _check_request(minutes: int, unit_minutes: int) -> None:
    if unit_minutes <= 0:
        raise ValueError("unit_minutes must be positive")
    if minutes <= 0:
        raise ValueError("requested minutes must be positive")
    if minutes % unit_minutes:
        raise ValueError(f"requested minutes must be a multiple of {unit_minutes}")


def allocate(
    balances: Iterable[GrantBalance],
    minutes: int,
    leave_day: date,
    *,
    unit_minutes: int = DEFAULT_UNIT_MINUTES,
) -> tuple[Allocation, ...]:
    """Take ``minutes`` from the grants usable on ``leave_day``, soonest expiry
    first. Only the request is in whole units: partial grants combine."""
    _check_request(minutes, unit_minutes)
    usable = sorted(
        (b for b in balances if b.remaining > 0 and b.grant.usable_on(leave_day)),
        key=lambda b: b.grant.fifo_key,
    )
    available = sum(b.remaining for b in usable)
    if available < minutes:
        raise InsufficientBalance(available, minutes)
    taken: list[Allocation] = []
    left = minutes
    for balance in usable:
        if left == 0:
            break
        take = min(left, balance.remaining)
        taken.append(Allocation(balance.grant.grant_id, take))
        left -= take
    return tuple(taken)


# -------------------------------------------------------------------- ledger


class EntryKind(enum.StrEnum):
    GRANT = "grant"
    USE = "use"
    RESTORE = "restore"
    EXPIRE = "expire"
    SETTLE = "settle"
    TRANSFER_OUT = "transfer_out"
    TRANSFER_IN = "transfer_in"


_CREDITS: Final = frozenset({EntryKind.GRANT, EntryKind.RESTORE, EntryKind.TRANSFER_IN})


@dataclass(frozen=True)
class Entry:
    """One signed movement on one grant; credits are positive, debits negative."""

    kind: EntryKind
    grant_id: str
    minutes: int
    on: date
    agency: str
    request_id: str | None = None
    reason: str | None = None

    def __post_init__(self) -> None:
        if self.minutes == 0:
            raise ValueError("an entry must move some minutes")
        if (self.minutes > 0) != (self.kind in _CREDITS):
            sign = "positive" if self.kind in _CREDITS else "negative"
            raise ValueError(f"{self.kind} entries must be {sign}")


Posted: TypeAlias = tuple["ComptimeLedger", tuple[Entry, ...]]


@dataclass(frozen=True)
class ComptimeLedger:
    """One person's comp time. Every operation returns a new ledger plus the
    entries it appended; remaining minutes are always summed from entries."""

    person_id: str
    agency: str
    grants: tuple[Grant, ...] = ()
    entries: tuple[Entry, ...] = ()

    # ---------------------------------------------------------------- reads

    def grant(self, grant_id: str) -> Grant:
        for grant in self.grants:
            if grant.grant_id == grant_id:
                return grant
        raise KeyError(grant_id)

    def remaining_by_grant(self) -> dict[str, int]:
        remaining = {g.grant_id: 0 for g in self.grants}
        for entry in self.entries:
            remaining[entry.grant_id] += entry.minutes
        return remaining

    def remaining(self, grant_id: str) -> int:
        self.grant(grant_id)
        return sum(e.minutes for e in self.entries if e.grant_id == grant_id)

    @property
    def balance(self) -> int:
        return sum(e.minutes for e in self.entries)

    def balances(self) -> tuple[GrantBalance, ...]:
        """Every grant with its remaining minutes, in FIFO order."""
        remaining = self.remaining_by_grant()
        return tuple(
            GrantBalance(g, remaining[g.grant_id])
            for g in sorted(self.grants, key=lambda g: g.fifo_key)
        )

    def usable_on(self, day: date) -> int:
        return sum(b.remaining for b in self.balances() if b.grant.usable_on(day))

    def request_allocations(self, request_id: str) -> tuple[Allocation, ...]:
        """What a request took, grant by grant."""
        return tuple(
            Allocation(e.grant_id, -e.minutes)
            for e in self.entries
            if e.kind is EntryKind.USE and e.request_id == request_id
        )

    # --------------------------------------------------------------- writes

    def _post(
        self,
        new: Iterable[Entry],
        *,
        grants: tuple[Grant, ...] | None = None,
        agency: str | None = None,
    ) -> Posted:
        added = tuple(new)
        ledger = dataclasses.replace(
            self,
            entries=self.entries + added,
            grants=self.grants if grants is None else grants,
            agency=self.agency if agency is None else agency,
        )
        return ledger, added

    def add_grant(self, grant: Grant) -> Posted:
        if grant.person_id != self.person_id:
            raise ValueError("grant belongs to another person")
        if any(g.grant_id == grant.grant_id for g in self.grants):
            raise ValueError(f"grant {grant.grant_id!r} already recorded")
        entry = Entry(EntryKind.GRANT, grant.grant_id, grant.minutes, grant.earned_on, self.agency)
        return self._post([entry], grants=(*self.grants, grant))

    def use(
        self,
        request_id: str,
        minutes: int,
        leave_day: date,
        *,
        unit_minutes: int = DEFAULT_UNIT_MINUTES,
    ) -> Posted:
        if any(e.request_id == request_id for e in self.entries):
            raise ValueError(f"request {request_id!r} already recorded")
        taken = allocate(self.balances(), minutes, leave_day, unit_minutes=unit_minutes)
        return self._post(
            Entry(EntryKind.USE, a.grant_id, -a.minutes, leave_day, self.agency, request_id)
            for a in taken
        )

    def cancel(self, request_id: str, on: date) -> Posted:
        """Cancel or reject a request: give back exactly what it took, to the
        same grants. A second cancel finds it restored and changes nothing."""
        taken = self.request_allocations(request_id)
        if not taken:
            raise UnknownRequest(request_id)
        if any(e.kind is EntryKind.RESTORE and e.request_id == request_id for e in self.entries):
            return self, ()
        # A grant that lapsed meanwhile gets its minutes back too; the next
        # expire_due run takes them away again, keeping one rule for expiry.
        return self._post(
            Entry(EntryKind.RESTORE, a.grant_id, a.minutes, on, self.agency, request_id)
            for a in taken
        )

    def expire_due(self, today: date) -> Posted:
        """Expire whatever is left on grants whose last usable day is before today."""
        remaining = self.remaining_by_grant()
        return self._post(
            Entry(
                EntryKind.EXPIRE,
                g.grant_id,
                -remaining[g.grant_id],
                g.expires_on + timedelta(days=1),
                self.agency,
            )
            for g in sorted(self.grants, key=lambda g: g.fifo_key)
            if g.expires_on < today and remaining[g.grant_id] > 0
        )

    def settle(self, grant_id: str, minutes: int, on: date, reason: str) -> Posted:
        """Take minutes off a grant because they were paid or commended; run
        before expire_due so that only unsettled minutes lapse."""
        left = self.remaining(grant_id)
        if not 0 < minutes <= left:
            raise ValueError(f"cannot settle {minutes} minutes; grant {grant_id!r} has {left}")
        return self._post(
            [Entry(EntryKind.SETTLE, grant_id, -minutes, on, self.agency, reason=reason)]
        )

    def transfer(self, to_agency: str, on: date) -> Posted:
        """Continuous service: every remaining minute moves, clocks unchanged."""
        if to_agency == self.agency:
            raise ValueError("transfer to the same agency")
        moved: list[Entry] = []
        for balance in self.balances():
            if balance.remaining > 0:
                gid, minutes = balance.grant.grant_id, balance.remaining
                moved.append(Entry(EntryKind.TRANSFER_OUT, gid, -minutes, on, self.agency))
                moved.append(Entry(EntryKind.TRANSFER_IN, gid, minutes, on, to_agency))
        return self._post(moved, agency=to_agency)


# ---------------------------------------------------------------- settlement


class PersonStatus(enum.StrEnum):
    ACTIVE = "active"
    LEFT = "left"
    DECEASED = "deceased"


class SettlementOutcome(enum.StrEnum):
    PAY = "pay"
    COMMENDATION = "commendation"
    NONE = "none"


@dataclass(frozen=True)
class SettlementDecision:
    outcome: SettlementOutcome
    reason: str


def settlement_decision(
    status: PersonStatus,
    *,
    applied: bool,
    refused_for_business_necessity: bool,
    refusal_on_record: bool,
    budget_exhausted: bool,
) -> SettlementDecision:
    """How expired hours are settled. Budget left over never creates a
    settlement; only a recorded business-necessity refusal does."""
    if not applied:
        return SettlementDecision(SettlementOutcome.NONE, "not_applied")
    if not refused_for_business_necessity:
        return SettlementDecision(SettlementOutcome.NONE, "not_refused_for_business_necessity")
    if not refusal_on_record:
        return SettlementDecision(SettlementOutcome.NONE, "refusal_not_on_record")
    if status is PersonStatus.LEFT:
        return SettlementDecision(SettlementOutcome.PAY, "left_service")
    if status is PersonStatus.DECEASED:
        return SettlementDecision(SettlementOutcome.PAY, "deceased")
    if budget_exhausted:
        return SettlementDecision(SettlementOutcome.COMMENDATION, "budget_exhausted")
    return SettlementDecision(SettlementOutcome.PAY, "refused_business_necessity")


@dataclass(frozen=True)
class Refusal:
    """A refused leave request and the grants it would have drawn on
    (the allocation planned when it was refused)."""

    request_id: str
    refused_on: date
    allocations: tuple[Allocation, ...]
    business_necessity: bool = True
    on_record: bool = True


def planned_allocation(
    ledger: ComptimeLedger,
    minutes: int,
    leave_day: date,
    *,
    unit_minutes: int = DEFAULT_UNIT_MINUTES,
) -> tuple[Allocation, ...]:
    """What a request would take, without taking it: recorded with a refusal."""
    return allocate(ledger.balances(), minutes, leave_day, unit_minutes=unit_minutes)


def refused_expired_minutes(
    ledger: ComptimeLedger, refusals: Iterable[Refusal], today: date
) -> dict[str, int]:
    """Per lapsed grant (expires_on < today, minutes still on it), the minutes
    a recorded business-necessity refusal kept the person from taking.
    Capped by what is left, so refusing the same hours twice counts once."""
    refused: dict[str, int] = {}
    grants = {g.grant_id: g for g in ledger.grants}
    for refusal in refusals:
        if not (refusal.business_necessity and refusal.on_record):
            continue
        for allocation in refusal.allocations:
            grant = grants.get(allocation.grant_id)
            if grant is not None and grant.usable_on(refusal.refused_on):
                refused[grant.grant_id] = refused.get(grant.grant_id, 0) + allocation.minutes
    result: dict[str, int] = {}
    for balance in ledger.balances():
        grant = balance.grant
        if grant.expires_on < today and balance.remaining > 0 and grant.grant_id in refused:
            result[grant.grant_id] = min(balance.remaining, refused[grant.grant_id])
    return result


def settlement_amount(minutes: int, hourly_rate: Decimal) -> Decimal:
    """Hours × hourly rate in whole NT$, rounded half up once on the total."""
    if minutes < 0:
        raise ValueError("minutes may not be negative")
    if not hourly_rate.is_finite() or hourly_rate < 0:
        raise ValueError("hourly rate must be a non-negative amount")
    return (Decimal(minutes) * hourly_rate / Decimal(60)).quantize(
        Decimal(1), rounding=ROUND_HALF_UP
    )


# ------------------------------------------------------------------ notices


def expiring_in_month(
    balances: Iterable[GrantBalance], year: int, month: int
) -> tuple[GrantBalance, ...]:
    """Grants with minutes left whose last usable day falls in that month."""
    return tuple(
        sorted(
            (
                b
                for b in balances
                if b.remaining > 0
                and b.grant.expires_on.year == year
                and b.grant.expires_on.month == month
            ),
            key=lambda b: b.grant.fifo_key,
        )
    )


def next_month_notice(balances: Iterable[GrantBalance], today: date) -> tuple[GrantBalance, ...]:
    """The notice shown on the 1st of each month: what lapses during next month."""
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    return expiring_in_month(balances, year, month)


def expiring_within(
    balances: Iterable[GrantBalance], today: date, days: int
) -> tuple[GrantBalance, ...]:
    """Grants with minutes left whose last usable day is today..today+days."""
    if days < 0:
        raise ValueError("days may not be negative")
    horizon = today + timedelta(days=days)
    return tuple(
        sorted(
            (b for b in balances if b.remaining > 0 and today <= b.grant.expires_on <= horizon),
            key=lambda b: b.grant.fifo_key,
        )
    )


def totals_by_person(balances: Iterable[GrantBalance]) -> Mapping[str, int]:
    """Minutes per person, for the accumulated-hours report."""
    totals: dict[str, int] = {}
    for b in balances:
        totals[b.grant.person_id] = totals.get(b.grant.person_id, 0) + b.remaining
    return totals
