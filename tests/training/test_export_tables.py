"""The training exports as tables, for any report: each CSV one rectangular table
of the report's values, each workbook sheet holding its CSV cell for cell, ids
kept as text (leading zeros, look-alike numbers and dates, formula-like text),
numbers as numbers, and a gap a person does not have written as 0."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.common.timeutil import format_roc
from services.common.workbooks import to_csv
from services.training import exports
from services.training.schemas.reports import AgencyReportOut, PersonReportOut
from tests.common.workbook_checks import (
    check_id_column,
    check_number_column,
    check_sheet_holds_csv,
    check_table_sheet,
    csv_records,
    workbook,
)

# Ids as agencies and HR systems write them, and the ones a spreadsheet would
# turn into something else if it were left to guess.
IDS = st.one_of(
    st.sampled_from(["A01", "0012", "1e5", "2026-01-01", "=1+1", "-3", "+886", "@x", "A0101"]),
    st.from_regex(r"[A-Za-z0-9._-]{1,16}", fullmatch=True),
)
CODES = st.from_regex(r"[a-z][a-z0-9_]{0,20}", fullmatch=True)
HOURS = st.decimals(min_value=0, max_value=2000, places=2, allow_nan=False, allow_infinity=False)
SHARES = st.decimals(min_value=0, max_value=1, places=4, allow_nan=False, allow_infinity=False)
DAYS = st.dates(min_value=date(1912, 1, 1), max_value=date(2100, 12, 31))


@st.composite
def tallies(draw: st.DrawFn, codes: list[str]) -> dict[str, Any]:
    headcount = draw(st.integers(0, 100_000))
    held = draw(st.lists(st.sampled_from(codes), unique=True)) if codes else []
    return {
        "headcount": headcount,
        "compliant_count": draw(st.integers(0, headcount)),
        "compliant_share": draw(SHARES),
        "ai_target_met_count": draw(st.integers(0, headcount)),
        "ai_completion_rate": draw(SHARES),
        "requirements": [
            {"code": c, "applies_to": headcount, "met_count": 0, "share": draw(SHARES)}
            for c in held
        ],
    }


@st.composite
def agency_reports(draw: st.DrawFn) -> AgencyReportOut:
    codes = draw(st.lists(CODES, max_size=6, unique=True))
    day = draw(DAYS)
    shortfalls = []
    for _ in range(draw(st.integers(0, 8))):
        gaps = draw(st.lists(st.sampled_from(codes), unique=True)) if codes else []
        shortfalls.append(
            {
                "person_id": draw(IDS),
                "agency_code": draw(IDS),
                "unit_id": draw(st.one_of(st.just(""), IDS)),
                "hours_short": draw(HOURS),
                "gaps": [{"code": c, "missing": draw(HOURS)} for c in gaps],
            }
        )
    return AgencyReportOut.model_validate(
        {
            "agency_code": draw(IDS),
            "agencies": draw(st.lists(IDS, min_size=1, max_size=3)),
            "year": day.year,
            "as_of": day,
            "as_of_roc": format_roc(day),
            "tally": draw(tallies(codes)),
            "units": [
                {"agency_code": draw(IDS), "unit_id": draw(IDS), "tally": draw(tallies(codes))}
                for _ in range(draw(st.integers(0, 6)))
            ],
            "shortfalls": shortfalls,
        }
    )


PROPERTY = settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(agency_reports())
def test_the_agency_csvs_are_one_table_each_and_the_workbook_holds_them(
    report: AgencyReportOut,
) -> None:
    compliance = csv_records(to_csv(exports.compliance_table(report)))
    assert len(compliance) == 1 + len(report.units)
    assert compliance[0]["level"] == "agency" and compliance[0]["unit_id"] == ""
    assert all(row["level"] == "unit" for row in compliance[1:])
    shortfalls = csv_records(to_csv(exports.shortfall_table(report)))
    assert len(shortfalls) == len(report.shortfalls)
    for row, shortfall in zip(shortfalls, report.shortfalls, strict=True):
        gaps = {g.code: g.missing for g in shortfall.gaps}
        assert Decimal(row["hours_short"]) == shortfall.hours_short
        for key, text in row.items():
            if key.startswith("missing_"):
                assert Decimal(text) == gaps.get(key.removeprefix("missing_"), 0)
        # Every gap the JSON names has its column.
        assert {f"missing_{c}" for c in gaps} <= set(row)

    book = workbook(exports.agency_xlsx(report))
    sheet = book[exports.COMPLIANCE_SHEET]
    cols = check_table_sheet(sheet, list(compliance[0]), rows=len(compliance))
    check_sheet_holds_csv(sheet, compliance)
    check_id_column(sheet, cols["agency_code"], len(compliance))
    check_number_column(sheet, cols["headcount"], len(compliance))
    if shortfalls:
        short = book[exports.SHORTFALL_SHEET]
        short_cols = check_table_sheet(short, list(shortfalls[0]), rows=len(shortfalls))
        check_sheet_holds_csv(short, shortfalls)
        check_id_column(short, short_cols["person_id"], len(shortfalls))
        check_number_column(short, short_cols["hours_short"], len(shortfalls))
    assert (exports.CHART_SHEET in book.sheetnames) == bool(report.units)


@pytest.mark.parametrize(
    ("value", "csv_cell", "sheet_cell"),
    [
        ("0012", "0012", "0012"),  # leading zeros kept
        ("2026-01-01", "2026-01-01", "2026-01-01"),  # an id, not a day
        ("1e5", "1e5", "1e5"),  # an id, not 100000
        ("=1+1", "'=1+1", "'=1+1"),  # never run as a formula
        ("-3", "'-3", "'-3"),
        ("@x", "'@x", "'@x"),
    ],
)
def test_ids_stay_text_in_both_files(value: str, csv_cell: str, sheet_cell: str) -> None:
    report = AgencyReportOut.model_validate(
        {
            "agency_code": value,
            "agencies": [value],
            "year": 2024,
            "as_of": date(2024, 2, 29),
            "as_of_roc": "113/02/29",
            "tally": {
                "headcount": 1,
                "compliant_count": 0,
                "compliant_share": "0",
                "ai_target_met_count": 0,
                "ai_completion_rate": "0",
                "requirements": [],
            },
            "units": [],
            "shortfalls": [
                {
                    "person_id": value,
                    "agency_code": value,
                    "unit_id": value,
                    "hours_short": "20",
                    "gaps": [{"code": "total", "missing": "20"}],
                }
            ],
        }
    )
    (row,) = csv_records(to_csv(exports.shortfall_table(report)))
    assert row["person_id"] == row["agency_code"] == row["unit_id"] == csv_cell
    assert row["missing_total"] == "20"
    sheet = workbook(exports.agency_xlsx(report))[exports.SHORTFALL_SHEET]
    assert [sheet.cell(row=2, column=c).value for c in (1, 2, 3)] == [sheet_cell] * 3
    assert sheet.cell(row=2, column=4).value == 20
    # 29 Feb of a leap year, ROC 113, in the name and the title.
    assert exports.agency_file_name(report, "shortfalls", "csv").endswith(
        "2024-as-of-2024-02-29.csv"
    )
    assert "民國113年" in exports.agency_title(report) and "113/02/29" in exports.agency_title(
        report
    )


@pytest.mark.parametrize(
    ("day", "roc_year", "roc_day"),
    [
        (date(2024, 2, 29), 113, "113/02/29"),
        (date(2026, 12, 31), 115, "115/12/31"),
        (date(2027, 1, 1), 116, "116/01/01"),
        (date(1912, 1, 1), 1, "001/01/01"),
    ],
)
def test_the_person_summary_gives_roc_beside_iso(day: date, roc_year: int, roc_day: str) -> None:
    report = PersonReportOut.model_validate(
        {
            "evaluation": {
                "person_id": "P001",
                "agency_code": "A01",
                "year": day.year,
                "as_of": day,
                "as_of_roc": format_roc(day),
                "cutoff": day,
                "cutoff_roc": format_roc(day),
                "policy_version": "v",
                "compliant": True,
                "ai_target_met": True,
                "projected_compliant": True,
                "projected_ai_target_met": True,
                "counted_hours": "0",
                "counted_records": 0,
                "digital_hours": "0",
                "after_cutoff_hours": "0",
                "requirements": [],
            },
            "records": [],
        }
    )
    assert format_roc(day) == roc_day
    summary = {
        str(r[0]).split(" ")[-1]: r[1]
        for r in workbook(exports.person_xlsx(report))[exports.SUMMARY_SHEET].iter_rows(
            min_row=2, values_only=True
        )
    }
    assert summary["roc_year"] == roc_year and summary["as_of_roc"] == roc_day
    as_of = summary["as_of"]
    assert isinstance(as_of, datetime) and as_of.date() == day
    assert exports.person_file_name(report, "records", "csv") == (
        f"training-records-P001-{day.year}-as-of-{day.isoformat()}.csv"
    )
