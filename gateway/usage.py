"""Which permission each account used, and on which day: for the account review.

The account review lists the roles an account holds but has not used for N
days (帳號權限妥適性). Only the gateway knows which permission family a request
needed, so it notes (account, family, Taipei day) for every allowed request and
sends what it noted to the directory in one batched call, `POST
/principals/usage`, every minute and at shutdown. The directory turns families
into the account's roles that grant them and keeps each role's last day of use.

The hot path only adds a tuple to a set: no I/O, no task, no lock. The set
holds each account × family × day once and is bounded; when it fills up, the
flusher is woken early and what arrives before it runs is dropped (counted and
logged). A failed flush keeps its entries for the next attempt, within the
same bound; a batch the directory refuses as malformed is dropped, since it
would be refused again. Day resolution is all the review needs, and losing a
few notes costs at most a role looking unused until its next use.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta

import httpx

from gateway.permissions import PUBLIC
from services.common.timeutil import TAIPEI

log = logging.getLogger("renshi.gateway.usage")

# The directory accepts at most this many entries per call (MAX_USAGE_ENTRIES
# there); holding no more than that keeps every flush to one call.
MAX_ENTRIES = 100_000
FLUSH_SECONDS = 60.0
# A batch of the maximum size is a few megabytes for the directory to upsert;
# it runs in the background, so it may take longer than an account look-up.
POST_TIMEOUT_SECONDS = 30.0
# The directory refused the batch itself: sending it again would not help.
REFUSED = frozenset({400, 413, 422})

Entry = tuple[str, str, date]


class UsageRecorder:
    def __init__(
        self,
        client: httpx.AsyncClient,
        directory_url: str,
        service_token: Callable[[], str],
        *,
        max_entries: int = MAX_ENTRIES,
        interval_seconds: float = FLUSH_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._url = directory_url.rstrip("/") + "/principals/usage"
        self._service_token = service_token
        self._max = max_entries
        self._interval = interval_seconds
        self._clock = clock
        self._pending: set[Entry] = set()
        self._dropped = 0
        self._full = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        # The Taipei day, and the epoch seconds it spans, so that `note` need not
        # build a datetime per request.
        self._day = date.min
        self._day_starts = 0.0
        self._day_ends = 0.0

    @property
    def pending(self) -> set[Entry]:
        """A copy of what the next flush would send."""
        return set(self._pending)

    @property
    def dropped(self) -> int:
        return self._dropped

    def note(self, account: str, permission: str) -> None:
        """Record that `account` was allowed a request needing `permission` today."""
        now = self._clock()
        if not self._day_starts <= now < self._day_ends:
            self._set_day(now)
        entry = (account, permission, self._day)
        pending = self._pending
        if entry in pending or permission == PUBLIC:
            return
        if len(pending) >= self._max:
            self._dropped += 1
            self._full.set()
            return
        pending.add(entry)

    def _set_day(self, now: float) -> None:
        day = datetime.fromtimestamp(now, TAIPEI).date()
        starts = datetime(day.year, day.month, day.day, tzinfo=TAIPEI)
        self._day = day
        self._day_starts = starts.timestamp()
        self._day_ends = (starts + timedelta(days=1)).timestamp()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="gateway-usage-flusher")

    async def _run(self) -> None:
        woken_when_full = True
        while True:
            if woken_when_full:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._full.wait(), self._interval)
            else:
                # After a failure, wait out the interval even if the set fills up.
                await asyncio.sleep(self._interval)
            self._full.clear()
            woken_when_full = await self.flush()

    async def flush(self) -> bool:
        """Send everything noted so far in one call; True when the directory took
        it (or there was nothing to send). Never raises."""
        async with self._lock:
            if self._dropped:
                log.error("usage entries dropped: the set was full", extra={"count": self._dropped})
                self._dropped = 0
            if not self._pending:
                return True
            batch, self._pending = self._pending, set()
            body = {
                "entries": [
                    {"account": a, "permission": p, "used_on": d.isoformat()}
                    for a, p, d in sorted(batch)
                ]
            }
            try:
                response = await self._client.post(
                    self._url,
                    json=body,
                    headers={"Authorization": f"Bearer {self._service_token()}"},
                    timeout=POST_TIMEOUT_SECONDS,
                )
            except asyncio.CancelledError:
                # Shutting down mid-call: keep the batch for the last flush.
                self._keep(batch)
                raise
            except Exception as exc:
                # By type only: the message could carry a URL or a body.
                log.error(
                    "usage flush failed; kept for the next attempt",
                    extra={"error_type": type(exc).__name__, "count": len(batch)},
                )
                self._keep(batch)
                return False
            if response.status_code < 300:
                return True
            if response.status_code in REFUSED:
                log.error(
                    "usage batch refused by the directory; dropped",
                    extra={"status": response.status_code, "count": len(batch)},
                )
                return False
            log.error(
                "usage flush failed; kept for the next attempt",
                extra={"status": response.status_code, "count": len(batch)},
            )
            self._keep(batch)
            return False

    def _keep(self, batch: set[Entry]) -> None:
        """Put a failed batch back beside what was noted meanwhile, within the bound."""
        room = self._max - len(self._pending)
        if len(batch) > room:
            self._dropped += len(batch) - room
            batch = set(sorted(batch)[: max(room, 0)])
        self._pending |= batch

    async def aclose(self, timeout: float = 5.0) -> None:
        """Stop the flusher and send what is left (best effort, bounded in time)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        try:
            await asyncio.wait_for(self.flush(), timeout)
        except TimeoutError:
            log.error("usage entries not sent at shutdown", extra={"count": len(self._pending)})
