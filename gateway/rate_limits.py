"""Rate limits per source IP (before any token work) and per principal: counted
in the process for one replica (`memory://`), with the `limits` library and
Redis when several replicas share the load."""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable

from limits import RateLimitItem, parse
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string

from gateway.sliding_window import SlidingWindows
from services.common.errors import Problem


class RateLimited(Problem):
    status, slug, title = 429, "rate-limited", "Too many requests"


def _refused(item: RateLimitItem, scope: str, retry: int) -> RateLimited:
    return RateLimited(
        f"rate limit of {item} per {scope} exceeded", headers={"Retry-After": str(retry)}
    )


class RateLimits:
    def __init__(
        self, storage_uri: str, per_ip: str, per_principal: str, key_prefix: str = "renshi"
    ) -> None:
        self._per_ip: RateLimitItem = parse(per_ip)
        self._per_principal: RateLimitItem = parse(per_principal)
        self._local: dict[str, SlidingWindows] | None = None
        if storage_uri.split("://", 1)[0] in {"memory", "async+memory"}:
            # No I/O to wait for: counted in place, the same rule as `limits`'.
            self._local = {
                scope: SlidingWindows(item.amount, item.get_expiry(), time.time)
                for scope, item in (("ip", self._per_ip), ("principal", self._per_principal))
            }
            return
        uri = storage_uri if storage_uri.startswith("async+") else f"async+{storage_uri}"
        options: dict[str, str] = {}
        if "redis" in uri.split("://", 1)[0]:
            # redis-py's asyncio client: already a dependency, no second driver.
            options = {"implementation": "redispy", "key_prefix": key_prefix}
        self._limiter = SlidingWindowCounterRateLimiter(storage_from_string(uri, **options))

    async def _hit(self, item: RateLimitItem, scope: str, key: str) -> None:
        if self._local is not None:
            verdict = self._local[scope].hit(key)
            if not verdict.allowed:
                raise _refused(item, scope, verdict.retry_after)
            return
        if await self._limiter.hit(item, scope, key):
            return
        stats = await self._limiter.get_window_stats(item, scope, key)
        raise _refused(item, scope, max(1, math.ceil(stats.reset_time - time.time())))

    def store_ping(self) -> Callable[[], Awaitable[bool]] | None:
        """The shared store's health check (PING for Redis), for readiness; None
        when the counts are kept in this process and need nothing to be ready."""
        if self._local is not None:
            return None
        return self._limiter.storage.check

    async def check_ip(self, ip: str) -> None:
        await self._hit(self._per_ip, "ip", ip)

    async def check_principal(self, subject: str) -> None:
        await self._hit(self._per_principal, "principal", subject)
