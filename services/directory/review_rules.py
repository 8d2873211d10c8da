"""What an account review looks for (帳號權限妥適性及帳號留存必要性). Pure: no HTTP, no DB.

What the directory knows about use is `accounts.last_used_at`, written (to the
minute) whenever the gateway resolves the account. The gateway does not say
which permission a request used, so "roles unused for N days" cannot be
measured role by role; the review lists instead the roles held by accounts
idle for N days, and says so in the report.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

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
        if facts.kind == "machine":
            if not facts.person_in_service:
                out.append(MACHINE_WITHOUT_OWNER)
            if not facts.allowed_networks:
                out.append(MACHINE_WITHOUT_ALLOW_LIST)
    if facts.kind == "human" and not facts.person_in_service:
        out.append(HOLDER_LEFT)
    return out


def roles_of_idle_accounts(
    accounts: Iterable[AccountFacts], now: datetime, idle_days: int
) -> dict[str, list[str]]:
    """role → the idle accounts holding it, both sorted: the stand-in for roles
    unused for `idle_days` (see the module docstring)."""
    held: dict[str, list[str]] = defaultdict(list)
    for facts in sorted(accounts, key=lambda f: f.name):
        if IDLE in findings(facts, now, idle_days):
            for role in facts.roles:
                held[role].append(facts.name)
    return {role: held[role] for role in sorted(held)}
