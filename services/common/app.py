"""The FastAPI factory every service builds on: middleware, errors, probes, auth."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy import text

from services.common.db import make_engine
from services.common.errors import PROBLEM_RESPONSES, install_error_handlers, problem_response
from services.common.importing.queue import import_queue
from services.common.internal_auth import InternalTokenVerifier, get_principal
from services.common.json_body import Utf8JsonBodyMiddleware
from services.common.migrate import current_revisions, head_revisions
from services.common.permissions import stamp_permissions
from services.common.requestid import RequestIdMiddleware
from services.common.settings import ServiceSettings


class Health(BaseModel):
    status: str
    service: str


def operation_id(service: str) -> Any:
    """`<service>_<tag>_<name>`: unique across the merged document, stable across releases."""

    def generate(route: APIRoute) -> str:
        tag = str(route.tags[0]) if route.tags else "misc"
        return f"{service}_{tag}_{route.name}".replace("-", "_").replace(" ", "_")

    return generate


# Tags every service has, from the kernel's own routers.
KERNEL_TAGS: Mapping[str, str] = {
    "audit": "Who read which personal data held by this service, and when (security auditors).",
    "probes": "Liveness and readiness for the orchestrator; open, never forwarded by the gateway.",
}


def build_service_app(
    settings: ServiceSettings,
    routers: Sequence[APIRouter],
    *,
    title: str,
    description: str,
    tags: Mapping[str, str] | None = None,
    version: str = "0.1.0",
) -> FastAPI:
    """A service's app. `tags` describes each tag its routers use, in the order
    the published document lists them (a test checks none is left undescribed)."""
    settings.check_secrets()
    service = settings.service_name
    engine = make_engine(settings.database_url)
    heads = head_revisions(service)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The worker running the imports this process answered 202 (see
        # services.common.importing.queue); off, they wait for a re-post.
        worker: asyncio.Task[None] | None = None
        if settings.import_worker:
            queue = import_queue(app)
            worker = asyncio.create_task(queue.run_forever(settings.import_worker_poll_seconds))
        yield
        if worker is not None:
            worker.cancel()
            await asyncio.gather(worker, return_exceptions=True)
        engine.dispose()

    app = FastAPI(
        title=title,
        description=description,
        version=version,
        lifespan=lifespan,
        generate_unique_id_function=operation_id(service),
        # The gateway publishes one merged document; services expose none.
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        responses=PROBLEM_RESPONSES,
        openapi_tags=[
            {"name": name, "description": text}
            for name, text in {**(tags or {}), **KERNEL_TAGS}.items()
        ],
    )
    app.state.settings = settings
    app.state.engine = engine
    try:
        public_pem = settings.public_key_pem()
    except FileNotFoundError:
        public_pem = ""  # every authenticated request will then be refused with 401
    app.state.token_verifier = InternalTokenVerifier(
        public_pem=public_pem, audience=service, issuer=settings.internal_issuer
    )
    # Added first so that it runs inside the request id: its 415 carries the id.
    app.add_middleware(Utf8JsonBodyMiddleware)
    app.add_middleware(RequestIdMiddleware)
    install_error_handlers(app)

    # Probes are the only open routes: orchestrators call them without tokens,
    # and they disclose nothing but liveness and migration state.
    @app.get("/healthz", tags=["probes"], summary="Liveness", response_model=Health)
    def healthz() -> Health:
        return Health(status="alive", service=service)

    @app.get(
        "/readyz",
        tags=["probes"],
        summary="Readiness: database reachable, migrations at head",
        response_model=Health,
        responses={503: PROBLEM_RESPONSES[500]},
    )
    def readyz() -> Any:
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            current = current_revisions(engine)
        except Exception:
            return problem_response(503, detail="database unreachable")
        if current != heads:
            return problem_response(503, detail="database migrations are not at head")
        return Health(status="ready", service=service)

    for router in routers:
        stamp_permissions(router)
        app.include_router(router, dependencies=[Depends(get_principal)])
    # Kept so that tests can read each operation's code beside the published
    # document (e.g. that every operation able to answer 409 declares it).
    app.state.routers = tuple(routers)
    return app
