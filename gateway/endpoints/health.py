"""Liveness and readiness: of the gateway, its audit database and every service."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy.engine import Engine

from gateway.runtime import Runtime
from gateway.settings import GatewaySettings
from services.common.errors import PROBLEM_RESPONSES, problem_response
from services.common.migrate import current_revisions, head_revisions


class Readiness(BaseModel):
    status: str
    services: dict[str, str]


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
        return "ready" if current == heads else "audit database not migrated"

    return state


def health_router(
    settings: GatewaySettings,
    runtime: Callable[[], Runtime],
    audit_database_state: Callable[[], str],
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
        summary="Readiness of the gateway and every service",
        response_model=Readiness,
        responses={503: PROBLEM_RESPONSES[500]},
    )
    async def readyz() -> Any:
        forwarder = runtime().forwarder

        async def probe(service: str, url: str) -> tuple[str, str]:
            status = await forwarder.get_status(f"{url}/readyz", 3.0)
            if status is None:
                return service, "unreachable"
            return service, "ready" if status == 200 else "not ready"

        results = dict(
            await asyncio.gather(*(probe(s, u) for s, u in settings.service_urls.items()))
        )
        results["gateway"] = await asyncio.to_thread(audit_database_state)
        if all(v == "ready" for v in results.values()):
            return Readiness(status="ready", services=results)
        return problem_response(503, detail="a service is not ready", extra={"services": results})

    return router
