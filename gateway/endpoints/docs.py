"""The merged OpenAPI document of every public operation, and its Swagger UI."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from gateway import openapi


def docs_router(own_document: Callable[[], dict[str, Any]]) -> APIRouter:
    """`own_document`: the gateway's own OpenAPI document, merged with the
    services' snapshots on first request."""
    router = APIRouter()
    merged_document: dict[str, Any] = {}

    @router.get("/openapi.json", include_in_schema=False)
    async def openapi_document() -> JSONResponse:
        if not merged_document:
            merged_document.update(openapi.merge(own_document(), openapi.service_documents()))
        return JSONResponse(merged_document)

    @router.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="renshi API")

    return router
