"""Every work-hour limit through the API: the record at the limit is kept, the
one past it is refused with problem+json naming the limit, figures and regime."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from tests.attendance.builders import import_roster, jsonl

MONDAY = date(2025, 3, 3)
SATURDAY = date(2025, 3, 8)


def _worker(api, actors, regime: str) -> None:
    import_roster(
        api,
        actors,
        [
            {"person_id": "S1", "agency_code": "A01", "unit_code": "U1"},
            {
                "person_id": "W1",
                "agency_code": "A01",
                "unit_code": "U1",
                "supervisor_id": "S1",
                "regime": regime,
            },
        ],
    )


def _post(api, actors, day: date, minutes: int, **extra: Any):
    body = {
        "person_id": "W1",
        "day": day.isoformat(),
        "minutes": minutes,
        "assigned_by": "S1",
        "reason": "flood response",
        "compensation": "pay",
        **extra,
    }
    return api.post("/overtime", json=body, headers=actors.hr)


def _refused(response, limit: str, regime: str) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("/work-hour-limit")
    assert problem["regime"] == regime
    codes = [v["limit"] for v in problem["violations"]]
    assert limit in codes, codes
    violation = next(v for v in problem["violations"] if v["limit"] == limit)
    assert violation["actual_minutes"] >= 0 and violation["limit_minutes"] >= 0
    return violation


def _weekdays(start: date, count: int) -> list[date]:
    days: list[date] = []
    day = start
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def _import(api, actors, rows: list[dict[str, Any]]) -> dict[str, Any]:
    body = [
        {
            "source_id": f"r{i}",
            "person_id": "W1",
            "assigned_by": "S1",
            "reason": "peak",
            "compensation": "pay",
            **row,
        }
        for i, row in enumerate(rows)
    ]
    response = api.post(
        "/overtime/import",
        params={"source": "webitr"},
        content=jsonl(body),
        headers={**actors.importer, "Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    assert result["failed"] == 0, result
    return result


def test_weekday_overtime_at_and_over_four_hours(api, actors):
    _worker(api, actors, "regular")
    assert _post(api, actors, MONDAY, 240).status_code == 201
    v = _refused(_post(api, actors, MONDAY, 1), "weekday_overtime", "regular")
    assert (v["limit_minutes"], v["actual_minutes"]) == (240, 241)


def test_daily_total_named_with_the_standard_day(api, actors):
    _worker(api, actors, "regular")
    v = _refused(_post(api, actors, MONDAY, 241), "daily_total", "regular")
    assert (v["limit_minutes"], v["actual_minutes"]) == (720, 721)


def test_rest_day_overtime_at_and_over_twelve_hours(api, actors):
    _worker(api, actors, "regular")
    assert _post(api, actors, SATURDAY, 720).status_code == 201
    v = _refused(_post(api, actors, SATURDAY, 1), "rest_day_overtime", "regular")
    assert (v["limit_minutes"], v["actual_minutes"]) == (720, 721)


def test_monthly_overtime_sixty_hours(api, actors):
    _worker(api, actors, "regular")
    _import(
        api,
        actors,
        [{"day": d.isoformat(), "minutes": 240} for d in _weekdays(date(2025, 3, 3), 15)],
    )
    v = _refused(_post(api, actors, date(2025, 3, 31), 1), "monthly_overtime", "regular")
    assert (v["limit_minutes"], v["actual_minutes"]) == (3600, 3601)


def test_shift_worker_monthly_eighty_hours(api, actors):
    _worker(api, actors, "shift")
    _import(
        api,
        actors,
        [
            {"day": (date(2025, 3, 1) + timedelta(days=i)).isoformat(), "minutes": 240}
            for i in range(20)
        ],
    )
    v = _refused(_post(api, actors, date(2025, 3, 25), 1), "monthly_overtime", "shift")
    assert v["limit_minutes"] == 4800


def _clock(api, actors, source_id: str, start: str, end: str) -> dict[str, Any]:
    response = api.post(
        "/attendance-records",
        headers=actors.hr,
        json={
            "person_id": "W1",
            "day": start[:10],
            "clock_in": start,
            "clock_out": end,
            "source": "clock",
            "source_id": source_id,
        },
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def test_clocked_shifts_too_close_are_kept_with_a_warning(api, actors):
    _worker(api, actors, "shift")
    first = _clock(api, actors, "c0", "2025-03-03T08:00:00+08:00", "2025-03-03T16:00:00+08:00")
    assert first["warnings"] == []
    second = _clock(api, actors, "c1", "2025-03-04T02:00:00+08:00", "2025-03-04T10:00:00+08:00")
    (warning,) = second["warnings"]
    assert (warning["limit"], warning["regime"]) == ("shift_rest", "shift")
    assert (warning["limit_minutes"], warning["actual_minutes"]) == (660, 600)
    assert "10 h rest" in warning["message"]
    # Overtime after the later shift does not touch the short rest: kept.
    assert _post(api, actors, date(2025, 3, 4), 60).status_code == 201
    # Overtime extending the earlier shift shortens it further: refused with
    # the rest it would leave (9 h), not the clocked shifts' 10 h.
    response = _post(api, actors, date(2025, 3, 3), 60)
    v = _refused(response, "shift_rest", "shift")
    assert (v["limit_minutes"], v["actual_minutes"]) == (660, 540)
    assert "9 h rest" in response.json()["detail"]


def test_shift_rest_counts_the_overtime_around_it(api, actors):
    _worker(api, actors, "shift")
    for i, (start, end) in enumerate(
        [
            ("2025-03-03T08:00:00+08:00", "2025-03-03T16:00:00+08:00"),
            ("2025-03-04T06:00:00+08:00", "2025-03-04T14:00:00+08:00"),
        ]
    ):
        assert _clock(api, actors, f"c{i}", start, end)["warnings"] == []
    # Before the later shift, 02:30–06:00: 10 h 30 min after the earlier one.
    response = _post(api, actors, date(2025, 3, 4), 210, starts_at="2025-03-04T02:30:00+08:00")
    v = _refused(response, "shift_rest", "shift")
    assert (v["limit_minutes"], v["actual_minutes"]) == (660, 630)
    assert "10 h 30 min rest" in response.json()["detail"]
    # Without a start the overtime follows the earlier shift: 16:00–19:30.
    response = _post(api, actors, date(2025, 3, 3), 210)
    v = _refused(response, "shift_rest", "shift")
    assert (v["limit_minutes"], v["actual_minutes"]) == (660, 630)
    assert "10 h 30 min rest" in response.json()["detail"]
    assert _post(api, actors, date(2025, 3, 3), 180).status_code == 201  # 11 h exactly


def test_attendance_import_warns_of_a_short_rest_per_row(api, actors):
    _worker(api, actors, "shift")
    rows = [
        {
            "source_id": "c0",
            "person_id": "W1",
            "day": "2025-03-03",
            "clock_in": "2025-03-03T08:00:00+08:00",
            "clock_out": "2025-03-03T16:00:00+08:00",
        },
        {
            "source_id": "c1",
            "person_id": "W1",
            "day": "2025-03-04",
            "clock_in": "2025-03-04T02:00:00+08:00",
            "clock_out": "2025-03-04T10:00:00+08:00",
        },
    ]
    response = api.post(
        "/attendance-records/import",
        params={"source": "clock"},
        content=jsonl(rows),
        headers={**actors.importer, "Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["created"], result["failed"]) == (2, 0)
    (warning,) = result["warnings"]
    assert (warning["row"], warning["limit"], warning["regime"]) == (2, "shift_rest", "shift")
    assert (warning["limit_minutes"], warning["actual_minutes"]) == (660, 600)


def test_a_refusal_names_every_limit_it_breaks(api, actors):
    _worker(api, actors, "regular")
    response = _post(api, actors, MONDAY, 270)  # 8 h + 4 h 30 min on a weekday
    _refused(response, "daily_total", "regular")
    problem = response.json()
    assert [v["limit"] for v in problem["violations"]] == ["daily_total", "weekday_overtime"]
    errors = {e["code"]: e for e in problem["errors"]}
    assert set(errors) == {"daily_total", "weekday_overtime"}
    for code, limit, actual in [("daily_total", 720, 750), ("weekday_overtime", 240, 270)]:
        entry = errors[code]
        assert entry["field"] == "body.minutes"
        assert (entry["limit"], entry["regime"]) == (code, "regular")
        assert (entry["limit_minutes"], entry["actual_minutes"]) == (limit, actual)
        assert entry["reason"] in problem["detail"]
    assert "12 h 30 min in the day" in problem["detail"]
    assert "4 h 30 min overtime" in problem["detail"]


def test_exception_regime_day_over_fourteen_hours_only_when_urgent(api, actors):
    _worker(api, actors, "exception")
    assert _post(api, actors, MONDAY, 360).status_code == 201  # 8 h + 6 h = 14 h
    _refused(_post(api, actors, MONDAY, 1), "daily_total", "exception")
    assert _post(api, actors, MONDAY, 60, urgent=True).status_code == 201


def test_exception_regime_no_fourth_long_day_in_a_row(api, actors):
    _worker(api, actors, "exception")
    for day in _weekdays(MONDAY, 3):
        assert _post(api, actors, day, 420, urgent=True).status_code == 201
    v = _refused(
        _post(api, actors, MONDAY + timedelta(days=3), 420, urgent=True),
        "consecutive_long_days",
        "exception",
    )
    assert (v["limit_days"], v["actual_days"]) == (3, 4)


def test_long_days_are_flagged_and_listed_for_the_authority(api, actors):
    _worker(api, actors, "exception")
    created = _post(api, actors, MONDAY, 420, urgent=True).json()
    assert created["reports"] == ["long_day"]
    listed = api.get("/authority-reports", params={"agency_code": "A01"}, headers=actors.hr)
    assert listed.status_code == 200
    (case,) = listed.json()["items"]
    assert (case["code"], case["person_id"], case["event_day"]) == ("long_day", "W1", "2025-03-03")
    assert case["actual_minutes"] == 900


def test_exception_regime_monthly_eighty_hours(api, actors):
    _worker(api, actors, "exception")
    _import(
        api,
        actors,
        [{"day": d.isoformat(), "minutes": 300} for d in _weekdays(date(2025, 3, 3), 16)],
    )
    _refused(_post(api, actors, date(2025, 3, 31), 1), "monthly_overtime", "exception")


def test_special_major_project_two_hundred_forty_hours_in_three_months(api, actors):
    _worker(api, actors, "special_major_project")
    rows = [{"day": d.isoformat(), "minutes": 360} for d in _weekdays(date(2025, 1, 1), 40)]
    _import(api, actors, rows)  # 40 × 6 h = 240 h over January–February
    v = _refused(
        _post(api, actors, date(2025, 3, 3), 60), "three_month_overtime", "special_major_project"
    )
    assert (v["limit_minutes"], v["actual_minutes"]) == (14400, 14460)


def test_seasonal_work_over_sixty_hours_needs_a_consent_window(api, actors):
    _worker(api, actors, "seasonal")
    _import(
        api,
        actors,
        [{"day": d.isoformat(), "minutes": 240} for d in _weekdays(date(2025, 3, 3), 15)],
    )
    _refused(_post(api, actors, date(2025, 3, 31), 60), "seasonal_consent", "seasonal")
    window = api.post(
        "/persons/W1/consent-windows",
        headers=actors.hr,
        json={"starts_on": "2025-03-01", "ends_on": "2025-04-30"},
    )
    assert window.status_code == 201, window.text
    assert _post(api, actors, date(2025, 3, 31), 60).status_code == 201


def test_agency_tightened_limits_are_data(api, actors):
    _worker(api, actors, "regular")
    response = api.put(
        "/agencies/A01/limits/regular",
        headers=actors.hr,
        json={"overrides": {"weekday_overtime": 180}},
    )
    assert response.status_code == 200, response.text
    assert response.json()["effective"]["weekday_overtime"] == 180
    assert _post(api, actors, MONDAY, 180).status_code == 201
    _refused(_post(api, actors, MONDAY, 1), "weekday_overtime", "regular")


def test_limits_cannot_be_loosened(api, actors):
    response = api.put(
        "/agencies/A01/limits/regular",
        headers=actors.hr,
        json={"overrides": {"monthly_overtime": 5000}},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.overrides.monthly_overtime"


@pytest.mark.parametrize("regime", ["regular", "seasonal"])
def test_import_keeps_good_rows_and_names_the_limit_per_row(api, actors, regime):
    _worker(api, actors, regime)
    rows = [
        {
            "source_id": "a",
            "person_id": "W1",
            "day": "2025-03-03",
            "minutes": 240,
            "assigned_by": "S1",
            "reason": "r",
            "compensation": "pay",
        },
        {
            "source_id": "b",
            "person_id": "W1",
            "day": "2025-03-03",
            "minutes": 60,
            "assigned_by": "S1",
            "reason": "r",
            "compensation": "pay",
        },
        {
            "source_id": "c",
            "person_id": "W1",
            "day": "2025-03-04",
            "minutes": 0,
            "assigned_by": "S1",
            "reason": "r",
            "compensation": "pay",
        },
        {
            "source_id": "d",
            "person_id": "X1",
            "day": "2025-03-04",
            "minutes": 60,
            "assigned_by": "S1",
            "reason": "r",
            "compensation": "pay",
        },
    ]
    headers = {**actors.importer, "Content-Type": "application/x-ndjson"}
    first = api.post(
        "/overtime/import", params={"source": "webitr"}, content=jsonl(rows), headers=headers
    ).json()
    assert (first["rows"], first["created"], first["failed"]) == (4, 1, 3)
    fields = {e["row"]: e["field"] for e in first["errors"]}
    assert fields[2] == "limit:daily_total"
    assert fields[3] == "minutes"
    again = api.post(
        "/overtime/import", params={"source": "webitr"}, content=jsonl(rows), headers=headers
    ).json()
    assert (again["created"], again["unchanged"]) == (0, 1)
