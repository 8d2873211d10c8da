"""The attendance reports as files: one operation per representation, `Accept`
honoured, the CSV rows equal to the JSON rows, and workbooks people open."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from tests.attendance.builders import ROSTER, approved_grant, import_roster, jsonl
from tests.common.workbook_checks import (
    chart_sheets,
    check_chart_sheets_drawn,
    check_id_column,
    check_number_column,
    check_table_sheet,
    column_values,
    csv_records,
    page_header,
    workbook,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONTH = {"agency_code": "A01", "month": "2025-03"}
BALANCES = {"agency_code": "A01", "as_of": "2025-01-15", "months": 3}


def _overtime(api, actors, person_id: str, hours_per_day: int, days: int) -> None:
    rows: list[dict[str, object]] = []
    day = date(2025, 3, 2)
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


@pytest.fixture
def month(api, actors) -> dict[str, Any]:
    rows = [dict(r, regime="shift") if r["person_id"] == "E1" else r for r in ROSTER]
    import_roster(api, actors, rows)
    _overtime(api, actors, "E1", 4, 16)  # 64 h
    _overtime(api, actors, "E2", 3, 15)  # 45 h
    response = api.get("/reports/monthly-overtime", params=MONTH, headers=actors.hr)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def balances(api, actors, roster) -> dict[str, Any]:
    approved_grant(api, actors, "2023-03-10", 120)
    approved_grant(api, actors, "2023-04-12", 90, person_id="E2")
    response = api.get("/reports/comp-balances", params=BALANCES, headers=actors.hr)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def test_overtime_csv_rows_are_the_json_rows(api, actors, month):
    response = api.get("/reports/monthly-overtime.csv", params=MONTH, headers=actors.hr)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="overtime-A01-2025-03.csv"'
    )
    records = csv_records(response.content)
    assert [
        {
            "person_id": r["person_id"],
            "minutes": int(r["minutes"]),
            "over_60h": r["over_60h"] == "true",
            "care_45h": r["care_45h"] == "true",
        }
        for r in records
    ] == month["rows"]
    assert [r["person_id"] for r in month["rows"]] == ["E1", "E2"]
    assert records[0]["hours"] == "64.0"


def test_overtime_workbook_is_typed_fitted_and_printable(api, actors, month):
    response = api.get("/reports/monthly-overtime.xlsx", params=MONTH, headers=actors.hr)
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX
    assert response.headers["content-disposition"].endswith('filename="overtime-A01-2025-03.xlsx"')
    book = workbook(response.content)
    assert book.sheetnames == ["加班 overtime", "圖 chart"]
    sheet = book["加班 overtime"]
    keys = ["person_id", "minutes", "hours", "over_60h", "care_45h"]
    cols = check_table_sheet(sheet, keys, rows=2)
    assert sheet.cell(row=1, column=1).value == "人員代號\nperson_id"
    check_id_column(sheet, cols["person_id"], 2)
    check_number_column(sheet, cols["hours"], 2)
    assert column_values(sheet, cols["hours"], 2) == [64, 45]
    assert column_values(sheet, cols["over_60h"], 2) == [True, False]
    assert "民國114/03" in page_header(sheet)
    assert len(chart_sheets(book)) == 1
    assert check_chart_sheets_drawn(response.content) == 1


def test_balance_workbook_holds_what_its_csv_holds(api, actors, balances):
    csv_file = api.get("/reports/comp-balances.csv", params=BALANCES, headers=actors.hr)
    assert csv_file.headers["content-disposition"] == (
        'attachment; filename="comp-balances-A01-as-of-2025-01-15.csv"'
    )
    records = csv_records(csv_file.content)
    assert [(r["person_id"], int(r["balance_minutes"]), r["exposure_ntd"]) for r in records] == [
        (r["person_id"], r["balance_minutes"], r["exposure"]) for r in balances["rows"]
    ]
    assert records[0]["expiring_hours_2025-03"] == "2.0"
    xlsx = api.get("/reports/comp-balances.xlsx", params=BALANCES, headers=actors.hr)
    assert xlsx.status_code == 200 and xlsx.headers["content-type"] == XLSX
    book = workbook(xlsx.content)
    assert book.sheetnames == ["餘額 balances", "圖 chart"]
    sheet = book["餘額 balances"]
    keys = list(records[0])
    cols = check_table_sheet(sheet, keys, rows=len(records))
    assert sheet.cell(row=1, column=cols["expiring_hours_2025-03"]).value == (
        "114/03 到期時數\nexpiring_hours_2025-03"
    )
    check_id_column(sheet, cols["person_id"], len(records))
    for key in keys[1:]:
        check_number_column(sheet, cols[key], len(records))
    # Every CSV cell is in the workbook, as the same number or text.
    for offset, record in enumerate(records, start=2):
        for key, text in record.items():
            value = sheet.cell(row=offset, column=cols[key]).value
            if key == "person_id":
                assert value == text
            else:
                assert isinstance(value, int | float) and value == float(text), (key, value)
    total = len(records) + 3
    assert sheet.cell(row=total, column=1).value == "合計 total"
    assert sheet.cell(row=total, column=cols["balance_minutes"]).value == 210
    assert len(chart_sheets(book)) == 1
    assert check_chart_sheets_drawn(xlsx.content) == 1


@pytest.mark.parametrize(
    ("path", "params"),
    [("/reports/monthly-overtime", MONTH), ("/reports/comp-balances", BALANCES)],
)
def test_the_deprecated_format_parameter_still_serves_files(api, actors, roster, path, params):
    for file_format, media in (("csv", "text/csv"), ("xlsx", XLSX)):
        response = api.get(path, params={**params, "format": file_format}, headers=actors.hr)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(media)
        assert response.headers["content-disposition"].endswith(f'.{file_format}"')
    # `format` is chosen first, then Accept.
    asked = {**actors.hr, "Accept": XLSX}
    response = api.get(path, params={**params, "format": "json"}, headers=asked)
    assert response.headers["content-type"] == "application/json"
    response = api.get(path, params=params, headers={**actors.hr, "Accept": "text/csv"})
    assert response.headers["content-type"].startswith("text/csv")
    browser = "text/html,application/xhtml+xml,*/*;q=0.8"
    response = api.get(path, params=params, headers={**actors.hr, "Accept": browser})
    assert response.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("path", "params", "accept", "available"),
    [
        ("/reports/monthly-overtime", MONTH, "text/html", ["application/json", "text/csv", XLSX]),
        ("/reports/comp-balances", BALANCES, "image/*", ["application/json", "text/csv", XLSX]),
        ("/reports/monthly-overtime.csv", MONTH, "application/json", ["text/csv"]),
        ("/reports/monthly-overtime.xlsx", MONTH, "text/csv", [XLSX]),
        ("/reports/comp-balances.csv", BALANCES, "text/*;q=0", ["text/csv"]),
        ("/reports/comp-balances.xlsx", BALANCES, "application/json", [XLSX]),
        ("/settlements/export", {"agency_code": "A01"}, "application/json", ["text/csv"]),
    ],
)
def test_an_accept_none_of_the_types_satisfies_is_406(
    api, actors, roster, path, params, accept, available
):
    response = api.get(path, params=params, headers={**actors.hr, "Accept": accept})
    assert response.status_code == 406
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["available"] == available and body["type"].endswith("/not-acceptable")


@pytest.mark.parametrize(
    "path",
    [
        "/reports/monthly-overtime.csv",
        "/reports/monthly-overtime.xlsx",
        "/reports/comp-balances.csv",
        "/reports/comp-balances.xlsx",
    ],
)
def test_file_operations_have_the_json_ones_permission_and_scope(api, actors, roster, path):
    params = MONTH if "overtime" in path else BALANCES
    assert api.get(path, params=params).status_code == 401
    assert api.get(path, params=params, headers=actors.employee()).status_code == 403
    assert api.get(path, params=params, headers=actors.hr_a02).status_code in (403, 404)
    missing = {k: v for k, v in params.items() if k != "agency_code"}
    response = api.get(path, params=missing, headers=actors.hr)
    assert response.status_code == 422 and "agency_code" in response.text


# (path, media type of its 200): every export operation and the JSON ones beside them.
EXPORTS = [
    ("/reports/monthly-overtime", "application/json"),
    ("/reports/monthly-overtime.csv", "text/csv"),
    ("/reports/monthly-overtime.xlsx", XLSX),
    ("/reports/comp-balances", "application/json"),
    ("/reports/comp-balances.csv", "text/csv"),
    ("/reports/comp-balances.xlsx", XLSX),
    ("/settlements/export", "text/csv"),
]


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    from renshi.service_documents import build_document

    return build_document("attendance")


@pytest.mark.parametrize(("path", "media"), EXPORTS)
def test_each_export_operation_declares_one_media_type(document, path, media):
    operation = document["paths"][path]["get"]
    content = operation["responses"]["200"]["content"]
    assert list(content) == [media]
    if media != "application/json":
        assert content[media]["schema"] == {"type": "string", "format": "binary"}
        assert "Content-Disposition" in operation["responses"]["200"]["headers"]
    assert "406" in operation["responses"]
    assert operation["x-renshi-permission"]


def test_export_operations_are_distinct_and_share_the_json_ones_filters(document):
    ids = [document["paths"][p]["get"]["operationId"] for p, _ in EXPORTS]
    assert len(set(ids)) == len(ids)
    for base in ("/reports/monthly-overtime", "/reports/comp-balances"):
        json_op = document["paths"][base]["get"]
        names = {p["name"] for p in json_op["parameters"]} - {"format"}
        (file_format,) = [p for p in json_op["parameters"] if p["name"] == "format"]
        assert file_format["deprecated"] is True
        for ext in (".csv", ".xlsx"):
            op = document["paths"][base + ext]["get"]
            assert {p["name"] for p in op["parameters"]} == names
            assert op["x-renshi-permission"] == json_op["x-renshi-permission"]
