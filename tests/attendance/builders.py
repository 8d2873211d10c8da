"""Builders for attendance tests: a small roster, tokens per role, records through the API."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi.testclient import TestClient

HR_PERMISSIONS = [
    "attendance:records:read:agency",
    "attendance:records:write:agency",
    "attendance:overtime:request:agency",
    "attendance:comp:request:agency",
    "attendance:comp:transfer:agency",
    "attendance:policy:read:agency",
    "attendance:policy:write:agency",
    "attendance:reports:read:agency",
    "attendance:settlement:read:agency",
]
EMPLOYEE_PERMISSIONS = [
    "attendance:records:read:self",
    "attendance:overtime:request:self",
    "attendance:comp:request:self",
]
SUPERVISOR_PERMISSIONS = [
    "attendance:records:read:unit",
    "attendance:overtime:approve:unit",
    "attendance:comp:approve:unit",
    *EMPLOYEE_PERMISSIONS,
]
IMPORTER_PERMISSIONS = ["attendance:roster:import", "attendance:records:import"]

ROSTER: list[dict[str, Any]] = [
    {"person_id": "S1", "agency_code": "A01", "unit_code": "U1", "hourly_rate": "300"},
    {
        "person_id": "E1",
        "agency_code": "A01",
        "unit_code": "U1",
        "supervisor_id": "S1",
        "hourly_rate": "200",
        "email": "e1@example.gov.tw",
    },
    {
        "person_id": "E2",
        "agency_code": "A01",
        "unit_code": "U1",
        "supervisor_id": "S1",
        "hourly_rate": "250",
    },
    {"person_id": "S9", "agency_code": "A02", "unit_code": "U9"},
    {
        "person_id": "X1",
        "agency_code": "A02",
        "unit_code": "U9",
        "supervisor_id": "S9",
        "hourly_rate": "180",
    },
]


class Actors:
    """Headers for each role, minted for the attendance service."""

    def __init__(self, internal_token: Callable[..., str]) -> None:
        self._token = internal_token

    def headers(self, **principal: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token('attendance', **principal)}"}

    @property
    def hr(self) -> dict[str, str]:
        return self.headers(
            sub="hr.a01", person_id="HR1", agency_scope=["A01"], permissions=HR_PERMISSIONS
        )

    @property
    def hr_a02(self) -> dict[str, str]:
        return self.headers(
            sub="hr.a02", person_id="HR2", agency_scope=["A02"], permissions=HR_PERMISSIONS
        )

    @property
    def hr_authority(self) -> dict[str, str]:
        """HR of a competent authority: A01 and its subordinate A02."""
        return self.headers(
            sub="hr.authority",
            person_id="HR0",
            agency_scope=["A01", "A02"],
            permissions=HR_PERMISSIONS,
        )

    @property
    def importer(self) -> dict[str, str]:
        return self.headers(
            sub="importer",
            kind="machine",
            agency_scope=["A01", "A02"],
            permissions=IMPORTER_PERMISSIONS,
        )

    def employee(self, person_id: str = "E1", agency: str = "A01") -> dict[str, str]:
        return self.headers(
            sub=f"emp.{person_id}",
            person_id=person_id,
            agency_scope=[agency],
            permissions=EMPLOYEE_PERMISSIONS,
        )

    def supervisor(self, person_id: str = "S1", agency: str = "A01") -> dict[str, str]:
        return self.headers(
            sub=f"sup.{person_id}",
            person_id=person_id,
            agency_scope=[agency],
            permissions=SUPERVISOR_PERMISSIONS,
        )

    @property
    def nobody(self) -> dict[str, str]:
        return self.headers(
            sub="other",
            person_id="Z9",
            agency_scope=["A01"],
            permissions=["certs:certificates:read:self"],
        )


def jsonl(rows: list[dict[str, Any]]) -> bytes:
    return "\n".join(json.dumps(r) for r in rows).encode()


def import_roster(
    api: TestClient, actors: Actors, rows: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    response = api.post(
        "/roster/import",
        content=jsonl(rows if rows is not None else ROSTER),
        headers={**actors.importer, "Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def overtime(
    api: TestClient,
    actors: Actors,
    day: date | str,
    minutes: int,
    *,
    person_id: str = "E1",
    compensation: str = "comp",
    expect: int = 201,
    **extra: Any,
) -> dict[str, Any]:
    body = {
        "person_id": person_id,
        "day": str(day),
        "minutes": minutes,
        "assigned_by": "S1",
        "reason": "budget review",
        "compensation": compensation,
        **extra,
    }
    response = api.post("/overtime", json=body, headers=actors.hr)
    assert response.status_code == expect, response.text
    result: dict[str, Any] = response.json()
    return result


def approved_grant(
    api: TestClient, actors: Actors, day: date | str, minutes: int, person_id: str = "E1"
) -> dict[str, Any]:
    """Comp-time overtime recorded and approved by the supervisor: one grant."""
    record = overtime(api, actors, day, minutes, person_id=person_id)
    response = api.post(f"/overtime/{record['id']}/approve", headers=actors.supervisor())
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    assert result["grant_id"] is not None
    return result


def balance(
    api: TestClient, actors: Actors, person_id: str = "E1", as_of: str | None = None
) -> dict[str, Any]:
    params = {"as_of": as_of} if as_of else {}
    response = api.get(f"/persons/{person_id}/comp-time", params=params, headers=actors.hr)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def leave(
    api: TestClient,
    actors: Actors,
    starts_at: str,
    minutes: int,
    *,
    person_id: str = "E1",
    expect: int = 201,
) -> dict[str, Any]:
    response = api.post(
        "/comp-leave",
        json={"starts_at": starts_at, "minutes": minutes},
        headers=actors.employee(person_id),
    )
    assert response.status_code == expect, response.text
    result: dict[str, Any] = response.json()
    return result
