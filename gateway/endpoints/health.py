"""Liveness and readiness of the gateway, and the services' readiness seen from it.

`/readyz` is the gateway's own readiness, what an orchestrator asks before it
sends the gateway traffic: started, its signing keys usable, its audit
database reachable and migrated, its shared rate-limit store (Redis) answering
when one is configured. It never waits on a service: a hung service must not
take every gateway replica out of rotation (the routes of that service answer
503 on their own). Each check has a bound, so the answer comes within
`OWN_CHECK_TIMEOUT` whatever hangs.

`/readyz/services` is the aggregate view for operators and start-up scripts:
every service's `/readyz`, asked in parallel, each within
`SERVICE_PROBE_TIMEOUT`, with the gateway's own state beside them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import jwt
from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy.engine import Engine

from gateway.keyring import Keyring
from gateway.runtime import Runtime
from gateway.settings import GatewaySettings
from services.common.errors import PROBLEM_RESPONSES, Problem, problem_response
from services.common.migrate import current_revisions, head_revisions

# Seconds. An orchestrator's readiness probe of the gateway is given 3 s
# (deploy/k8s/base/gateway.yaml): the own checks end well within it.
OWN_CHECK_TIMEOUT = 1.0
# Seconds per service in the aggregate view; they are asked in parallel, so the
# whole answer takes about this long when one hangs.
SERVICE_PROBE_TIMEOUT = 1.0

READY = "ready"
NOT_CONFIGURED = "not configured"


class Readiness(BaseModel):
    """The services' readiness as the gateway sees it (`/readyz/services`)."""

    status: str = Field(description="`ready` when every service and the gateway are")
    services: dict[str, str] = Field(
        description="each service's state (`ready`, `not ready`, `unreachable`), and the "
        "gateway's own under `gateway`"
    )


class GatewayReadiness(BaseModel):
    """The gateway's own readiness (`/readyz`)."""

    status: str = Field(description="`ready` when every check is")
    checks: dict[str, str] = Field(
        description="`started`, `keys`, `audit_database`, `rate_limit_store`: `ready`, "
        "`not configured` (no shared store: counts are the process's own) or what is wrong"
    )


class Liveness(BaseModel):
    status: str
    service: str


def audit_database_check(engine: Engine) -> Callable[[], str]:
    """The audit database's state for readiness: reachable and at the head revision."""
    heads = head_revisions("gateway")

    def state() -> str:
        try:
            current = current_revisions(engine)
        except Exception:
            return "audit database unreachable"
        return READY if current == heads else "audit database not migrated"

    return state


def keys_state(keyring: Keyring) -> str:
    """Whether both signing keys sign a token their public half verifies.

    The keys are loaded once, at start-up, and never change while the process
    runs, so this is decided once."""
    try:
        for pair in (keyring.issuer, keyring.internal):
            token = jwt.encode({"probe": True}, pair.private_pem, algorithm="EdDSA")
            jwt.decode(token, pair.public_pem, algorithms=["EdDSA"])
    except Exception:
        return "signing keys unusable"
    return READY


class ThreadCheck:
    """A blocking check run in a thread, answered within a bound.

    A check still running when its time is up answers `timed out`; it is not
    started again while it runs, so a hung database costs one thread, not one
    per probe."""

    def __init__(self, check: Callable[[], str], timeout: float, what: str) -> None:
        self._check = check
        self._timeout = timeout
        self._what = what
        self._running: asyncio.Future[str] | None = None

    async def __call__(self) -> str:
        running = self._running
        # A check left running on another event loop (a test's earlier client)
        # cannot be awaited here: start one on this loop.
        loop = asyncio.get_running_loop()
        if running is None or running.done() or running.get_loop() is not loop:
            running = self._running = asyncio.ensure_future(asyncio.to_thread(self._check))
        try:
            return await asyncio.wait_for(asyncio.shield(running), self._timeout)
        except TimeoutError:
            return f"{self._what} timed out"


def rate_limit_store_check(
    ping: Callable[[], Awaitable[bool]] | None, timeout: float
) -> Callable[[], Awaitable[str]]:
    """The shared rate-limit store's state; `not configured` when counts are in
    the process (`memory://`), which needs nothing to be ready."""

    async def state() -> str:
        if ping is None:
            return NOT_CONFIGURED
        # In a task of its own: `limits`' check swallows every exception, the
        # cancellation of a timeout included, so it is waited on, not cancelled
        # into.
        task = asyncio.ensure_future(ping())
        done, _ = await asyncio.wait({task}, timeout=timeout)
        if not done:
            task.cancel()
            return "rate-limit store timed out"
        if task.exception() is not None or not task.result():
            return "rate-limit store unreachable"
        return READY

    return state


class OwnReadiness:
    """The gateway's own checks, run together and each bounded."""

    def __init__(
        self,
        runtime: Callable[[], Runtime],
        keyring: Keyring,
        audit_database_state: Callable[[], str],
        rate_limit_ping: Callable[[], Awaitable[bool]] | None,
        timeout: float = OWN_CHECK_TIMEOUT,
    ) -> None:
        self._runtime = runtime
        self._keys = keys_state(keyring)
        self._audit = ThreadCheck(audit_database_state, timeout, "audit database")
        self._store = rate_limit_store_check(rate_limit_ping, timeout)

    def _started(self) -> str:
        try:
            self._runtime()
        except Problem:
            return "starting"
        return READY

    async def checks(self) -> dict[str, str]:
        audit, store = await asyncio.gather(self._audit(), self._store())
        return {
            "started": self._started(),
            "keys": self._keys,
            "audit_database": audit,
            "rate_limit_store": store,
        }

    async def state(self) -> str:
        """One word for the aggregate view: `ready` or the first thing wrong."""
        checks = await self.checks()
        wrong = [v for v in checks.values() if v not in (READY, NOT_CONFIGURED)]
        return wrong[0] if wrong else READY


def is_ready(checks: dict[str, str]) -> bool:
    return all(v in (READY, NOT_CONFIGURED) for v in checks.values())


def health_router(
    settings: GatewaySettings, runtime: Callable[[], Runtime], own: OwnReadiness
) -> APIRouter:
    router = APIRouter()

    @router.get(
        "/healthz", tags=["gateway"], summary="Liveness of the gateway", response_model=Liveness
    )
    async def healthz() -> Liveness:
        return Liveness(status="alive", service="gateway")

    @router.get(
        "/readyz",
        tags=["gateway"],
        summary="Readiness of the gateway itself",
        description="The gateway's own readiness, for an orchestrator's readiness probe: "
        "started, signing keys usable, audit database reachable and migrated, the shared "
        "rate-limit store answering when one is configured. It does not ask the services "
        f"(see `/readyz/services`) and answers within {OWN_CHECK_TIMEOUT:g} s. 503 "
        "`application/problem+json` with `checks` when a check fails.",
        response_model=GatewayReadiness,
        responses={503: PROBLEM_RESPONSES[500]},
    )
    async def readyz() -> Any:
        checks = await own.checks()
        if is_ready(checks):
            return GatewayReadiness(status=READY, checks=checks)
        return problem_response(503, detail="the gateway is not ready", extra={"checks": checks})

    @router.get(
        "/readyz/services",
        tags=["gateway"],
        summary="Readiness of every service, as the gateway sees it",
        description="Every service's `/readyz`, asked in parallel, each within "
        f"{SERVICE_PROBE_TIMEOUT:g} s (`unreachable` when it does not answer in time), "
        "and the gateway's own state under `gateway`. For operators and start-up "
        "scripts, not for a probe: one service down makes it 503 while the gateway "
        "serves the others. 503 `application/problem+json` with "
        "`services` when any is not ready.",
        response_model=Readiness,
        responses={503: PROBLEM_RESPONSES[500]},
    )
    async def readyz_services() -> Any:
        forwarder = runtime().forwarder

        async def probe(service: str, url: str) -> tuple[str, str]:
            # Bounded here too: a forwarder's own timeout may not cover every
            # stage (httpx's does not bound a transport that never answers).
            try:
                async with asyncio.timeout(SERVICE_PROBE_TIMEOUT):
                    status = await forwarder.get_status(f"{url}/readyz", SERVICE_PROBE_TIMEOUT)
            except TimeoutError:
                status = None
            if status is None:
                return service, "unreachable"
            return service, READY if status == 200 else "not ready"

        probes = asyncio.gather(*(probe(s, u) for s, u in settings.service_urls.items()))
        answers, gateway_state = await asyncio.gather(probes, own.state())
        results = dict(answers)
        results["gateway"] = gateway_state
        if all(v == READY for v in results.values()):
            return Readiness(status=READY, services=results)
        return problem_response(503, detail="a service is not ready", extra={"services": results})

    return router
