"""At the gateway (the role-matrix approach, tests/gateway): the principal the
directory resolves for an account decides whether `GET /api/speakers/…` is
forwarded. Without a grant a staff member is refused 403 and nothing reaches
the speakers service; with one, the request goes through; once the grant is
revoked, the next resolution refuses again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session

from services.common.timeutil import now_utc
from services.directory.service import principals as principal_use_case
from tests.databases import fresh_database
from tests.directory.search_grant_scene import build_scene, officer, staff_name, tomorrow
from tests.gateway.harness import AUDIT_DATABASE, build

SEARCH = "/api/speakers/lecturers"


@pytest.fixture(scope="module", autouse=True)
def gateway_audit_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database("gateway", tmp_path_factory.mktemp("gateway-db")) as url:
        AUDIT_DATABASE["url"] = url
        yield url


def _resolved(db: Session, account: str) -> dict[str, object]:
    with Session(db.get_bind()) as session:
        resolved = principal_use_case.resolve_principal(session, account, now_utc())
        session.commit()
    return resolved.model_dump()


def _forwarded(tmp_path: Path, db: Session, account: str) -> tuple[int, bool]:
    """A fresh gateway (no cached principal) asked for a lecturer search."""
    client, harness = build(tmp_path)
    harness.accounts[account] = _resolved(db, account)
    with client:
        before = harness.recorder.count
        response = client.get(SEARCH, headers={"Authorization": f"Bearer {harness.token(account)}"})
        return response.status_code, harness.recorder.count > before


def test_a_searcher_needs_a_grant_at_the_gateway(api, db, tmp_path):
    build_scene(db)
    grantee = staff_name("C01", 1)
    status, forwarded = _forwarded(tmp_path / "before", db, grantee)
    assert (status, forwarded) == (403, False)
    granted = api.post(
        "/agencies/C01/search-grants",
        as_=officer("C01"),
        json={"account": grantee, "ends_on": tomorrow()},
    )
    assert granted.status_code == 201
    assert _forwarded(tmp_path / "granted", db, grantee)[1]
    # A training officer searches by role, no grant needed.
    assert _forwarded(tmp_path / "officer", db, "officer.c01")[1]
    revoked = api.post(
        f"/agencies/C01/search-grants/{granted.json()['id']}/revoke",
        as_=officer("C01"),
        json={"reason": "no longer needed"},
    )
    assert revoked.status_code == 200
    assert _forwarded(tmp_path / "revoked", db, grantee) == (403, False)
