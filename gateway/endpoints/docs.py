"""The merged OpenAPI document of every public operation, and its Swagger UI and
ReDoc pages.

Both pages load their scripts, style sheet and icon from the gateway itself
(`/docs/assets/...`, the files packaged by `fastapi-offline`): nothing is fetched
from a CDN, so the pages work on a closed network."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import APIRouter
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

from gateway import openapi
from services.common.errors import NotFound

ASSETS_PATH = "/docs/assets"
_ASSET_DIR = Path(fastapi_offline.__file__).parent / "static"
# name → media type; only these files are served.
_ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "redoc.standalone.js": "text/javascript",
    "favicon.png": "image/png",
}
TITLE = "renshi API"
# What the pages may load: the gateway's own files, and the data: and blob:
# URLs the bundles make themselves (ReDoc runs its search in a blob: worker).
# ReDoc's side menu shows its maker's logo from cdn.redoc.ly; the policy keeps
# the browser from fetching it, so nothing leaves a closed network.
PAGE_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self' 'unsafe-inline' blob:",
        "worker-src 'self' blob:",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
    )
)
_PAGE_HEADERS = {"Content-Security-Policy": PAGE_POLICY}
# Swagger UI keeps what was entered under Authorize across reloads; client
# credentials are sent to /oauth/token (HTTP Basic, as Swagger UI does).
# No validator badge: Swagger UI would send the document's URL to
# validator.swagger.io for any host but localhost.
SWAGGER_UI_PARAMETERS: dict[str, Any] = {"persistAuthorization": True, "validatorUrl": None}
SWAGGER_UI_OAUTH: dict[str, Any] = {"appName": TITLE, "scopeSeparator": " "}


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
        page = get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=TITLE,
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon.png",
            oauth2_redirect_url=None,
            init_oauth=SWAGGER_UI_OAUTH,
            swagger_ui_parameters=SWAGGER_UI_PARAMETERS,
        )
        page.headers.update(_PAGE_HEADERS)
        return page

    @router.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        page = get_redoc_html(
            openapi_url="/openapi.json",
            title=TITLE,
            redoc_js_url=f"{ASSETS_PATH}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS_PATH}/favicon.png",
            with_google_fonts=False,
        )
        page.headers.update(_PAGE_HEADERS)
        return page

    @router.get(ASSETS_PATH + "/{name}", include_in_schema=False)
    async def asset(name: str) -> FileResponse:
        media_type = _ASSETS.get(name)
        if media_type is None:
            raise NotFound(f"no documentation asset {name}")
        return FileResponse(
            _ASSET_DIR / name,
            media_type=media_type,
            headers={"Cache-Control": "public, max-age=86400"},
        )

    return router
