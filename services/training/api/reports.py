"""Compliance reports: one person, or an agency rolled up over its subordinates;
JSON, CSV or XLSX."""

import csv
import gc
import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel
from pydantic_core import to_json
from sqlmodel import Session

from services.common.audit import record_personal_data_read
from services.common.db import WriteSessionDep
from services.common.errors import CONFLICT_RESPONSES, PROBLEM_RESPONSES, NotFound
from services.common.timeutil import ROC_OFFSET, format_roc, today_taipei
from services.training import compliance
from services.training.access import RECORDS_READ, RecordReader, check_agency, check_person, reach
from services.training.api.persons import evaluation_out
from services.training.api.records import record_out
from services.training.clients import Peers, peer_clients
from services.training.domain.rollup import Tally
from services.training.models import personal_data_reads
from services.training.reports.exports import XLSX_MEDIA_TYPE, agency_csv, agency_xlsx
from services.training.schemas.common import AgencyCode, PersonId
from services.training.schemas.records import EvaluationOut, RecordOut
from services.training.schemas.reports import AgencyReportOut
from services.training.store import records

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


class PersonReportOut(BaseModel):
    evaluation: EvaluationOut
    records: list[RecordOut]


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
        agency, unit = compliance.split_unit(s.unit_id)
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
        agency, unit = compliance.split_unit(u.unit_id)
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
    check_agency(who, RECORDS_READ, agency_code)
    agencies = [agency_code]
    if subordinates:
        tree = peers.directory().subtree(agency_code)
        # An officer scoped to part of the tree sees that part only.
        agencies = [c for c in tree if who.has(RECORDS_READ) or who.in_scope(c)] or [agency_code]
    day = as_of or today_taipei()
    covered = sorted(set(agencies))
    # The report discloses who in these agencies is short, and by how much. It is
    # audited as one row per agency it covers (subject `agency:<code>`, with the
    # year and day it was run for), not one per person listed: an agency of
    # 100,000 would otherwise add up to 100,000 audit rows on every read.
    record_personal_data_read(
        session,
        personal_data_reads,
        who,
        [f"agency:{code}" for code in covered],
        "agency report",
        f"shortfalls {year} as of {day.isoformat()}",
    )
    if file_format == "json":
        with _collector_paused():
            body = _report_body(session, agency_code, covered, year, day)
        return Response(body, media_type="application/json")
    out = report_out(agency_code, compliance.agency_report(session, covered, year, day))
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


def _report_body(session: Session, code: str, agencies: list[str], year: int, day: date) -> bytes:
    """The JSON report as bytes. Everything built on the way is freed when this
    returns, so the collector, paused meanwhile, resumes with nothing of it to scan."""
    return to_json(report_json(code, compliance.agency_report(session, agencies, year, day)))


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
    placement = compliance.person_placement(session, person_id)
    if placement is None:
        raise NotFound("no such person")
    check_person(
        reach(session, who, RECORDS_READ), person_id, placement.agency_code, placement.unit_id
    )
    record_personal_data_read(session, personal_data_reads, who, [person_id], "person report")
    result = compliance.evaluate_person(
        session, person_id, placement, year, as_of or today_taipei()
    )
    rows = records.for_person_year(session, person_id, year)
    body = PersonReportOut(
        evaluation=evaluation_out(result), records=[record_out(r, c) for r, c in rows]
    )
    if file_format == "json":
        return body
    out = io.StringIO()
    writer = csv.writer(out)
    ev = body.evaluation
    writer.writerow(["person_id", ev.person_id, "year", ev.year, "roc_year", ev.year - ROC_OFFSET])
    writer.writerow(
        ["as_of", ev.as_of.isoformat(), "as_of_roc", ev.as_of_roc, "compliant", ev.compliant]
    )
    writer.writerow([])
    writer.writerow(
        ["requirement", "label", "required", "completed", "missing", "met", "projected"]
    )
    for r in ev.requirements:
        writer.writerow(
            [r.code, r.label_zh, r.required, r.completed, r.missing, r.met, r.projected]
        )
    writer.writerow([])
    writer.writerow(["completed_on", "completed_on_roc", "course", "hours", "topics", "withdrawn"])
    for rec in body.records:
        writer.writerow(
            [
                rec.completed_on.isoformat(),
                rec.completed_on_roc,
                rec.course_title,
                rec.hours,
                ";".join(rec.topics),
                rec.withdrawn,
            ]
        )
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="training-{person_id}-{year}.csv"'},
    )
