"""Input no database can keep, and a database that cannot take a write: each a
clear problem+json, never a 500, never a partial write.

Found by fuzzing through the gateway (tests/fuzz): on PostgreSQL a JSON string
holding U+0000 reached the database and came back as a 500. A full SQLite file
is simulated with SQLite's own `max_page_count` pragma, set to the pages the
file already has (a real full disk needs a tmpfs, which needs root)."""

from __future__ import annotations

import importlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from tests.databases import BACKEND, fresh_database

TRAINER = {
    "person_id": "P1",
    "agency_code": "A01",
    "agency_scope": ["A01"],
    "permissions": ["training:classes:write:agency", "training:records:read:agency"],
}


def test_nul_in_a_json_string_is_refused_naming_the_field(client, internal_token) -> None:
    auth = {"Authorization": f"Bearer {internal_token('training', **TRAINER)}"}
    answer = client("training").put(
        "/categories/AI01",
        content=b'{"name": "a\\u0000b"}',
        headers={**auth, "Content-Type": "application/json"},
    )
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert [(e["field"], e["code"]) for e in answer.json()["errors"]] == [("body.name", "nul")]
    assert "a\x00b" not in answer.text
    listed = client("training").get("/categories", headers=auth)
    assert listed.status_code == 200 and listed.json()["items"] == []


def test_an_escaped_backslash_before_u0000_is_ordinary_text(client, internal_token) -> None:
    auth = {"Authorization": f"Bearer {internal_token('training', **TRAINER)}"}
    answer = client("training").put(
        "/categories/AI01",
        content=b'{"name": "a\\\\u0000b"}',  # the six characters \u0000, not NUL
        headers={**auth, "Content-Type": "application/json"},
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["name"] == "a\\u0000b"


def test_nul_in_a_query_parameter_is_refused_naming_it(client, internal_token) -> None:
    auth = {"Authorization": f"Bearer {internal_token('training', **TRAINER)}"}
    answer = client("training").get("/records?person_id=P%001", headers=auth)
    assert answer.status_code == 422, answer.text
    assert [e["field"] for e in answer.json()["errors"]] == ["query.person_id"]


@pytest.mark.parametrize("course_id", [2**31, 3443755312, 2**63 - 1])
def test_an_id_past_what_a_serial_column_holds_is_a_422(client, internal_token, course_id) -> None:
    """Found by fuzzing on PostgreSQL: GET /courses/3443755312 overflowed the
    32-bit SERIAL column, a 500."""
    auth = {"Authorization": f"Bearer {internal_token('training', **TRAINER)}"}
    answer = client("training").get(f"/courses/{course_id}", headers=auth)
    assert answer.status_code == 422, answer.text
    assert [e["field"] for e in answer.json()["errors"]] == ["path.course_id"]
    assert client("training").get(f"/courses/{2**31 - 1}", headers=auth).status_code == 404


@pytest.fixture
def training_app(tmp_path: Path, internal_keys) -> Iterator[FastAPI]:
    """A training service of its own, on a database of its own, to be filled."""
    from tests.conftest import _settings_for

    with fresh_database("training", tmp_path) as url:
        module = importlib.import_module("services.training.app")
        app = module.create_app(
            _settings_for("training", url, internal_keys, import_spool_dir=tmp_path / "spool")
        )
        yield app
        app.state.engine.dispose()


@pytest.mark.skipif(BACKEND != "sqlite", reason="max_page_count is SQLite's own")
def test_a_full_sqlite_file_answers_503_writes_nothing_and_stays_sound(
    training_app: FastAPI, internal_token
) -> None:
    engine = training_app.state.engine
    path = make_url(str(engine.url)).database
    assert path is not None
    limit = {"pages": 0}

    @event.listens_for(engine, "connect")
    def cap(dbapi_connection, _record) -> None:
        if limit["pages"]:
            dbapi_connection.execute(f"PRAGMA max_page_count = {limit['pages']}")

    with engine.connect() as conn:
        limit["pages"] = int(conn.execute(text("PRAGMA page_count")).scalar_one())
    engine.dispose()  # every connection from now on is capped: the file is full
    auth = {"Authorization": f"Bearer {internal_token('training', **TRAINER)}"}
    api = TestClient(training_app, raise_server_exceptions=False)
    long_name = "類" * 200  # more than the free room of the last page, with its index
    written = []
    for code in ("AI01", "AI02", "AI03", "AI04", "AI05", "AI06", "AI07", "AI08"):
        answer = api.put(f"/categories/{code}", json={"name": long_name}, headers=auth)
        if answer.status_code == 503:
            break
        assert answer.status_code == 201, answer.text
        written.append(code)
    assert answer.status_code == 503, "the capped file never filled"
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["retry-after"]
    body = answer.json()
    assert body["type"].endswith("/database-unavailable")
    assert body["detail"] == "the database is full; nothing was written"

    engine.dispose()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        kept = [c for (c,) in db.execute("SELECT code FROM categories ORDER BY code")]
    assert kept == written  # the refused write left nothing behind

    limit["pages"] = 0  # room again: the same service writes without a restart
    again = api.put(f"/categories/{code}", json={"name": long_name}, headers=auth)
    assert again.status_code == 201, again.text
