"""Monthly and lead-time warnings: stored, listed at /me/notices, delivered by
webhook and SMTP, and each sent once however often the job runs."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from aiosmtpd.controller import Controller

from services.attendance.jobs import JOBS, lead_warnings, monthly_warnings
from services.attendance.settings import AttendanceSettings
from tests.attendance.builders import approved_grant


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, _server, _session, envelope) -> str:
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[_Inbox, int]]:
    inbox = _Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def webhook() -> Iterator[tuple[list[dict], str]]:
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *_args) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield received, f"http://127.0.0.1:{server.server_address[1]}/notices"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def delivering(service_urls, smtp, webhook) -> AttendanceSettings:
    return AttendanceSettings(
        database_url=service_urls["attendance"],
        environment="test",
        smtp_host="127.0.0.1",
        smtp_port=smtp[1],
        notice_webhook_url=webhook[1],
    )


def test_jobs_are_registered():
    assert {"expire", "monthly-warnings", "lead-warnings", "deliver-notices"} <= set(JOBS)


def test_monthly_warning_sent_once_to_person_and_supervisor(
    api, actors, roster, delivering, smtp, webhook
):
    approved_grant(api, actors, "2023-03-10", 120)  # last usable day 2025-03-09
    approved_grant(api, actors, "2023-03-20", 60, person_id="E2")
    approved_grant(api, actors, "2023-05-01", 60)  # lapses in April: not this notice
    first = monthly_warnings(settings=delivering, as_of=date(2025, 2, 1))
    assert (first["persons"], first["supervisors"], first["created"]) == (2, 1, 3)
    assert (first["webhook"], first["email"]) == (3, 1)
    again = monthly_warnings(settings=delivering, as_of=date(2025, 2, 1))
    assert again["skipped"] == "already ran today"
    forced = monthly_warnings(settings=delivering, as_of=date(2025, 2, 1), force=True)
    assert (forced["created"], forced["webhook"], forced["email"]) == (0, 0, 0)
    later = monthly_warnings(settings=delivering, as_of=date(2025, 2, 14))
    assert (later["created"], later["webhook"], later["email"]) == (0, 0, 0)

    inbox, _ = smtp
    assert [rcpt for rcpt, _ in inbox.messages] == [["e1@example.gov.tw"]]
    assert b"2025-03" in inbox.messages[0][1]
    received, _ = webhook
    assert sorted((n["recipient_id"], n["kind"]) for n in received) == [
        ("E1", "expiring_next_month"),
        ("E2", "expiring_next_month"),
        ("S1", "unit_expiring_next_month"),
    ]

    mine = api.get("/me/notices", headers=actors.employee()).json()["items"]
    assert [(n["kind"], n["body"]["total_minutes"]) for n in mine] == [("expiring_next_month", 120)]
    assert mine[0]["body"]["grants"][0]["expires_on"] == "2025-03-09"
    unit = api.get("/me/notices", headers=actors.supervisor()).json()["items"]
    assert sorted(p["person_id"] for p in unit[0]["body"]["people"]) == ["E1", "E2"]


def test_lead_time_warning_sent_once(api, actors, roster, delivering, webhook):
    api.put("/agencies/A01/policy", headers=actors.hr, json={"warning_lead_days": [7]})
    approved_grant(api, actors, "2023-03-10", 120)
    assert lead_warnings(settings=delivering, as_of=date(2025, 3, 1))["created"] == 0
    assert lead_warnings(settings=delivering, as_of=date(2025, 3, 2))["created"] == 1
    assert lead_warnings(settings=delivering, as_of=date(2025, 3, 3))["created"] == 0
    received, _ = webhook
    assert [n["kind"] for n in received] == ["expiring_soon"]


def test_notices_are_only_ones_own(api, actors, roster, job_settings):
    approved_grant(api, actors, "2023-03-10", 120)
    monthly_warnings(settings=job_settings, as_of=date(2025, 2, 1))
    assert api.get("/me/notices", headers=actors.employee("E2")).json()["items"] == []
    assert api.get("/me/notices").status_code == 401
    assert api.get("/me/notices", headers=actors.nobody).status_code == 403


def test_my_notices_filter_by_kind_and_issue_day(api, actors, roster, job_settings):
    approved_grant(api, actors, "2023-03-10", 120)  # last usable day 2025-03-09
    api.put("/agencies/A01/policy", headers=actors.hr, json={"warning_lead_days": [7]})
    monthly_warnings(settings=job_settings, as_of=date(2025, 2, 1))
    lead_warnings(settings=job_settings, as_of=date(2025, 3, 2))

    def kinds(**params: str) -> list[str]:
        response = api.get("/me/notices", params=params, headers=actors.employee())
        assert response.status_code == 200, response.text
        return [n["kind"] for n in response.json()["items"]]

    assert kinds() == ["expiring_soon", "expiring_next_month"]
    assert kinds(kind="expiring_next_month") == ["expiring_next_month"]
    assert kinds(since="2025-03-01") == ["expiring_soon"]
    assert kinds(since="2025-03-03") == []
    assert kinds(kind="expiring_next_month", since="2025-03-01") == []
    bad = api.get("/me/notices", params={"kind": "other"}, headers=actors.employee())
    assert bad.status_code == 422
