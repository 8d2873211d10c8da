from __future__ import annotations

import pytest

from services.training.settings import TrainingSettings


def test_production_requires_a_database_url():
    with pytest.raises(ValueError, match="database_url"):
        TrainingSettings(environment="production", database_url="")


def test_development_defaults_to_sqlite_under_var():
    settings = TrainingSettings(environment="development", database_url="")
    assert settings.database_url.startswith("sqlite:///")
    assert settings.database_url.endswith("/training.db")


def test_env_prefix_is_the_service_name(monkeypatch):
    monkeypatch.setenv("TRAINING_DATABASE_URL", "postgresql://db/training")
    monkeypatch.setenv("CERTS_DATABASE_URL", "postgresql://db/certs")
    assert TrainingSettings().database_url == "postgresql://db/training"
