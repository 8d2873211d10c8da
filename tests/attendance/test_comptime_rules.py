"""Comp time: expiry dates, FIFO allocation, the ledger, settlement and notices."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
)

from services.attendance.domain.comptime import (
    Allocation,
    ComptimeLedger,
    EntryKind,
    Grant,
    GrantBalance,
    InsufficientBalance,
    PersonStatus,
    Refusal,
    SettlementOutcome,
    UnknownRequest,
    allocate,
    expiring_in_month,
    expiring_within,
    expiry_date,
    new_grant,
    next_month_notice,
    planned_allocation,
    refused_expired_minutes,
    settlement_amount,
    settlement_decision,
    totals_by_person,
)

PERSON = "p-001"


def ledger_with(*grants: Grant, agency: str = "A") -> ComptimeLedger:
    ledger = ComptimeLedger(PERSON, agency)
    for grant in grants:
        ledger, _ = ledger.add_grant(grant)
    return ledger


def g(grant_id: str, earned: date, minutes: int, validity: int = 24) -> Grant:
    return new_grant(grant_id, PERSON, earned, minutes, validity)


# ------------------------------------------------------------------- expiry


@pytest.mark.parametrize(
    ("earned", "months", "last_day"),
    [
        (date(2023, 1, 1), 24, date(2024, 12, 31)),
        (date(2024, 2, 29), 24, date(2026, 2, 28)),  # no 29 Feb in 2026
        (date(2024, 2, 28), 24, date(2026, 2, 27)),
        (date(2024, 3, 1), 24, date(2026, 2, 28)),
        (date(2023, 12, 31), 24, date(2025, 12, 30)),
        (date(2024, 1, 15), 6, date(2024, 7, 14)),
        (date(2024, 8, 31), 6, date(2025, 2, 28)),  # no 31 Feb
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2023, 1, 28), 1, date(2023, 2, 27)),
        (date(2024, 12, 1), 12, date(2025, 11, 30)),
    ],
)
def test_expiry_date(earned: date, months: int, last_day: date) -> None:
    assert expiry_date(earned, months) == last_day


@pytest.mark.parametrize("months", [0, 25, -1, 36])
def test_validity_outside_one_to_twenty_four_months_is_refused(months: int) -> None:
    with pytest.raises(ValueError, match="validity_months"):
        expiry_date(date(2024, 1, 1), months)


def test_2023_hours_start_expiring_on_1_january_2025() -> None:
    # Seed 000: hours from 2023-01-01 lapse from 2025-01-01 onwards.
    ledger = ledger_with(g("g1", date(2023, 1, 1), 120))
    assert ledger.usable_on(date(2024, 12, 31)) == 120
    assert ledger.usable_on(date(2025, 1, 1)) == 0


def test_request_on_last_usable_day_is_allowed_day_after_is_not() -> None:
    ledger = ledger_with(g("g1", date(2023, 1, 1), 120))
    used, entries = ledger.use("r1", 60, date(2024, 12, 31))
    assert [(e.kind, e.grant_id, e.minutes) for e in entries] == [(EntryKind.USE, "g1", -60)]
    with pytest.raises(InsufficientBalance) as refused:
        used.use("r2", 60, date(2025, 1, 1))
    assert (refused.value.available, refused.value.requested) == (0, 60)


@pytest.mark.parametrize(
    ("utc", "earned_on", "last_day"),
    [
        # 23:30 Taipei on 31 Dec: the grant belongs to 31 Dec.
        (datetime(2023, 12, 31, 15, 30, tzinfo=UTC), date(2023, 12, 31), date(2025, 12, 30)),
        # 00:30 Taipei on 1 Jan.
        (datetime(2023, 12, 31, 16, 30, tzinfo=UTC), date(2024, 1, 1), date(2025, 12, 31)),
    ],
)
def test_grant_day_is_the_taipei_day_of_the_overtime(
    utc: datetime, earned_on: date, last_day: date
) -> None:
    grant = new_grant("g1", PERSON, utc, 60)
    assert grant.earned_on == earned_on
    assert grant.expires_on == last_day


def test_grant_cannot_outlive_two_years() -> None:
    with pytest.raises(ValueError, match="two years"):
        Grant("g1", PERSON, date(2024, 1, 1), 60, date(2026, 1, 1))
    with pytest.raises(ValueError):
        Grant("g1", PERSON, date(2024, 1, 1), 0, date(2024, 6, 1))
    with pytest.raises(ValueError, match="validity_months"):
        new_grant("g1", PERSON, date(2024, 1, 1), 60, validity_months=30)


# ----------------------------------------------------------------- allocate


def _balances(*pairs: tuple[Grant, int]) -> list[GrantBalance]:
    return [GrantBalance(grant, remaining) for grant, remaining in pairs]


def test_allocate_takes_soonest_expiry_first_and_combines_remainders() -> None:
    late = g("late", date(2024, 3, 1), 240)
    early = g("early", date(2024, 1, 10), 90)
    short = g("short", date(2024, 2, 1), 30, validity=6)  # expires 2024-07-31, first
    taken = allocate(_balances((late, 240), (early, 90), (short, 30)), 180, date(2024, 4, 1))
    assert taken == (
        Allocation("short", 30),
        Allocation("early", 90),
        Allocation("late", 60),
    )


def test_allocate_ties_break_on_earned_day_then_id() -> None:
    # Same expiry via different validity: earned_on decides, then the id.
    a = Grant("b", PERSON, date(2024, 1, 1), 60, date(2024, 12, 31))
    b = Grant("a", PERSON, date(2024, 2, 1), 60, date(2024, 12, 31))
    c = Grant("c", PERSON, date(2024, 2, 1), 60, date(2024, 12, 31))
    taken = allocate(_balances((c, 60), (b, 60), (a, 60)), 120, date(2024, 6, 1))
    assert [x.grant_id for x in taken] == ["b", "a"]


def test_allocate_skips_grants_not_yet_earned_or_expired() -> None:
    future = g("future", date(2024, 6, 2), 600)
    gone = g("gone", date(2022, 1, 1), 600)
    ok = g("ok", date(2024, 1, 1), 60)
    assert allocate(_balances((future, 600), (gone, 600), (ok, 60)), 60, date(2024, 6, 1)) == (
        Allocation("ok", 60),
    )
    with pytest.raises(InsufficientBalance) as refused:
        allocate(_balances((future, 600), (gone, 600), (ok, 60)), 120, date(2024, 6, 1))
    assert refused.value.available == 60
    assert refused.value.requested == 120


@pytest.mark.parametrize("minutes", [0, -60, 30, 90])
def test_requests_must_be_positive_whole_units(minutes: int) -> None:
    grant = g("g", date(2024, 1, 1), 600)
    with pytest.raises(ValueError):
        allocate(_balances((grant, 600)), minutes, date(2024, 2, 1))


def test_unit_is_configurable() -> None:
    grant = g("g", date(2024, 1, 1), 600)
    assert allocate(_balances((grant, 600)), 90, date(2024, 2, 1), unit_minutes=30) == (
        Allocation("g", 90),
    )


# ------------------------------------------------------------------- ledger


def test_balance_and_remaining_are_derived_from_entries() -> None:
    ledger = ledger_with(g("g1", date(2024, 1, 1), 90), g("g2", date(2024, 2, 1), 90))
    ledger, _ = ledger.use("r1", 120, date(2024, 3, 1))
    assert ledger.remaining_by_grant() == {"g1": 0, "g2": 60}
    assert ledger.balance == 60 == sum(e.minutes for e in ledger.entries)


def test_cancel_restores_into_the_same_grants_once() -> None:
    ledger = ledger_with(g("g1", date(2024, 1, 1), 90), g("g2", date(2024, 2, 1), 90))
    ledger, _ = ledger.use("r1", 120, date(2024, 3, 1))
    ledger, _ = ledger.use("r2", 60, date(2024, 3, 2))
    cancelled, restored = ledger.cancel("r1", date(2024, 3, 5))
    assert sorted((e.kind, e.grant_id, e.minutes) for e in restored) == [
        (EntryKind.RESTORE, "g1", 90),
        (EntryKind.RESTORE, "g2", 30),
    ]
    assert cancelled.remaining_by_grant() == {"g1": 90, "g2": 30}
    again, nothing = cancelled.cancel("r1", date(2024, 3, 6))
    assert nothing == ()
    assert again == cancelled


def test_cancelling_an_unknown_request_is_an_error() -> None:
    ledger = ledger_with(g("g1", date(2024, 1, 1), 90))
    with pytest.raises(UnknownRequest):
        ledger.cancel("never", date(2024, 3, 1))


def test_a_request_id_is_used_once() -> None:
    ledger = ledger_with(g("g1", date(2024, 1, 1), 600))
    ledger, _ = ledger.use("r1", 60, date(2024, 3, 1))
    with pytest.raises(ValueError, match="already"):
        ledger.use("r1", 60, date(2024, 3, 2))


def test_expire_due_is_strictly_after_the_last_day_and_idempotent() -> None:
    ledger = ledger_with(g("g1", date(2023, 1, 1), 120), g("g2", date(2023, 1, 2), 60))
    same, none = ledger.expire_due(date(2024, 12, 31))
    assert none == ()
    expired, entries = same.expire_due(date(2025, 1, 1))
    assert [(e.kind, e.grant_id, e.minutes, e.on) for e in entries] == [
        (EntryKind.EXPIRE, "g1", -120, date(2025, 1, 1))
    ]
    twice, again = expired.expire_due(date(2025, 1, 1))
    assert again == ()
    assert twice == expired
    assert twice.remaining_by_grant() == {"g1": 0, "g2": 60}


def test_cancel_after_expiry_gives_back_minutes_that_expire_next_run() -> None:
    ledger = ledger_with(g("g1", date(2023, 1, 1), 120))
    ledger, _ = ledger.use("r1", 60, date(2024, 12, 30))
    ledger, _ = ledger.expire_due(date(2025, 1, 1))
    ledger, _ = ledger.cancel("r1", date(2025, 1, 2))
    assert ledger.remaining("g1") == 60
    ledger, entries = ledger.expire_due(date(2025, 1, 2))
    assert [e.minutes for e in entries] == [-60]
    assert ledger.balance == 0


def test_transfer_keeps_balance_and_clocks() -> None:
    ledger = ledger_with(g("g1", date(2024, 1, 1), 90), g("g2", date(2024, 2, 1), 30))
    ledger, _ = ledger.use("r1", 60, date(2024, 3, 1))
    before = ledger.remaining_by_grant()
    moved, entries = ledger.transfer("B", date(2024, 4, 1))
    assert moved.agency == "B"
    assert moved.balance == ledger.balance == 60
    assert moved.remaining_by_grant() == before
    assert moved.grants == ledger.grants
    assert sorted((e.kind, e.grant_id, e.minutes, e.agency) for e in entries) == [
        (EntryKind.TRANSFER_IN, "g1", 30, "B"),
        (EntryKind.TRANSFER_IN, "g2", 30, "B"),
        (EntryKind.TRANSFER_OUT, "g1", -30, "A"),
        (EntryKind.TRANSFER_OUT, "g2", -30, "A"),
    ]
    # The new agency uses them with the original expiry.
    moved, used = moved.use("r2", 60, date(2025, 12, 31))
    assert {e.agency for e in used} == {"B"}
    with pytest.raises(ValueError, match="same agency"):
        moved.transfer("B", date(2024, 5, 1))


def test_settle_takes_minutes_before_expiry() -> None:
    ledger = ledger_with(g("g1", date(2023, 1, 1), 180))
    ledger, _ = ledger.settle("g1", 120, date(2025, 1, 1), reason="refused_business_necessity")
    ledger, lapsed = ledger.expire_due(date(2025, 1, 1))
    assert [e.minutes for e in lapsed] == [-60]
    assert ledger.balance == 0
    with pytest.raises(ValueError, match="cannot settle"):
        ledger.settle("g1", 60, date(2025, 1, 2), reason="x")


def test_ledger_refuses_foreign_or_duplicate_grants() -> None:
    ledger = ledger_with(g("g1", date(2024, 1, 1), 60))
    with pytest.raises(ValueError, match="already"):
        ledger.add_grant(g("g1", date(2024, 1, 2), 60))
    with pytest.raises(ValueError, match="another person"):
        ledger.add_grant(new_grant("g9", "p-other", date(2024, 1, 2), 60))


# ---------------------------------------------------------- property tests

DAYS = st.dates(min_value=date(2023, 1, 1), max_value=date(2026, 6, 30))


class LedgerMachine(RuleBasedStateMachine):
    """Random grants, uses, cancellations, settlements, expiries and transfers,
    checked against an independent per-grant model."""

    def __init__(self) -> None:
        super().__init__()
        self.ledger = ComptimeLedger(PERSON, "agency-0")
        self.model: dict[str, int] = {}
        self.requests: dict[str, tuple[Allocation, ...]] = {}
        self.cancelled: set[str] = set()
        self.serial = 0

    def _next(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}{self.serial}"

    @rule(earned=DAYS, minutes=st.integers(1, 600), validity=st.integers(1, 24))
    def add_grant(self, earned: date, minutes: int, validity: int) -> None:
        grant = new_grant(self._next("g"), PERSON, earned, minutes, validity)
        self.ledger, _ = self.ledger.add_grant(grant)
        self.model[grant.grant_id] = minutes

    @rule(hours=st.integers(1, 12), leave_day=DAYS)
    def use(self, hours: int, leave_day: date) -> None:
        minutes = hours * 60
        request_id = self._next("r")
        grants = {gr.grant_id: gr for gr in self.ledger.grants}
        usable = {
            gid: left
            for gid, left in self.model.items()
            if left > 0 and grants[gid].usable_on(leave_day)
        }
        try:
            self.ledger, entries = self.ledger.use(request_id, minutes, leave_day)
        except InsufficientBalance as refused:
            assert refused.available == sum(usable.values()) < minutes
            return
        taken = self.ledger.request_allocations(request_id)
        assert sum(a.minutes for a in taken) == minutes
        for allocation in taken:
            assert allocation.grant_id in usable
            assert 0 < allocation.minutes <= usable[allocation.grant_id]
            self.model[allocation.grant_id] -= allocation.minutes
        # FIFO: nothing usable that expires earlier is left over.
        for allocation in taken:
            key = grants[allocation.grant_id].fifo_key
            for gid in usable:
                if grants[gid].fifo_key < key:
                    assert self.model[gid] == 0, (gid, allocation)
        assert all(e.kind is EntryKind.USE for e in entries)
        self.requests[request_id] = taken

    @precondition(lambda self: bool(self.requests))
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        request_id = data.draw(st.sampled_from(sorted(self.requests)))
        before = self.ledger.remaining_by_grant()
        self.ledger, entries = self.ledger.cancel(request_id, date(2026, 1, 1))
        if request_id in self.cancelled:
            assert entries == ()
            assert self.ledger.remaining_by_grant() == before
            return
        taken = self.requests[request_id]
        assert sorted((e.grant_id, e.minutes) for e in entries) == sorted(
            (a.grant_id, a.minutes) for a in taken
        )
        for allocation in taken:
            self.model[allocation.grant_id] += allocation.minutes
        self.cancelled.add(request_id)

    @rule()
    def cancel_unknown(self) -> None:
        try:
            self.ledger.cancel("no-such-request", date(2026, 1, 1))
        except UnknownRequest:
            return
        raise AssertionError("cancelling an unknown request must fail")

    @rule(today=DAYS)
    def expire(self, today: date) -> None:
        self.ledger, entries = self.ledger.expire_due(today)
        grants = {gr.grant_id: gr for gr in self.ledger.grants}
        for entry in entries:
            assert entry.kind is EntryKind.EXPIRE
            assert grants[entry.grant_id].expires_on < today
            assert -entry.minutes == self.model[entry.grant_id]
        for gid, grant in grants.items():
            if grant.expires_on < today:
                self.model[gid] = 0
        again, second = self.ledger.expire_due(today)
        assert second == ()
        assert again == self.ledger

    @precondition(lambda self: any(v > 0 for v in self.model.values()))
    @rule(data=st.data())
    def settle(self, data: st.DataObject) -> None:
        gid = data.draw(st.sampled_from(sorted(k for k, v in self.model.items() if v > 0)))
        minutes = data.draw(st.integers(1, self.model[gid]))
        self.ledger, _ = self.ledger.settle(gid, minutes, date(2026, 1, 1), reason="pay")
        self.model[gid] -= minutes

    @rule()
    def transfer(self) -> None:
        before_balance = self.ledger.balance
        self.ledger, entries = self.ledger.transfer(self._next("agency-"), date(2025, 6, 1))
        assert self.ledger.balance == before_balance
        assert sum(e.minutes for e in entries) == 0

    @invariant()
    def balance_is_sum_of_entries_and_never_negative(self) -> None:
        assert self.ledger.balance == sum(e.minutes for e in self.ledger.entries)
        assert self.ledger.balance == sum(self.model.values())
        assert self.ledger.balance >= 0

    @invariant()
    def each_grant_matches_model_and_stays_in_range(self) -> None:
        assert self.ledger.remaining_by_grant() == self.model
        for grant in self.ledger.grants:
            assert 0 <= self.model[grant.grant_id] <= grant.minutes


LedgerMachine.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestLedgerProperties = LedgerMachine.TestCase


# --------------------------------------------------------------- settlement


@pytest.mark.parametrize(
    ("status", "applied", "refused", "on_record", "budget_exhausted", "outcome", "reason"),
    [
        (
            PersonStatus.ACTIVE,
            True,
            True,
            True,
            False,
            SettlementOutcome.PAY,
            "refused_business_necessity",
        ),
        (
            PersonStatus.ACTIVE,
            True,
            True,
            True,
            True,
            SettlementOutcome.COMMENDATION,
            "budget_exhausted",
        ),
        (PersonStatus.ACTIVE, False, False, False, False, SettlementOutcome.NONE, "not_applied"),
        (PersonStatus.ACTIVE, False, False, False, True, SettlementOutcome.NONE, "not_applied"),
        (
            PersonStatus.ACTIVE,
            True,
            False,
            True,
            False,
            SettlementOutcome.NONE,
            "not_refused_for_business_necessity",
        ),
        (
            PersonStatus.ACTIVE,
            True,
            True,
            False,
            False,
            SettlementOutcome.NONE,
            "refusal_not_on_record",
        ),
        (PersonStatus.LEFT, True, True, True, False, SettlementOutcome.PAY, "left_service"),
        (PersonStatus.LEFT, True, True, True, True, SettlementOutcome.PAY, "left_service"),
        (PersonStatus.DECEASED, True, True, True, True, SettlementOutcome.PAY, "deceased"),
        (PersonStatus.DECEASED, True, True, True, False, SettlementOutcome.PAY, "deceased"),
        # Never applied: nothing to settle, whoever the person is.
        (PersonStatus.LEFT, False, False, False, False, SettlementOutcome.NONE, "not_applied"),
        (PersonStatus.DECEASED, False, False, False, True, SettlementOutcome.NONE, "not_applied"),
        (
            PersonStatus.DECEASED,
            True,
            True,
            False,
            False,
            SettlementOutcome.NONE,
            "refusal_not_on_record",
        ),
    ],
)
def test_settlement_decision(
    status: PersonStatus,
    applied: bool,
    refused: bool,
    on_record: bool,
    budget_exhausted: bool,
    outcome: SettlementOutcome,
    reason: str,
) -> None:
    decision = settlement_decision(
        status,
        applied=applied,
        refused_for_business_necessity=refused,
        refusal_on_record=on_record,
        budget_exhausted=budget_exhausted,
    )
    assert (decision.outcome, decision.reason) == (outcome, reason)


def test_refused_expired_minutes_per_grant() -> None:
    ledger = ledger_with(
        g("g1", date(2023, 1, 1), 180),  # lapses 2025-01-01
        g("g2", date(2023, 1, 5), 120),  # lapses 2025-01-05
        g("g3", date(2023, 6, 1), 60),  # lapses 2025-06-01: not due in this test
    )
    refused_plan = planned_allocation(ledger, 240, date(2024, 12, 20))
    assert refused_plan == (Allocation("g1", 180), Allocation("g2", 60))
    refusals = [
        Refusal("r1", date(2024, 12, 19), refused_plan),
        # The same hours refused again count once (capped by what is left).
        Refusal("r2", date(2024, 12, 20), refused_plan),
        # Not on record / not business necessity: ignored.
        Refusal("r3", date(2024, 12, 21), (Allocation("g2", 60),), on_record=False),
        Refusal("r4", date(2024, 12, 21), (Allocation("g2", 60),), business_necessity=False),
        # Refused after g2 lapsed: cannot have kept anyone from using it.
        Refusal("r5", date(2025, 1, 5), (Allocation("g2", 60),)),
    ]
    ledger, _ = ledger.use("took", 60, date(2024, 12, 30))  # g1 now has 120 left
    result = refused_expired_minutes(ledger, refusals, date(2025, 1, 6))
    assert result == {"g1": 120, "g2": 120}
    # g2's refusals totalled 120 (2 × 60) but only g2 had 120: a single refusal would give 60.
    single = refused_expired_minutes(ledger, refusals[:1], date(2025, 1, 6))
    assert single == {"g1": 120, "g2": 60}
    # On g1's last usable day nothing is due yet; the day after, g1 is.
    assert refused_expired_minutes(ledger, refusals, date(2024, 12, 31)) == {}
    assert refused_expired_minutes(ledger, refusals, date(2025, 1, 1)) == {"g1": 120}


@pytest.mark.parametrize(
    ("minutes", "rate", "amount"),
    [
        (60, Decimal("250"), Decimal("250")),
        (30, Decimal("101"), Decimal("51")),  # 50.5 rounds up, not to even
        (90, Decimal("233.33"), Decimal("350")),  # 349.995
        (150, Decimal("233.33"), Decimal("583")),  # 583.325
        (0, Decimal("300"), Decimal("0")),
    ],
)
def test_settlement_amount(minutes: int, rate: Decimal, amount: Decimal) -> None:
    assert settlement_amount(minutes, rate) == amount


def test_settlement_amount_refuses_bad_input() -> None:
    with pytest.raises(ValueError):
        settlement_amount(-60, Decimal("100"))
    with pytest.raises(ValueError):
        settlement_amount(60, Decimal("-1"))
    with pytest.raises(ValueError):
        settlement_amount(60, Decimal("NaN"))


# ------------------------------------------------------------------ notices


def _notice_ledger() -> ComptimeLedger:
    ledger = ledger_with(
        g("jan-31", date(2023, 2, 1), 60),  # last day 2025-01-31
        g("feb-1", date(2023, 2, 2), 60),  # last day 2025-02-01
        g("feb-28", date(2023, 3, 1), 60),  # last day 2025-02-28
        g("feb-settled", date(2023, 2, 10), 60),  # last day 2025-02-09, nothing left
        g("mar-1", date(2023, 3, 2), 60),  # last day 2025-03-01
    )
    ledger, _ = ledger.settle("feb-settled", 60, date(2024, 12, 1), reason="pay")
    return ledger


def test_monthly_notice_lists_next_months_lapses() -> None:
    balances = _notice_ledger().balances()
    notice = next_month_notice(balances, date(2025, 1, 1))
    assert [b.grant.grant_id for b in notice] == ["feb-1", "feb-28"]
    assert notice == expiring_in_month(balances, 2025, 2)
    assert [b.grant.grant_id for b in next_month_notice(balances, date(2024, 12, 1))] == ["jan-31"]


def test_expiring_within_is_inclusive_at_both_ends() -> None:
    balances = _notice_ledger().balances()
    found = expiring_within(balances, date(2025, 1, 31), 1)
    assert [b.grant.grant_id for b in found] == ["jan-31", "feb-1"]
    assert expiring_within(balances, date(2025, 2, 2), 0) == ()
    with pytest.raises(ValueError):
        expiring_within(balances, date(2025, 1, 1), -1)


def test_totals_by_person() -> None:
    other = new_grant("x", "p-002", date(2024, 1, 1), 45)
    balances = [
        GrantBalance(g("a", date(2024, 1, 1), 60), 60),
        GrantBalance(g("b", date(2024, 1, 2), 60), 15),
        GrantBalance(other, 45),
    ]
    assert totals_by_person(balances) == {PERSON: 75, "p-002": 45}
