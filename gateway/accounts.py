"""Accounts as the directory service knows them, fetched on the gateway's own
service identity and cached briefly (so a disabled account stops within the TTL).

Concurrent look-ups of one account share one call: with a cold cache a burst of
requests by one account would otherwise send the directory the same burst. The
call runs as a task of its own that every waiter awaits (shielded, so a client
that disconnects cancels only its own wait); its failure reaches every waiter
and is not cached, so the next request asks again."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from functools import partial
from typing import Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field

from services.common.errors import ServiceUnavailable


class ResolvedAccount(BaseModel):
    model_config = ConfigDict(extra="ignore")

    account: str
    kind: Literal["human", "machine", "service"]
    status: str
    person_id: str | None = None
    agency_code: str | None = None
    agency_scope: list[str] = Field(default_factory=list)
    roles: list[str] = Field(default_factory=list)
    permissions: list[str] = Field(default_factory=list)
    allowed_networks: list[str] = Field(default_factory=list)
    person_status: str | None = None

    @property
    def usable(self) -> bool:
        """Active, and bound to a person still in service: a human account to its
        holder, a machine account to its owner (an importer whose owner left must
        be reassigned before it runs again). An account bound to nobody would be
        a shared account, which the security rules forbid."""
        bound = self.person_id is not None if self.kind == "human" else True
        # person_status is the holder's, or for a machine account its owner's;
        # it is absent when nobody stands behind the account.
        return self.status == "active" and bound and self.person_status == "active"


class AccountResolver:
    def __init__(
        self,
        client: httpx.AsyncClient,
        directory_url: str,
        service_token: Callable[[], str],
        ttl_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._url = directory_url.rstrip("/")
        self._service_token = service_token
        self._ttl = ttl_seconds
        self._clock = clock
        self._cache: dict[str, tuple[float, ResolvedAccount | None]] = {}
        # One look-up under way per account, awaited by every request needing it.
        self._pending: dict[str, asyncio.Task[ResolvedAccount | None]] = {}

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._service_token()}"}

    async def resolve(self, name: str) -> ResolvedAccount | None:
        """The account named `name`, or None when it is not registered."""
        started = self._clock()
        hit = self._cache.get(name)
        if hit is not None and hit[0] > started:
            return hit[1]
        pending = self._pending.get(name)
        if pending is None:
            pending = asyncio.create_task(self._look_up(name), name=f"account-look-up:{name}")
            self._pending[name] = pending
            pending.add_done_callback(partial(self._settle, name, started))
        return await asyncio.shield(pending)

    async def _look_up(self, name: str) -> ResolvedAccount | None:
        try:
            response = await self._client.get(
                f"{self._url}/principals/{name}", headers=self._headers()
            )
        except httpx.HTTPError:
            raise ServiceUnavailable("the directory service cannot be reached") from None
        if response.status_code == 404:
            return None
        if response.status_code == 200:
            return ResolvedAccount.model_validate(response.json())
        raise ServiceUnavailable(f"the directory service answered {response.status_code}")

    def _settle(
        self, name: str, started: float, task: asyncio.Task[ResolvedAccount | None]
    ) -> None:
        """Cache a look-up's answer, unless it failed or `forget` dropped it while
        it was under way (the answer may then predate the change)."""
        # Read the outcome even when no waiter is left to, so that a failure is
        # never reported as an exception nobody retrieved.
        failed = task.cancelled() or task.exception() is not None
        if self._pending.get(name) is not task:
            return
        del self._pending[name]
        if failed:
            return
        if len(self._cache) > 50_000:
            self._cache.clear()
        # The TTL counts from when the look-up started: no answer is trusted for
        # longer than the TTL after the directory could have given it.
        self._cache[name] = (started + self._ttl, task.result())

    async def client_credentials(
        self, client_id: str, client_secret: str
    ) -> ResolvedAccount | None:
        try:
            response = await self._client.post(
                f"{self._url}/principals/client-credentials",
                json={"client_id": client_id, "client_secret": client_secret},
                headers=self._headers(),
            )
        except httpx.HTTPError:
            raise ServiceUnavailable("the directory service cannot be reached") from None
        if response.status_code == 200:
            return ResolvedAccount.model_validate(response.json())
        if response.status_code in (401, 404):
            return None
        raise ServiceUnavailable(f"the directory service answered {response.status_code}")

    def forget(self, name: str) -> None:
        """Drop what is known of `name`: the next request asks the directory. A
        look-up under way still answers its waiters but is not cached."""
        self._cache.pop(name, None)
        self._pending.pop(name, None)
