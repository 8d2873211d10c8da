"""The README's configuration table names every setting there is."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from gateway.settings import GatewaySettings
from services.common.settings import ServiceSettings
from tests.databases import SERVICES

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_every_gateway_setting_is_documented():
    for name in GatewaySettings.model_fields:
        assert f"`GATEWAY_{name.upper()}`" in README, name


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_setting_is_documented(service):
    cls = getattr(
        importlib.import_module(f"services.{service}.settings"), f"{service.capitalize()}Settings"
    )
    prefix = cls.model_config["env_prefix"]
    for name in cls.model_fields:
        if name == "service_name":
            continue  # fixed per service, not configuration
        generic = f"`<SVC>_{name.upper()}`" in README and name in ServiceSettings.model_fields
        assert generic or f"`{prefix}{name.upper()}`" in README, f"{prefix}{name.upper()}"
