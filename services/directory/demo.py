"""A small demo directory: one ministry, two subordinate agencies, a training
institute, a handful of people and one account per role worth trying.

Every name and national ID is invented (the IDs are checksum-valid only so
that they pass validation). Nothing is written when any agency already exists,
except the services' own accounts (`svc.<service>`), which a demo directory
seeded before they existed gets added.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlmodel import Session, select

from services.common.service_identity import service_account
from services.directory.domain import client_secrets, national_id
from services.directory.models import (
    Account,
    AccountRole,
    Agency,
    ClientSecret,
    Person,
    Unit,
)
from services.directory.settings import DEVELOPMENT_NATIONAL_ID_KEY
from services.directory.store.roles import sync_catalogue

LOOPBACK = ["127.0.0.1/32", "::1/128"]
SOURCE = "demo"

AGENCIES = (
    ("A01", "示範部", "competent_authority", None),
    ("A02", "示範部第一署", "subordinate", "A01"),
    ("A03", "示範部第二署", "subordinate", "A01"),
    ("T01", "示範部人員研習中心", "training_institution", "A01"),
)
UNITS = (
    ("A01", "HR", "人事處"),
    ("A01", "IT", "資訊處"),
    ("A01", "GEN", "綜合規劃司"),
    ("A02", "HR", "人事室"),
    ("A02", "OPS", "業務組"),
    ("A03", "HR", "人事室"),
    ("T01", "EDU", "教務組"),
)
# id, name, agency, unit code, supervisor, first nine characters of the national ID
PERSONS = (
    ("P0001", "林志明", "A01", "IT", None, "A10000001"),
    ("P0002", "陳美玲", "A01", "HR", None, "B20000002"),
    ("P0006", "黃淑芬", "A01", "GEN", None, "C20000006"),
    ("P0003", "王小華", "A01", "GEN", "P0006", "D10000003"),
    ("P0004", "張雅婷", "A01", "IT", "P0001", "E20000004"),
    ("P0005", "李建宏", "A01", "GEN", "P0006", "F10000005"),
    ("P0007", "吳俊傑", "A02", "OPS", None, "G10000007"),
    ("P0008", "蔡佩珊", "A03", "HR", None, "H20000008"),
    ("P0009", "鄭家豪", "T01", "EDU", None, "J10000009"),
)
# name, kind, person, agency, include subordinates, roles, purpose
ACCOUNTS = (
    ("admin", "human", "P0001", "A01", True, ("system_admin",), None),
    ("hr.a01", "human", "P0002", "A01", True, ("hr_officer",), None),
    ("emp.a01", "human", "P0003", "A01", False, ("employee",), None),
    ("auditor", "human", "P0004", "A01", True, ("security_auditor",), None),
    ("trainer.a01", "human", "P0005", "A01", True, ("training_officer",), None),
    (
        "importer.elearn",
        "machine",
        "P0002",
        "A01",
        True,
        ("importer", "importer_elearn"),
        "Nightly sync from the e-learning platform: personnel and learning records",
    ),
    (
        "gateway",
        "service",
        "P0001",
        "A01",
        False,
        ("service",),
        "The renshi gateway: resolves principals and machine credentials",
    ),
)


# Each service's own account, for its jobs' calls to other services through
# the gateway: service → (roles, purpose). Owned by the system administrator's
# person, reachable from loopback only. A service whose jobs call no other
# service holds no role: its account can do nothing until one needs a grant.
SERVICE_OWNER = "P0001"
SERVICE_ACCOUNTS: dict[str, tuple[tuple[str, ...], str]] = {
    "directory": ((), "The directory service's own jobs (none calls another service yet)"),
    "training": (
        ("service_training",),
        "The training service's own jobs: the nightly roster sync from the directory",
    ),
    "certs": (
        ("service_certs",),
        "The certs service's own jobs: the nightly pull of AI hours from training",
    ),
    "attendance": ((), "The attendance service's own jobs (none calls another service yet)"),
    "speakers": ((), "The speakers service's own jobs (none calls another service yet)"),
}


def seed_service_accounts(session: Session, secrets: Mapping[str, str]) -> list[str]:
    """Create each service's account that is missing, with `secrets[service]`
    (when given) as its client secret; returns the services whose account was
    created now, so that the caller keeps only those secrets. The caller commits."""
    created = []
    for service, (roles, purpose) in SERVICE_ACCOUNTS.items():
        name = service_account(service)
        if session.get(Account, name) is not None:
            continue
        session.add(
            Account(
                name=name,
                kind="service",
                person_id=SERVICE_OWNER,
                agency_code="A01",
                include_subordinates=False,
                purpose=purpose,
                allowed_networks=list(LOOPBACK),
            )
        )
        session.flush()
        for role in roles:
            session.add(AccountRole(account=name, role=role))
        secret = secrets.get(service)
        if secret:
            session.add(ClientSecret(account=name, secret_hash=client_secrets.hash_secret(secret)))
        created.append(service)
    session.flush()
    return created


def seed_demo(
    session: Session,
    importer_secret: str | None = None,
    *,
    gateway_secret: str | None = None,
    service_secrets: Mapping[str, str] | None = None,
    national_id_key: str = DEVELOPMENT_NATIONAL_ID_KEY,
) -> list[str]:
    """Seed the demo when the directory is empty; the caller commits.

    The role catalogue is restored every time. `importer_secret` (and
    `gateway_secret`) become client secrets of those accounts, and
    `service_secrets` (service → secret) those of the services' own accounts;
    without them the accounts exist but cannot authenticate until a secret is
    added. Returns the services whose account was created by this call."""
    sync_catalogue(session)
    if session.exec(select(Agency).limit(1)).first() is not None:
        # A demo directory from before the services had accounts: add them.
        owner = session.get(Person, SERVICE_OWNER)
        if owner is not None and session.get(Account, "admin") is not None:
            return seed_service_accounts(session, service_secrets or {})
        return []
    for code, name, type_, parent in AGENCIES:
        session.add(Agency(code=code, name=name, type=type_, parent_code=parent))
        session.flush()
    units: dict[tuple[str, str], int | None] = {}
    for agency, code, name in UNITS:
        unit = Unit(agency_code=agency, code=code, name=name)
        session.add(unit)
        session.flush()
        units[(agency, code)] = unit.id
    for pid, name, agency, unit_code, boss, stem in PERSONS:
        digest, masked = national_id.protected_forms(
            national_id.with_check_digit(stem), national_id_key
        )
        session.add(
            Person(
                id=pid,
                name=name,
                agency_code=agency,
                unit_id=units[(agency, unit_code)],
                supervisor_id=boss,
                national_id_hmac=digest,
                national_id_masked=masked,
                email=f"{pid.lower()}@demo.example.gov.tw",
                source=SOURCE,
            )
        )
        session.flush()
    secrets = {"importer.elearn": importer_secret, "gateway": gateway_secret}
    for name, kind, person, agency, subordinates, roles, purpose in ACCOUNTS:
        session.add(
            Account(
                name=name,
                kind=kind,
                person_id=person,
                agency_code=agency,
                include_subordinates=subordinates,
                purpose=purpose,
                allowed_networks=list(LOOPBACK),
            )
        )
        session.flush()
        for role in roles:
            session.add(AccountRole(account=name, role=role))
        secret = secrets.get(name)
        if secret:
            session.add(ClientSecret(account=name, secret_hash=client_secrets.hash_secret(secret)))
    session.flush()
    return seed_service_accounts(session, service_secrets or {})
