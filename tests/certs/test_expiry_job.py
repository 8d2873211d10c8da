"""The expiry job: a certificate lapses on its exact Taipei day, holders are
warned at their agency's lead times, and running the job twice sends each
warning once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session

from renshi.jobs import registry
from services.certs.jobs import SCHEDULE, deliver_notices, expiry
from services.certs.models import Notice
from tests.certs.conftest import (
    HOLDER,
    HOLDER_A02,
    HR_A01,
    HR_A02,
    OTHER_HOLDER,
    add_entry,
    submit,
    verified,
    verify,
)
from tests.notice_stubs import webhook_receiver

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _registered_in_2024(registered_on) -> None:
    """The certificates here are registered on 2024-03-02 and the job then run
    for the days after, up to their lapse in 2025."""
    registered_on(date(2024, 3, 2))


def _state(call, certificate_id: int) -> str:
    state: str = call("GET", f"/certificates/{certificate_id}", HOLDER).json()["state"]
    return state


def _notices(certs_app) -> list[tuple[str, str, int]]:
    with Session(certs_app.state.engine) as session:
        rows = session.scalars(select(Notice).order_by(Notice.id)).all()  # type: ignore[arg-type]
        return [(n.kind, n.dedupe_key, n.certificate_id) for n in rows]


def test_the_jobs_are_registered_and_scheduled() -> None:
    assert {"certs.expiry", "certs.deliver-notices"} <= set(registry())
    assert set(SCHEDULE) == {"expiry", "deliver-notices", "pull-ai-hours"}


def test_a_leap_day_certificate_lapses_on_the_28th_in_taipei(call, settings, certs_app) -> None:
    # Obtained 2024-02-29, valid 12 months: valid through 2025-02-27.
    certificate = verified(call, obtained_on="2024-02-29", validity_months=12)
    assert certificate["expires_on"] == "2025-02-28"
    eve = expiry(settings=settings, as_of=date(2025, 2, 27))
    assert eve["expired"] == 0
    assert _state(call, certificate["id"]) == "verified"
    day = expiry(settings=settings, as_of=date(2025, 2, 28))
    assert (day["expired"], day["expiry_notices"]) == (1, 1)
    assert _state(call, certificate["id"]) == "expired"
    events = call("GET", f"/certificates/{certificate['id']}/events", HOLDER).json()["items"]
    assert (events[-1]["from_state"], events[-1]["to_state"], events[-1]["actor"]) == (
        "verified",
        "expired",
        "svc.certs",
    )
    assert _notices(certs_app)[-1] == (
        "certificate_expired",
        f"expired:{certificate['id']}",
        certificate["id"],
    )


def test_warnings_at_90_30_and_7_days_each_sent_once(call, settings, certs_app) -> None:
    certificate = verified(call, obtained_on="2024-03-01", validity_months=12)  # lapses 2025-03-01
    cid = certificate["id"]
    with webhook_receiver() as hook:
        delivering = settings.model_copy(update={"notice_webhook_url": hook.url})
        runs = {
            date(2024, 11, 30): 0,  # 91 days ahead: not yet
            date(2024, 12, 1): 1,  # 90 days: the 90-day warning
            date(2024, 12, 2): 0,
            date(2025, 1, 30): 1,  # 30 days
            date(2025, 2, 21): 0,  # 8 days
            date(2025, 2, 22): 1,  # 7 days
            date(2025, 2, 28): 0,  # the last valid day: nothing more to say
        }
        for day, created in runs.items():
            summary = expiry(settings=delivering, as_of=day)
            assert summary["warnings"] == created, (day, summary)
            assert summary["webhook"] == created
            again = expiry(settings=delivering, as_of=day)
            assert "skipped" in again
            forced = expiry(settings=delivering, as_of=day, force=True)
            assert (forced["warnings"], forced["webhook"]) == (0, 0)
        assert [p["kind"] for p in hook.received] == ["certificate_expiring"] * 3
        assert [p["body"]["lead_days"] for p in hook.received] == [90, 30, 7]
        assert {p["recipient_id"] for p in hook.received} == {HOLDER["person_id"]}
    assert [key for _, key, _ in _notices(certs_app)] == [
        f"lead:90:{cid}",
        f"lead:30:{cid}",
        f"lead:7:{cid}",
    ]


def test_a_run_after_a_gap_sends_only_the_most_urgent_warning(call, settings, certs_app) -> None:
    certificate = verified(call, obtained_on="2024-03-01", validity_months=12)
    assert expiry(settings=settings, as_of=date(2025, 2, 25))["warnings"] == 1
    assert _notices(certs_app) == [
        ("certificate_expiring", f"lead:7:{certificate['id']}", certificate["id"])
    ]


def test_an_agency_sets_its_own_lead_times(call, settings, certs_app) -> None:
    path = "/agencies/A01/warning-lead-times"
    assert call("GET", path, HR_A01).json()["lead_days"] == [90, 30, 7]
    assert call("GET", path, HR_A01).json()["default"] is True
    put = call("PUT", path, HR_A01, json={"lead_days": [14, 60]})
    assert put.status_code == 200, put.text
    assert (put.json()["lead_days"], put.json()["default"]) == ([60, 14], False)
    assert (
        call("PUT", "/agencies/A01/warning-lead-times", HR_A02, json={"lead_days": [1]}).status_code
        == 404
    )
    assert call("PUT", path, HOLDER, json={"lead_days": [1]}).status_code == 403
    bad = call("PUT", path, HR_A01, json={"lead_days": [0, 400, 30, 30]})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} >= {"body.lead_days.0", "body.lead_days.1"}
    a01 = verified(call, obtained_on="2024-03-01", validity_months=12)  # A01: 60, 14
    version_id = add_entry(call, code="other-cert", validity_months=12)["current"]["id"]
    a02 = verify(
        call, submit(call, version_id, obtained_on="2024-03-01", holder=HOLDER_A02)["id"], HR_A02
    )
    # 2025-01-01, 59 days left: A01 reaches its 60, A02 the default's 90.
    assert expiry(settings=settings, as_of=date(2025, 1, 1))["warnings"] == 2
    # 2025-01-31, 29 days: A02 reaches 30; A01 has no 30.
    assert expiry(settings=settings, as_of=date(2025, 1, 31))["warnings"] == 1
    # 2025-02-15, 14 days: A01 reaches its 14; A02's next is 7.
    assert expiry(settings=settings, as_of=date(2025, 2, 15))["warnings"] == 1
    assert sorted(key for _, key, _ in _notices(certs_app)) == sorted(
        [
            f"lead:60:{a01['id']}",
            f"lead:90:{a02['id']}",
            f"lead:30:{a02['id']}",
            f"lead:14:{a01['id']}",
        ]
    )


def test_a_renewed_certificate_is_not_warned_about(call, settings, registered_on) -> None:
    old = verified(call, obtained_on="2024-03-01", validity_months=12)
    registered_on(date(2024, 12, 2))
    renewal = call(
        "POST",
        f"/certificates/{old['id']}/renewals",
        HOLDER,
        json={"certificate_number": "N-2", "obtained_on": "2024-12-01"},
    )
    assert renewal.status_code == 201
    assert expiry(settings=settings, as_of=date(2025, 2, 25))["warnings"] == 0


def test_my_notices_are_only_mine(call, settings) -> None:
    mine = verified(call, obtained_on="2024-03-01", validity_months=12)
    version_id = add_entry(call, code="other-cert", validity_months=12)["current"]["id"]
    verify(
        call,
        submit(call, version_id, number="X", obtained_on="2024-03-01", holder=OTHER_HOLDER)["id"],
    )
    expiry(settings=settings, as_of=date(2025, 2, 25))
    answer = call("GET", "/me/notices", HOLDER)
    assert answer.status_code == 200
    items = answer.json()["items"]
    assert [(n["kind"], n["certificate_id"]) for n in items] == [
        ("certificate_expiring", mine["id"])
    ]
    assert items[0]["body"]["last_valid_day"] == "2025-02-28"
    assert call("GET", "/me/notices", HR_A01).json()["items"] == []


def test_the_cli_runs_the_job_for_a_day(call, settings, tmp_path: Path) -> None:
    certificate = verified(call, obtained_on="2024-02-29", validity_months=12)
    env: dict[str, Any] = {k: v for k, v in os.environ.items() if not k.startswith("CERTS_")}
    env.update(
        CERTS_DATABASE_URL=settings.database_url,
        CERTS_ENVIRONMENT="test",
        RENSHI_VAR_DIR=str(tmp_path),
    )
    done = subprocess.run(
        [sys.executable, "-m", "renshi", "jobs", "run", "certs.expiry", "--as-of", "2025-02-28"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["job"], summary["day"], summary["expired"]) == ("expiry", "2025-02-28", 1)
    assert _state(call, certificate["id"]) == "expired"


def test_a_refused_delivery_is_retried_by_deliver_notices(call, settings) -> None:
    verified(call, obtained_on="2024-03-01", validity_months=12)
    with webhook_receiver() as hook:
        delivering = settings.model_copy(update={"notice_webhook_url": hook.url})
        hook.status = 503
        first = expiry(settings=delivering, as_of=date(2025, 2, 25))
        assert (first["warnings"], first["webhook"], first["delivery_failures"]) == (1, 0, 1)
        hook.status = 204
        retried = deliver_notices(settings=delivering)
        assert (retried["webhook"], retried["delivery_failures"]) == (1, 0)
        assert deliver_notices(settings=delivering)["webhook"] == 0
        assert [p["kind"] for p in hook.received] == ["certificate_expiring"]
