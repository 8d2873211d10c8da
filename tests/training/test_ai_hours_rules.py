"""The AI-hours feed's pure rules: which hours a record adds, and change stamps
that only ever move forward whatever the clocks do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.training.domain.ai_hours import STAMP_STEP, hours, next_stamp, split_centi
from services.training.domain.topics import Topic, topic_mask

T = Topic


@pytest.mark.parametrize(
    ("topics", "centi", "split"),
    [
        ((), 300, (0, 0)),
        ((T.ENVIRONMENTAL_EDUCATION,), 300, (0, 0)),
        ((T.AI_BASIC,), 300, (300, 0)),
        ((T.AI_ADVANCED,), 150, (0, 150)),
        # Both levels: advanced only, so 3 + 3 stays 6 distinct hours.
        ((T.AI_BASIC, T.AI_ADVANCED), 100, (0, 100)),
        ((T.AI_BASIC, T.GENDER_MAINSTREAMING, T.INFORMATION_SECURITY), 25, (25, 0)),
        ((T.AI_BASIC,), 0, (0, 0)),
    ],
)
def test_what_a_record_adds(topics, centi, split):
    assert split_centi(topic_mask(topics), centi) == split


@given(st.sets(st.sampled_from(list(Topic))), st.integers(min_value=0, max_value=100_000))
def test_a_record_adds_its_hours_once_when_ai_and_never_otherwise(topics, centi):
    basic, advanced = split_centi(topic_mask(topics), centi)
    ai = bool(topics & {T.AI_BASIC, T.AI_ADVANCED})
    assert basic + advanced == (centi if ai else 0)
    assert basic == 0 or advanced == 0


@pytest.mark.parametrize(
    ("centi", "text"), [(0, "0.00"), (1, "0.01"), (25, "0.25"), (600, "6.00"), (100_000, "1000.00")]
)
def test_hundredths_read_as_hours(centi, text):
    assert hours(centi) == Decimal(text) and str(hours(centi)) == text


NOW = datetime(2026, 12, 31, 16, 0, tzinfo=UTC)  # 00:00 on 1 Jan 2027 in Taipei


@pytest.mark.parametrize(
    ("latest", "stamp"),
    [
        (None, NOW),
        (NOW - timedelta(seconds=1), NOW),
        (NOW, NOW + STAMP_STEP),
        # Another replica's clock an hour ahead: just after its stamp.
        (NOW + timedelta(hours=1), NOW + timedelta(hours=1) + STAMP_STEP),
    ],
)
def test_stamp_examples(latest, stamp):
    assert next_stamp(NOW, latest) == stamp


def test_a_naive_now_is_refused():
    with pytest.raises(ValueError, match="timezone"):
        next_stamp(datetime(2026, 12, 1), None)


moments = st.datetimes(
    min_value=datetime(2024, 2, 28), max_value=datetime(2028, 3, 1), timezones=st.just(UTC)
)
offsets = st.sampled_from([UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5))])


@given(st.lists(st.tuples(moments, offsets), min_size=1, max_size=30))
def test_stamps_strictly_increase_whatever_the_clocks_say(readings):
    """Clocks that step back, jump ahead, or read in other offsets (Taipei's own
    included): each stamp is later than the one before and never before its clock."""
    latest = None
    for moment, offset in readings:
        now = moment.astimezone(offset)
        stamp = next_stamp(now, latest)
        assert stamp >= now
        assert latest is None or stamp > latest
        latest = stamp
