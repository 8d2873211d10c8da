"""The kernel's notices on a table of a test-only registry: stored once per
dedupe key, delivered by webhook and SMTP, failures counted and retried.

The table lives in a throwaway SQLite file built with create_all: it belongs
to no service, so there is no migration to run. Attendance's real table, built
by its migrations, is covered on both databases in
tests/attendance/test_notice_delivery.py.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, col, select

from services.common.db import make_engine, new_registry
from services.common.notices import (
    NoticeDeliverySettings,
    Outbox,
    StoredNotice,
    add_new,
    deliver_pending,
)
from services.common.timeutil import now_utc
from services.common.transactions import batch_transaction
from tests.notice_stubs import Inbox, Webhook, free_port, mail_server, webhook_receiver

_registry = new_registry()


class KernelTable(SQLModel, registry=_registry):
    pass


class Contact(KernelTable, table=True):
    __tablename__ = "contacts"

    recipient_id: str = Field(primary_key=True, max_length=64)
    email: str | None = Field(default=None, max_length=254)


class Letter(KernelTable, StoredNotice, table=True):
    __tablename__ = "letters"


def letter_text(letter: Letter) -> str:
    return f"{letter.subject}\n\n{letter.body.get('line', '')}\n"


OUTBOX = Outbox(
    Letter, addresses=select(col(Contact.recipient_id), col(Contact.email)), text=letter_text
)
CONTACTS = {"P1": "p1@example.gov.tw", "P2": "p2@example.gov.tw", "P3": None}


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'kernel-notices.db'}")
    _registry.metadata.create_all(engine)
    with batch_transaction(engine) as session:
        session.add_all(Contact(recipient_id=r, email=e) for r, e in CONTACTS.items())
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


def settings(
    webhook: Webhook | None = None, smtp_port: int | None = None
) -> NoticeDeliverySettings:
    return NoticeDeliverySettings(
        notice_webhook_url=webhook.url if webhook else "",
        smtp_host="127.0.0.1" if smtp_port else "",
        smtp_port=smtp_port or 25,
        smtp_sender="renshi-test@localhost",
    )


def store(engine: Engine, *recipients: str, tag: str = "a") -> int:
    rows: list[dict[str, Any]] = [
        {
            "recipient_id": r,
            "kind": "reminder",
            "dedupe_key": f"{tag}:{i}:{r}",
            "issued_on": date(2025, 2, 1),
            "subject": f"Reminder {i} for {r}",
            "body": {"line": f"line {i}"},
        }
        for i, r in enumerate(recipients)
    ]
    with batch_transaction(engine) as session:
        return add_new(session, Letter, rows)


def letters(engine: Engine) -> list[Letter]:
    with Session(engine) as session:
        return list(session.exec(select(Letter).order_by(col(Letter.id))).all())


def test_each_dedupe_key_is_stored_once(engine):
    assert store(engine, "P1", "P2") == 2
    assert store(engine, "P1", "P2") == 0
    assert store(engine, "P1", "P2", "P3") == 1
    assert [(n.recipient_id, n.webhook_attempts, n.email_attempts) for n in letters(engine)] == [
        ("P1", 0, 0),
        ("P2", 0, 0),
        ("P3", 0, 0),
    ]


def test_delivers_each_channel_once(engine, webhook, inbox):
    store(engine, "P1", "P2", "P3")
    first = deliver_pending(engine, OUTBOX, settings(webhook, inbox.port))
    assert (first.webhook, first.email, first.failed) == (3, 2, 0)
    again = deliver_pending(engine, OUTBOX, settings(webhook, inbox.port))
    assert (again.webhook, again.email, again.failed) == (0, 0, 0)

    assert [p["recipient_id"] for p in webhook.received] == ["P1", "P2", "P3"]
    assert webhook.received[0] == {
        "id": 1,
        "recipient_id": "P1",
        "kind": "reminder",
        "issued_on": "2025-02-01",
        "subject": "Reminder 0 for P1",
        "body": {"line": "line 0"},
    }
    assert [rcpt for rcpt, _ in inbox.messages] == [["p1@example.gov.tw"], ["p2@example.gov.tw"]]
    assert b"Subject: Reminder 0 for P1" in inbox.messages[0][1]
    assert b"line 0" in inbox.messages[0][1]
    stored = letters(engine)
    assert all(n.webhook_delivered_at is not None for n in stored)
    assert [n.email_delivered_at is not None for n in stored] == [True, True, False]
    assert [(n.webhook_attempts, n.email_attempts) for n in stored] == [(1, 1), (1, 1), (1, 0)]
    assert all(n.next_attempt_at is None for n in stored)


def test_no_channel_configured_sends_nothing(engine):
    store(engine, "P1")
    tally = deliver_pending(engine, OUTBOX, NoticeDeliverySettings())
    assert (tally.webhook, tally.email, tally.failed) == (0, 0, 0)
    assert letters(engine)[0].next_attempt_at is None


def test_without_addresses_no_mail_is_sent(engine, inbox):
    store(engine, "P1")
    tally = deliver_pending(engine, Outbox(Letter), settings(smtp_port=inbox.port))
    assert (tally.email, tally.failed) == (0, 0)
    assert inbox.messages == []


def test_a_refused_webhook_is_counted_and_retried_by_the_next_run(engine, webhook):
    store(engine, "P1", "P2")
    webhook.status = 503
    failed = deliver_pending(engine, OUTBOX, settings(webhook))
    assert (failed.webhook, failed.failed) == (0, 2)
    stored = letters(engine)
    assert [(n.webhook_attempts, n.webhook_error) for n in stored] == [(1, "HTTP 503")] * 2
    assert all(n.webhook_delivered_at is None and n.next_attempt_at for n in stored)

    webhook.status = 204
    retried = deliver_pending(engine, OUTBOX, settings(webhook))
    assert (retried.webhook, retried.failed) == (2, 0)
    stored = letters(engine)
    assert [(n.webhook_attempts, n.webhook_error) for n in stored] == [(2, None)] * 2
    assert [p["recipient_id"] for p in webhook.received] == ["P1", "P2"]


def test_a_mail_server_that_is_down_fails_mail_only(engine, webhook, caplog):
    store(engine, "P1", "P2")
    caplog.set_level(logging.WARNING, logger="renshi.notices")
    tally = deliver_pending(engine, OUTBOX, settings(webhook, free_port()))
    assert (tally.webhook, tally.email, tally.failed) == (2, 0, 2)
    stored = letters(engine)
    assert [n.email_error for n in stored] == ["ConnectionRefusedError"] * 2
    assert [n.email_attempts for n in stored] == [1, 1]
    assert all(n.webhook_delivered_at is not None for n in stored)
    assert [r.__dict__.get("error_type") for r in caplog.records] == ["ConnectionRefusedError"] * 2


def test_a_refused_recipient_fails_alone_and_no_address_is_logged_or_stored(engine, inbox, caplog):
    store(engine, "P1", "P2")
    inbox.refused.add("p1@example.gov.tw")
    caplog.set_level(logging.WARNING, logger="renshi.notices")
    tally = deliver_pending(engine, OUTBOX, settings(smtp_port=inbox.port))
    assert (tally.email, tally.failed) == (1, 1)
    assert [rcpt for rcpt, _ in inbox.messages] == [["p2@example.gov.tw"]]
    first, second = letters(engine)
    assert (first.email_delivered_at, first.email_error) == (None, "SMTPRecipientsRefused")
    assert second.email_delivered_at is not None
    logged = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "SMTPRecipientsRefused" in logged
    assert "@" not in logged
    assert all("@" not in (n.email_error or "") for n in letters(engine))


def test_a_notice_claimed_by_another_run_is_skipped_until_its_lease_ends(engine, webhook):
    store(engine, "P1", "P2")
    with batch_transaction(engine) as session:
        session.execute(
            update(Letter)
            .where(col(Letter.recipient_id) == "P1")
            .values(next_attempt_at=now_utc() + timedelta(minutes=30))
        )
    assert deliver_pending(engine, OUTBOX, settings(webhook)).webhook == 1
    assert [p["recipient_id"] for p in webhook.received] == ["P2"]

    # The other run died: its lease ran out.
    with batch_transaction(engine) as session:
        session.execute(update(Letter).values(next_attempt_at=now_utc() - timedelta(minutes=1)))
    assert deliver_pending(engine, OUTBOX, settings(webhook)).webhook == 1
    assert [p["recipient_id"] for p in webhook.received] == ["P2", "P1"]


def test_batches_and_the_run_limit(engine, webhook):
    store(engine, *[f"Q{i}" for i in range(7)])
    assert deliver_pending(engine, OUTBOX, settings(webhook), batch_size=3, limit=5).webhook == 5
    assert deliver_pending(engine, OUTBOX, settings(webhook), batch_size=3).webhook == 2
    assert [p["recipient_id"] for p in webhook.received] == [f"Q{i}" for i in range(7)]


def test_a_batch_stopped_part_way_keeps_what_was_sent_and_frees_the_rest(engine, webhook):
    store(engine, "P1", "P2", "P3")

    def text(letter: Letter) -> str:
        if letter.recipient_id == "P2":
            raise RuntimeError("renderer broke")
        return letter_text(letter)

    broken = Outbox(Letter, addresses=OUTBOX.addresses, text=text)
    with mail_server() as inbox, pytest.raises(RuntimeError, match="renderer broke"):
        deliver_pending(engine, broken, settings(webhook, inbox.port))
    first, second, third = letters(engine)
    assert first.webhook_delivered_at is not None and first.email_delivered_at is not None
    # P2 could not be rendered, so nothing of it went out; P2 and P3 go back
    # to the queue with no attempt counted.
    assert [p["recipient_id"] for p in webhook.received] == ["P1"]
    for later in (second, third):
        assert (later.webhook_attempts, later.email_attempts, later.next_attempt_at) == (0, 0, None)
    with mail_server() as inbox:
        tally = deliver_pending(engine, OUTBOX, settings(webhook, inbox.port))
    assert (tally.webhook, tally.email, tally.failed) == (2, 1, 0)
