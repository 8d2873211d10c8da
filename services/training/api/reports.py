"""Compliance reports: one person, or an agency rolled up over its subordinates.

Each report is JSON at its path, and files at paths of their own
(services/common/downloads.py): the agency's `…/report.csv` (compliance per unit),
`…/shortfalls.csv` and `…/report.xlsx` (both tables, a summary and a chart); the
person's `…/report.csv` (requirements), `…/records.csv` and `…/report.xlsx`. A
report's filters and permission are declared once, in the dependency all its
representations share."""

# No `from __future__ import annotations`: FastAPI resolves annotations at import.

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query
from fastapi.responses import Response
from pydantic_core import to_json
from sqlmodel import Session

from services.common.db import WriteSessionDep
from services.common.downloads import (
    CSV_MEDIA_TYPE,
    JSON_MEDIA_TYPE,
    NOT_ACCEPTABLE_RESPONSE,
    XLSX_MEDIA_TYPE,
    attachment,
    choose,
    file_get,
    format_description,
)
from services.common.errors import CONFLICT_RESPONSES, PROBLEM_RESPONSES
from services.common.principal import Principal
from services.common.timeutil import format_roc, today_taipei
from services.common.workbooks import to_csv
from services.training import exports
from services.training.access import RecordReader
from services.training.api.persons import evaluation_out
from services.training.api.records import record_out
from services.training.clients import Peers, peer_clients
from services.training.domain.rollup import Tally, split_unit
from services.training.schemas.common import AgencyCode, PersonId
from services.training.schemas.reports import AgencyReportOut, PersonReportOut
from services.training.service import compliance, reports

router = APIRouter(prefix="/reports", tags=["reports"])
PeersDep = Annotated[Peers, Depends(peer_clients)]
Year = Annotated[int, Query(ge=1912, le=9999)]
AsOf = Annotated[date | None, Query(description="Taipei day to report as of; today")]
AcceptHeader = Annotated[str | None, Header(include_in_schema=False)]
FileFormat = Literal["json", "csv", "xlsx"]
OFFERED = (JSON_MEDIA_TYPE, CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE)
DIRECTORY_DOWN: dict[int | str, dict[str, Any]] = {
    503: {**PROBLEM_RESPONSES[500], "description": "The directory is needed for subordinates"},
}


def _format(paths: str) -> Any:
    return Query(alias="format", deprecated=True, description=format_description(paths))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Hold off the cyclic garbage collector while a large report is built.

    A report over 100,000 persons allocates a few hundred thousand small objects
    (rows, shortfalls, JSON-ready dicts), none of them in a cycle, and each one
    counts toward the collector's next pass over every live object: left on, the
    collector took a third of the report's time. Reference counting still frees
    everything as usual; only the search for cycles waits until the report is built
    and its objects are gone.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def tally_json(tally: Tally) -> dict[str, Any]:
    """A `TallyOut` as plain JSON-ready values, fields in the model's order."""
    return {
        "headcount": tally.headcount,
        "compliant_count": tally.compliant_count,
        "compliant_share": tally.compliant_share,
        "ai_target_met_count": tally.ai_target_met_count,
        "ai_completion_rate": tally.ai_completion_rate,
        "requirements": [
            {"code": r.code, "applies_to": r.applies_to, "met_count": r.met_count, "share": r.share}
            for r in tally.requirements
        ],
    }


def report_json(code: str, report: compliance.AgencyReport) -> dict[str, Any]:
    """An `AgencyReportOut` as plain values. The shortfall list can name tens of
    thousands of persons: building a model per entry (and validating it again on
    the way out) took longer than computing the report."""
    rollup = report.rollup
    shortfalls = []
    # Units and gap lists repeat across the persons short (a unit has many, and
    # most are short of the same few things): each is split or built once and the
    # same JSON-ready value listed again, which the serialiser writes out each time.
    # Gaps are known by the identity of their entries, which the roll-up shares
    # between persons: by value, 6 and 6.00 hours would pass for one another.
    places: dict[str, tuple[str, str]] = {}
    gap_lists: dict[tuple[int, ...], list[dict[str, Any]]] = {}
    for s in rollup.shortfalls:
        place = places.get(s.unit_id)
        if place is None:
            place = places[s.unit_id] = split_unit(s.unit_id)
        known = tuple(map(id, s.gaps))
        gaps = gap_lists.get(known)
        if gaps is None:
            gaps = gap_lists[known] = [{"code": c, "missing": m} for c, m in s.gaps]
        shortfalls.append(
            {
                "person_id": s.person_id,
                "agency_code": place[0],
                "unit_id": place[1],
                "hours_short": s.hours_short,
                "gaps": gaps,
            }
        )
    units = []
    for u in rollup.units:
        agency, unit = split_unit(u.unit_id)
        units.append({"agency_code": agency, "unit_id": unit, "tally": tally_json(u.tally)})
    return {
        "agency_code": code,
        "agencies": list(report.agencies),
        "year": report.year,
        "as_of": report.as_of,
        "as_of_roc": format_roc(report.as_of),
        "tally": tally_json(rollup.tally),
        "shortfalls": shortfalls,
        "units": units,
    }


def report_out(code: str, report: compliance.AgencyReport) -> AgencyReportOut:
    return AgencyReportOut.model_validate(report_json(code, report))


# ------------------------------------------------------------- agency report


@dataclass(frozen=True)
class AgencyAsked:
    code: str
    year: int
    day: date
    subordinates: bool


def agency_asked(
    agency_code: Annotated[AgencyCode, Path()],
    year: Year,
    as_of: AsOf = None,
    subordinates: Annotated[bool, Query(description="Include subordinate agencies")] = True,
) -> AgencyAsked:
    """The agency report's filters, declared once for its every representation."""
    return AgencyAsked(agency_code, year, as_of or today_taipei(), subordinates)


AgencyAskedDep = Annotated[AgencyAsked, Depends(agency_asked)]


def agency_report_out(
    asked: AgencyAskedDep, session: WriteSessionDep, who: RecordReader, peers: PeersDep
) -> AgencyReportOut:
    """The agency report the files render (checked, audited and computed once)."""
    report = reports.agency_report(
        session, who, peers, asked.code, asked.year, asked.day, asked.subordinates
    )
    return report_out(asked.code, report)


AgencyReportDep = Annotated[AgencyReportOut, Depends(agency_report_out)]


def _agency_file(report: AgencyReportOut, media_type: str) -> Response:
    if media_type == CSV_MEDIA_TYPE:
        name = exports.agency_file_name(report, "compliance", "csv")
        return attachment(to_csv(exports.compliance_table(report)), media_type, name)
    name = exports.agency_file_name(report, "compliance", "xlsx")
    return attachment(exports.agency_xlsx(report), media_type, name)


@router.get(
    "/agencies/{agency_code}",
    summary="An agency's compliance, rolled up over its subordinates",
    description="The files are `…/report.csv`, `…/shortfalls.csv` and `…/report.xlsx`. "
    "For older callers this path still answers the compliance CSV or the workbook for "
    "the deprecated `format`, or for an `Accept` that prefers `text/csv` or the XLSX "
    "type; an `Accept` allowing none of the three is 406.",
    response_model=AgencyReportOut,
    responses={**NOT_ACCEPTABLE_RESPONSE, **DIRECTORY_DOWN, **CONFLICT_RESPONSES},
)
def get_agency_report(
    asked: AgencyAskedDep,
    session: WriteSessionDep,
    who: RecordReader,
    peers: PeersDep,
    accept: AcceptHeader = None,
    file_format: Annotated[FileFormat | None, _format("`…/report.csv`, `…/report.xlsx`")] = None,
) -> Any:
    chosen = choose(file_format, accept, OFFERED)
    if chosen == JSON_MEDIA_TYPE:
        with _collector_paused():
            body = _report_body(
                session,
                who,
                peers,
                asked.code,
                asked.year,
                asked.day,
                subordinates=asked.subordinates,
            )
        return Response(body, media_type=JSON_MEDIA_TYPE)
    return _agency_file(agency_report_out(asked, session, who, peers), chosen)


AGENCY_NAME = "`training-<kind>-<agency>-<year>-as-of-<day>.<ext>`"


@file_get(
    router,
    "/agencies/{agency_code}/report.csv",
    summary="An agency's compliance as CSV: the agency, then one row per unit",
    description="Columns: level (`agency` for the agency with the subordinates "
    "counted, `unit` for each unit), agency_code, unit_id, headcount, compliant_count, "
    "compliant_share, ai_target_met_count, ai_completion_rate, and share_<code> for "
    "each requirement; shares as the JSON writes them (0.7500). UTF-8 with a BOM. The "
    f"year and the as-of day are in the file name, {AGENCY_NAME} (kind `compliance`).",
    media_type=CSV_MEDIA_TYPE,
    what="The compliance table as CSV",
    responses={
        **DIRECTORY_DOWN,
        **CONFLICT_RESPONSES,
    },
)
def get_agency_report_csv(report: AgencyReportDep) -> Response:
    return _agency_file(report, CSV_MEDIA_TYPE)


@file_get(
    router,
    "/agencies/{agency_code}/shortfalls.csv",
    summary="Who in the agency is short of a requirement, and by how many hours, as CSV",
    description="One row per person short. Columns: person_id, agency_code, unit_id, "
    "hours_short (the largest single gap), and missing_<code> for each requirement "
    "anyone is short of (0 where the person met it). UTF-8 with a BOM. The file is "
    f"named {AGENCY_NAME} (kind `shortfalls`).",
    media_type=CSV_MEDIA_TYPE,
    what="The shortfalls as CSV",
    responses={
        **DIRECTORY_DOWN,
        **CONFLICT_RESPONSES,
    },
)
def get_agency_shortfalls_csv(report: AgencyReportDep) -> Response:
    content = to_csv(exports.shortfall_table(report))
    name = exports.agency_file_name(report, "shortfalls", "csv")
    return attachment(content, CSV_MEDIA_TYPE, name)


@file_get(
    router,
    "/agencies/{agency_code}/report.xlsx",
    summary="An agency's compliance as a workbook, with the shortfalls and a chart",
    description="Sheets: the compliance table and the shortfall table as in their "
    "CSVs, with bilingual headers; a summary (agency, year and ROC year, as-of day "
    "ISO and ROC, the totals); the compliant share and AI completion rate per unit "
    f"charted on a sheet of its own. The file is named {AGENCY_NAME} (kind "
    "`compliance`).",
    media_type=XLSX_MEDIA_TYPE,
    what="The report as an XLSX workbook",
    responses={
        **DIRECTORY_DOWN,
        **CONFLICT_RESPONSES,
    },
)
def get_agency_report_xlsx(report: AgencyReportDep) -> Response:
    return _agency_file(report, XLSX_MEDIA_TYPE)


def _report_body(
    session: Session,
    who: Principal,
    peers: Peers,
    code: str,
    year: int,
    day: date,
    *,
    subordinates: bool,
) -> bytes:
    """The JSON report as bytes. Everything built on the way is freed when this
    returns, so the collector, paused meanwhile, resumes with nothing of it to scan."""
    report = reports.agency_report(session, who, peers, code, year, day, subordinates)
    return to_json(report_json(code, report))


# ------------------------------------------------------------- person report


def person_report_out(
    person_id: Annotated[PersonId, Path()],
    session: WriteSessionDep,
    who: RecordReader,
    year: Year,
    as_of: AsOf = None,
) -> PersonReportOut:
    """The person report every representation renders: filters and permission once."""
    report = reports.person_report(session, who, person_id, year, as_of or today_taipei())
    return PersonReportOut(
        evaluation=evaluation_out(report.result),
        records=[record_out(r, c) for r, c in report.records],
    )


PersonReportDep = Annotated[PersonReportOut, Depends(person_report_out)]


def person_choice(
    accept: AcceptHeader = None,
    file_format: Annotated[
        FileFormat | None, _format("`…/report.csv`, `…/records.csv`, `…/report.xlsx`")
    ] = None,
) -> str:
    """The representation asked for, settled before the report is read (and its
    read audited), so that a 406 reads nothing."""
    return choose(file_format, accept, OFFERED)


def _person_file(report: PersonReportOut, media_type: str) -> Response:
    if media_type == CSV_MEDIA_TYPE:
        name = exports.person_file_name(report, "requirements", "csv")
        return attachment(to_csv(exports.requirement_table(report)), media_type, name)
    name = exports.person_file_name(report, "report", "xlsx")
    return attachment(exports.person_xlsx(report), media_type, name)


PERSON_NAME = "`training-<kind>-<person>-<year>-as-of-<day>.<ext>`"


@router.get(
    "/persons/{person_id}",
    summary="A person's year: evaluation and the records behind it",
    description="The files are `…/report.csv` (the requirements), `…/records.csv` and "
    "`…/report.xlsx`. For older callers this path still answers the requirements CSV "
    "or the workbook for the deprecated `format`, or for an `Accept` that prefers them; "
    "an `Accept` allowing none of the three is 406.",
    response_model=PersonReportOut,
    responses={**NOT_ACCEPTABLE_RESPONSE, **CONFLICT_RESPONSES},
)
def get_person_report(
    chosen: Annotated[str, Depends(person_choice)], report: PersonReportDep
) -> Any:
    return report if chosen == JSON_MEDIA_TYPE else _person_file(report, chosen)


@file_get(
    router,
    "/persons/{person_id}/report.csv",
    summary="A person's standing against each requirement, as CSV",
    description="One row per requirement. Columns: code, kind, label_zh, required, "
    "completed, missing, met, projected, on_track; UTF-8 with a BOM. The file is named "
    f"{PERSON_NAME} (kind `requirements`).",
    media_type=CSV_MEDIA_TYPE,
    what="The requirements as CSV",
    responses=CONFLICT_RESPONSES,
)
def get_person_report_csv(report: PersonReportDep) -> Response:
    return _person_file(report, CSV_MEDIA_TYPE)


@file_get(
    router,
    "/persons/{person_id}/records.csv",
    summary="A person's learning records of the year, as CSV",
    description="One row per record, in the order completed. Columns: id, source, "
    "external_id, agency_code, unit_id, course_id, course_title, category_code, topics "
    "(joined by `;`), is_digital, hours, completed_on, completed_on_roc, withdrawn; "
    f"UTF-8 with a BOM. The file is named {PERSON_NAME} (kind `records`).",
    media_type=CSV_MEDIA_TYPE,
    what="The records as CSV",
    responses=CONFLICT_RESPONSES,
)
def get_person_records_csv(report: PersonReportDep) -> Response:
    content = to_csv(exports.record_table(report))
    name = exports.person_file_name(report, "records", "csv")
    return attachment(content, CSV_MEDIA_TYPE, name)


@file_get(
    router,
    "/persons/{person_id}/report.xlsx",
    summary="A person's year as a workbook: requirements, records and a summary",
    description="Sheets: the requirements and the records as in their CSVs, with "
    "bilingual headers, and a summary (year and ROC year, as-of and cut-off days ISO "
    f"and ROC, the counted hours). The file is named {PERSON_NAME} (kind `report`).",
    media_type=XLSX_MEDIA_TYPE,
    what="The report as an XLSX workbook",
    responses=CONFLICT_RESPONSES,
)
def get_person_report_xlsx(report: PersonReportDep) -> Response:
    return _person_file(report, XLSX_MEDIA_TYPE)
