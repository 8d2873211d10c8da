"""The security auditor's query over the gateway's decisions."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import AwareDatetime, BaseModel
from sqlalchemy import select
from sqlalchemy.engine import Engine

from gateway.audit import decisions
from gateway.decision_notes import mark_recorded
from gateway.permissions import grants
from gateway.runtime import Runtime
from gateway.security.jwt_headers import JwtRejected, token_from_request
from gateway.source_ip import CLIENT_IP_KEY
from services.common.errors import PROBLEM_RESPONSES, Forbidden, Problem, Unauthorized
from services.common.pagination import Page, PageDep, paginate
from services.common.permissions import PERMISSION_KEY
from services.common.request_context import current_request_id

PERMISSION = "gateway:audit:read"


class Decision(BaseModel):
    id: int
    at: AwareDatetime
    request_id: str
    subject: str | None
    account_kind: str | None
    source_ip: str
    method: str
    route: str | None
    decision: str
    status: int | None
    latency_ms: float


def audit_router(runtime: Any, engine: Engine) -> APIRouter:
    router = APIRouter(tags=["gateway"], responses=PROBLEM_RESPONSES)

    @router.get(
        "/audit/decisions",
        response_model=Page[Decision],
        summary="Gateway decisions, for the security auditor",
        openapi_extra={PERMISSION_KEY: PERMISSION},
    )
    async def list_decisions(
        request: Request,
        page: PageDep,
        subject: Annotated[str | None, Query(max_length=128)] = None,
        decision: Literal["allow", "deny"] | None = None,
        # With their offset: a time without one could mean any zone.
        since: AwareDatetime | None = None,
        until: AwareDatetime | None = None,
    ) -> Page[Decision]:
        current: Runtime = runtime()
        started = time.perf_counter()
        row: dict[str, Any] = {
            "decision": "deny",
            "route": "/audit/decisions",
            "method": "GET",
            "source_ip": str(request.scope.get("state", {}).get(CLIENT_IP_KEY, "")),
        }
        try:
            try:
                token = token_from_request(request.scope["headers"], request.scope["query_string"])
            except JwtRejected as exc:
                raise Unauthorized(exc.reason) from None
            auth = await current.authenticator.authenticate(token)
            row["subject"], row["account_kind"] = auth.principal.sub, auth.principal.kind
            if not grants(auth.principal.permissions, PERMISSION):
                raise Forbidden(f"requires permission {PERMISSION}")
            row["decision"], row["status"] = "allow", 200
            current.usage.note(auth.principal.sub, PERMISSION)
        except Problem as exc:
            row["status"] = exc.status
            raise
        finally:
            # The auditor's own reading is a gateway decision like any other.
            row["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)
            await current.audit.record(
                {**row, "at": time.time(), "request_id": current_request_id()}
            )
            mark_recorded(request.scope)
        # Decisions made before this query are visible to it.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(current.audit.flush(), 2.0)
        stmt = select(decisions)
        if subject:
            stmt = stmt.where(decisions.c.subject == subject)
        if decision:
            stmt = stmt.where(decisions.c.decision == decision)
        if since:
            stmt = stmt.where(decisions.c.at >= since)
        if until:
            stmt = stmt.where(decisions.c.at < until)
        with engine.connect() as conn:
            rows, next_cursor = paginate(conn, stmt, decisions.c.id, page)
        items = [Decision.model_validate(dict(r._mapping)) for r in rows]
        return Page[Decision](items=items, next_cursor=next_cursor, limit=page.limit)

    return router
