"""Monitoring reports and exports, and the roster import they rest on."""

from __future__ import annotations

import io
from datetime import date, timedelta

from openpyxl import load_workbook

from tests.attendance.builders import ROSTER, approved_grant, import_roster, jsonl


def _month_of_overtime(api, actors, person_id: str, hours_per_day: int, days: int) -> None:
    rows: list[dict[str, object]] = []
    day = date(2025, 3, 3)
    while len(rows) < days:
        if day.weekday() < 5:
            rows.append(
                {
                    "source_id": f"{person_id}-{day}",
                    "person_id": person_id,
                    "day": day.isoformat(),
                    "minutes": hours_per_day * 60,
                    "assigned_by": "S1",
                    "reason": "audit",
                    "compensation": "pay",
                }
            )
        day += timedelta(days=1)
    response = api.post(
        "/overtime/import",
        params={"source": "webitr"},
        content=jsonl(rows),
        headers={**actors.importer, "Content-Type": "application/x-ndjson"},
    )
    assert response.json()["failed"] == 0, response.text


def test_monthly_overtime_report_lists_over_60h_and_the_45h_care_list(api, actors):
    rows = [dict(r, regime="shift") if r["person_id"] == "E1" else r for r in ROSTER]
    import_roster(api, actors, rows)
    _month_of_overtime(api, actors, "E1", 4, 16)  # 64 h: shift workers may reach 80 h
    _month_of_overtime(api, actors, "E2", 3, 15)  # 45 h: care
    params = {"agency_code": "A01", "month": "2025-03"}
    report = api.get("/reports/monthly-overtime", params=params, headers=actors.hr).json()
    assert [p["person_id"] for p in report["over_limit"]] == ["E1"]
    assert [p["person_id"] for p in report["needs_care"]] == ["E1", "E2"]
    csv_file = api.get(
        "/reports/monthly-overtime", params={**params, "format": "csv"}, headers=actors.hr
    )
    assert csv_file.headers["content-type"].startswith("text/csv")
    assert csv_file.content.decode("utf-8-sig").splitlines()[1] == "E1,3840,64.0,true,true"
    xlsx = api.get(
        "/reports/monthly-overtime", params={**params, "format": "xlsx"}, headers=actors.hr
    )
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    assert sheet["A2"].value == "E1"
    assert [r["person_id"] for r in report["rows"]] == ["E1", "E2"]


def test_balance_report_for_budget_planning(api, actors, roster):
    approved_grant(api, actors, "2023-03-10", 120)
    params = {"agency_code": "A01", "as_of": "2025-01-15", "months": 3}
    report = api.get("/reports/comp-balances", params=params, headers=actors.hr).json()
    assert report["months"] == ["2025-01", "2025-02", "2025-03"]
    (row,) = report["rows"]
    assert (row["person_id"], row["balance_minutes"], row["expiring_by_month"]) == (
        "E1",
        120,
        {"2025-03": 120},
    )
    assert row["exposure"] == "400"
    xlsx = api.get("/reports/comp-balances", params={**params, "format": "xlsx"}, headers=actors.hr)
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["餘額 balances", "圖 chart"]
    assert book["餘額 balances"]["A2"].value == "E1"


def test_roster_import_is_idempotent_and_reports_rows(api, actors):
    first = import_roster(api, actors)
    assert (first["created"], first["failed"]) == (len(ROSTER), 0)
    again = import_roster(api, actors)
    assert (again["created"], again["unchanged"]) == (0, len(ROSTER))
    csv_body = (
        b"person_id,agency_code,hourly_rate,status\n"
        b"E1,A01,210,active\nBAD,A01,-5,active\nE9,A01,100,retired\n"
    )
    result = api.post(
        "/roster/import", content=csv_body, headers={**actors.importer, "Content-Type": "text/csv"}
    ).json()
    assert (result["updated"], result["failed"]) == (1, 2)
    assert {e["row"] for e in result["errors"]} == {2, 3}
    dry = api.post(
        "/roster/import?dry_run=true",
        content=jsonl([{"person_id": "NEW", "agency_code": "A01"}]),
        headers={**actors.importer, "Content-Type": "application/x-ndjson"},
    ).json()
    assert dry["created"] == 1
    assert api.get("/roster/NEW", headers=actors.hr).status_code == 404
