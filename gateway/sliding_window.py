"""The sliding-window counter of one gateway process, without I/O.

The same rule as the `limits` library's sliding-window-counter strategy
(windows aligned on the epoch; the previous window's count weighted by how
much of it still overlaps the last `period` seconds, plus the current
window's), computed in place: `limits` spent an async lock, a key string
and several dictionary look-ups on each of the gateway's two checks per
request, a tenth of the gateway's CPU. Shared limits across replicas still go
through `limits` and Redis (`gateway/rate_limits.py`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    # Whole seconds after which the same request would be allowed (0 when allowed).
    retry_after: int


class SlidingWindows:
    def __init__(
        self, amount: int, period: float, clock: Callable[[], float], max_keys: int = 100_000
    ) -> None:
        if amount < 1 or period <= 0:
            raise ValueError("a limit needs an amount ≥ 1 and a period > 0")
        self.amount = amount
        self.period = float(period)
        self._clock = clock
        self._max_keys = max_keys
        # key → [window number, previous window's count, current window's count]
        self._counts: dict[str, list[int]] = {}

    def hit(self, key: str) -> Verdict:
        now = self._clock()
        window = int(now // self.period)
        entry = self._counts.get(key)
        if entry is None:
            if len(self._counts) >= self._max_keys:
                self._forget_before(window - 1)
            entry = self._counts[key] = [window, 0, 0]
        elif entry[0] != window:
            # The current window became the previous one, or both lie in the past.
            entry[1] = entry[2] if entry[0] == window - 1 else 0
            entry[2] = 0
            entry[0] = window
        elapsed = now - window * self.period
        previous, current = entry[1], entry[2]
        overlap = (self.period - elapsed) / self.period
        # Whole requests: a weighted 2.9 of 3 leaves room for one more.
        if math.floor(previous * overlap + current) + 1 <= self.amount:
            entry[2] = current + 1
            return Verdict(True, 0)
        return Verdict(False, self._retry_after(previous, current, elapsed))

    def _retry_after(self, previous: int, current: int, elapsed: float) -> int:
        """When floor(weighted) first drops below the amount, with nothing else hit."""
        if current < self.amount:
            # Within this window, once the previous one's weight has decayed enough.
            wait = self.period * (1 - (self.amount - current) / previous) - elapsed
        else:
            # Only in the next window, where this one's count is the weighted one.
            wait = self.period - elapsed + self.period * (1 - self.amount / current)
        # Strictly after that instant (the weight must fall below), rounded up.
        return max(1, math.ceil(wait + 1e-6))

    def _forget_before(self, window: int) -> None:
        """Drop keys that carry no count into `window` (bounded memory)."""
        for key in [k for k, e in self._counts.items() if e[0] < window]:
            del self._counts[key]

    def __len__(self) -> int:
        return len(self._counts)
