"""At the gateway: the roles of the directory's catalogue decide which certs
operations are forwarded at all (the role-matrix approach, tests/gateway). A
refused request never reaches the certs service."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from services.directory.roles import catalogue_by_name
from tests.databases import fresh_database
from tests.gateway.harness import AUDIT_DATABASE, account, build

ROLES = catalogue_by_name()


@pytest.fixture(scope="module", autouse=True)
def gateway_audit_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database("gateway", tmp_path_factory.mktemp("gateway-db")) as url:
        AUDIT_DATABASE["url"] = url
        yield url


# role → (method, path, forwarded?)
CASES = {
    "employee": [
        ("GET", "/api/certs/catalogue", True),
        ("POST", "/api/certs/certificates", True),
        ("GET", "/api/certs/certificates/1", True),
        ("PUT", "/api/certs/certificates/1/evidence", True),
        ("POST", "/api/certs/certificates/1/verify", False),
        ("POST", "/api/certs/catalogue", False),
        ("PUT", "/api/certs/agencies/A01/warning-lead-times", False),
        ("GET", "/api/certs/persons/P1/talent-roles", True),
        ("GET", "/api/certs/persons/P1/talent-stage", True),
        ("GET", "/api/certs/persons/P1/readiness", True),
        ("GET", "/api/certs/persons/P1/promotion-points", True),
        ("POST", "/api/certs/persons/P1/talent-roles", False),
        ("PUT", "/api/certs/agencies/A01/promotion-points/2026", False),
        # The family is held (as :self): forwarded, and refused by the service,
        # which reaches agencies only with :agency.
        ("GET", "/api/certs/agencies/A01/promotion-points/2026", True),
        ("GET", "/api/certs/staffing/persons", False),
        ("POST", "/api/certs/staffing/team-proposals", False),
        ("GET", "/api/certs/agencies/A01/webhr-table51.csv", False),
    ],
    "hr_officer": [
        ("POST", "/api/certs/certificates/1/verify", True),
        ("POST", "/api/certs/certificates/1/revoke", True),
        ("GET", "/api/certs/staffing/persons", True),
        ("POST", "/api/certs/staffing/team-proposals", True),
        ("GET", "/api/certs/agencies/A01/webhr-table51.csv", True),
        ("GET", "/api/certs/agencies/A01/staffing-summary.xlsx", True),
        ("PUT", "/api/certs/agencies/A01/warning-lead-times", True),
        ("GET", "/api/certs/certificates/1/evidence", True),
        ("POST", "/api/certs/catalogue", False),
        ("POST", "/api/certs/certificate-imports", False),
        ("POST", "/api/certs/persons/P1/talent-roles", True),
        ("POST", "/api/certs/persons/P1/talent-roles/1/end", True),
        ("PUT", "/api/certs/agencies/A01/promotion-points/2026", True),
        ("GET", "/api/certs/agencies/A01/promotion-points/2026", True),
    ],
    "certs_catalogue_officer": [
        ("POST", "/api/certs/catalogue", True),
        ("PUT", "/api/certs/catalogue/1", True),
        ("GET", "/api/certs/certificates", False),
        ("POST", "/api/certs/certificates/1/verify", False),
        ("GET", "/api/certs/persons/P1/talent-roles", False),
    ],
    "security_auditor": [
        ("GET", "/api/certs/audit/personal-data-reads", True),
        ("GET", "/api/certs/certificates", False),
    ],
}


@pytest.mark.parametrize("role", sorted(CASES))
def test_each_role_reaches_exactly_its_operations(tmp_path: Path, role: str) -> None:
    client, harness = build(tmp_path)
    name = f"user.{role}"
    harness.accounts[name] = account(name, roles=[role], permissions=list(ROLES[role].permissions))
    with client:
        token = harness.token(name)
        for method, path, forwarded in CASES[role]:
            before = harness.recorder.count
            response = client.request(
                method, path, headers={"Authorization": f"Bearer {token}"}, json={}
            )
            reached = harness.recorder.count > before
            assert reached == forwarded, (role, method, path, response.status_code)
            if not forwarded:
                assert response.status_code == 403, (role, method, path)
