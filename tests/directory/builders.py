"""Builders of directory rows for tests; each commits."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from services.directory.domain import client_secrets, national_id
from services.directory.models import Account, AccountRole, Agency, ClientSecret, Person, Unit
from services.directory.settings import DEVELOPMENT_NATIONAL_ID_KEY


def create_agency(
    db: Session, code: str, parent: str | None = None, type_: str = "subordinate"
) -> Agency:
    agency = Agency(code=code, name=f"機關{code}", type=type_, parent_code=parent)
    db.add(agency)
    db.commit()
    return agency


def create_unit(db: Session, agency: str, code: str) -> Unit:
    unit = Unit(agency_code=agency, code=code, name=f"單位{code}")
    db.add(unit)
    db.commit()
    return unit


def create_person(
    db: Session,
    pid: str,
    agency: str,
    *,
    unit_id: int | None = None,
    number: str | None = None,
    status: str = "active",
) -> Person:
    person = Person(
        id=pid, name=f"測試{pid}", agency_code=agency, unit_id=unit_id, status=status, source="test"
    )
    if number:
        person.national_id_hmac, person.national_id_masked = national_id.protected_forms(
            number, DEVELOPMENT_NATIONAL_ID_KEY
        )
    db.add(person)
    db.commit()
    return person


def create_account(
    db: Session,
    name: str,
    person: str,
    agency: str,
    *,
    kind: str = "human",
    roles: tuple[str, ...] = (),
    include_subordinates: bool = False,
    status: str = "active",
    networks: tuple[str, ...] = (),
) -> Account:
    account = Account(
        name=name,
        kind=kind,
        person_id=person,
        agency_code=agency,
        status=status,
        include_subordinates=include_subordinates,
        allowed_networks=list(networks),
        purpose="test machine" if kind != "human" else None,
    )
    db.add(account)
    db.flush()
    for role in roles:
        db.add(AccountRole(account=name, role=role))
    db.commit()
    return account


def add_secret(
    db: Session, account: str, secret: str, expires_at: datetime | None = None
) -> ClientSecret:
    row = ClientSecret(
        account=account, secret_hash=client_secrets.hash_secret(secret), expires_at=expires_at
    )
    db.add(row)
    db.commit()
    return row
