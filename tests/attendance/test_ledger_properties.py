"""Property tests of the comp-time ledger on the real database (SQLite and
PostgreSQL, whichever the run uses).

Random sequences of grants, leave requests, approvals, cancellations,
refusals, expiries (with settlement) and transfers go through the action
layer exactly as the API and the jobs call it, one transaction each. After
every step the stored ledger must agree, entry for entry, with the pure
`ComptimeLedger` fed the same operations, and:

* the balance never goes negative and equals the sum of the entries;
* requests take the earliest-expiring usable grants first (FIFO);
* cancelling or refusing gives back exactly what was taken, to the same grants;
* settlement only ever pays lapsed minutes a business-necessity refusal held.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from services.attendance.access import REPORTS_READ
from services.attendance.domain.comptime import (
    Allocation,
    ComptimeLedger,
    EntryKind,
    InsufficientBalance,
    PersonStatus,
    Refusal,
    expiry_date,
    refused_expired_minutes,
    settlement_decision,
)
from services.attendance.models import (
    AgencyPolicy,
    ComptimeEntry,
    ComptimeGrant,
    LeaveRequest,
    OvertimeRecord,
    RosterPerson,
    Settlement,
    metadata,
)
from services.attendance.service import comptime, reports
from services.attendance.service.problems import NotEnoughComptime
from services.attendance.store import ledger as ledger_store
from services.attendance.store.locking import begin_immediate
from services.common.principal import Principal
from services.common.timeutil import TAIPEI

PERSON = "P1"
FIRST_AGENCY = "A01"
DAYS = st.dates(min_value=date(2023, 1, 1), max_value=date(2025, 12, 31))
# Later than any leave day, so refusals and cancellations decided on it are
# never before the request they decide.
DECIDED_ON = date(2026, 1, 15)
# The comp-balance report's day in the invariant: its 24 months run from
# November 2024 to October 2026.
REPORT_DAY = date(2024, 11, 20)

# Modest on purpose: every step is a real transaction on a real database.
PROPERTY_SETTINGS = settings(
    max_examples=25,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@dataclass
class Request:
    request_id: int
    status: str
    taken: tuple[Allocation, ...]
    business_necessity: bool = False
    refused_on: date | None = None


def _empty(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())


class DatabaseLedgerMachine(RuleBasedStateMachine):
    """One person's comp time driven through `actions.comptime` on the
    database, mirrored step by step on a pure `ComptimeLedger`."""

    engine: Engine

    def __init__(self) -> None:
        super().__init__()
        # Each example starts from empty tables: examples must not see each
        # other's grants, and ids restarting or not does not matter here.
        _empty(self.engine)
        with self._write() as session:
            session.add(RosterPerson(person_id=PERSON, agency_code=FIRST_AGENCY, source="test"))
        self.pure = ComptimeLedger(PERSON, FIRST_AGENCY)
        self.agency = FIRST_AGENCY
        self.validity = {FIRST_AGENCY: 24}
        self.requests: dict[int, Request] = {}
        self.settled: set[str] = set()
        self.serial = 0

    # ------------------------------------------------------------ helpers

    @contextmanager
    def _write(self) -> Iterator[Session]:
        """One transaction as the API opens it: BEGIN IMMEDIATE on SQLite."""
        with Session(self.engine, expire_on_commit=False) as session:
            begin_immediate(session)
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def _person(self, session: Session) -> RosterPerson:
        person = session.get(RosterPerson, PERSON)
        assert person is not None
        return person

    def _stored_remaining(self) -> dict[str, int]:
        with Session(self.engine) as session:
            rows = ledger_store.remaining_by_grant(
                session, person_ids=[PERSON], only_positive=False
            )
        return {str(r.grant_id): r.remaining for r in rows}

    def _request_entries(self, request_id: int, kind: str) -> list[tuple[str, int]]:
        with Session(self.engine) as session:
            entries = ledger_store.request_entries(session, [request_id])
        return sorted((str(e.grant_id), e.minutes) for e in entries if e.kind == kind)

    # -------------------------------------------------------------- rules

    @rule(months=st.integers(1, 24))
    def set_validity(self, months: int) -> None:
        """The agency shortens (or restores) its validity; later grants follow it."""
        with self._write() as session:
            stored = session.get(AgencyPolicy, self.agency)
            policy = stored or AgencyPolicy(agency_code=self.agency)
            policy.validity_months = months
            session.add(policy)
        self.validity[self.agency] = months

    @rule(earned=DAYS, minutes=st.integers(1, 600))
    def grant(self, earned: date, minutes: int) -> None:
        self.serial += 1
        with self._write() as session:
            person = self._person(session)
            record = OvertimeRecord(
                person_id=PERSON,
                agency_code=person.agency_code,
                day=earned,
                minutes=minutes,
                assigned_by="S1",
                reason="property test",
                compensation="comp",
                status="approved",
                source="property",
                source_id=str(self.serial),
            )
            session.add(record)
            session.flush()
            grant_id = comptime.grant_for_overtime(session, person, record)
            row = session.get(ComptimeGrant, grant_id)
            assert row is not None
            stored = ledger_store.to_grant(row)
        # The clock is the agency's validity from the overtime's day.
        assert stored.expires_on == expiry_date(earned, self.validity.get(self.agency, 24))
        self.pure, _ = self.pure.add_grant(stored)

    @rule(day=DAYS, hour=st.integers(0, 23), hours=st.integers(1, 8))
    def request(self, day: date, hour: int, hours: int) -> None:
        starts_at = datetime.combine(day, time(hour), TAIPEI)
        before = self.pure.balances()
        try:
            with self._write() as session:
                stored = comptime.request_leave(
                    session, self._person(session), starts_at, hours * 60, "tester"
                )
                request_id = stored.request.id
        except NotEnoughComptime as refused:
            usable = self.pure.usable_on(day)
            assert usable < hours * 60
            assert refused.extra["available_minutes"] == usable
            with pytest.raises(InsufficientBalance):
                self.pure.use("refused", hours * 60, day)
            return
        assert request_id is not None
        self.pure, _ = self.pure.use(str(request_id), hours * 60, day)
        taken = self.pure.request_allocations(str(request_id))
        assert self._request_entries(request_id, "use") == sorted(
            (a.grant_id, -a.minutes) for a in taken
        )
        # FIFO: every usable grant that expires before the last one drawn on
        # was emptied by this request.
        drawn = {a.grant_id for a in taken}
        last = max(b.grant.fifo_key for b in before if b.grant.grant_id in drawn)
        left = dict(self.pure.remaining_by_grant())
        for balance in before:
            if balance.grant.usable_on(day) and balance.grant.fifo_key < last:
                assert left[balance.grant.grant_id] == 0, balance.grant
        self.requests[request_id] = Request(request_id, "pending", taken)

    def _open(self, *statuses: str) -> list[int]:
        return sorted(r.request_id for r in self.requests.values() if r.status in statuses)

    @precondition(lambda self: bool(self._open("pending")))
    @rule(data=st.data())
    def approve(self, data: st.DataObject) -> None:
        request_id = data.draw(st.sampled_from(self._open("pending")))
        before = self._stored_remaining()
        with self._write() as session:
            stored = session.get(LeaveRequest, request_id)
            assert stored is not None
            comptime.approve_leave(session, stored, "S1", DECIDED_ON)
        assert self._stored_remaining() == before
        self.requests[request_id].status = "approved"

    def _restored_exactly(self, request_id: int) -> None:
        taken = self.requests[request_id].taken
        assert self._request_entries(request_id, "restore") == sorted(
            (a.grant_id, a.minutes) for a in taken
        )

    @precondition(lambda self: bool(self._open("pending", "approved")))
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        self.cancel_request(data.draw(st.sampled_from(self._open("pending", "approved"))))

    def cancel_request(self, request_id: int) -> None:
        with self._write() as session:
            stored = session.get(LeaveRequest, request_id)
            assert stored is not None
            comptime.cancel_leave(session, self._person(session), stored, DECIDED_ON)
        self.pure, _ = self.pure.cancel(str(request_id), DECIDED_ON)
        self._restored_exactly(request_id)
        self.requests[request_id].status = "cancelled"

    @precondition(lambda self: bool(self._open("pending")))
    @rule(data=st.data(), business_necessity=st.booleans(), refused_on=DAYS)
    def refuse(self, data: st.DataObject, business_necessity: bool, refused_on: date) -> None:
        request_id = data.draw(st.sampled_from(self._open("pending")))
        self.refuse_request(request_id, business_necessity, refused_on)

    def refuse_request(self, request_id: int, business_necessity: bool, refused_on: date) -> None:
        with self._write() as session:
            stored = session.get(LeaveRequest, request_id)
            assert stored is not None
            comptime.refuse_leave(
                session,
                self._person(session),
                stored,
                by="S1",
                reason="business_necessity" if business_necessity else "other",
                note="year-end closing",
                today=refused_on,
            )
        self.pure, _ = self.pure.cancel(str(request_id), refused_on)
        self._restored_exactly(request_id)
        request = self.requests[request_id]
        request.status = "refused"
        request.business_necessity = business_necessity
        request.refused_on = refused_on

    @rule(today=DAYS)
    def expire(self, today: date) -> None:
        with self._write() as session:
            result = comptime.expire_person(session, self._person(session), today)
        # The pure ledger takes the same decisions from its own record of
        # the refusals: settle what they held on lapsed grants, expire the rest.
        refusals = [
            Refusal(
                request_id=str(r.request_id),
                refused_on=r.refused_on,
                allocations=self.pure.request_allocations(str(r.request_id)),
            )
            for r in self.requests.values()
            if r.status == "refused" and r.business_necessity and r.refused_on is not None
        ]
        decision = settlement_decision(
            PersonStatus.ACTIVE,
            applied=True,
            refused_for_business_necessity=True,
            refusal_on_record=True,
            budget_exhausted=False,
        )
        settled_now = 0
        for grant_id, minutes in sorted(
            refused_expired_minutes(self.pure, refusals, today).items()
        ):
            if grant_id in self.settled:
                continue
            lapsed_on = self.pure.grant(grant_id).expires_on + timedelta(days=1)
            self.pure, _ = self.pure.settle(grant_id, minutes, lapsed_on, decision.outcome.value)
            self.settled.add(grant_id)
            settled_now += 1
        self.pure, expired = self.pure.expire_due(today)
        assert result.expired_minutes == -sum(e.minutes for e in expired)
        assert len(result.settlements) == settled_now
        # Expiring again on the same day finds nothing left to do.
        with self._write() as session:
            again = comptime.expire_person(session, self._person(session), today)
        assert (again.expired_minutes, again.settlements) == (0, [])

    @rule(on=DAYS)
    def transfer(self, on: date) -> None:
        self.serial += 1
        to_agency = f"T{self.serial}"
        before = self.pure.balance
        with self._write() as session:
            moved = comptime.transfer(session, self._person(session), to_agency, on)
        self.pure, _ = self.pure.transfer(to_agency, on)
        assert moved == before == self.pure.balance
        self.agency = to_agency

    # --------------------------------------------------------- invariants

    @invariant()
    def stored_ledger_equals_pure_ledger(self) -> None:
        with Session(self.engine) as session:
            stored = ledger_store.load_ledger(session, PERSON, self.agency)
        assert stored.entries == self.pure.entries
        assert sorted(stored.grants, key=lambda g: g.grant_id) == sorted(
            self.pure.grants, key=lambda g: g.grant_id
        )

    @invariant()
    def balance_is_the_ledger_sum_and_never_negative(self) -> None:
        with Session(self.engine) as session:
            entry_sum = session.execute(
                select(func.coalesce(func.sum(col(ComptimeEntry.minutes)), 0)).where(
                    col(ComptimeEntry.person_id) == PERSON
                )
            ).scalar_one()
            served = ledger_store.person_grants(session, PERSON)
            balance = ledger_store.balance_minutes(session, PERSON)
        assert balance == entry_sum == sum(g[4] for g in served) == self.pure.balance
        assert balance >= 0
        remaining = self._stored_remaining()
        assert remaining == self.pure.remaining_by_grant()
        grants = {g.grant_id: g for g in self.pure.grants}
        assert all(0 <= left <= grants[gid].minutes for gid, left in remaining.items())
        # The balance read lists exactly the grants with minutes left,
        # earliest expiry first.
        assert {str(g[0]) for g in served} == {gid for gid, left in remaining.items() if left}
        keys = [(g[2], g[1]) for g in served]
        assert keys == sorted(keys)

    @invariant()
    def settlements_only_pay_what_a_refusal_held(self) -> None:
        with Session(self.engine) as session:
            rows = session.execute(
                select(col(Settlement.grant_id), col(Settlement.minutes), col(Settlement.amount))
            ).all()
        assert {str(r[0]) for r in rows} == self.settled
        for grant_id, minutes, amount in rows:
            held = sum(
                a.minutes
                for r in self.requests.values()
                if r.status == "refused" and r.business_necessity
                for a in r.taken
                if a.grant_id == str(grant_id)
            )
            assert 0 < minutes <= held
            assert amount == Decimal(0)  # the roster row carries no hourly rate

    @invariant()
    def agency_report_shows_the_pure_ledger(self) -> None:
        """The comp-balance report of the agency holding the person, and of the
        one it started in, against a brute force over the pure ledger: the
        balance and what expires in each of 24 months from November 2024, so
        across two year ends and the Februaries of 2025 and 2026 (grants earned
        on 2024-02-29 included: DAYS spans it)."""
        remaining = self.pure.remaining_by_grant()
        labels = [f"{y}-{m:02d}" for y in (2024, 2025, 2026) for m in range(1, 13)][10:34]
        expiring: dict[str, int] = {}
        for g in self.pure.grants:
            label = g.expires_on.strftime("%Y-%m")
            if remaining[g.grant_id] > 0 and label in labels:
                expiring[label] = expiring.get(label, 0) + remaining[g.grant_id]
        balance = sum(left for left in remaining.values() if left > 0)
        for agency in {self.agency, FIRST_AGENCY}:
            who = Principal(
                sub="hr",
                kind="human",
                person_id="HR",
                agency_code=agency,
                agency_scope=[agency],
                permissions=[REPORTS_READ],
            )
            with Session(self.engine) as session:
                report = reports.comp_balances(session, who, agency, REPORT_DAY, 24)
            assert report.months == labels
            rows = [(r.person_id, r.balance_minutes, r.expiring_by_month) for r in report.rows]
            holds = agency == self.agency and balance > 0
            # Months in calendar order, as the files list them.
            assert rows == ([(PERSON, balance, dict(sorted(expiring.items())))] if holds else [])


def test_database_ledger_follows_the_pure_ledger(apps: dict[str, Any]) -> None:
    engine = apps["attendance"].state.engine

    class Machine(DatabaseLedgerMachine):
        pass

    Machine.engine = engine
    run_state_machine_as_test(Machine, settings=PROPERTY_SETTINGS)


def test_a_sequence_with_every_kind_of_entry(apps: dict[str, Any]) -> None:
    """A fixed sequence touching every entry kind, so a regression shows up
    as a plain failure and not only through a shrunk random example."""
    engine = apps["attendance"].state.engine

    class Machine(DatabaseLedgerMachine):
        pass

    Machine.engine = engine
    machine = Machine()
    machine.grant(date(2023, 1, 1), 120)
    machine.grant(date(2023, 6, 1), 90)
    machine.request(date(2024, 12, 31), 23, 2)
    refused = max(machine.requests)
    machine.refuse_request(refused, business_necessity=True, refused_on=date(2024, 12, 31))
    machine.request(date(2024, 6, 1), 9, 1)
    machine.cancel_request(max(machine.requests))
    machine.expire(date(2025, 1, 1))
    assert machine.settled == {machine.pure.grants[0].grant_id}
    machine.transfer(date(2025, 2, 1))
    machine.grant(date(2025, 3, 1), 60)
    machine.expire(date(2025, 6, 2))
    machine.stored_ledger_equals_pure_ledger()
    machine.balance_is_the_ledger_sum_and_never_negative()
    machine.settlements_only_pay_what_a_refusal_held()
    kinds = {e.kind for e in machine.pure.entries}
    assert kinds == set(EntryKind)
    machine.teardown()
