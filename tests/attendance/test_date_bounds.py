"""Months, days and instants are checked at the edge: within ROC 1 (1912-01-01)
to 2100-12-31 on the Taipei calendar, a month 01–12. Anything else is a 422
problem+json naming the field and the reason, never a 500, and the refused
value is not echoed."""

from __future__ import annotations

from typing import Any

import pytest

from tests.attendance.builders import approved_grant, jsonl

TOO_LATE = "9999-12-31"
OVERTIME = {
    "person_id": "E1",
    "minutes": 60,
    "assigned_by": "S1",
    "reason": "budget review",
    "compensation": "comp",
}


def _refused(response, field: str) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert field in [e["field"] for e in errors], errors
    error = next(e for e in errors if e["field"] == field)
    assert error["reason"]
    return error


# ------------------------------------------------------------------ months


@pytest.mark.parametrize("month", ["2026-13", "0000-00", "2026-00", "1911-12", "2101-01"])
def test_monthly_report_refuses_a_month_outside_the_range(api, actors, roster, month):
    response = api.get(
        "/reports/monthly-overtime",
        params={"agency_code": "A01", "month": month},
        headers=actors.hr,
    )
    _refused(response, "query.month")
    assert month not in response.text


@pytest.mark.parametrize("month", ["1912-01", "2100-12"])
def test_monthly_report_takes_the_first_and_last_months_of_the_range(api, actors, roster, month):
    response = api.get(
        "/reports/monthly-overtime",
        params={"agency_code": "A01", "month": month},
        headers=actors.hr,
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("month", ["2026-13", "0000-00"])
def test_overtime_list_refuses_a_month_outside_the_range(api, actors, roster, month):
    response = api.get("/overtime", params={"month": month}, headers=actors.hr)
    _refused(response, "query.month")


# -------------------------------------------------------------------- days


def test_overtime_on_the_last_day_datetime_knows_is_refused(api, actors, roster):
    response = api.post("/overtime", json={**OVERTIME, "day": TOO_LATE}, headers=actors.hr)
    error = _refused(response, "body.day")
    assert "2100-12-31" in error["reason"]
    assert TOO_LATE not in response.text


def test_overtime_on_the_last_day_of_the_range_is_recorded(api, actors, roster):
    response = api.post("/overtime", json={**OVERTIME, "day": "2100-12-31"}, headers=actors.hr)
    assert response.status_code == 201, response.text


def test_overtime_before_roc_1_is_refused(api, actors, roster):
    response = api.post("/overtime", json={**OVERTIME, "day": "1911-12-31"}, headers=actors.hr)
    _refused(response, "body.day")


def test_attendance_record_day_is_bounded(api, actors, roster):
    response = api.post(
        "/attendance-records", json={"person_id": "E1", "day": TOO_LATE}, headers=actors.hr
    )
    _refused(response, "body.day")


def test_transfer_day_is_bounded(api, actors, roster):
    response = api.post(
        "/persons/E1/comp-time/transfer",
        json={"to_agency": "A02", "on": TOO_LATE},
        headers=actors.hr_authority,
    )
    _refused(response, "body.on")


def test_consent_window_days_are_bounded(api, actors, roster):
    response = api.post(
        "/persons/E1/consent-windows",
        json={"starts_on": "9999-11-01", "ends_on": TOO_LATE},
        headers=actors.hr,
    )
    _refused(response, "body.starts_on")
    _refused(response, "body.ends_on")


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/persons/E1/comp-time", {"as_of": TOO_LATE}),
        ("/reports/comp-balances", {"agency_code": "A01", "as_of": TOO_LATE}),
        ("/me/notices", {"since": TOO_LATE}),
    ],
)
def test_query_days_are_bounded(api, actors, roster, path, params):
    name = next(k for k in params if k != "agency_code")
    headers = actors.employee() if path == "/me/notices" else actors.hr
    _refused(api.get(path, params=params, headers=headers), f"query.{name}")


def test_balance_report_at_the_end_of_the_range_still_answers(api, actors, roster):
    # Twelve month labels from December 2100 run past the range: still no 500.
    response = api.get(
        "/reports/comp-balances",
        params={"agency_code": "A01", "as_of": "2100-12-31", "months": 24},
        headers=actors.hr,
    )
    assert response.status_code == 200, response.text


# --------------------------------------------------------------- instants


@pytest.mark.parametrize(
    "starts_at",
    [
        "9999-12-31T23:59:59-12:00",  # past datetime's last year once in Taipei
        "0001-01-01T00:00:00+14:00",  # before its first instant in UTC
        "2100-12-31T16:00:00+00:00",  # already 2101-01-01 in Taipei
        "1911-12-31T15:59:59+00:00",  # still 1911 in Taipei
    ],
)
def test_comp_leave_start_outside_the_range_is_refused(api, actors, roster, starts_at):
    approved_grant(api, actors, "2025-03-01", 120)
    response = api.post(
        "/comp-leave",
        json={"starts_at": starts_at, "minutes": 60},
        headers=actors.employee(),
    )
    _refused(response, "body.starts_at")
    assert starts_at not in response.text


def test_comp_leave_start_on_the_last_taipei_day_is_taken_as_a_day_in_range(api, actors, roster):
    # 2100-12-31 23:59 in Taipei, written in UTC: within the range. (The grant
    # has expired by then, so the answer is the rule's 409, not a 422 or 500.)
    approved_grant(api, actors, "2025-03-01", 120)
    response = api.post(
        "/comp-leave",
        json={"starts_at": "2100-12-31T15:59:00+00:00", "minutes": 60},
        headers=actors.employee(),
    )
    assert response.status_code == 409, response.text


def test_overtime_start_and_clock_times_are_bounded(api, actors, roster):
    response = api.post(
        "/overtime",
        json={**OVERTIME, "starts_at": "9999-12-31T23:59:59-12:00"},
        headers=actors.hr,
    )
    _refused(response, "body.starts_at")
    response = api.post(
        "/attendance-records",
        json={
            "person_id": "E1",
            "day": "2025-03-03",
            "clock_in": "0001-01-01T00:00:00+14:00",
            "clock_out": "2025-03-03T18:00:00+08:00",
        },
        headers=actors.hr,
    )
    _refused(response, "body.clock_in")


# ----------------------------------------------------------------- imports


def test_imported_rows_outside_the_range_are_row_errors(api, actors, roster):
    headers = {**actors.importer, "Content-Type": "application/x-ndjson"}
    rows = [
        {"source_id": "r1", **OVERTIME, "day": TOO_LATE},
        {"source_id": "r2", **OVERTIME, "starts_at": "0001-01-01T00:00:00+14:00"},
        {"source_id": "r3", **OVERTIME, "day": "2025-03-04"},
    ]
    response = api.post("/overtime/import?source=s", content=jsonl(rows), headers=headers)
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["created"], result["failed"]) == (1, 2)
    assert sorted(e["field"] for e in result["errors"]) == ["day", "starts_at"]
    records = [
        {"source_id": "a1", "person_id": "E1", "day": TOO_LATE},
    ]
    response = api.post(
        "/attendance-records/import?source=s", content=jsonl(records), headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["failed"] == 1
    roster_rows = [{"person_id": "E1", "agency_code": "A01", "cycle_anchor": TOO_LATE}]
    response = api.post("/roster/import", content=jsonl(roster_rows), headers=headers)
    assert response.status_code == 200, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["cycle_anchor"]
