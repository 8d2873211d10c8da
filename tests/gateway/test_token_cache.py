from __future__ import annotations

import hashlib
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.security.token_cache import TokenCache


class FakeClock:
    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _cache(
    max_entries: int = 10, max_ttl: float | None = None
) -> tuple[TokenCache[str], FakeClock]:
    clock = FakeClock()
    return TokenCache[str](max_entries, max_ttl=max_ttl, clock=clock), clock


@pytest.mark.parametrize(
    ("offset", "hit"),
    [(-100.0, True), (-0.001, True), (0.0, False), (0.001, False), (1_000.0, False)],
)
def test_never_returned_at_or_past_exp(offset: float, hit: bool) -> None:
    cache, clock = _cache()
    cache.put("t1", "alice", exp=1_100.0, subject="alice")
    clock.now = 1_100.0 + offset
    assert (cache.get("t1") == "alice") is hit
    assert (len(cache) == 1) is hit  # an expired entry is evicted on read


def test_explicit_now_overrides_the_clock() -> None:
    cache, _ = _cache()
    cache.put("t1", "alice", exp=1_100.0, subject="alice")
    assert cache.get("t1", now=1_099.0) == "alice"
    assert cache.get("t1", now=1_100.0) is None


def test_already_expired_token_is_not_stored() -> None:
    cache, _ = _cache()
    cache.put("t1", "alice", exp=1_000.0, subject="alice")
    cache.put("t2", "bob", exp=10.0, subject="bob")
    assert len(cache) == 0


def test_re_put_of_an_expired_token_drops_the_old_entry() -> None:
    cache, _ = _cache()
    cache.put("t1", "alice", exp=2_000.0, subject="alice")
    cache.put("t1", "alice", exp=999.0, subject="alice")
    assert cache.get("t1") is None


def test_max_ttl_caps_lifetime() -> None:
    cache, clock = _cache(max_ttl=60.0)
    cache.put("t1", "alice", exp=5_000.0, subject="alice")
    clock.now += 59.9
    assert cache.get("t1") == "alice"
    clock.now += 0.1
    assert cache.get("t1") is None


@pytest.mark.parametrize("exp", [math.nan, math.inf, -math.inf])
def test_non_finite_exp_is_refused(exp: float) -> None:
    cache, _ = _cache()
    with pytest.raises(ValueError, match="exp"):
        cache.put("t1", "alice", exp=exp, subject="alice")


def test_nan_clock_reads_as_expired() -> None:
    cache, _ = _cache()
    cache.put("t1", "alice", exp=2_000.0, subject="alice")
    assert cache.get("t1", now=math.nan) is None


@pytest.mark.parametrize(
    ("max_entries", "max_ttl"), [(0, None), (-1, None), (1, 0.0), (1, math.nan)]
)
def test_bad_configuration(max_entries: int, max_ttl: float | None) -> None:
    with pytest.raises(ValueError):
        TokenCache[str](max_entries, max_ttl=max_ttl)


def test_size_bound_evicts_least_recently_used() -> None:
    cache, _ = _cache(max_entries=3)
    for name in ("a", "b", "c"):
        cache.put(f"tok-{name}", name, exp=2_000.0, subject=name)
    assert cache.get("tok-a") == "a"  # a is now most recent; b is oldest
    cache.put("tok-d", "d", exp=2_000.0, subject="d")
    assert len(cache) == 3
    assert cache.get("tok-b") is None
    assert [cache.get(f"tok-{n}") for n in ("a", "c", "d")] == ["a", "c", "d"]


@given(st.lists(st.text(min_size=1, max_size=5), max_size=50), st.integers(1, 8))
def test_size_bound_always_holds(tokens: list[str], bound: int) -> None:
    cache, _ = _cache(max_entries=bound)
    for token in tokens:
        cache.put(token, token, exp=2_000.0, subject="s")
        assert len(cache) <= bound
    if tokens:
        assert cache.get(tokens[-1]) == tokens[-1]  # the newest entry survives


def test_keyed_by_the_exact_token() -> None:
    cache, _ = _cache()
    cache.put("abc", "alice", exp=2_000.0, subject="alice")
    assert cache.get("abc ") is None
    assert cache.get("ABC") is None
    assert cache.get("abc") == "alice"


def test_stores_a_digest_not_the_token() -> None:
    cache, _ = _cache()
    token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2ln"
    cache.put(token, "alice", exp=2_000.0, subject="alice")
    keys = list(cache._entries)
    assert keys == [hashlib.sha256(token.encode()).digest()]
    assert token not in repr(cache._entries)


def test_invalidate_subject_drops_only_that_subject() -> None:
    cache, _ = _cache()
    cache.put("t1", "alice-1", exp=2_000.0, subject="alice")
    cache.put("t2", "alice-2", exp=2_000.0, subject="alice")
    cache.put("t3", "bob", exp=2_000.0, subject="bob")
    assert cache.invalidate_subject("alice") == 2
    assert cache.get("t1") is None
    assert cache.get("t2") is None
    assert cache.get("t3") == "bob"
    assert cache.invalidate_subject("nobody") == 0


def test_discard_and_clear() -> None:
    cache, _ = _cache()
    cache.put("t1", "alice", exp=2_000.0, subject="alice")
    cache.put("t2", "bob", exp=2_000.0, subject="bob")
    assert cache.discard("t1") is True
    assert cache.discard("t1") is False
    cache.clear()
    assert len(cache) == 0


@given(st.floats(min_value=0, max_value=1e10), st.floats(min_value=0, max_value=1e10))
def test_get_never_returns_an_expired_entry(exp: float, now: float) -> None:
    cache, _ = _cache()
    cache.put("t", "p", exp=exp, subject="s", now=0.0)
    result = cache.get("t", now=now)
    if now >= exp:
        assert result is None
    else:
        assert result == "p"
