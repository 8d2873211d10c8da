"""Which environment variable names the processes read: each settings class's
fields under its prefix, and the image entrypoint's own few."""

from __future__ import annotations

import importlib

from gateway.settings import SERVICES, GatewaySettings


def setting_fields() -> dict[str, set[str]]:
    found = {"GATEWAY_": set(GatewaySettings.model_fields)}
    for svc in SERVICES:
        module = importlib.import_module(f"services.{svc}.settings")
        found[f"{svc.upper()}_"] = set(getattr(module, f"{svc.capitalize()}Settings").model_fields)
    return found


# Read by the image's entrypoint (renshi/container.py), not by a settings class.
ENTRYPOINT_VARIABLES = {"RENSHI_HOST", "RENSHI_PORT", "GATEWAY_WORKERS"}


def assert_known_setting(name: str, fields: dict[str, set[str]]) -> None:
    if name in ENTRYPOINT_VARIABLES:
        return
    for prefix, names in fields.items():
        if name.startswith(prefix):
            assert name.removeprefix(prefix).lower() in names, f"{name} is no setting"
            return
    raise AssertionError(f"{name} names no process's settings")
