"""Role × operation: for every role and every public operation, the gateway
forwards exactly what the reviewed matrix in role_matrix.json says, and denies
(403, nothing forwarded) everything else. A change of roles or routes shows up
here as a diff to review, not silently."""

from __future__ import annotations

import json
from pathlib import Path

from gateway.route_policy import ROUTES
from services.directory.roles import CATALOGUE
from tests.gateway.role_matrix import matrix

EXPECTED = json.loads((Path(__file__).parent / "role_matrix.json").read_text())


def test_every_role_and_operation_is_in_the_reviewed_matrix():
    assert set(EXPECTED) == {role.name for role in CATALOGUE}
    operations = {f"{m} {t}" for m, t in ROUTES}
    for role, allowed in EXPECTED.items():
        assert set(allowed) <= operations, role


def test_gateway_decisions_match_the_matrix(tmp_path):
    actual = matrix(tmp_path)
    for role in EXPECTED:
        assert sorted(actual[role]) == sorted(EXPECTED[role]), role


def test_separation_of_duties_in_the_matrix():
    # The administrator manages accounts but reads no one's records.
    admin = EXPECTED["system_admin"]
    assert not any("/persons" in op and op.startswith("GET") for op in admin)
    assert not any(op.startswith("GET /api/training/records") for op in admin)
    assert not any("/comp-time" in op for op in admin)
    # An employee never reaches account management or audit logs.
    employee = EXPECTED["employee"]
    assert not any("/accounts" in op or "/audit/" in op for op in employee)
