"""What the certs routes share besides their permissions (`access`)."""

# No `from __future__ import annotations`: FastAPI resolves these aliases at import.

from typing import Annotated

from fastapi import Depends, Request

from services.certs.settings import CertsSettings


def _settings(request: Request) -> CertsSettings:
    settings = request.app.state.settings
    assert isinstance(settings, CertsSettings)
    return settings


SettingsDep = Annotated[CertsSettings, Depends(_settings)]
