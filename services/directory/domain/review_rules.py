"""What an account review looks for (帳號權限妥適性及帳號留存必要性). Pure: no HTTP, no DB.

Two kinds of use are measured. Per account, `accounts.last_used_at`, written
(to the minute) whenever the gateway resolves the account: an active account
unused for more than N days is `idle`. Per role, `role_usage.last_used_on`:
for every request it allows, the gateway notes the account, the permission
family the route needed (`training:records:read`) and the Taipei day, and
reports them in batches; the directory credits each role of the account that
grants the family (`training:records:read` itself or a scoped form such as
`training:records:read:agency`), see `roles_granting` and `last_use_by_role`.
A role an active account holds is unused when it was granted more than N days
ago and was not used within the last N days (`role_unused`); a role granted
recently has had no time to be used yet.

What the gateway cannot tell apart, the review cannot either: when two roles of
an account grant the same family, a request needing it counts as a use of
both; and a request is credited to the family the route needs, not to the
scope the service then applied.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from services.directory.roles import NON_HUMAN_KINDS, grants_family

Finding = Literal["idle", "machine_without_owner", "machine_without_allow_list", "holder_left"]
IDLE: Finding = "idle"
MACHINE_WITHOUT_OWNER: Finding = "machine_without_owner"
MACHINE_WITHOUT_ALLOW_LIST: Finding = "machine_without_allow_list"
HOLDER_LEFT: Finding = "holder_left"
# Person statuses meaning "no longer in service".
GONE = ("left", "deceased")


@dataclass(frozen=True)
class AccountFacts:
    name: str
    kind: str
    status: str
    created_at: datetime
    last_used_at: datetime | None
    allowed_networks: tuple[str, ...]
    roles: tuple[str, ...]
    # The holder (human) or the person answerable for it (machine) is in service.
    person_in_service: bool


def idle_since(facts: AccountFacts) -> datetime:
    """Last use; for an account never used, its creation (it has been idle since)."""
    return facts.last_used_at or facts.created_at


def idle_for_days(facts: AccountFacts, now: datetime) -> int:
    return max((now - idle_since(facts)).days, 0)


def findings(facts: AccountFacts, now: datetime, idle_days: int) -> list[Finding]:
    """Why the account needs a reviewer's attention (empty when it does not).

    Idleness and the machine-account rules concern active accounts only: a
    disabled account cannot be used. The account of a holder who left is
    reported whatever its status, because whether it should still exist at
    all is the reviewer's question too."""
    out: list[Finding] = []
    if facts.status == "active":
        if now - idle_since(facts) > timedelta(days=idle_days):
            out.append(IDLE)
        # A service account answers to an owner and a network like a machine one.
        if facts.kind in NON_HUMAN_KINDS:
            if not facts.person_in_service:
                out.append(MACHINE_WITHOUT_OWNER)
            if not facts.allowed_networks:
                out.append(MACHINE_WITHOUT_ALLOW_LIST)
    if facts.kind == "human" and not facts.person_in_service:
        out.append(HOLDER_LEFT)
    return out


def roles_granting(family: str, held: Mapping[str, Iterable[str]]) -> list[str]:
    """The roles among `held` (role → its permissions) that grant `family`, sorted."""
    return sorted(
        role
        for role, permissions in held.items()
        if any(grants_family(p, family) for p in permissions)
    )


def last_use_by_role(
    held: Mapping[str, Iterable[str]], uses: Iterable[tuple[str, date]]
) -> dict[str, date]:
    """role → the latest day one of `uses` (family, day) needed a family it grants;
    roles no use needed are left out."""
    latest: dict[str, date] = {}
    by_family: dict[str, date] = {}
    for family, day in uses:
        if family not in by_family or by_family[family] < day:
            by_family[family] = day
    for family, day in by_family.items():
        for role in roles_granting(family, held):
            if role not in latest or latest[role] < day:
                latest[role] = day
    return latest


@dataclass(frozen=True)
class RoleGrant:
    """A role an account holds: since when, and the last day it was used."""

    account: str
    role: str
    granted_on: date
    last_used_on: date | None


def role_unused(grant: RoleGrant, today: date, days: int) -> bool:
    """Granted more than `days` days before `today` and not used since: a role
    used, or granted, exactly `days` days ago is not (yet) unused."""
    cutoff = today - timedelta(days=days)
    return grant.granted_on < cutoff and (grant.last_used_on is None or grant.last_used_on < cutoff)


def unused_roles(grants: Iterable[RoleGrant], today: date, days: int) -> dict[str, list[RoleGrant]]:
    """role → its unused grants, by account; both sorted."""
    unused: dict[str, list[RoleGrant]] = defaultdict(list)
    for grant in sorted(grants, key=lambda g: (g.role, g.account)):
        if role_unused(grant, today, days):
            unused[grant.role].append(grant)
    return dict(unused)
