"""Fixtures of the directory tests: principals built from the role catalogue,
a client that signs as them, and a session on the directory database."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import Session

from services.directory.roles import catalogue_by_name
from services.directory.store.roles import sync_catalogue
from services.directory.store.search_grants import sync_policy_quotas

ALL_AGENCIES = ["A01", "A02", "A03", "T01"]


def permissions_of(*roles: str) -> list[str]:
    catalogue = catalogue_by_name()
    return sorted({p for role in roles for p in catalogue[role].permissions})


def principal(*roles: str, **fields: Any) -> dict[str, Any]:
    """Claims of an internal token for an account holding `roles`."""
    fields.setdefault("permissions", permissions_of(*roles))
    fields.setdefault("roles", list(roles))
    return fields


ADMIN = principal(
    "system_admin", sub="admin", person_id="P0001", agency_code="A01", agency_scope=ALL_AGENCIES
)
HR_A01 = principal(
    "hr_officer", sub="hr.a01", person_id="P0002", agency_code="A01", agency_scope=ALL_AGENCIES
)
HR_A02 = principal(
    "hr_officer", sub="hr.a02", person_id="P0007", agency_code="A02", agency_scope=["A02"]
)
EMPLOYEE = principal(
    "employee", sub="emp.a01", person_id="P0003", agency_code="A01", agency_scope=["A01"]
)
SUPERVISOR = principal(
    "employee",
    "unit_supervisor",
    sub="boss.a01",
    person_id="P0006",
    agency_code="A01",
    agency_scope=["A01"],
)
AUDITOR = principal(
    "security_auditor",
    sub="auditor",
    person_id="P0004",
    agency_code="A01",
    agency_scope=ALL_AGENCIES,
)
REVIEWER = principal(
    "account_reviewer",
    sub="reviewer.a01",
    person_id="P0006",
    agency_code="A01",
    agency_scope=ALL_AGENCIES,
)
REVIEWER_A02 = principal(
    "account_reviewer",
    sub="reviewer.a02",
    person_id="P0007",
    agency_code="A02",
    agency_scope=["A02"],
)
IMPORTER = principal(
    "importer",
    sub="importer.elearn",
    kind="machine",
    agency_code="A01",
    agency_scope=["A01", "A02"],
)
# The learning-record importer as the gateway vouches for it, and as training's
# token exchange passes it on: A01 and its subordinate A02, not A03.
ELEARN = principal(
    "importer_elearn",
    sub="importer.elearn",
    kind="machine",
    agency_code="A01",
    agency_scope=["A01", "A02"],
)
GATEWAY = principal(
    "service", sub="gateway", kind="service", agency_code="A01", agency_scope=["A01"]
)


class Api:
    """client("directory") plus a token per call: api.get(path, as_=HR_A01)."""

    def __init__(self, client: Any, token: Any) -> None:
        self.client = client
        self.token = token

    def request(
        self, method: str, path: str, as_: dict[str, Any] | None = None, **kwargs: Any
    ) -> Any:
        headers = dict(kwargs.pop("headers", {}) or {})
        if as_ is not None:
            headers["Authorization"] = f"Bearer {self.token('directory', **as_)}"
        return self.client.request(method, path, headers=headers, **kwargs)

    def get(self, path: str, as_: dict[str, Any] | None = None, **kw: Any) -> Any:
        return self.request("GET", path, as_, **kw)

    def post(self, path: str, as_: dict[str, Any] | None = None, **kw: Any) -> Any:
        return self.request("POST", path, as_, **kw)

    def patch(self, path: str, as_: dict[str, Any] | None = None, **kw: Any) -> Any:
        return self.request("PATCH", path, as_, **kw)

    def put(self, path: str, as_: dict[str, Any] | None = None, **kw: Any) -> Any:
        return self.request("PUT", path, as_, **kw)

    def delete(self, path: str, as_: dict[str, Any] | None = None, **kw: Any) -> Any:
        return self.request("DELETE", path, as_, **kw)


@pytest.fixture
def apps(service_apps):
    """Overrides the suite-wide fixture for these tests: they only touch the
    directory database, so only its tables are emptied afterwards (other
    services' schemas may be mid-change without breaking these tests)."""
    from services.directory.models import metadata
    from tests.conftest import _empty_tables

    yield service_apps
    _empty_tables(service_apps["directory"].state.engine, metadata)


@pytest.fixture
def engine(apps):
    return apps["directory"].state.engine


@pytest.fixture
def db(engine) -> Iterator[Session]:
    # The suite empties every table between tests, the seeded roles and search
    # quotas included: put them back first.
    with Session(engine, expire_on_commit=False) as session:
        sync_catalogue(session)
        sync_policy_quotas(session)
        session.commit()
        yield session


@pytest.fixture
def api(client, internal_token, db) -> Api:
    return Api(client("directory"), internal_token)


@pytest.fixture
def demo(db) -> Session:
    """The demo directory (see services/directory/demo.py), committed."""
    from services.directory.demo import seed_demo

    seed_demo(db, "importer-secret-for-tests-0001", gateway_secret="gateway-secret-for-tests-01")
    db.commit()
    return db
