"""Render every report workbook to PDF with LibreOffice and count its pages.

Builds each report's workbook from fixture data (attendance: monthly overtime and
comp-time balances; training: an agency's compliance and a person's year; certs:
an agency's certificate holders by kind × talent role) with
the services' own exporters, converts it with
`soffice --headless --convert-to pdf`, and reads each page's text with
poppler's `pdftotext` to tell which sheet it belongs to. A page belongs to a
table sheet when every column's field name is on it (the header row repeats on
every page), so a page missing one is a table cut across the page width.

Checked: a 10-row report prints one page per sheet (the table fits the page
width and height, the chart is on one page); a long report prints as many
pages down as its rows need, every one with the whole header row. The baseline
is the same tables written as plain sheets (a header of field names, no widths
and no print layout: how the exports were written before), printed the same
way; the ratio is baseline pages / pages.

Needs LibreOffice Calc, a CJK font and poppler (Debian/Ubuntu):

    apt-get install -y libreoffice-calc-nogui fonts-wqy-microhei poppler-utils

Run: uv run python benchmarks/render_workbooks.py [--keep DIR]
Exit status 1 when a check fails, 2 when LibreOffice or poppler is missing.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.attendance import exports as attendance  # noqa: E402
from services.attendance.schemas import (  # noqa: E402
    BalanceReport,
    BalanceRow,
    MonthlyOvertimeReport,
    PersonOvertime,
)
from services.certs import exports as certs  # noqa: E402
from services.certs.domain.talent import CertificateKind  # noqa: E402
from services.certs.staffing_schemas import TalentSummaryOut  # noqa: E402
from services.common.timeutil import format_roc  # noqa: E402
from services.common.workbooks import Table, csv_text, to_bytes  # noqa: E402
from services.training import exports as training  # noqa: E402
from services.training.schemas.reports import AgencyReportOut, PersonReportOut  # noqa: E402

AS_OF = date(2026, 11, 1)
REQUIREMENTS = (
    "total",
    "major_policy",
    "environmental_education",
    "democratic_values",
    "gender_mainstreaming",
    "sexual_harassment_prevention",
    "ai_minimum",
    "ai_basic_target",
    "ai_advanced_target",
)


# ---------------------------------------------------------------- fixtures


def overtime(rows: int) -> MonthlyOvertimeReport:
    people = [
        PersonOvertime(
            person_id=f"E{i:05d}",
            minutes=(70 - i % 60) * 60,
            over_60h=(70 - i % 60) > 60,
            care_45h=(70 - i % 60) >= 45,
        )
        for i in range(rows)
    ]
    return MonthlyOvertimeReport(
        agency_code="A01",
        month="2026-03",
        people=rows,
        total_minutes=sum(p.minutes for p in people),
        over_limit=[],
        needs_care=[],
        rows=people,
    )


def balances(rows: int) -> BalanceReport:
    months = [f"2026-{m:02d}" for m in range(1, 13)]
    return BalanceReport(
        agency_code="A01",
        as_of=date(2025, 12, 31),
        months=months,
        rows=[
            BalanceRow(
                person_id=f"E{i:05d}",
                balance_minutes=600 + 30 * i,
                expiring_by_month={m: (i * 7 + k * 13) % 240 for k, m in enumerate(months)},
                hourly_rate=Decimal("245.00"),
                exposure=Decimal(245 * (600 + 30 * i)) / 60,
            )
            for i in range(rows)
        ],
    )


def _tally(index: int, headcount: int) -> dict[str, Any]:
    met = headcount - index % max(headcount, 1)
    share = Decimal(met) / Decimal(headcount) if headcount else Decimal(0)
    return {
        "headcount": headcount,
        "compliant_count": met,
        "compliant_share": share.quantize(Decimal("0.0001")),
        "ai_target_met_count": met,
        "ai_completion_rate": share.quantize(Decimal("0.0001")),
        "requirements": [
            {"code": c, "applies_to": headcount, "met_count": met, "share": share}
            for c in REQUIREMENTS
        ],
    }


def agency(units: int, shortfalls: int) -> AgencyReportOut:
    return AgencyReportOut.model_validate(
        {
            "agency_code": "A01",
            "agencies": ["A01", "A0101"],
            "year": 2026,
            "as_of": AS_OF,
            "as_of_roc": format_roc(AS_OF),
            "tally": _tally(3, 40 * units),
            "units": [
                {
                    "agency_code": "A01" if u % 2 else "A0101",
                    "unit_id": f"{u + 1:02d}",
                    "tally": _tally(u, 40),
                }
                for u in range(units)
            ],
            "shortfalls": [
                {
                    "person_id": f"P{p:06d}",
                    "agency_code": "A01",
                    "unit_id": f"{p % max(units, 1) + 1:02d}",
                    "hours_short": Decimal(p % 20 + 1),
                    "gaps": [
                        {"code": "total", "missing": Decimal(p % 20 + 1)},
                        {"code": "ai_minimum", "missing": Decimal(p % 3)},
                        {"code": "environmental_education", "missing": Decimal(p % 4)},
                    ],
                }
                for p in range(shortfalls)
            ],
        }
    )


def person(records: int) -> PersonReportOut:
    requirements = [
        {
            "code": c,
            "kind": "mandatory",
            "label_zh": training.requirement_zh(c),
            "required": Decimal(3),
            "completed": Decimal(2),
            "missing": Decimal(1),
            "met": False,
            "projected": Decimal("2.40"),
            "on_track": False,
        }
        for c in REQUIREMENTS
    ]
    day = date(2026, 1, 5)
    return PersonReportOut.model_validate(
        {
            "evaluation": {
                "person_id": "P001",
                "agency_code": "A01",
                "year": 2026,
                "as_of": AS_OF,
                "as_of_roc": format_roc(AS_OF),
                "cutoff": date(2026, 12, 31),
                "cutoff_roc": format_roc(date(2026, 12, 31)),
                "policy_version": "2026-national",
                "compliant": False,
                "ai_target_met": False,
                "projected_compliant": False,
                "projected_ai_target_met": False,
                "counted_hours": Decimal(18),
                "counted_records": records,
                "digital_hours": Decimal(9),
                "after_cutoff_hours": Decimal(0),
                "requirements": requirements,
            },
            "records": [
                {
                    "id": i + 1,
                    "source": "elearn",
                    "external_id": f"EL-{i:06d}",
                    "person_id": "P001",
                    "agency_code": "A01",
                    "unit_id": "11",
                    "course_id": 100 + i,
                    "course_title": "生成式AI應用與資訊安全實務",
                    "category_code": "C01",
                    "topics": ["ai_basic", "information_security"],
                    "is_digital": True,
                    "hours": Decimal("2.00"),
                    "completed_on": day + timedelta(days=7 * i),
                    "completed_on_roc": format_roc(day + timedelta(days=7 * i)),
                    "completed_at": None,
                    "year": 2026,
                    "withdrawn": False,
                    "version": 1,
                    "updated_at": "2026-11-01T00:00:00Z",
                }
                for i in range(records)
            ],
        }
    )


def talent_summary(agencies: int) -> TalentSummaryOut:
    """Holders per certificate kind and talent role: a row per agency and kind."""
    kinds = list(CertificateKind)
    rows = [
        {
            "agency_code": f"A{a:02d}",
            "kind": kind.value,
            "policy": 3 + a + k,
            "application": 10 + 2 * a + k,
            "development": 4 + a,
            "research": 1 + k,
            "no_role": 20 + a * k,
            "persons": 35 + 4 * a + 3 * k,
        }
        for a in range(1, agencies + 1)
        for k, kind in enumerate(kinds)
    ]
    return TalentSummaryOut.model_validate(
        {
            "agency_code": "A01",
            "agencies": [f"A{a:02d}" for a in range(1, agencies + 1)],
            "valid_on": AS_OF,
            "valid_on_roc": format_roc(AS_OF),
            "rows": rows,
        }
    )


# ------------------------------------------------------------ what renders


@dataclass(frozen=True)
class Sheet:
    name: str
    keys: Sequence[str] = ()  # a table's field names; empty for a chart
    marker: str = ""  # text only this sheet prints (a chart's title)


@dataclass(frozen=True)
class Case:
    name: str
    rows: int
    build: Callable[[], bytes]
    tables: Callable[[], list[Table]]
    sheets: Sequence[Sheet]
    one_page_each: bool  # a short report: every sheet on one page


SUMMARY = Sheet("summary", ("item", "value"))


def _cases() -> list[Case]:
    ot10, ot300 = overtime(10), overtime(300)
    bal10 = balances(10)
    ag10, ag_big = agency(10, 10), agency(40, 400)
    pr10 = person(10)
    # 10 rows: agencies × the catalogue's kinds (rounded up to whole agencies).
    talent10 = talent_summary(-(-10 // len(CertificateKind)))
    talent_big = talent_summary(75)

    def ot_sheets(report: MonthlyOvertimeReport) -> list[Sheet]:
        return [
            Sheet("overtime", attendance.overtime_table(report).keys),
            Sheet("chart", marker="Overtime hours"),
        ]

    def agency_sheets(report: AgencyReportOut) -> list[Sheet]:
        return [
            Sheet("compliance", training.compliance_table(report).keys),
            Sheet("shortfalls", training.shortfall_table(report).keys),
            SUMMARY,
            Sheet("chart", marker="Completion by unit"),
        ]

    def talent_sheets(report: TalentSummaryOut) -> list[Sheet]:
        return [
            Sheet("by kind", certs.summary_table(report).keys),
            SUMMARY,
            Sheet("chart", marker="Holders by kind and role"),
        ]

    return [
        Case(
            "attendance monthly overtime",
            10,
            lambda: attendance.overtime_xlsx(ot10),
            lambda: [attendance.overtime_table(ot10)],
            ot_sheets(ot10),
            True,
        ),
        Case(
            "attendance monthly overtime",
            300,
            lambda: attendance.overtime_xlsx(ot300),
            lambda: [attendance.overtime_table(ot300)],
            ot_sheets(ot300),
            False,
        ),
        Case(
            "attendance comp balances, 12 months",
            10,
            lambda: attendance.balance_xlsx(bal10),
            lambda: [attendance.balance_table(bal10)],
            [
                Sheet("balances", attendance.balance_table(bal10).keys),
                Sheet("chart", marker="Comp time expiring per month"),
            ],
            True,
        ),
        Case(
            "training agency compliance",
            10,
            lambda: training.agency_xlsx(ag10),
            lambda: [training.compliance_table(ag10), training.shortfall_table(ag10)],
            agency_sheets(ag10),
            True,
        ),
        Case(
            "training agency compliance",
            400,
            lambda: training.agency_xlsx(ag_big),
            lambda: [training.compliance_table(ag_big), training.shortfall_table(ag_big)],
            agency_sheets(ag_big),
            False,
        ),
        Case(
            "training person report",
            10,
            lambda: training.person_xlsx(pr10),
            lambda: [training.requirement_table(pr10), training.record_table(pr10)],
            [
                Sheet("requirements", training.requirement_table(pr10).keys),
                Sheet("records", training.record_table(pr10).keys),
                SUMMARY,
            ],
            True,
        ),
        Case(
            "certs staffing summary",
            len(talent10.rows),
            lambda: certs.summary_xlsx(talent10),
            lambda: [certs.summary_table(talent10)],
            talent_sheets(talent10),
            True,
        ),
        Case(
            "certs staffing summary",
            len(talent_big.rows),
            lambda: certs.summary_xlsx(talent_big),
            lambda: [certs.summary_table(talent_big)],
            talent_sheets(talent_big),
            False,
        ),
    ]


def plain(tables: Sequence[Table]) -> bytes:
    """The baseline: each table as a plain sheet, as the exports were written
    before (field names for a header, no widths, no print layout)."""
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for index, table in enumerate(tables):
        sheet = book.create_sheet(f"sheet{index + 1}")
        sheet.append(table.keys)
        for row in table.rows:
            sheet.append([csv_text(v) for v in row])
    return to_bytes(book)


# ------------------------------------------------------------------ tools


def convert(files: Sequence[Path], outdir: Path, profile: Path) -> None:
    """All files in one LibreOffice run (its start-up is most of the time), with a
    profile of its own so that another LibreOffice running meanwhile is no bother."""
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(outdir),
            *map(str, files),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True)
    match = re.search(r"^Pages:\s+(\d+)", info.stdout, flags=re.M)
    assert match, info.stdout
    return int(match.group(1))


def page_words(pdf: Path, page: int) -> tuple[set[str], str]:
    done = subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), "-layout", str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
    )
    return set(re.findall(r"[A-Za-z0-9_\-]+", done.stdout)), done.stdout


def attribute(pdf: Path, sheets: Sequence[Sheet]) -> list[str]:
    """The sheet each page shows: the chart whose title it prints, or the table
    whose every field name it prints (the most columns, when several fit);
    `?` for a page that shows no whole header row."""
    names: list[str] = []
    for page in range(1, page_count(pdf) + 1):
        words, text = page_words(pdf, page)
        charts = [s for s in sheets if s.marker and s.marker in text]
        tables = [s for s in sheets if s.keys and set(s.keys) <= words]
        if charts:
            names.append(charts[0].name)
        elif tables:
            names.append(max(tables, key=lambda s: len(s.keys)).name)
        else:
            names.append("?")
    return names


def check(case: Case, pages: list[str]) -> list[str]:
    """What is wrong with the pages of `case`'s workbook, if anything."""
    problems = []
    if "?" in pages:
        problems.append(f"{pages.count('?')} page(s) without a whole header row")
    for sheet in case.sheets:
        count = pages.count(sheet.name)
        if count == 0:
            problems.append(f"{sheet.name}: not printed")
        elif (case.one_page_each or not sheet.keys or sheet is SUMMARY) and count != 1:
            problems.append(f"{sheet.name}: {count} pages, not 1")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, help="write the workbooks and PDFs here")
    args = parser.parse_args()
    missing = [t for t in ("soffice", "pdfinfo", "pdftotext") if shutil.which(t) is None]
    if missing:
        print(f"missing: {', '.join(missing)}; see this script's docstring", file=sys.stderr)
        return 2
    cases = _cases()
    with tempfile.TemporaryDirectory(prefix="render-") as scratch:
        work = args.keep or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        files: list[Path] = []
        for index, case in enumerate(cases):
            for kind, content in (("report", case.build()), ("plain", plain(case.tables()))):
                path = work / f"{index}-{kind}.xlsx"
                path.write_bytes(content)
                files.append(path)
        started = time.perf_counter()
        convert(files, work, Path(scratch) / "profile")
        elapsed = time.perf_counter() - started
        print(f"LibreOffice: {len(files)} workbooks to PDF in {elapsed:.1f} s")
        print(
            f"{'workbook':<38}{'rows':>5}{'sheets':>7}{'pages':>6}{'plain':>6}{'ratio':>7}"
            "  pages per sheet"
        )
        failed = 0
        for index, case in enumerate(cases):
            pages = attribute(work / f"{index}-report.pdf", case.sheets)
            baseline = page_count(work / f"{index}-plain.pdf")
            per_sheet = ", ".join(f"{s.name} {pages.count(s.name)}" for s in case.sheets)
            problems = check(case, pages)
            failed += bool(problems)
            verdict = "ok" if not problems else "FAILED: " + "; ".join(problems)
            print(
                f"{case.name:<38}{case.rows:>5}{len(case.sheets):>7}{len(pages):>6}"
                f"{baseline:>6}{baseline / len(pages):>6.1f}x  {per_sheet}  {verdict}"
            )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
