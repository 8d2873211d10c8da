"""A bounded LRU cache of verified external tokens.

Keys are SHA-256 digests of the exact token string, so a memory dump or a
debugger view of the cache holds no usable bearer token. An entry is never
returned at or after its expiry: the token's ``exp``, capped by ``max_ttl``
so that an account disabled through another replica stops working here
within that bound (``invalidate_subject`` covers this replica at once).

No locks: the gateway runs on one asyncio event loop and no method awaits,
so each call completes without another coroutine interleaving. Sharing one
instance across threads would need a lock.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["TokenCache"]

P = TypeVar("P")


@dataclass(slots=True)
class _Entry(Generic[P]):
    principal: P
    expires_at: float
    subject: str


def _key(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


class TokenCache(Generic[P]):
    def __init__(
        self,
        max_entries: int = 10_000,
        *,
        max_ttl: float | None = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        if max_ttl is not None and not (math.isfinite(max_ttl) and max_ttl > 0):
            raise ValueError("max_ttl must be a positive number of seconds or None")
        self._max_entries = max_entries
        self._max_ttl = max_ttl
        self._clock = clock
        self._entries: OrderedDict[bytes, _Entry[P]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def _now(self, now: float | None) -> float:
        return self._clock() if now is None else now

    def put(
        self,
        token: str,
        principal: P,
        *,
        exp: float,
        subject: str,
        now: float | None = None,
    ) -> None:
        """Cache a verified token until ``exp`` (epoch seconds) or ``max_ttl``."""
        if not math.isfinite(exp):
            # NaN compares false with everything and would never expire.
            raise ValueError("exp must be a finite number of epoch seconds")
        current = self._now(now)
        expires_at = exp if self._max_ttl is None else min(exp, current + self._max_ttl)
        key = _key(token)
        if not current < expires_at:
            self._entries.pop(key, None)
            return
        self._entries[key] = _Entry(principal, expires_at, subject)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def get(self, token: str, now: float | None = None) -> P | None:
        """The cached principal, or None if absent or expired (then evicted)."""
        key = _key(token)
        entry = self._entries.get(key)
        if entry is None:
            return None
        # Written so that a NaN clock reading counts as expired.
        if not self._now(now) < entry.expires_at:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry.principal

    def discard(self, token: str) -> bool:
        """Drop one token; True if it was cached."""
        return self._entries.pop(_key(token), None) is not None

    def invalidate_subject(self, subject: str) -> int:
        """Drop every entry of a subject (e.g. a disabled account); returns the count.

        A linear scan: disabling an account is rare, lookups are not.
        """
        doomed = [key for key, entry in self._entries.items() if entry.subject == subject]
        for key in doomed:
            del self._entries[key]
        return len(doomed)

    def clear(self) -> None:
        self._entries.clear()
