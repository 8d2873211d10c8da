"""The upstream of the gateway benchmark: a FastAPI service that authenticates
every request with the internal token, as renshi's services do (a request
without one is a 401 problem, from the same error handlers), and answers the
directory's account look-up and one list route (optionally spending `delay` ms
in I/O)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from services.common.errors import install_error_handlers
from services.common.internal_auth import InternalTokenVerifier, PrincipalDep

ACCOUNT = {
    "account": "bench",
    "kind": "human",
    "status": "active",
    "person_id": "P-bench",
    "agency_code": "A01",
    "agency_scope": ["A01"],
    "roles": ["security_auditor"],
    # training's route on the FastAPI upstream, certs' on the fast one.
    "permissions": ["training:audit:read", "certs:audit:read"],
    "allowed_networks": [],
    "person_status": "active",
}

app = FastAPI(openapi_url=None)
install_error_handlers(app)
_key = Path(os.environ["BENCH_INTERNAL_PUBLIC_KEY_FILE"]).read_text()
# One verifier per audience the gateway addresses: directory for the account
# look-up, training for the measured route.
_verifiers = {
    aud: InternalTokenVerifier(public_pem=_key, audience=aud) for aud in ("directory", "training")
}
app.state.token_verifier = _verifiers["training"]


@app.get("/principals/{name}")
async def principal(name: str) -> dict[str, Any]:
    return ACCOUNT


@app.post("/principals/usage")
async def usage() -> dict[str, Any]:
    # The gateway's per-minute report of which permissions accounts used.
    return {"entries": 0, "unknown_accounts": 0, "roles_recorded": 0}


@app.get("/readyz")
async def readyz() -> dict[str, str]:
    return {"status": "ready"}


@app.get("/audit/personal-data-reads")
async def page(_principal: PrincipalDep, delay: int = 0) -> dict[str, Any]:
    if delay:
        await asyncio.sleep(delay / 1000)
    return {"items": [], "next_cursor": None, "limit": 50}
