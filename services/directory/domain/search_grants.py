"""Delegated lecturer search (授權查詢人員): who a training officer may authorise,
until when, and how many at once. Pure: no HTTP, no DB.

Seed 000 (公務人力發展學院 item 1) widens the academy's lecturer search to
non-training staff whom their agency's training officer authorises, within a
quota per agency type: 20 for a competent authority, 10 for a subordinate
agency, 10 for a training institution. Training officers search by their own
role and take no place. A grant is active from the moment it is made until
the end of its `ends_on` day in Taipei, unless revoked earlier; an expired or
revoked grant takes no place, so places free themselves without any job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, Protocol

from services.directory.domain.account_rules import Breach

GrantStatus = Literal["active", "expired", "revoked"]
GRANT_STATUSES: tuple[GrantStatus, ...] = ("active", "expired", "revoked")

# What the grant gives, exactly as a role would: the speakers service asks for
# nothing else of a searcher.
SEARCH_PERMISSION = "speakers:search"

# The quotas the policy names; a school (and any type added later) gets none:
# the policy gives schools no places, and the directory denies what no rule
# allows. The migrated table holds these, and the table is what counts.
POLICY_QUOTAS: Mapping[str, int] = {
    "competent_authority": 20,
    "subordinate": 10,
    "training_institution": 10,
    "school": 0,
}

# The longest term a grant may run: up to the same day a year later, so that
# nobody holds search access a training officer has not confirmed within a year.
MAX_TERM_YEARS = 1


class GrantFacts(Protocol):
    """A stored grant as the rules see it."""

    @property
    def ends_on(self) -> date: ...

    @property
    def revoked_at(self) -> datetime | None: ...


def status(grant: GrantFacts, today: date) -> GrantStatus:
    """Revoked wins over expired: it says who ended the grant and why."""
    if grant.revoked_at is not None:
        return "revoked"
    if grant.ends_on < today:
        return "expired"
    return "active"


def is_active(grant: GrantFacts, today: date) -> bool:
    return status(grant, today) == "active"


def quota_for(agency_type: str, quotas: Mapping[str, int]) -> int:
    """The places of an agency of `agency_type`; none for a type without a row."""
    return max(quotas.get(agency_type, 0), 0)


def latest_end(today: date) -> date:
    """The last `ends_on` a grant made `today` may have: the same day a year on
    (28 Feb for a grant made on 29 Feb)."""
    year = today.year + MAX_TERM_YEARS
    try:
        return today.replace(year=year)
    except ValueError:
        return today.replace(year=year, day=28)


def end_errors(ends_on: date, today: date) -> list[Breach]:
    """Why `ends_on` cannot end a grant made `today` (Taipei days)."""
    if ends_on < today:
        return [
            Breach(
                field="body.ends_on",
                code="in_the_past",
                reason=f"the end date is before today ({today.isoformat()}, Taipei)",
            )
        ]
    latest = latest_end(today)
    if ends_on > latest:
        return [
            Breach(
                field="body.ends_on",
                code="too_far",
                reason=f"a grant runs at most one year: end on or before {latest.isoformat()}",
            )
        ]
    return []


@dataclass(frozen=True)
class Grantee:
    """The account to be authorised, and the person holding it."""

    account: str
    kind: str
    account_status: str
    person_agency: str
    person_status: str
    # One of the account's roles already grants the search (a training officer's does).
    searches_by_role: bool
    has_active_grant: bool


def grantee_errors(grantee: Grantee | None, agency_code: str) -> list[Breach]:
    """Why this account cannot be authorised to search for `agency_code`.

    Only a person of the agency, in service, through their own human account:
    a machine account never searches on a person's behalf, and a training
    officer needs no grant (they search by role and take no place)."""
    field = "body.account"
    if grantee is None:
        return [Breach(field=field, code="unknown_account", reason="no such account")]
    errors: list[Breach] = []
    if grantee.kind != "human":
        errors.append(
            Breach(field=field, code="not_human", reason="only a person's own account may search")
        )
    if grantee.account_status != "active":
        errors.append(
            Breach(field=field, code="account_disabled", reason="the account is disabled")
        )
    if grantee.person_agency != agency_code:
        errors.append(
            Breach(
                field=field,
                code="other_agency",
                reason=f"the account's holder does not work at agency {agency_code}",
            )
        )
    if grantee.person_status != "active":
        errors.append(
            Breach(field=field, code="not_in_service", reason="the holder is not in service")
        )
    if grantee.searches_by_role:
        errors.append(
            Breach(
                field=field,
                code="searches_by_role",
                reason="the account already searches by its role (a training officer "
                "needs no grant and takes no place)",
            )
        )
    if grantee.has_active_grant:
        errors.append(
            Breach(
                field=field,
                code="already_granted",
                reason="the account already holds an active grant; revoke it to change its end",
            )
        )
    return errors


def quota_errors(quota: int, in_use: int) -> list[Breach]:
    """Why one more grant does not fit: every place of the agency is taken."""
    if in_use < quota:
        return []
    return [
        Breach(
            field="path.code",
            code="quota_reached",
            reason=f"every search place of this agency is in use ({in_use} of {quota})",
        )
    ]
