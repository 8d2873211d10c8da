"""Findings of the account review, on facts with controlled timestamps."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.directory.domain.review_rules import (
    AccountFacts,
    RoleGrant,
    findings,
    idle_for_days,
    last_use_by_role,
    role_unused,
    roles_granting,
    unused_roles,
)
from services.directory.roles import catalogue_by_name

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TODAY = date(2026, 11, 23)


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


HR = catalogue_by_name()["hr_officer"].permissions
AUDITOR = catalogue_by_name()["security_auditor"].permissions


def _ago(days: int) -> date:
    return TODAY - timedelta(days=days)


# held: role → permissions; uses: (family, days ago); then the role asked about,
# the days since it was granted, N, and whether it is unused.
UNUSED_CASES = [
    pytest.param({"hr_officer": HR}, [], "hr_officer", 200, 90, True, id="never-used"),
    pytest.param({"hr_officer": HR}, [], "hr_officer", 90, 90, False, id="granted-exactly-N-days"),
    pytest.param({"hr_officer": HR}, [], "hr_officer", 91, 90, True, id="granted-N+1-days"),
    pytest.param({"hr_officer": HR}, [], "hr_officer", 3, 90, False, id="granted-recently"),
    pytest.param(
        {"hr_officer": HR},
        [("training:records:read", 90)],
        "hr_officer",
        400,
        90,
        False,
        id="used-exactly-N-days-ago",
    ),
    pytest.param(
        {"hr_officer": HR},
        [("training:records:read", 91)],
        "hr_officer",
        400,
        90,
        True,
        id="used-N+1-days-ago",
    ),
    pytest.param(
        # The role holds training:records:read:agency; the route needs the family.
        {"hr_officer": HR},
        [("training:records:read", 5)],
        "hr_officer",
        400,
        90,
        False,
        id="used-via-a-scoped-grant",
    ),
    pytest.param(
        # Any of the families the role grants counts: here its last one.
        {"hr_officer": HR},
        [("training:records:read", 200), ("attendance:settlement:read", 10)],
        "hr_officer",
        400,
        90,
        False,
        id="role-granting-several-families",
    ),
    pytest.param(
        # The account used a family of its other role only.
        {"employee": catalogue_by_name()["employee"].permissions, "hr_officer": HR},
        [("training:records:read", 1)],
        "employee",
        400,
        90,
        False,
        id="a-family-two-roles-grant-counts-for-both",
    ),
    pytest.param(
        {"security_auditor": AUDITOR, "hr_officer": HR},
        [("gateway:audit:read", 1)],
        "hr_officer",
        400,
        90,
        True,
        id="use-of-another-role-only",
    ),
    pytest.param(
        # A prefix of a segment is not the family: `training:records:re` grants nothing.
        {"hr_officer": HR},
        [("training:records:re", 1), ("training:record", 1)],
        "hr_officer",
        400,
        90,
        True,
        id="not-a-family-of-the-role",
    ),
    pytest.param(
        {"hr_officer": HR},
        [("training:records:read", 100)],
        "hr_officer",
        400,
        120,
        False,
        id="longer-threshold",
    ),
]


@pytest.mark.parametrize(("held", "uses", "role", "granted", "days", "unused"), UNUSED_CASES)
def test_role_unused(held, uses, role, granted, days, unused):
    latest = last_use_by_role(held, [(family, _ago(ago)) for family, ago in uses])
    grant = RoleGrant("a", role, _ago(granted), latest.get(role))
    assert role_unused(grant, TODAY, days) is unused


def test_roles_granting_a_family_scoped_or_not():
    held = {
        "employee": ("training:records:read:self",),
        "hr_officer": ("training:records:read:agency", "training:records:write:agency"),
        "lecturer": ("speakers:profile:read:self",),
        "importer_elearn": ("training:imports:elearn",),
    }
    assert roles_granting("training:records:read", held) == ["employee", "hr_officer"]
    assert roles_granting("training:records:write", held) == ["hr_officer"]
    assert roles_granting("speakers:profile", held) == ["lecturer"]
    assert roles_granting("speakers:search", held) == []
    assert roles_granting("training:imports", held) == ["importer_elearn"]
    assert roles_granting("training:records", held) == ["employee", "hr_officer"]
    assert roles_granting("training:record", held) == []


def test_last_use_by_role_keeps_the_latest_day_per_role():
    held = {"hr_officer": HR, "security_auditor": AUDITOR}
    uses = [
        ("training:records:read", date(2026, 11, 1)),
        ("training:records:write", date(2026, 11, 20)),
        ("training:records:read", date(2026, 10, 1)),
        ("speakers:search", date(2026, 11, 22)),  # neither role grants it
    ]
    assert last_use_by_role(held, uses) == {"hr_officer": date(2026, 11, 20)}


def test_unused_roles_group_by_role_then_account():
    old, recent = TODAY - timedelta(days=200), TODAY - timedelta(days=5)
    grants = [
        RoleGrant("b", "employee", old, None),
        RoleGrant("a", "employee", old, old),
        RoleGrant("a", "hr_officer", old, recent),
        RoleGrant("c", "hr_officer", recent, None),
        RoleGrant("c", "unit_supervisor", old, TODAY - timedelta(days=91)),
    ]
    assert unused_roles(grants, TODAY, 90) == {
        "employee": [grants[1], grants[0]],
        "unit_supervisor": [grants[4]],
    }
    assert unused_roles(grants, TODAY, 365) == {}
