"""Attendance's notices through the kernel's delivery, on the table its
migrations build: failures counted and retried, mail only where the roster
has an address, and two runners at once sending each notice once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from services.attendance.models import Notice
from services.attendance.service.notices import OUTBOX
from services.attendance.settings import AttendanceSettings
from services.common.db import make_engine
from services.common.notices import DeliveryTally, add_new, deliver_pending
from services.common.transactions import batch_transaction
from tests.notice_stubs import Inbox, Webhook, mail_server, webhook_receiver


@pytest.fixture
def engine(service_urls, apps) -> Iterator[Engine]:
    # `apps` empties the tables after the test.
    engine = make_engine(service_urls["attendance"])
    yield engine
    engine.dispose()


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    with webhook_receiver() as hook:
        yield hook


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with mail_server() as server:
        yield server


def _settings(service_urls, webhook: Webhook, inbox: Inbox | None = None) -> AttendanceSettings:
    return AttendanceSettings(
        database_url=service_urls["attendance"],
        environment="test",
        notice_webhook_url=webhook.url,
        smtp_host="127.0.0.1" if inbox else "",
        smtp_port=inbox.port if inbox else 25,
    )


def _store(engine: Engine, recipients: list[str]) -> None:
    rows: list[dict[str, Any]] = [
        {
            "recipient_id": r,
            "agency_code": "A01",
            "kind": "expiring_soon",
            "dedupe_key": f"test:{i}:{r}",
            "issued_on": date(2025, 3, 2),
            "subject": f"Comp time expiring ({i})",
            "body": {"grants": [{"minutes": 90, "expires_on": "2025-03-09"}]},
        }
        for i, r in enumerate(recipients)
    ]
    with batch_transaction(engine) as session:
        assert add_new(session, Notice, rows) == len(rows)


def _notices(engine: Engine) -> list[Notice]:
    with Session(engine) as session:
        return list(session.exec(select(Notice).order_by(col(Notice.id))).all())


def test_failures_are_counted_and_retried_mail_goes_to_roster_addresses(
    engine, roster, service_urls, webhook, inbox
):
    _store(engine, ["E1", "E2"])
    webhook.status = 500
    first = deliver_pending(engine, OUTBOX, _settings(service_urls, webhook, inbox))
    assert (first.webhook, first.email, first.failed) == (0, 1, 2)
    stored = _notices(engine)
    assert [(n.webhook_attempts, n.webhook_error) for n in stored] == [(1, "HTTP 500")] * 2
    assert [(n.email_attempts, n.email_delivered_at is not None) for n in stored] == [
        (1, True),
        (0, False),  # E2 has no e-mail on the roster
    ]

    webhook.status = 204
    second = deliver_pending(engine, OUTBOX, _settings(service_urls, webhook, inbox))
    assert (second.webhook, second.email, second.failed) == (2, 0, 0)
    assert [(n["recipient_id"], n["kind"]) for n in webhook.received] == [
        ("E1", "expiring_soon"),
        ("E2", "expiring_soon"),
    ]
    assert [rcpt for rcpt, _ in inbox.messages] == [["e1@example.gov.tw"]]
    assert b"1 h 30 min, last usable day 2025-03-09" in inbox.messages[0][1]
    assert [(n.webhook_attempts, n.webhook_error) for n in _notices(engine)] == [(2, None)] * 2


def test_two_runners_at_once_send_each_notice_once(engine, roster, service_urls, webhook):
    recipients = ["E1", "E2", "S1"] * 8
    _store(engine, recipients)
    settings = _settings(service_urls, webhook)
    start = threading.Barrier(2)
    tallies: list[DeliveryTally] = []
    errors: list[BaseException] = []

    def run() -> None:
        # Its own engine, as a second replica would have.
        own = make_engine(settings.database_url)
        try:
            start.wait()
            tallies.append(deliver_pending(own, OUTBOX, settings, batch_size=2))
        except BaseException as exc:
            errors.append(exc)
        finally:
            own.dispose()

    runners = [threading.Thread(target=run) for _ in range(2)]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join()
    assert errors == []
    assert sum(t.webhook for t in tallies) == len(recipients)
    assert sorted(n["id"] for n in webhook.received) == [n.id for n in _notices(engine)]
    assert all(n.webhook_attempts == 1 for n in _notices(engine))
