"""What the certs routes share besides their permissions (`access`)."""

# No `from __future__ import annotations`: FastAPI resolves these aliases at import.

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from services.certs.settings import CertsSettings
from services.certs.training_client import LiveTraining, TrainingClient


def _settings(request: Request) -> CertsSettings:
    settings = request.app.state.settings
    assert isinstance(settings, CertsSettings)
    return settings


SettingsDep = Annotated[CertsSettings, Depends(_settings)]


def live_training(request: Request) -> Callable[[], TrainingClient]:
    """Dependency: training clients for a live read, as the service's own account
    (one identity for the app's life). Tests override it with a transport into
    the training app, or one that times out."""
    factory = getattr(request.app.state, "live_training", None)
    if factory is None:
        factory = LiveTraining(_settings(request))
        request.app.state.live_training = factory
    assert callable(factory)
    return factory


LiveTrainingDep = Annotated[Callable[[], TrainingClient], Depends(live_training)]
