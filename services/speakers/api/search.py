"""Searching the lecturer directory (講座查詢)."""

from typing import Annotated

from fastapi import APIRouter, Query

from services.common.db import WriteSessionDep
from services.common.pagination import MAX_CURSOR_LENGTH, Page
from services.speakers.access import Searcher
from services.speakers.domain.text import TERM_MAX
from services.speakers.schemas import SearchResult
from services.speakers.service import search
from services.speakers.service.search import MAX_PAGE

router = APIRouter(prefix="/search", tags=["search"])

# Room for surrounding spaces a user typed; the folded term is what is bounded.
TERM_INPUT = TERM_MAX * 2


# Every search writes its audit row, so it takes the write session.
@router.get(
    "",
    summary="Search lecturers by class, course, name, agency, expertise or course category",
    description=(
        "Substring search, Chinese included, from one character on; full-width and "
        "half-width forms and case fold to one form. Criteria combine with AND. Best "
        "match first (per criterion: the whole value 3, its start 2, elsewhere 1; "
        "summed), then the most recent engagement. Each result shows only what the "
        "lecturer's consent discloses to the caller's role."
    ),
    response_model=Page[SearchResult],
)
def search_lecturers(
    session: WriteSessionDep,
    who: Searcher,
    class_name: Annotated[str | None, Query(max_length=TERM_INPUT, description="班別名稱")] = None,
    course_name: Annotated[str | None, Query(max_length=TERM_INPUT, description="課程名稱")] = None,
    name: Annotated[str | None, Query(max_length=TERM_INPUT, description="姓名")] = None,
    agency: Annotated[str | None, Query(max_length=TERM_INPUT, description="服務機關名稱")] = None,
    expertise: Annotated[str | None, Query(max_length=TERM_INPUT, description="專長領域")] = None,
    category: Annotated[
        str | None, Query(max_length=TERM_INPUT, description="終身學習入口網站課程類別 (name)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Items per page")] = 20,
    cursor: Annotated[
        str | None, Query(max_length=MAX_CURSOR_LENGTH, description="From `next_cursor`")
    ] = None,
) -> Page[SearchResult]:
    query = search.Query(
        terms={
            "class_name": class_name,
            "course_name": course_name,
            "name": name,
            "agency": agency,
            "expertise": expertise,
            "category": category,
        },
        limit=limit,
        cursor=cursor,
    )
    items, next_cursor = search.run(session, who, query)
    return Page[SearchResult](items=items, next_cursor=next_cursor, limit=limit)
