"""A directory with an agency of every type, each with a training officer and
staff, for the lecturer-search grant tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session

from services.common.timeutil import now_utc, today_taipei
from services.directory.models import SearchGrant
from tests.directory.builders import create_account, create_agency, create_person
from tests.directory.conftest import principal

# code → (type, parent)
AGENCIES = {
    "C01": ("competent_authority", None),
    "S01": ("subordinate", "C01"),
    "T01": ("training_institution", None),
    "K01": ("school", None),
    "X01": ("competent_authority", None),
}
QUOTAS = {"competent_authority": 20, "subordinate": 10, "training_institution": 10, "school": 0}
AGENCY_OF_TYPE = {"competent_authority": "C01", "subordinate": "S01", "training_institution": "T01"}


def officer_name(code: str) -> str:
    return f"officer.{code.lower()}"


def staff_name(code: str, i: int) -> str:
    return f"staff.{code.lower()}.{i:02d}"


def officer(code: str) -> dict[str, Any]:
    """The training officer of `code`, as the gateway vouches for them."""
    return principal(
        "training_officer",
        sub=officer_name(code),
        person_id=f"{code}-OFF",
        agency_code=code,
        agency_scope=[code],
    )


def reviewer(*codes: str) -> dict[str, Any]:
    return principal(
        "account_reviewer",
        sub="reviewer.grants",
        person_id="C01-REV",
        agency_code="C01",
        agency_scope=list(codes),
    )


@dataclass(frozen=True)
class Scene:
    staff: int


def build_scene(db: Session, staff: int = 22) -> Scene:
    """Every agency of AGENCIES with a training officer and `staff` employees,
    each with their own human account holding the role employee."""
    for code, (type_, parent) in AGENCIES.items():
        create_agency(db, code, parent, type_=type_)
    for code, (type_, _parent) in AGENCIES.items():
        create_person(db, f"{code}-OFF", code)
        create_account(db, officer_name(code), f"{code}-OFF", code, roles=("training_officer",))
        # Enough for a competent authority's 20 places and more; 12 elsewhere.
        for i in range(1, (staff if type_ == "competent_authority" else 12) + 1):
            create_person(db, f"{code}-E{i:02d}", code)
            create_account(db, staff_name(code, i), f"{code}-E{i:02d}", code, roles=("employee",))
    create_person(db, "C01-REV", "C01")
    create_account(db, "reviewer.grants", "C01-REV", "C01", roles=("account_reviewer",))
    return Scene(staff=staff)


def tomorrow() -> str:
    return (today_taipei() + timedelta(days=1)).isoformat()


def stored_grant(
    db: Session,
    code: str,
    i: int,
    ends_on: date,
    *,
    revoked: bool = False,
    granted_at: datetime | None = None,
) -> SearchGrant:
    """A grant as stored, made without the rules: for states the API cannot make
    directly (one that ended yesterday)."""
    grant = SearchGrant(
        agency_code=code,
        grantee_account=staff_name(code, i),
        grantee_person_id=f"{code}-E{i:02d}",
        granted_by=officer_name(code),
        granted_at=granted_at or now_utc() - timedelta(days=30),
        ends_on=ends_on,
    )
    if revoked:
        grant.revoked_at, grant.revoked_by, grant.revoked_reason = now_utc(), "x", "test"
    db.add(grant)
    db.commit()
    return grant
