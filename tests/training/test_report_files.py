"""The training reports as files: one operation per representation, `Accept`
honoured, each CSV one table holding the JSON report's values, and workbooks
holding what their CSVs hold, typed, fitted and printable."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from tests.common.workbook_checks import (
    chart_sheets,
    check_chart_sheets_drawn,
    check_id_column,
    check_number_column,
    check_sheet_holds_csv,
    check_table_sheet,
    column_values,
    csv_records,
    csv_rows,
    page_header,
    workbook,
)
from tests.training.builders import report_data
from tests.training.conftest import EMPLOYEE, HR_A01, HR_B, NOBODY

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PARAMS = {"year": 2026, "as_of": "2026-11-01"}
AGENCY = "/reports/agencies/A01"
PERSON = "/reports/persons/P001"
COMPLIANCE_KEYS = [
    "level",
    "agency_code",
    "unit_id",
    "headcount",
    "compliant_count",
    "compliant_share",
    "ai_target_met_count",
    "ai_completion_rate",
]


@pytest.fixture
def data(call, wiring):
    return report_data(call, wiring)


@pytest.fixture
def agency(call, data) -> dict[str, Any]:
    response = call("GET", AGENCY, HR_A01, params=PARAMS)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def person(call, data) -> dict[str, Any]:
    response = call("GET", PERSON, EMPLOYEE, params=PARAMS)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _file(call, path: str, who: dict[str, Any], media: str) -> bytes:
    response = call("GET", path, who, params=PARAMS)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == media
    content: bytes = response.content
    return content


def test_the_compliance_csv_is_one_table_of_the_json_tallies(call, agency):
    response = call("GET", f"{AGENCY}/report.csv", HR_A01, params=PARAMS)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    # The year and the day are in the name, not in rows above the table.
    assert response.headers["content-disposition"] == (
        'attachment; filename="training-compliance-A01-2026-as-of-2026-11-01.csv"'
    )
    records = csv_records(response.content)
    codes = [r["code"] for r in agency["tally"]["requirements"]]
    assert list(records[0]) == COMPLIANCE_KEYS + [f"share_{c}" for c in codes]
    total, *units = records
    assert (total["level"], total["agency_code"], total["unit_id"]) == ("agency", "A01", "")
    tally = agency["tally"]
    assert int(total["headcount"]) == tally["headcount"] == 4
    assert total["compliant_share"] == tally["compliant_share"]
    assert total["ai_completion_rate"] == tally["ai_completion_rate"] == "0.5000"
    for rate in tally["requirements"]:
        assert total[f"share_{rate['code']}"] == rate["share"]
    assert [(u["level"], u["agency_code"], u["unit_id"], int(u["headcount"])) for u in units] == [
        ("unit", u["agency_code"], u["unit_id"], u["tally"]["headcount"]) for u in agency["units"]
    ]
    for row, unit in zip(units, agency["units"], strict=True):
        assert row["ai_completion_rate"] == unit["tally"]["ai_completion_rate"]


def test_the_shortfall_csv_names_each_gap_in_a_column_of_its_own(call, agency):
    response = call("GET", f"{AGENCY}/shortfalls.csv", HR_A01, params=PARAMS)
    assert response.status_code == 200
    assert response.headers["content-disposition"] == (
        'attachment; filename="training-shortfalls-A01-2026-as-of-2026-11-01.csv"'
    )
    records = csv_records(response.content)
    assert [(r["person_id"], r["hours_short"]) for r in records] == [
        (s["person_id"], s["hours_short"]) for s in agency["shortfalls"]
    ]
    named = {g["code"] for s in agency["shortfalls"] for g in s["gaps"]}
    assert {k.removeprefix("missing_") for k in records[0] if k.startswith("missing_")} == named
    for row, shortfall in zip(records, agency["shortfalls"], strict=True):
        gaps = {g["code"]: Decimal(g["missing"]) for g in shortfall["gaps"]}
        for code in named:
            assert Decimal(row[f"missing_{code}"]) == gaps.get(code, Decimal(0)), (row, code)
    # P002 has the AI minimum and nothing else: 17 h short of the 20 h total.
    p002 = next(r for r in records if r["person_id"] == "P002")
    assert Decimal(p002["missing_total"]) == 17 and Decimal(p002["missing_ai_minimum"]) == 0


def test_the_agency_workbook_holds_both_tables_a_summary_and_a_chart(call, agency):
    compliance = csv_records(_file(call, f"{AGENCY}/report.csv", HR_A01, "text/csv"))
    shortfalls = csv_records(_file(call, f"{AGENCY}/shortfalls.csv", HR_A01, "text/csv"))
    response = call("GET", f"{AGENCY}/report.xlsx", HR_A01, params=PARAMS)
    assert response.status_code == 200 and response.headers["content-type"] == XLSX
    assert response.headers["content-disposition"].endswith(
        'filename="training-compliance-A01-2026-as-of-2026-11-01.xlsx"'
    )
    book = workbook(response.content)
    assert book.sheetnames == ["達成率 compliance", "未達成 shortfalls", "摘要 summary", "圖 chart"]

    sheet = book["達成率 compliance"]
    cols = check_table_sheet(sheet, list(compliance[0]), rows=len(compliance))
    assert sheet.cell(row=1, column=cols["ai_completion_rate"]).value == (
        "AI知能達成率\nai_completion_rate"
    )
    check_sheet_holds_csv(sheet, compliance)
    check_id_column(sheet, cols["agency_code"], len(compliance))
    # Unit ids are text, from row 3: row 2 is the agency, with no unit.
    units = [sheet.cell(row=r, column=cols["unit_id"]) for r in range(3, len(compliance) + 2)]
    assert all(isinstance(c.value, str) and c.number_format == "@" for c in units)
    for key in compliance[0]:
        if key.startswith(("share_", "compliant_share", "ai_completion")):
            check_number_column(sheet, cols[key], len(compliance))
            assert sheet.cell(row=2, column=cols[key]).number_format == "0.00%"
    assert column_values(sheet, cols["headcount"], len(compliance)) == [4, 2, 1, 1]
    assert "民國115年" in page_header(sheet) and "115/11/01" in page_header(sheet)

    short = book["未達成 shortfalls"]
    short_cols = check_table_sheet(short, list(shortfalls[0]), rows=len(shortfalls))
    check_sheet_holds_csv(short, shortfalls)
    check_id_column(short, short_cols["person_id"], len(shortfalls))
    check_number_column(short, short_cols["hours_short"], len(shortfalls))

    summary = {
        str(row[0]).split(" ")[-1]: row[1]
        for row in book["摘要 summary"].iter_rows(min_row=2, values_only=True)
    }
    assert summary["year"] == 2026 and summary["roc_year"] == 115
    assert summary["as_of_roc"] == "115/11/01"
    assert summary["as_of"] == datetime(2026, 11, 1)  # a day, as a spreadsheet keeps one
    assert summary["agencies"] == "A01, A0101"
    assert summary["headcount"] == agency["tally"]["headcount"]
    assert summary["ai_completion_rate"] == pytest.approx(0.5)
    assert summary["shortfall_count"] == len(agency["shortfalls"])
    assert len(chart_sheets(book)) == 1
    assert check_chart_sheets_drawn(response.content) == 1


def test_the_person_csvs_are_the_requirements_and_the_records(call, person):
    response = call("GET", f"{PERSON}/report.csv", EMPLOYEE, params=PARAMS)
    assert response.headers["content-disposition"] == (
        'attachment; filename="training-requirements-P001-2026-as-of-2026-11-01.csv"'
    )
    requirements = csv_records(response.content)
    assert [(r["code"], r["required"], r["completed"], r["met"]) for r in requirements] == [
        (r["code"], r["required"], r["completed"], "true" if r["met"] else "false")
        for r in person["evaluation"]["requirements"]
    ]
    response = call("GET", f"{PERSON}/records.csv", EMPLOYEE, params=PARAMS)
    assert response.headers["content-disposition"] == (
        'attachment; filename="training-records-P001-2026-as-of-2026-11-01.csv"'
    )
    records = csv_records(response.content)
    assert [
        (int(r["id"]), r["completed_on"], r["completed_on_roc"], r["hours"], r["topics"])
        for r in records
    ] == [
        (r["id"], r["completed_on"], r["completed_on_roc"], r["hours"], ";".join(r["topics"]))
        for r in person["records"]
    ]
    assert records[0]["completed_on"] == "2026-05-01"
    assert records[0]["completed_on_roc"] == "115/05/01"


def test_the_person_workbook_holds_what_its_csvs_hold(call, person):
    requirements = csv_records(_file(call, f"{PERSON}/report.csv", EMPLOYEE, "text/csv"))
    records = csv_records(_file(call, f"{PERSON}/records.csv", EMPLOYEE, "text/csv"))
    book = workbook(_file(call, f"{PERSON}/report.xlsx", EMPLOYEE, XLSX))
    assert book.sheetnames == ["要求 requirements", "紀錄 records", "摘要 summary"]
    sheet = book["要求 requirements"]
    cols = check_table_sheet(sheet, list(requirements[0]), rows=len(requirements))
    check_sheet_holds_csv(sheet, requirements)
    for key in ("required", "completed", "missing", "projected"):
        check_number_column(sheet, cols[key], len(requirements))
    sheet = book["紀錄 records"]
    cols = check_table_sheet(sheet, list(records[0]), rows=len(records))
    check_sheet_holds_csv(sheet, records)
    for key in ("id", "course_id", "external_id", "agency_code"):
        check_id_column(sheet, cols[key], len(records))
    check_number_column(sheet, cols["hours"], len(records))
    assert column_values(sheet, cols["completed_on_roc"], 1) == ["115/05/01"]
    summary = {
        str(row[0]).split(" ")[-1]: row[1]
        for row in book["摘要 summary"].iter_rows(min_row=2, values_only=True)
    }
    assert summary["roc_year"] == 115 and summary["compliant"] is True
    assert summary["cutoff_roc"] == person["evaluation"]["cutoff_roc"]
    assert "P001" in page_header(sheet) and "民國115年" in page_header(sheet)


@pytest.mark.parametrize(("path", "who"), [(AGENCY, HR_A01), (PERSON, EMPLOYEE)])
def test_the_deprecated_format_parameter_still_serves_files(call, data, path, who):
    for file_format, media in (("csv", "text/csv"), ("xlsx", XLSX)):
        response = call("GET", path, who, params={**PARAMS, "format": file_format})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith(media)
        assert response.headers["content-disposition"].endswith(f'.{file_format}"')
        if file_format == "csv":
            csv_records(response.content)  # one table now, as the file operation's
    # `format` is chosen first, then Accept.
    response = call("GET", path, who, params={**PARAMS, "format": "json"}, headers={"Accept": XLSX})
    assert response.headers["content-type"] == "application/json"
    response = call("GET", path, who, params=PARAMS, headers={"Accept": "text/csv"})
    assert response.headers["content-type"].startswith("text/csv")
    response = call("GET", path, who, params=PARAMS, headers={"Accept": f"{XLSX}, */*;q=0.1"})
    assert response.headers["content-type"] == XLSX
    browser = "text/html,application/xhtml+xml,*/*;q=0.8"
    response = call("GET", path, who, params=PARAMS, headers={"Accept": browser})
    assert response.headers["content-type"] == "application/json"
    response = call("GET", path, who, params={**PARAMS, "format": "pdf"})
    assert response.status_code == 422 and "format" in response.text


ALL = ["application/json", "text/csv", XLSX]


@pytest.mark.parametrize(
    ("path", "who", "accept", "available"),
    [
        (AGENCY, HR_A01, "text/html", ALL),
        (PERSON, EMPLOYEE, "image/*", ALL),
        (f"{AGENCY}/report.csv", HR_A01, "application/json", ["text/csv"]),
        (f"{AGENCY}/shortfalls.csv", HR_A01, "text/*;q=0", ["text/csv"]),
        (f"{AGENCY}/report.xlsx", HR_A01, "text/csv", [XLSX]),
        (f"{PERSON}/report.csv", EMPLOYEE, XLSX, ["text/csv"]),
        (f"{PERSON}/records.csv", EMPLOYEE, "application/json", ["text/csv"]),
        (f"{PERSON}/report.xlsx", EMPLOYEE, "application/json", [XLSX]),
    ],
)
def test_an_accept_none_of_the_types_satisfies_is_406(call, data, path, who, accept, available):
    response = call("GET", path, who, params=PARAMS, headers={"Accept": accept})
    assert response.status_code == 406
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["available"] == available and body["type"].endswith("/not-acceptable")


AGENCY_FILES = [f"{AGENCY}/report.csv", f"{AGENCY}/shortfalls.csv", f"{AGENCY}/report.xlsx"]
PERSON_FILES = [f"{PERSON}/report.csv", f"{PERSON}/records.csv", f"{PERSON}/report.xlsx"]


@pytest.mark.parametrize("path", AGENCY_FILES)
def test_agency_files_have_the_json_ones_permission_and_scope(call, data, path):
    assert call("GET", path, None, params=PARAMS).status_code == 401
    assert call("GET", path, NOBODY, params=PARAMS).status_code == 403
    assert call("GET", path, EMPLOYEE, params=PARAMS).status_code == 403
    assert call("GET", path, HR_B, params=PARAMS).status_code == 404
    response = call("GET", path, HR_A01, params={"as_of": "2026-11-01"})
    assert response.status_code == 422 and "year" in response.text
    response = call("GET", path, HR_A01, params={**PARAMS, "as_of": "2026-02-30"})
    assert response.status_code == 422 and "as_of" in response.text


@pytest.mark.parametrize("path", PERSON_FILES)
def test_person_files_have_the_json_ones_permission_and_scope(call, data, path):
    assert call("GET", path, None, params=PARAMS).status_code == 401
    assert call("GET", path, NOBODY, params=PARAMS).status_code == 403
    other = path.replace("P001", "P002")
    assert call("GET", other, EMPLOYEE, params=PARAMS).status_code == 404
    assert call("GET", path.replace("P001", "P009"), HR_A01, params=PARAMS).status_code == 404
    assert call("GET", path, HR_A01, params=PARAMS).status_code == 200
    response = call("GET", path, EMPLOYEE, params={"year": 1800})
    assert response.status_code == 422 and "year" in response.text


def test_a_person_with_no_record_gets_a_header_only_records_file(call, data):
    response = call("GET", "/reports/persons/P003/records.csv", HR_A01, params=PARAMS)
    assert response.status_code == 200
    header, *rows = csv_rows(response.content)
    assert rows == [] and header[:2] == ["id", "source"]
    book = workbook(_file(call, "/reports/persons/P003/report.xlsx", HR_A01, XLSX))
    check_table_sheet(book["紀錄 records"], header, rows=0)


# (path, media type of its 200): every export operation and the JSON ones beside them.
EXPORTS = [
    ("/reports/agencies/{agency_code}", "application/json"),
    ("/reports/agencies/{agency_code}/report.csv", "text/csv"),
    ("/reports/agencies/{agency_code}/shortfalls.csv", "text/csv"),
    ("/reports/agencies/{agency_code}/report.xlsx", XLSX),
    ("/reports/persons/{person_id}", "application/json"),
    ("/reports/persons/{person_id}/report.csv", "text/csv"),
    ("/reports/persons/{person_id}/records.csv", "text/csv"),
    ("/reports/persons/{person_id}/report.xlsx", XLSX),
]


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    from renshi.service_documents import build_document

    return build_document("training")


@pytest.mark.parametrize(("path", "media"), EXPORTS)
def test_each_export_operation_declares_one_media_type(document, path, media):
    operation = document["paths"][path]["get"]
    content = operation["responses"]["200"]["content"]
    assert list(content) == [media]
    if media != "application/json":
        assert content[media]["schema"] == {"type": "string", "format": "binary"}
        assert "Content-Disposition" in operation["responses"]["200"]["headers"]
    assert "406" in operation["responses"]
    assert operation["x-renshi-permission"] == "training:records:read"
    assert operation["tags"] == ["reports"]


def test_export_operations_are_distinct_and_share_the_json_ones_filters(document):
    ids = [document["paths"][p]["get"]["operationId"] for p, _ in EXPORTS]
    assert len(set(ids)) == len(ids)
    for base in ("/reports/agencies/{agency_code}", "/reports/persons/{person_id}"):
        json_op = document["paths"][base]["get"]
        names = {p["name"] for p in json_op["parameters"]} - {"format"}
        (file_format,) = [p for p in json_op["parameters"] if p["name"] == "format"]
        assert file_format["deprecated"] is True
        files = [p for p, _ in EXPORTS if p.startswith(base + "/")]
        assert len(files) == 3
        for path in files:
            op = document["paths"][path]["get"]
            assert {p["name"] for p in op["parameters"]} == names
