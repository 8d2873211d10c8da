"""Every attendance endpoint: no token → 401, wrong role → 403, another
agency's object → 404 (its agency → 403), a missing object → 404."""

from __future__ import annotations

from typing import Any

import pytest

from tests.attendance.builders import jsonl

TODAY_ISH = "2025-03-03"
LEAVE = {"starts_at": "2025-04-01T09:00:00+08:00", "minutes": 60}
OVERTIME = {
    "person_id": "X1",
    "day": TODAY_ISH,
    "minutes": 60,
    "assigned_by": "S9",
    "reason": "audit",
    "compensation": "comp",
}
DECISION: dict[str, Any] = {}
REFUSAL = {"reason": "business_necessity", "note": "closing"}
IMPORT = jsonl([{"person_id": "Q1", "agency_code": "A01"}])

# (method, path, json body or raw import body); {ot}/{lr}/{pid}/{agency} are filled in.
ENDPOINTS: list[tuple[str, str, Any]] = [
    ("POST", "/roster/import", IMPORT),
    ("GET", "/roster/{pid}", None),
    ("GET", "/agencies/{agency}/policy", None),
    ("PUT", "/agencies/{agency}/policy", {"validity_months": 12}),
    ("GET", "/agencies/{agency}/limits/regular", None),
    ("PUT", "/agencies/{agency}/limits/regular", {"overrides": {}}),
    (
        "POST",
        "/persons/{pid}/consent-windows",
        {"starts_on": "2025-03-01", "ends_on": "2025-03-31"},
    ),
    ("POST", "/attendance-records", {"person_id": "{pid}", "day": TODAY_ISH}),
    ("POST", "/attendance-records/import?source=s", IMPORT),
    ("POST", "/overtime", {**OVERTIME, "person_id": "{pid}"}),
    ("GET", "/overtime", None),
    ("POST", "/overtime/import?source=s", IMPORT),
    ("GET", "/overtime/{ot}", None),
    ("POST", "/overtime/{ot}/approve", DECISION),
    ("POST", "/overtime/{ot}/reject", DECISION),
    ("GET", "/persons/{pid}/comp-time", None),
    ("GET", "/persons/{pid}/comp-time/entries", None),
    # A destination within the A01 callers' scope, so the person check decides.
    ("POST", "/persons/{pid}/comp-time/transfer", {"to_agency": "A01"}),
    ("POST", "/comp-leave", {**LEAVE, "person_id": "{pid}"}),
    ("GET", "/comp-leave", None),
    ("GET", "/comp-leave/{lr}", None),
    ("POST", "/comp-leave/{lr}/approve", None),
    ("POST", "/comp-leave/{lr}/refuse", REFUSAL),
    ("POST", "/comp-leave/{lr}/cancel", None),
    ("GET", "/reports/monthly-overtime?agency_code={agency}&month=2025-03", None),
    ("GET", "/reports/comp-balances?agency_code={agency}", None),
    ("GET", "/authority-reports?agency_code={agency}", None),
    ("GET", "/settlements?agency_code={agency}", None),
    ("GET", "/settlements/export?agency_code={agency}", None),
    ("GET", "/me/notices", None),
    ("GET", "/audit/personal-data-reads", None),
]
IDS = [f"{m} {p.split('?')[0]}" for m, p, _ in ENDPOINTS]


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        for key, replacement in ids.items():
            value = value.replace("{" + key + "}", replacement)
        return value
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def _call(api, method: str, path: str, body: Any, ids: dict[str, str], headers=None):
    headers = dict(headers or {})
    url = _fill(path, ids)
    if isinstance(body, bytes):
        headers["Content-Type"] = "application/x-ndjson"
        return api.request(method, url, content=body, headers=headers)
    return api.request(method, url, json=_fill(body, ids), headers=headers)


@pytest.fixture
def other_agency(api, actors, roster) -> dict[str, str]:
    """An overtime record and a pending leave request of X1, in agency A02."""
    sup = actors.supervisor("S9", "A02")
    first = api.post("/overtime", json={**OVERTIME, "day": "2025-03-04"}, headers=actors.hr_a02)
    assert first.status_code == 201, first.text
    assert api.post(f"/overtime/{first.json()['id']}/approve", headers=sup).status_code == 200
    record = api.post("/overtime", json=OVERTIME, headers=actors.hr_a02).json()
    request = api.post("/comp-leave", json=LEAVE, headers=actors.employee("X1", "A02"))
    assert request.status_code == 201, request.text
    return {"ot": str(record["id"]), "lr": str(request.json()["id"]), "pid": "X1", "agency": "A02"}


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=IDS)
def test_no_token_is_401(api, method, path, body):
    ids = {"ot": "1", "lr": "1", "pid": "E1", "agency": "A01"}
    response = _call(api, method, path, body, ids)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=IDS)
def test_wrong_role_is_403(api, actors, method, path, body):
    ids = {"ot": "1", "lr": "1", "pid": "E1", "agency": "A01"}
    assert _call(api, method, path, body, ids, actors.nobody).status_code == 403


def _actor_for(actors, method: str, path: str):
    """The A01 role that holds the endpoint's permission family."""
    if "/approve" in path or "/reject" in path or "/refuse" in path:
        return actors.supervisor("S1", "A01")
    if path.endswith("/cancel"):
        return actors.employee("E1", "A01")
    return actors.hr


AGENCY_ADDRESSED = {p for _, p, _ in ENDPOINTS if "{agency}" in p}
OBJECT_ADDRESSED = [
    (m, p, b)
    for m, p, b in ENDPOINTS
    if any(k in p for k in ("{ot}", "{lr}", "{pid}")) or (isinstance(b, dict) and "person_id" in b)
]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    OBJECT_ADDRESSED,
    ids=[f"{m} {p.split('?')[0]}" for m, p, _ in OBJECT_ADDRESSED],
)
def test_another_agencys_object_is_404(api, actors, other_agency, method, path, body):
    response = _call(api, method, path, body, other_agency, _actor_for(actors, method, path))
    assert response.status_code == 404, response.text


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [e for e in ENDPOINTS if e[1] in AGENCY_ADDRESSED],
    ids=[f"{m} {p.split('?')[0]}" for m, p, _ in ENDPOINTS if p in AGENCY_ADDRESSED],
)
def test_another_agency_is_404(api, actors, method, path, body):
    # The officer holds an agency scope, so an agency outside it reads as missing.
    ids = {"agency": "A02"}
    assert _call(api, method, path, body, ids, actors.hr).status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "body"),
    OBJECT_ADDRESSED,
    ids=[f"{m} {p.split('?')[0]}" for m, p, _ in OBJECT_ADDRESSED],
)
def test_missing_object_is_404(api, actors, roster, method, path, body):
    ids = {"ot": "999999", "lr": "999999", "pid": "NOBODY", "agency": "A01"}
    response = _call(api, method, path, body, ids, _actor_for(actors, method, path))
    assert response.status_code == 404, response.text


def test_imports_never_write_outside_the_importers_agencies(api, actors, roster):
    only_a01 = actors.headers(
        sub="imp",
        kind="machine",
        agency_scope=["A01"],
        permissions=["attendance:roster:import", "attendance:records:import"],
    )
    headers = {**only_a01, "Content-Type": "application/x-ndjson"}
    roster_rows = jsonl(
        [{"person_id": "X1", "agency_code": "A01"}, {"person_id": "N1", "agency_code": "A02"}]
    )
    result = api.post("/roster/import", content=roster_rows, headers=headers).json()
    assert (result["failed"], result["created"]) == (2, 0)
    overtime_rows = jsonl(
        [
            {
                "source_id": "1",
                "person_id": "X1",
                "day": TODAY_ISH,
                "minutes": 60,
                "assigned_by": "S9",
                "reason": "r",
                "compensation": "pay",
            }
        ]
    )
    result = api.post("/overtime/import?source=s", content=overtime_rows, headers=headers).json()
    assert (result["failed"], result["created"]) == (1, 0)


def test_unit_supervisor_sees_the_unit_but_not_other_units(api, actors, roster):
    from tests.attendance.builders import overtime

    overtime(api, actors, TODAY_ISH, 60, person_id="E2")
    seen = api.get("/overtime", headers=actors.supervisor()).json()["items"]
    assert [r["person_id"] for r in seen] == ["E2"]
    assert api.get("/overtime", headers=actors.supervisor("S9", "A02")).json()["items"] == []
    assert api.get("/overtime", headers=actors.employee("E1")).json()["items"] == []
