"""Each service's own OpenAPI document, built from its app, and the snapshot of
them that the gateway reads (`gateway/service_documents/<service>.json`).

The gateway never imports a service: it serves the merged document and derives
its default-deny route table from these snapshots. `renshi openapi build`
writes them; a test fails when a snapshot differs from what the code builds,
so a route or a permission cannot change without the change showing here.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

from gateway.openapi import SNAPSHOT_DIR
from gateway.settings import SERVICES


def build_document(service: str) -> dict[str, Any]:
    """The service's document, built in-process (no database is touched: the
    engine connects lazily)."""
    app_module = importlib.import_module(f"services.{service}.app")
    settings_module = importlib.import_module(f"services.{service}.settings")
    settings_cls = getattr(settings_module, f"{service.capitalize()}Settings")
    app = app_module.create_app(
        settings_cls(database_url="sqlite://", environment="test", internal_public_key="")
    )
    document: dict[str, Any] = app.openapi()
    app.state.engine.dispose()
    return document


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def write_snapshots(directory: Path = SNAPSHOT_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for service in SERVICES:
        path = directory / f"{service}.json"
        path.write_text(render(build_document(service)), encoding="utf-8")
        written.append(path)
    return written
