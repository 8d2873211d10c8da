"""The personal-data read log of every service answers `at` as an RFC 3339
date-time: with its UTC offset, on SQLite (which stores no offset) as on
PostgreSQL; and a time to filter by must carry its offset too."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from services.common.audit import record_personal_data_read
from services.common.principal import Principal
from tests.databases import SERVICES

READER = Principal(sub="hr.a01", kind="human", person_id="P0002", request_id="ts-test-0001")


def _read_log(client, internal_token, service: str, **params: str):
    token = internal_token(service, permissions=[f"{service}:audit:read"])
    return client(service).get(
        "/audit/personal-data-reads",
        params=params,
        headers={"Authorization": f"Bearer {token}"},
    )


@pytest.mark.parametrize("service", SERVICES)
def test_read_log_times_carry_their_offset(apps, client, internal_token, service):
    table = importlib.import_module(f"services.{service}.models").personal_data_reads
    before = datetime.now(UTC)
    with Session(apps[service].state.engine) as session:
        record_personal_data_read(session, table, READER, ["P0003"], f"{service}:test")
        session.commit()
    response = _read_log(client, internal_token, service)
    assert response.status_code == 200, response.text
    (item,) = response.json()["items"]
    at = datetime.fromisoformat(item["at"])
    assert at.utcoffset() == timedelta(0), item["at"]
    assert before - timedelta(seconds=5) <= at <= datetime.now(UTC) + timedelta(seconds=5)
    # Filtering by an aware time finds it, on either side of the offset.
    since = (at - timedelta(minutes=1)).astimezone().isoformat()
    assert len(_read_log(client, internal_token, service, since=since).json()["items"]) == 1
    until = (at - timedelta(minutes=1)).isoformat()
    assert _read_log(client, internal_token, service, until=until).json()["items"] == []


@pytest.mark.parametrize("service", ["directory", "training"])
def test_a_filter_time_without_offset_is_refused(apps, client, internal_token, service):
    response = _read_log(client, internal_token, service, since="2026-01-01T00:00:00")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["query.since"]
