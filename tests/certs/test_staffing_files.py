"""An agency's staffing files: the summary as JSON, CSV and XLSX, and WebHR
table 51 rows, whose columns are held to the README's table and the mapping."""

# The fixtures imported from staffing_data are redefined as parameters.
# ruff: noqa: F811

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from services.certs import webhr_table51
from tests.certs.conftest import HR_A01, NOBODY
from tests.certs.staffing_data import (  # noqa: F401  (fixtures)
    STAFF_A01,
    STAFF_A02,
    Data,
    data,
    directory,
)
from tests.common.workbook_checks import (
    chart_sheets,
    check_chart_sheets_drawn,
    check_sheet_holds_csv,
    check_table_sheet,
    csv_records,
    csv_rows,
    page_header,
    workbook,
)

README = Path(__file__).resolve().parents[2] / "README.md"
AUDITOR = {"sub": "auditor", "permissions": ["certs:audit:read"]}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def scene(data: Data) -> dict[str, int]:
    gcp = data.version(
        "gcp-ml", "project_technical", "professional", ("development",), name="GCP ML 工程師"
    )
    tool = data.version("=cmd", "tool", "intermediate (中級)", ("application", "policy"))
    data.person("P1", "A01")
    data.role("P1", "development")
    data.role("P1", "policy")
    data.person("P2", "A01")
    data.role("P2", "application")
    data.person("P3", "A01")  # no role
    data.person("P9", "A02")
    ids = {
        "gcp": data.certificate(
            "P1", gcp, date(2024, 2, 29), date(2026, 2, 28), number="G-1", state="expired"
        ),
        "gcp2": data.certificate("P1", gcp, date(2026, 2, 1), date(2028, 2, 1), number="G-2"),
        "tool": data.certificate("P2", tool, date(2026, 3, 1), number="T-1"),
        "tool3": data.certificate("P3", tool, date(2026, 3, 5), number="T-3"),
        "pending": data.certificate("P3", gcp, state="submitted", number="S-1"),
        "other": data.certificate("P9", gcp, agency="A02", number="O-1"),
    }
    data.commit()
    return ids


def readme_table51() -> list[list[str]]:
    text = README.read_text(encoding="utf-8")
    section = text.split("### AI staffing and WebHR table 51", 1)[1].split("\n### ", 1)[0]
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in section.splitlines()
        if line.startswith("| `")
    ]
    return [r for r in rows if len(r) == 5]


def test_the_readme_documents_every_column_of_the_mapping() -> None:
    documented = readme_table51()
    assert [r[0].strip("`") for r in documented] == [c.key for c in webhr_table51.COLUMNS]
    for row, column in zip(documented, webhr_table51.COLUMNS, strict=True):
        assert row[1] == column.zh
        assert row[2] == column.meaning
        assert row[3].replace("`", "") == column.source
        assert row[4] == column.format


def test_table51_of_a_fixture_is_the_documented_columns(call, scene) -> None:
    answer = call("GET", "/agencies/A01/webhr-table51.csv", STAFF_A01)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="webhr-table51-A01-\d{4}-\d{2}-\d{2}\.csv"',
        answer.headers["content-disposition"],
    )
    header, *_ = csv_rows(answer.content)
    assert header == [r[0].strip("`") for r in readme_table51()]
    records = csv_records(answer.content)
    # Verified only: the expired, the submitted and A02's are not in it.
    assert [r["certificate_id"] for r in records] == [
        str(scene["gcp2"]),
        str(scene["tool"]),
        str(scene["tool3"]),
    ]
    first = records[0]
    assert first == {
        "agency_code": "A01",
        "person_id": "P1",
        "expertise_category": "AI專案技術類",
        "expertise_name": "GCP ML 工程師",
        "level": "professional",
        "issuer": first["issuer"],
        "certificate_number": "G-2",
        "obtained_on": "115/02/01",
        "valid_until": "117/01/31",
        "catalogue_code": "gcp-ml",
        "certificate_id": str(scene["gcp2"]),
    }
    assert records[1]["valid_until"] == ""
    # A catalogue code read as a formula by a spreadsheet is made text.
    assert records[1]["catalogue_code"] == "'=cmd"


def test_table51_is_one_read_per_agency(call, scene) -> None:
    call("GET", "/agencies/A01/webhr-table51.csv", STAFF_A01)
    reads = call("GET", "/audit/personal-data-reads", AUDITOR).json()["items"]
    assert [r["subject_person_id"] for r in reads if r["resource"] == "webhr table 51"] == [
        "agency:A01"
    ]


def summary(call: Any, path: str = "", **params: Any) -> Any:
    params.setdefault("valid_on", "2026-06-01")
    return call("GET", f"/agencies/A01/staffing-summary{path}", STAFF_A01, params=params)


def test_the_summary_counts_holders_by_kind_and_role(call, scene) -> None:
    body = summary(call).json()
    assert body["agencies"] == ["A01"] and body["valid_on_roc"] == "115/06/01"
    rows = {r["kind"]: r for r in body["rows"]}
    assert list(rows) == ["literacy", "tool", "project_planning", "project_technical"]
    technical = rows["project_technical"]
    # P1 holds two roles: counted under each, once in all.
    assert (technical["development"], technical["policy"], technical["persons"]) == (1, 1, 1)
    tool = rows["tool"]
    assert (tool["application"], tool["no_role"], tool["persons"]) == (1, 1, 2)
    assert rows["literacy"]["persons"] == 0

    # P1's first certificate was obtained on 2024-02-29 (a leap day).
    def technical_on(day: str) -> int:
        rows = summary(call, valid_on=day).json()["rows"]
        return {r["kind"]: r["persons"] for r in rows}["project_technical"]

    assert technical_on("2024-02-28") == 0
    assert technical_on("2024-02-29") == 1
    assert summary(call, valid_on="2024-02-29").json()["rows"][1]["persons"] == 0  # tool


def test_the_summary_files_hold_the_json(call, scene) -> None:
    body = summary(call).json()
    csv_answer = summary(call, ".csv")
    assert csv_answer.status_code == 200
    records = csv_records(csv_answer.content)
    assert [r["kind"] for r in records] == [r["kind"] for r in body["rows"]]
    assert [int(r["persons"]) for r in records] == [r["persons"] for r in body["rows"]]
    assert records[1]["kind_zh"] == "工具類"
    xlsx = summary(call, ".xlsx")
    assert xlsx.status_code == 200 and xlsx.headers["content-type"] == XLSX
    assert "certs-talent-summary-A01-as-of-2026-06-01.xlsx" in xlsx.headers["content-disposition"]
    book = workbook(xlsx.content)
    sheet = book.worksheets[0]
    check_table_sheet(sheet, list(records[0]), len(records))
    check_sheet_holds_csv(sheet, records)
    assert "115/06/01" in page_header(sheet)
    assert len(chart_sheets(book)) == 1 and check_chart_sheets_drawn(xlsx.content) == 1


def test_the_summary_negotiates_its_representation(call, scene) -> None:
    assert summary(call, ".csv", headers=None).status_code == 200
    refused = call("GET", "/agencies/A01/staffing-summary.csv", STAFF_A01, headers={"Accept": XLSX})
    assert refused.status_code == 406
    assert refused.json()["available"] == ["text/csv"]
    as_csv = call("GET", "/agencies/A01/staffing-summary", STAFF_A01, params={"format": "csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    by_accept = call("GET", "/agencies/A01/staffing-summary", STAFF_A01, headers={"Accept": XLSX})
    assert by_accept.headers["content-type"] == XLSX
    none = call("GET", "/agencies/A01/staffing-summary", STAFF_A01, headers={"Accept": "image/png"})
    assert none.status_code == 406


def test_the_summary_with_subordinates(call, scene, data: Data, directory) -> None:
    data.person("P5", "A01-1")
    data.certificate("P5", scene_version(data), date(2026, 1, 1), agency="A01-1")
    data.commit()
    directory.subtrees["A01"] = ["A01", "A01-1"]
    body = summary(call, subordinates=True).json()
    assert body["agencies"] == ["A01", "A01-1"]
    assert [r["agency_code"] for r in body["rows"]] == ["A01"] * 4 + ["A01-1"] * 4
    assert body["rows"][4]["persons"] == 1 and body["rows"][4]["no_role"] == 1


def scene_version(data: Data) -> int:
    return data.version("lit-x", "literacy", "core", ("application",))


@pytest.mark.parametrize(
    "path",
    [
        "/agencies/{a}/staffing-summary",
        "/agencies/{a}/staffing-summary.csv",
        "/agencies/{a}/staffing-summary.xlsx",
        "/agencies/{a}/webhr-table51.csv",
    ],
)
def test_refusals(call, scene, path: str) -> None:
    url = path.format(a="A01")
    assert call("GET", url).status_code == 401
    assert call("GET", url, NOBODY).status_code == 403
    assert call("GET", url, HR_A01).status_code == 403
    outside = call("GET", url, STAFF_A02)
    missing = call("GET", path.format(a="NOPE"), STAFF_A01)
    assert outside.status_code == missing.status_code == 404
    assert outside.headers["content-type"] == "application/problem+json"
    bad = call("GET", url, STAFF_A01, params={"subordinates": "maybe"})
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["query.subordinates"]
