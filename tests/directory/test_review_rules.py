"""Findings of the account review, on facts with controlled timestamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.directory.review_rules import (
    AccountFacts,
    findings,
    idle_for_days,
    roles_of_idle_accounts,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _facts(
    name="a",
    *,
    kind="human",
    status="active",
    created=400,
    used=None,
    networks=("10.0.0.0/8",),
    roles=("employee",),
    in_service=True,
):
    return AccountFacts(
        name=name,
        kind=kind,
        status=status,
        created_at=NOW - timedelta(days=created),
        last_used_at=None if used is None else NOW - timedelta(days=used),
        allowed_networks=tuple(networks),
        roles=tuple(roles),
        person_in_service=in_service,
    )


def test_idle_is_strictly_more_than_the_threshold():
    assert findings(_facts(used=90), NOW, 90) == []
    assert findings(_facts(used=90.01), NOW, 90) == ["idle"]
    assert findings(_facts(used=91), NOW, 90) == ["idle"]
    assert findings(_facts(used=91), NOW, 120) == []


def test_never_used_is_idle_since_creation():
    assert findings(_facts(created=30), NOW, 90) == []
    assert findings(_facts(created=91), NOW, 90) == ["idle"]
    assert idle_for_days(_facts(created=91), NOW) == 91
    assert idle_for_days(_facts(created=400, used=3), NOW) == 3


def test_machine_accounts_need_an_owner_in_service_and_an_allow_list():
    machine = _facts(kind="machine", used=1, networks=(), in_service=False)
    assert findings(machine, NOW, 90) == ["machine_without_owner", "machine_without_allow_list"]
    assert findings(_facts(kind="machine", used=1), NOW, 90) == []


def test_holder_who_left_is_reported_even_when_disabled():
    assert findings(_facts(used=1, in_service=False), NOW, 90) == ["holder_left"]
    disabled = _facts(status="disabled", used=400, in_service=False)
    assert findings(disabled, NOW, 90) == ["holder_left"]


def test_disabled_accounts_are_neither_idle_nor_machine_findings():
    assert findings(_facts(status="disabled", used=400), NOW, 90) == []
    machine = _facts(kind="machine", status="disabled", networks=(), in_service=False)
    assert findings(machine, NOW, 90) == []


def test_roles_of_idle_accounts_group_by_role():
    accounts = [
        _facts("b", used=100, roles=("employee", "unit_supervisor")),
        _facts("a", used=200, roles=("employee",)),
        _facts("c", used=5, roles=("hr_officer",)),
        _facts("d", status="disabled", used=300, roles=("hr_officer",)),
    ]
    assert roles_of_idle_accounts(accounts, NOW, 90) == {
        "employee": ["a", "b"],
        "unit_supervisor": ["b"],
    }
