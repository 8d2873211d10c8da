"""Fixtures of the attendance tests."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from services.attendance.settings import AttendanceSettings
from tests.attendance.builders import Actors, import_roster


@pytest.fixture
def actors(internal_token) -> Actors:
    return Actors(internal_token)


@pytest.fixture
def api(client) -> TestClient:
    return client("attendance")


@pytest.fixture
def roster(api, actors) -> None:
    import_roster(api, actors)


@pytest.fixture
def job_settings(service_urls) -> AttendanceSettings:
    return AttendanceSettings(database_url=service_urls["attendance"], environment="test")
