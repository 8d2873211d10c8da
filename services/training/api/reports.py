"""Compliance reports: one person, or an agency rolled up over its subordinates;
JSON, CSV or XLSX."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from pydantic_core import to_json
from sqlmodel import Session

from services.common.db import WriteSessionDep
from services.common.errors import CONFLICT_RESPONSES, PROBLEM_RESPONSES
from services.common.principal import Principal
from services.common.timeutil import format_roc, today_taipei
from services.training.access import RecordReader
from services.training.api.persons import evaluation_out
from services.training.api.records import record_out
from services.training.clients import Peers, peer_clients
from services.training.domain.rollup import Tally, split_unit
from services.training.exports import XLSX_MEDIA_TYPE, agency_csv, agency_xlsx, person_csv
from services.training.schemas.common import AgencyCode, PersonId
from services.training.schemas.reports import AgencyReportOut, PersonReportOut
from services.training.service import compliance, reports

router = APIRouter(prefix="/reports", tags=["reports"])
PeersDep = Annotated[Peers, Depends(peer_clients)]
Year = Annotated[int, Query(ge=1912, le=9999)]
AsOf = Annotated[date | None, Query(description="Taipei day to report as of; today")]
Format = Annotated[Literal["json", "csv", "xlsx"], Query(alias="format")]
DOWNLOADS: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
        }
    },
    503: {**PROBLEM_RESPONSES[500], "description": "The directory is needed for subordinates"},
}


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
    for s in rollup.shortfalls:
        agency, unit = split_unit(s.unit_id)
        shortfalls.append(
            {
                "person_id": s.person_id,
                "agency_code": agency,
                "unit_id": unit,
                "hours_short": s.hours_short,
                "gaps": [{"code": c, "missing": m} for c, m in s.gaps],
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


@router.get(
    "/agencies/{agency_code}",
    summary="An agency's compliance, rolled up over its subordinates",
    response_model=AgencyReportOut,
    responses={**DOWNLOADS, **CONFLICT_RESPONSES},
)
def get_agency_report(
    agency_code: Annotated[AgencyCode, Path()],
    session: WriteSessionDep,
    who: RecordReader,
    peers: PeersDep,
    year: Year,
    as_of: AsOf = None,
    subordinates: Annotated[bool, Query(description="Include subordinate agencies")] = True,
    file_format: Format = "json",
) -> Any:
    day = as_of or today_taipei()
    if file_format == "json":
        with _collector_paused():
            body = _report_body(
                session, who, peers, agency_code, year, day, subordinates=subordinates
            )
        return Response(body, media_type="application/json")
    report = reports.agency_report(session, who, peers, agency_code, year, day, subordinates)
    out = report_out(agency_code, report)
    name = f"training-{agency_code}-{year}"
    if file_format == "csv":
        return Response(
            agency_csv(out),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    return Response(
        agency_xlsx(out),
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )


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


@router.get(
    "/persons/{person_id}",
    summary="A person's year: evaluation and the records behind it",
    response_model=PersonReportOut,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        **CONFLICT_RESPONSES,
    },
)
def get_person_report(
    person_id: Annotated[PersonId, Path()],
    session: WriteSessionDep,
    who: RecordReader,
    year: Year,
    as_of: AsOf = None,
    file_format: Annotated[Literal["json", "csv"], Query(alias="format")] = "json",
) -> Any:
    report = reports.person_report(session, who, person_id, year, as_of or today_taipei())
    body = PersonReportOut(
        evaluation=evaluation_out(report.result),
        records=[record_out(r, c) for r, c in report.records],
    )
    if file_format == "json":
        return body
    return Response(
        person_csv(body),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="training-{person_id}-{year}.csv"'},
    )
