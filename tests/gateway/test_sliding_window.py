"""The in-process sliding-window counter: the rule of `limits`' strategy, table
by table, and its properties over arbitrary hit times."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from limits import parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

from gateway.sliding_window import SlidingWindows


class Clock:
    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _windows(
    amount: int = 3, period: float = 60, start: float = 0.0
) -> tuple[SlidingWindows, Clock]:
    clock = Clock(start)
    return SlidingWindows(amount, period, clock), clock


# (hit times in seconds, expected verdicts, expected Retry-After of the refusals)
CASES = [
    # Three a minute: the fourth is refused until the three weigh less than
    # whole, just after the next window opens (57 s, rounded up).
    ([0, 1, 2, 3], [True, True, True, False], [58]),
    # At the instant the next window opens the previous count weighs fully...
    ([0, 1, 2, 60], [True, True, True, False], [1]),
    # ...a second later 2.95 of it: whole requests count, so one more fits.
    ([0, 1, 2, 61, 62], [True, True, True, True, False], [19]),
    # ...a third of the way in it weighs two thirds: 2 + 0 + 1 ≤ 3.
    ([0, 1, 2, 80], [True, True, True, True], []),
    # Two windows later nothing of the first is left.
    ([0, 1, 2, 3, 120, 121, 122], [True, True, True, False, True, True, True], [58]),
    # A boundary instant belongs to the window it opens.
    ([59.999, 60, 60.001], [True, True, True], []),
]


@pytest.mark.parametrize(("times", "verdicts", "retries"), CASES)
def test_table(times: list[float], verdicts: list[bool], retries: list[int]) -> None:
    windows, clock = _windows()
    seen, refused = [], []
    for t in times:
        clock.now = t
        verdict = windows.hit("k")
        seen.append(verdict.allowed)
        if not verdict.allowed:
            refused.append(verdict.retry_after)
    assert seen == verdicts
    assert refused == retries


def test_keys_are_counted_apart() -> None:
    windows, _clock = _windows(amount=1)
    assert windows.hit("10.0.0.1").allowed
    assert windows.hit("10.0.0.2").allowed
    assert not windows.hit("10.0.0.1").allowed


def test_keys_of_past_windows_are_forgotten_when_the_table_is_full() -> None:
    clock = Clock()
    windows = SlidingWindows(5, 60, clock, max_keys=3)
    for key in "abc":
        windows.hit(key)
    clock.now = 200  # a and b and c carry nothing into windows 2 and 3
    windows.hit("d")
    assert len(windows) == 1


@pytest.mark.parametrize(("amount", "period"), [(0, 60), (1, 0), (-1, 60)])
def test_a_limit_without_room_or_time_is_refused(amount: int, period: float) -> None:
    with pytest.raises(ValueError):
        SlidingWindows(amount, period, Clock())


gaps = st.lists(st.floats(min_value=0, max_value=90, allow_nan=False), min_size=1, max_size=60)


@settings(max_examples=200, deadline=None)
@given(amount=st.integers(1, 10), gaps=gaps, start=st.floats(0, 1e9, allow_nan=False))
def test_never_more_than_the_amount_in_one_window(
    amount: int, gaps: list[float], start: float
) -> None:
    windows, clock = _windows(amount, 60, start)
    allowed: dict[int, int] = {}
    for gap in gaps:
        clock.now += gap
        if windows.hit("k").allowed:
            number = int(clock.now // 60)
            allowed[number] = allowed.get(number, 0) + 1
    assert all(count <= amount for count in allowed.values())


@settings(max_examples=200, deadline=None)
@given(amount=st.integers(1, 10), gaps=gaps)
def test_retry_after_is_honest(amount: int, gaps: list[float]) -> None:
    """A refused request repeated after its Retry-After (and nothing between) passes."""
    windows, clock = _windows(amount, 60)
    for gap in gaps:
        clock.now += gap
        verdict = windows.hit("k")
        if not verdict.allowed:
            assert 1 <= verdict.retry_after <= 120
            probe = SlidingWindows(amount, 60, clock)
            probe._counts = {k: list(v) for k, v in windows._counts.items()}
            clock.now += verdict.retry_after
            assert probe.hit("k").allowed
            clock.now -= verdict.retry_after


@settings(max_examples=60, deadline=None)
@given(amount=st.integers(1, 6), gaps=st.lists(st.integers(0, 90), min_size=1, max_size=30))
def test_the_same_verdicts_as_the_limits_library(amount: int, gaps: list[int]) -> None:
    """Against `limits`' own memory strategy at the same instants (its clock
    patched): the in-process counter is the same rule, not a looser one."""
    import limits.aio.storage.memory as memory_module

    clock = Clock(1_000_020.0)
    windows = SlidingWindows(amount, 60, clock)
    item = parse(f"{amount}/minute")

    async def reference() -> list[bool]:
        storage = MemoryStorage()
        limiter = SlidingWindowCounterRateLimiter(storage)
        verdicts = []
        for gap in gaps:
            clock.now += gap
            verdicts.append(await limiter.hit(item, "k"))
        return verdicts

    # The module's own name `time` replaced, not the time module for everyone.
    original = memory_module.time  # type: ignore[attr-defined]
    memory_module.time = SimpleNamespace(time=clock)  # type: ignore[attr-defined,assignment]
    try:
        expected = asyncio.run(reference())
    finally:
        memory_module.time = original  # type: ignore[attr-defined]
    clock.now = 1_000_020.0
    ours = []
    for gap in gaps:
        clock.now += gap
        ours.append(windows.hit("k").allowed)
    assert ours == expected
