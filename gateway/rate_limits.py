"""Rate limits per source IP (before any token work) and per principal, with the
`limits` library: in memory for one replica, Redis when several share the load."""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string

from services.common.errors import Problem


class RateLimited(Problem):
    status, slug, title = 429, "rate-limited", "Too many requests"


class RateLimits:
    def __init__(
        self, storage_uri: str, per_ip: str, per_principal: str, key_prefix: str = "renshi"
    ) -> None:
        uri = storage_uri if storage_uri.startswith("async+") else f"async+{storage_uri}"
        options: dict[str, str] = {}
        if "redis" in uri.split("://", 1)[0]:
            # redis-py's asyncio client: already a dependency, no second driver.
            options = {"implementation": "redispy", "key_prefix": key_prefix}
        self._limiter = SlidingWindowCounterRateLimiter(storage_from_string(uri, **options))
        self._per_ip: RateLimitItem = parse(per_ip)
        self._per_principal: RateLimitItem = parse(per_principal)

    async def _hit(self, item: RateLimitItem, scope: str, key: str) -> None:
        if await self._limiter.hit(item, scope, key):
            return
        stats = await self._limiter.get_window_stats(item, scope, key)
        retry = max(1, math.ceil(stats.reset_time - time.time()))
        raise RateLimited(
            f"rate limit of {item} per {scope} exceeded", headers={"Retry-After": str(retry)}
        )

    async def check_ip(self, ip: str) -> None:
        await self._hit(self._per_ip, "ip", ip)

    async def check_principal(self, subject: str) -> None:
        await self._hit(self._per_principal, "principal", subject)
