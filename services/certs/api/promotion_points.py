"""Promotion points for AI knowledge (陞任評分): an agency's table per year, and a
person's AI points under it."""

# No `from __future__ import annotations`: FastAPI resolves annotations at import.

from typing import Annotated

from fastapi import APIRouter, Path, Query

from services.certs.access import PointsReader, PointsWriter, TalentReader
from services.certs.service import promotion_points
from services.certs.talent_schemas import PersonPointsOut, PointsTableIn, PointsTableOut
from services.common.bounds_dates import BoundedDate
from services.common.db import SessionDep, WriteSessionDep
from services.common.timeutil import today_taipei

router = APIRouter(tags=["promotion-points"])

AgencyCode = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,16}$", description="The agency's code")]
Year = Annotated[int, Path(ge=1912, le=2100, description="The calendar year the table is for")]
PersonId = Annotated[
    str, Path(min_length=1, max_length=64, description="The person's personnel id")
]


@router.get(
    "/agencies/{agency_code}/promotion-points/{year}",
    summary="An agency's AI promotion points table for a year",
    description=(
        "Points by certificate kind and level, by AI-hour bands, and the caps of "
        "`professional_ability` (專業或技術能力) and `training` (訓練進修). An agency "
        "without a table for the year is 404: there is no default."
    ),
    response_model=PointsTableOut,
)
def get_promotion_points_table(
    agency_code: AgencyCode, year: Year, session: SessionDep, who: PointsReader
) -> PointsTableOut:
    return promotion_points.read_table(session, who, agency_code, year)


@router.put(
    "/agencies/{agency_code}/promotion-points/{year}",
    summary="Set an agency's AI promotion points table for a year",
    description=(
        "Replaces the table. Refused with 422 naming each fault: negative points, a "
        "kind and level listed twice, bands not rising in hours (overlapping) or falling "
        "in points or split across items, a row worth more than its item's cap."
    ),
    response_model=PointsTableOut,
)
def put_promotion_points_table(
    agency_code: AgencyCode,
    year: Year,
    body: PointsTableIn,
    session: WriteSessionDep,
    who: PointsWriter,
) -> PointsTableOut:
    return promotion_points.put_table(session, who, agency_code, year, body)


@router.get(
    "/persons/{person_id}/promotion-points",
    summary="A person's AI promotion points, each with its reason and the caps applied",
    description=(
        "Under the table of the person's agency for `year`: verified certificates valid "
        "on `on` (default today in Taipei) and the stored AI hours of `year`; each line "
        "says what it earned and why, each item what the cap let through."
    ),
    response_model=PersonPointsOut,
)
def get_person_promotion_points(
    person_id: PersonId,
    session: WriteSessionDep,
    who: TalentReader,
    year: Annotated[
        int | None, Query(ge=1912, le=2100, description="Default: this year in Taipei")
    ] = None,
    on: Annotated[
        BoundedDate | None, Query(description="The scoring day; default today in Taipei")
    ] = None,
) -> PersonPointsOut:
    day = on or today_taipei()
    return promotion_points.person_points(session, who, person_id, year or day.year, day)
