"""What the FastAPI app of the gateway's own endpoints adds inside the front
(`gateway.front`, which every request passes first)."""

from __future__ import annotations

from fastapi import FastAPI

from services.common.errors import install_error_handlers
from services.common.json_body import Utf8JsonBodyMiddleware


def install_api_middleware(api: FastAPI) -> None:
    """Problem responses for every error, and JSON bodies read as the services
    read them (the token exchange); proxied bodies are checked by the service
    that parses them."""
    install_error_handlers(api)
    api.add_middleware(Utf8JsonBodyMiddleware)
