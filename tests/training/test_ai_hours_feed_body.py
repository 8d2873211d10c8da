"""The feed's body is written straight from the entries: it must be, byte for
byte, what the documented model AiHoursPage would serialise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st
from pydantic_core import to_json

from services.training.api.ai_hours import feed_body
from services.training.domain.ai_hours import hours, hours_text
from services.training.schemas.ai_hours import AiHoursOut, AiHoursPage
from services.training.service.ai_hours import FeedPage
from services.training.store.ai_hours import Entry

moments = st.datetimes(
    min_value=datetime(1912, 1, 1), max_value=datetime(9998, 12, 31), timezones=st.just(UTC)
) | st.datetimes(timezones=st.just(timezone(timedelta(hours=8))))
centi = st.integers(min_value=0, max_value=10**9)
entries = st.builds(
    Entry,
    person_id=st.text(min_size=1, max_size=64),
    year=st.integers(min_value=1912, max_value=9999),
    basic_centi=centi,
    advanced_centi=centi,
    changed_at=moments,
    agency_code=st.none() | st.text(max_size=16),
    unit_id=st.none() | st.text(max_size=32),
)


@given(st.integers(min_value=-(10**9), max_value=10**9))
def test_hours_text_is_the_decimal_written(value: int) -> None:
    assert hours_text(value) == str(hours(value))


@given(
    st.lists(entries, max_size=20),
    st.none() | st.text(min_size=1, max_size=40),
    st.none() | moments,
    st.integers(min_value=1, max_value=5000),
)
def test_the_body_is_what_the_model_writes(
    items: list[Entry], cursor: str | None, until: datetime | None, limit: int
) -> None:
    page = FeedPage(entries=items, next_cursor=cursor, until=until)
    model = AiHoursPage(
        items=[
            AiHoursOut(
                person_id=e.person_id,
                year=e.year,
                ai_hours=hours(e.basic_centi + e.advanced_centi),
                ai_basic_hours=hours(e.basic_centi),
                ai_advanced_hours=hours(e.advanced_centi),
                changed_at=e.changed_at,
                agency_code=e.agency_code,
                unit_id=e.unit_id,
            )
            for e in items
        ],
        next_cursor=cursor,
        limit=limit,
        until=until,
    )
    assert to_json(feed_body(page, limit)) == model.model_dump_json().encode()
