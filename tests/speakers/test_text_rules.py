"""The pure rules of the directory: folding, n-grams, match quality, consent,
the relay's rate limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.speakers.domain.consent import Audience, Disclosure, allowed, levels_for
from services.speakers.domain.relay import Window, retry_after
from services.speakers.domain.text import bigrams, fold, index_grams, match_quality, query_grams


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("ＡＩ應用", "ai應用"),  # full-width letters
        ("AI應用", "ai應用"),
        ("Ｐｙｔｈｏｎ　程式", "python 程式"),  # full-width space too
        ("  資安   治理 ", "資安 治理"),
        ("１２３", "123"),
        ("ﾃｽﾄ", "テスト"),  # half-width katakana
        ("Straße", "strasse"),
        ("臺灣", "臺灣"),  # traditional characters are kept as they are
    ],
)
def test_fold(raw, folded):
    assert fold(raw) == folded


@given(st.text(max_size=40))
def test_fold_is_idempotent(text):
    assert fold(fold(text)) == fold(text)


@given(st.text(min_size=1, max_size=30), st.text(min_size=1, max_size=30), st.text(max_size=30))
def test_a_value_holding_a_term_holds_its_query_grams(before, term, after):
    value = fold(before + term + after)
    folded = fold(term)
    if folded and folded in value:
        assert query_grams(folded) <= index_grams(value)


def test_grams():
    assert bigrams("人工智慧") == {"人工", "工智", "智慧"}
    assert index_grams("資安") == {"資", "安", "資安"}
    assert query_grams("資") == {"資"}
    assert query_grams("倫理學") == {"倫理", "理學"}


@pytest.mark.parametrize(
    ("value", "term", "quality"),
    [("資安", "資安", 3), ("資安治理", "資安", 2), ("通訊資安", "資安", 1), ("資訊", "資安", 0)],
)
def test_match_quality(value, term, quality):
    assert match_quality(value, term) == quality


@pytest.mark.parametrize(
    ("disclosure", "searcher", "officer"),
    [
        (Disclosure.SEARCHERS, True, True),
        (Disclosure.TRAINING_OFFICERS, False, True),
        (Disclosure.HIDDEN, False, False),
    ],
)
def test_who_sees_what(disclosure, searcher, officer):
    assert allowed(disclosure, Audience.SEARCHER) is searcher
    assert allowed(disclosure, Audience.TRAINING_OFFICER) is officer
    assert (disclosure in levels_for(Audience.SEARCHER)) is searcher


NOW = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)  # 00:30 on 1 January in Taipei
LIMITS = [Window(timedelta(hours=1), 5), Window(timedelta(days=1), 20)]


def test_relay_allows_up_to_the_hourly_limit():
    four = [NOW - timedelta(minutes=m) for m in (1, 2, 3, 4)]
    assert retry_after(four, NOW, LIMITS) == 0
    five = [*four, NOW - timedelta(minutes=50)]
    # The oldest of the five leaves the hour in 10 minutes.
    assert retry_after(five, NOW, LIMITS) == 600


def test_relay_daily_limit_counts_across_the_taipei_new_year():
    # 20 messages in the last 23 hours (the last year's evening and this
    # year's first minutes in Taipei), none in the last hour: the hour is free,
    # the day is not; the oldest leaves the day an hour from now.
    sent = [NOW - timedelta(hours=23)] + [NOW - timedelta(hours=2, minutes=i) for i in range(19)]
    assert retry_after(sent, NOW, LIMITS) == 3600


def test_messages_outside_both_windows_do_not_count():
    old = [NOW - timedelta(days=1, seconds=1)] * 50
    assert retry_after(old, NOW, LIMITS) == 0


@given(st.lists(st.integers(min_value=0, max_value=2 * 86400), max_size=40))
def test_retry_after_frees_exactly_one_place(ages):
    sent = [NOW - timedelta(seconds=a) for a in ages]
    wait = retry_after(sent, NOW, LIMITS)
    if wait:
        later = NOW + timedelta(seconds=wait)
        assert retry_after(sent, later, LIMITS) == 0
        assert retry_after(sent, later - timedelta(seconds=1), LIMITS) > 0
    else:
        assert retry_after(sent, NOW, LIMITS) == 0
