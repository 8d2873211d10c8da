"""Exactly one audit row per gateway decision, append-only, queryable by the auditor."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DBAPIError

from gateway.audit import decisions
from services.common.db import normalise_url
from tests.gateway.harness import AUDIT_DATABASE, account

AUDIT = "/api/training/audit/personal-data-reads"


def rows_for(request_id: str) -> list[dict]:
    engine = create_engine(normalise_url(AUDIT_DATABASE["url"]))
    with engine.connect() as conn:
        found = conn.execute(select(decisions).where(decisions.c.request_id == request_id))
        rows = [dict(r._mapping) for r in found]
    engine.dispose()
    return rows


def call(gw, token: str | None, path: str = AUDIT, **headers: str):
    rid = f"test-{uuid.uuid4().hex}"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = gw.client.get(path, headers={"X-Request-ID": rid, **headers})
    return rid, response


def flush(gw) -> None:
    """Wait for the background writer, on the loop it runs on."""
    gw.client.portal.call(gw.runtime().audit.flush)


@pytest.mark.parametrize(
    ("setup", "expected_decision", "expected_status"),
    [
        ("good", "allow", 200),
        ("no-token", "deny", 401),
        ("forbidden", "deny", 403),
        ("unknown-route", "deny", 404),
    ],
)
def test_one_row_per_decision(gw, setup, expected_decision, expected_status):
    path = AUDIT
    token: str | None = gw.token()
    if setup == "no-token":
        token = None
    elif setup == "forbidden":
        gw.accounts["alice"] = account("alice", permissions=["certs:audit:read"])
    elif setup == "unknown-route":
        path = "/api/training/nothing"
    rid, response = call(gw, token, path)
    assert response.status_code == expected_status
    flush(gw)
    rows = rows_for(rid)
    assert len(rows) == 1
    row = rows[0]
    assert row["decision"] == expected_decision
    assert row["status"] == expected_status
    assert row["method"] == "GET"
    assert row["source_ip"] == "127.0.0.1"
    assert row["latency_ms"] >= 0
    if setup == "good":
        assert row["subject"] == "alice" and row["account_kind"] == "human"
        assert row["route"] == AUDIT
    values = " ".join(str(v) for v in row.values())
    assert "eyJ" not in values


def test_the_table_is_append_only(gw):
    rid, _ = call(gw, gw.token())
    flush(gw)
    engine = create_engine(normalise_url(AUDIT_DATABASE["url"]))
    try:
        for statement in (
            "UPDATE gateway_decisions SET decision = 'allow' WHERE request_id = :rid",
            "DELETE FROM gateway_decisions WHERE request_id = :rid",
        ):
            with pytest.raises(DBAPIError), engine.begin() as conn:
                conn.execute(text(statement), {"rid": rid})
    finally:
        engine.dispose()
    assert len(rows_for(rid)) == 1


def test_auditor_queries_by_subject_and_decision(gw):
    gw.accounts["bob"] = account("bob", permissions=[])
    for _ in range(3):
        call(gw, gw.token("bob"))  # denied: bob holds nothing
    gw.accounts["audit"] = account("audit", permissions=["gateway:audit:read"])
    flush(gw)
    response = gw.client.get(
        "/audit/decisions",
        params={"subject": "bob", "decision": "deny", "limit": 2},
        headers={"Authorization": f"Bearer {gw.token('audit')}"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["items"]) == 2 and body["next_cursor"]
    assert all(i["subject"] == "bob" and i["decision"] == "deny" for i in body["items"])
    rest = gw.client.get(
        "/audit/decisions",
        params={"subject": "bob", "decision": "deny", "cursor": body["next_cursor"]},
        headers={"Authorization": f"Bearer {gw.token('audit')}"},
    ).json()
    ids = [i["id"] for i in body["items"]] + [i["id"] for i in rest["items"]]
    assert len(ids) == len(set(ids)) >= 3


def test_only_the_auditor_may_query(gw):
    no_token = gw.client.get("/audit/decisions")
    assert no_token.status_code == 401
    not_auditor = gw.client.get(
        "/audit/decisions", headers={"Authorization": f"Bearer {gw.token()}"}
    )
    assert not_auditor.status_code == 403


def test_decision_times_carry_their_offset(gw):
    from datetime import UTC, datetime, timedelta

    rid, _ = call(gw, gw.token())
    gw.accounts["audit"] = account("audit", permissions=["gateway:audit:read"])
    flush(gw)
    auditor = {"Authorization": f"Bearer {gw.token('audit')}"}
    listed = gw.client.get("/audit/decisions", params={"subject": "alice"}, headers=auditor)
    assert listed.status_code == 200, listed.text
    (item,) = [i for i in listed.json()["items"] if i["request_id"] == rid]
    at = datetime.fromisoformat(item["at"])
    assert at.utcoffset() == timedelta(0), item["at"]
    assert abs(datetime.now(UTC) - at) < timedelta(minutes=1)
    # An aware filter time finds it; one without an offset is refused.
    since = (at - timedelta(seconds=1)).isoformat()
    found = gw.client.get("/audit/decisions", params={"since": since}, headers=auditor).json()
    assert rid in [i["request_id"] for i in found["items"]]
    naive = gw.client.get(
        "/audit/decisions", params={"since": "2026-01-01T00:00:00"}, headers=auditor
    )
    assert naive.status_code == 422
    assert [e["field"] for e in naive.json()["errors"]] == ["query.since"]
