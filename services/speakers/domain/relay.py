"""The contact relay's rate limit: how many messages one sender may send per
window, and how long to wait when the limit is reached."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Window:
    length: timedelta
    limit: int


def retry_after(sent_at: Sequence[datetime], now: datetime, windows: Sequence[Window]) -> int:
    """Seconds until one more message is allowed (0: allowed now), given the
    times of the sender's earlier messages."""
    wait = timedelta(0)
    for window in windows:
        inside = sorted(t for t in sent_at if now - window.length < t <= now)
        if len(inside) >= window.limit:
            # The oldest message that must leave the window for a place to free.
            frees_at = inside[len(inside) - window.limit] + window.length
            wait = max(wait, frees_at - now)
    if wait <= timedelta(0):
        return 0
    return max(1, math.ceil(wait.total_seconds()))
