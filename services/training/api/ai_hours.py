"""The AI-hours feed: the certs service's nightly pull of who changed since when."""

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import AwareDatetime
from pydantic_core import to_json

from services.common.db import WriteSessionDep
from services.common.pagination import MAX_CURSOR_LENGTH
from services.training.access import ai_hours_reader
from services.training.domain.ai_hours import hours, hours_text
from services.training.schemas.ai_hours import AiHoursPage, PersonAiHoursOut
from services.training.service import ai_hours
from services.training.service.ai_hours import FeedPage, Position

router = APIRouter(tags=["ai-hours"])

# Larger pages than other lists: one caller, a few narrow columns, 300,000 persons.
MAX_FEED_PAGE = 5000
DEFAULT_FEED_PAGE = 1000


@dataclass(frozen=True)
class FeedQuery:
    changed_since: datetime | None
    position: Position | None
    limit: int


def feed_query(
    changed_since: Annotated[
        AwareDatetime | None,
        Query(description="Only figures changed after this moment (RFC 3339, with an offset)"),
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=MAX_FEED_PAGE, description="Items per page")
    ] = DEFAULT_FEED_PAGE,
    cursor: Annotated[
        str | None, Query(max_length=MAX_CURSOR_LENGTH, description="From `next_cursor`")
    ] = None,
) -> FeedQuery:
    # A dependency of its own, resolved before the caller is checked: bad input is
    # a 422 for what it is, whoever sends it.
    position = None if cursor is None else ai_hours.parse_cursor(cursor)
    return FeedQuery(changed_since, position, limit)


AiHoursReader = ai_hours_reader(feed_query)


@router.get(
    "/ai-hours",
    summary="AI hours per person and year, changed since a moment",
    description=(
        "Every person's AI hours (AI知能) of each year whose figures changed after "
        "`changed_since` (all of them without it), in the order they changed, for the "
        "certs service's nightly pull. The first page fixes `until`, the latest change "
        "the pull covers; follow `next_cursor` to the end, then pass `until` as the "
        "next pull's `changed_since`. Hours follow the compliance rules: records not "
        "withdrawn, tagged AI, by Taipei year, a record tagged both levels counted once "
        "as advanced; no agency cut-off. Each person listed is logged as read."
    ),
    response_model=AiHoursPage,
)
def feed(
    query: Annotated[FeedQuery, Depends(feed_query)],
    session: WriteSessionDep,
    principal: AiHoursReader,  # type: ignore[valid-type]
) -> Response:
    page = ai_hours.pull(
        session,
        principal,
        changed_since=query.changed_since,
        position=query.position,
        limit=query.limit,
    )
    # Up to 5,000 items: written straight from the entries, not built as models
    # and validated again by the framework, which took most of the feed's time
    # (tests hold the body to AiHoursPage, which stays the documented model).
    return Response(to_json(feed_body(page, query.limit)), media_type="application/json")


def feed_body(page: FeedPage, limit: int) -> dict[str, Any]:
    """The page as AiHoursPage serialises it."""
    return {
        "items": [
            {
                "person_id": e.person_id,
                "year": e.year,
                "ai_hours": hours_text(e.basic_centi + e.advanced_centi),
                "ai_basic_hours": hours_text(e.basic_centi),
                "ai_advanced_hours": hours_text(e.advanced_centi),
                "changed_at": e.changed_at,
                "agency_code": e.agency_code,
                "unit_id": e.unit_id,
            }
            for e in page.entries
        ],
        "next_cursor": page.next_cursor,
        "limit": limit,
        "until": page.until,
    }


@dataclass(frozen=True)
class PersonQuery:
    person_id: str
    year: int


def person_query(
    person_id: Annotated[
        str, Path(min_length=1, max_length=64, description="The person's personnel id")
    ],
    year: Annotated[int, Query(ge=1912, le=9999, description="The Taipei calendar year")],
) -> PersonQuery:
    return PersonQuery(person_id, year)


PersonAiHoursReader = ai_hours_reader(person_query)


@router.get(
    "/ai-hours/persons/{person_id}",
    summary="One person's AI hours of one year",
    description=(
        "The certs service's live read for one person's readiness view: the person's AI "
        "hours (AI知能) of `year`, counted as in the feed, with the roster's agency and "
        "unit; zeros and `changed_at` null when no AI record of the year exists. The "
        "person is logged as read."
    ),
    response_model=PersonAiHoursOut,
)
def person_ai_hours(
    query: Annotated[PersonQuery, Depends(person_query)],
    session: WriteSessionDep,
    principal: PersonAiHoursReader,  # type: ignore[valid-type]
) -> PersonAiHoursOut:
    figures = ai_hours.of_person(session, principal, query.person_id, query.year)
    return PersonAiHoursOut(
        person_id=figures.person_id,
        year=figures.year,
        ai_hours=hours(figures.basic_centi + figures.advanced_centi),
        ai_basic_hours=hours(figures.basic_centi),
        ai_advanced_hours=hours(figures.advanced_centi),
        changed_at=figures.changed_at,
        agency_code=figures.agency_code,
        unit_id=figures.unit_id,
    )
