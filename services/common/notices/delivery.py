"""Delivering stored notices: a JSON webhook and/or e-mail over SMTP.

`deliver_pending` walks a service's notice table once per run, in batches.
Each batch is first claimed in its own short transaction (the rows are
leased by `next_attempt_at`, so a second runner, or a job delivering at the
same minute, skips them), then sent with no transaction open, then its
outcomes are recorded in one more transaction: per channel, delivered (never
sent again) or failed (tried again by the next run), with the attempts
counted. A crash between sending and recording leaves the batch leased
until the lease ends; then it is sent again, so delivery is at least once
and a receiver may see one batch twice (the webhook payload carries the
notice's `id` for that).

E-mail addresses are personal data: they are read from the service's own
table when a batch is sent and are never logged, stored with the notice or
put in an error.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any, Generic, TypeVar

import httpx
from pydantic import BaseModel, SecretStr
from sqlalchemy import Select, and_, or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select

from services.common.notices.model import ERROR_LENGTH, StoredNotice
from services.common.timeutil import now_utc
from services.common.transactions import batch_transaction

log = logging.getLogger("renshi.notices")

N = TypeVar("N", bound=StoredNotice)

# Notices per claim and per recorded outcome: a crash re-sends at most this many.
BATCH = 50
# Notices one run goes through at most, so that a run ends well before the
# next one is due even when every send waits for its timeout.
RUN_LIMIT = 10_000


class NoticeDeliverySettings(BaseModel):
    """Delivery settings, mixed into a service's settings class, whose prefix
    they take (`ATTENDANCE_NOTICE_WEBHOOK_URL`, `ATTENDANCE_SMTP_HOST`, …)."""

    # Where notices are POSTed as JSON, one request per notice; empty: no webhook.
    notice_webhook_url: str = ""
    notice_webhook_timeout: float = 5.0
    # SMTP relay for notices to recipients with an e-mail address; empty: no mail.
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_sender: str = "renshi@localhost"
    smtp_timeout: float = 10.0


def notice_payload(notice: StoredNotice) -> dict[str, Any]:
    """What the webhook receives: the notice as stored, without delivery state."""
    return {
        "id": notice.id,
        "recipient_id": notice.recipient_id,
        "kind": notice.kind,
        "issued_on": notice.issued_on.isoformat(),
        "subject": notice.subject,
        "body": notice.body,
    }


def subject_only(notice: StoredNotice) -> str:
    return notice.subject + "\n"


@dataclass(frozen=True)
class Outbox(Generic[N]):
    """A service's notices as the kernel delivers them.

    `addresses` selects (recipient id, e-mail address) rows from the
    service's own tables, e.g. `select(Person.person_id, Person.email)`;
    without it, or for a recipient it gives no address, no mail is sent and
    the notice waits for one. `text` renders the mail body.
    """

    table: type[N]
    addresses: Select[str, str | None] | None = None
    text: Callable[[N], str] = subject_only


@dataclass
class DeliveryTally:
    webhook: int = 0
    email: int = 0
    failed: int = 0


class DeliveryFailed(Exception):
    """A channel refused a notice; `reason` is safe to store and log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason[:ERROR_LENGTH]


def _reason(exc: BaseException) -> str:
    # Class names and status codes only: messages name recipients and URLs.
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{type(exc).__name__} {exc.smtp_code}"
    return type(exc).__name__


class WebhookSender:
    def __init__(self, url: str, timeout: float) -> None:
        self._url = url
        self._client = httpx.Client(timeout=timeout)

    def send(self, payload: dict[str, Any]) -> None:
        try:
            self._client.post(self._url, json=payload).raise_for_status()
        except httpx.HTTPError as exc:
            raise DeliveryFailed(_reason(exc)) from None

    def close(self) -> None:
        self._client.close()


class SmtpSender:
    """One SMTP conversation for many messages, opened at the first one.

    A message the server refuses fails alone; when the connection itself
    fails, the next message opens a new one, and when that cannot be opened
    every further message of the run fails at once with the same reason
    instead of waiting for the timeout again.
    """

    def __init__(self, settings: NoticeDeliverySettings) -> None:
        self._settings = settings
        self._smtp: smtplib.SMTP | None = None
        self._unreachable: str | None = None

    def _connection(self) -> smtplib.SMTP:
        if self._unreachable is not None:
            raise DeliveryFailed(self._unreachable)
        if self._smtp is None:
            s = self._settings
            try:
                smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout)
                try:
                    if s.smtp_starttls:
                        smtp.starttls()
                    if s.smtp_username:
                        smtp.login(s.smtp_username, s.smtp_password.get_secret_value())
                except BaseException:
                    smtp.close()
                    raise
            except OSError as exc:  # smtplib.SMTPException is an OSError
                self._unreachable = _reason(exc)
                raise DeliveryFailed(self._unreachable) from None
            self._smtp = smtp
        return self._smtp

    def send(self, to: str, subject: str, text: str) -> None:
        message = EmailMessage()
        message["From"] = self._settings.smtp_sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(text)
        smtp = self._connection()
        try:
            smtp.send_message(message)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as exc:
            # The server answered: this message is refused, the connection stands.
            raise DeliveryFailed(_reason(exc)) from None
        except OSError as exc:
            self._drop()
            raise DeliveryFailed(_reason(exc)) from None

    def _drop(self) -> None:
        if self._smtp is not None:
            smtp, self._smtp = self._smtp, None
            smtp.close()

    def close(self) -> None:
        if self._smtp is not None:
            # The messages are sent; a failed goodbye changes nothing.
            with suppress(OSError):
                self._smtp.quit()
            self._drop()


@dataclass
class _Outcome:
    notice_id: int
    # channel → None when delivered, else the reason it failed
    channels: dict[str, str | None] = field(default_factory=dict)


def _ids(notices: list[N]) -> list[int]:
    return [n.id for n in notices if n.id is not None]


def _lease(settings: NoticeDeliverySettings, size: int) -> timedelta:
    # Long enough for every notice of a batch to wait for both timeouts
    # (each spans a few network steps), so a slow batch keeps its claim.
    per_notice = 4 * (settings.notice_webhook_timeout + settings.smtp_timeout)
    return timedelta(seconds=60 + size * per_notice)


def _claim(
    engine: Engine,
    outbox: Outbox[N],
    *,
    webhook: bool,
    email: bool,
    after: int,
    started: datetime,
    lease: timedelta,
    size: int,
) -> tuple[list[N], dict[str, str]]:
    """The next notices after id `after` with a channel still to deliver, and
    the addresses of their recipients; leased until the outcomes are recorded."""
    table = outbox.table
    wanted: list[ColumnElement[bool]] = []
    if webhook:
        wanted.append(col(table.webhook_delivered_at).is_(None))
    addresses = outbox.addresses.subquery() if email and outbox.addresses is not None else None
    if addresses is not None:
        recipient, address = addresses.c[0], addresses.c[1]
        wanted.append(
            and_(
                col(table.email_delivered_at).is_(None),
                col(table.recipient_id).in_(select(recipient).where(address.is_not(None))),
            )
        )
    if not wanted:
        return [], {}
    with batch_transaction(engine, write_lock=True) as session:
        notices = list(
            session.exec(
                select(table)
                .where(
                    col(table.id) > after,
                    or_(*wanted),
                    or_(
                        col(table.next_attempt_at).is_(None),
                        col(table.next_attempt_at) <= started,
                    ),
                )
                .order_by(col(table.id))
                .limit(size)
                # PostgreSQL: a concurrent runner skips these rows instead of
                # waiting; SQLite's write lock already keeps it out.
                .with_for_update(skip_locked=True, of=table)
            ).all()
        )
        if not notices:
            return [], {}
        ids = _ids(notices)
        session.execute(
            update(table)
            .where(col(table.id).in_(ids))
            .values(next_attempt_at=now_utc() + lease)
            .execution_options(synchronize_session=False)
        )
        found: dict[str, str] = {}
        if addresses is not None:
            recipients = {n.recipient_id for n in notices if n.email_delivered_at is None}
            rows = session.execute(
                select(recipient, address).where(recipient.in_(recipients), address.is_not(None))
            ).all()
            found = {str(r): str(a) for r, a in rows}
    return notices, found


def _record(engine: Engine, table: type[StoredNotice], outcomes: list[_Outcome]) -> None:
    """Mark each channel delivered or failed and end the batch's claim."""
    now = now_utc()
    with batch_transaction(engine) as session:
        for outcome in outcomes:
            values: dict[str, Any] = {}
            for channel, error in outcome.channels.items():
                attempts = col(getattr(table, f"{channel}_attempts"))
                values[f"{channel}_attempts"] = attempts + 1
                values[f"{channel}_error"] = error
                if error is None:
                    values[f"{channel}_delivered_at"] = now
            failed = any(error is not None for error in outcome.channels.values())
            values["next_attempt_at"] = now if failed else None
            session.execute(
                update(table)
                .where(col(table.id) == outcome.notice_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )


def _attempt(channel: str, notice_id: int, send: Callable[..., None], *args: Any) -> str | None:
    """Send on one channel; None when it was accepted, else why not."""
    try:
        send(*args)
    except DeliveryFailed as exc:
        log.warning(
            "notice delivery failed",
            extra={"channel": channel, "notice_id": notice_id, "error_type": exc.reason},
        )
        return exc.reason
    return None


@contextmanager
def _senders(
    settings: NoticeDeliverySettings, *, webhook: bool, email: bool
) -> Iterator[tuple[WebhookSender | None, SmtpSender | None]]:
    with ExitStack() as stack:
        hook = mail = None
        if webhook:
            hook = WebhookSender(settings.notice_webhook_url, settings.notice_webhook_timeout)
            stack.callback(hook.close)
        if email:
            mail = SmtpSender(settings)
            stack.callback(mail.close)
        yield hook, mail


def _send_batch(
    outbox: Outbox[N],
    notices: list[N],
    addresses: Mapping[str, str],
    hook: WebhookSender | None,
    mail: SmtpSender | None,
    outcomes: list[_Outcome],
) -> None:
    for notice in notices:
        assert notice.id is not None
        # Render before sending anything, so that a notice the service cannot
        # render stops the batch before any channel has it.
        payload = notice_payload(notice) if notice.webhook_delivered_at is None else None
        address = addresses.get(notice.recipient_id)
        text = outbox.text(notice) if address and notice.email_delivered_at is None else None
        outcome = _Outcome(notice.id)
        if hook is not None and payload is not None:
            outcome.channels["webhook"] = _attempt("webhook", notice.id, hook.send, payload)
        if mail is not None and address is not None and text is not None:
            outcome.channels["email"] = _attempt(
                "email", notice.id, mail.send, address, notice.subject, text
            )
        outcomes.append(outcome)


def deliver_pending(
    engine: Engine,
    outbox: Outbox[N],
    settings: NoticeDeliverySettings,
    *,
    batch_size: int = BATCH,
    limit: int = RUN_LIMIT,
) -> DeliveryTally:
    """Send every notice of `outbox` a configured channel has not accepted yet.

    A channel is on when its setting is filled (`notice_webhook_url`,
    `smtp_host`). Safe to run again and concurrently: delivered channels are
    never sent again, and a notice claimed by one runner is skipped by others.
    """
    webhook = bool(settings.notice_webhook_url)
    email = bool(settings.smtp_host) and outbox.addresses is not None
    tally = DeliveryTally()
    if not (webhook or email):
        return tally
    started = now_utc()
    lease = _lease(settings, batch_size)
    after = handled = 0
    with _senders(settings, webhook=webhook, email=email) as (hook, mail):
        while handled < limit:
            size = min(batch_size, limit - handled)
            notices, addresses = _claim(
                engine,
                outbox,
                webhook=webhook,
                email=email,
                after=after,
                started=started,
                lease=lease,
                size=size,
            )
            if not notices:
                break
            outcomes: list[_Outcome] = []
            try:
                _send_batch(outbox, notices, addresses, hook, mail, outcomes)
            finally:
                # What was sent is recorded even when the batch stops part way;
                # notices not reached go back to the queue with no attempt counted.
                sent = {o.notice_id for o in outcomes}
                outcomes += [_Outcome(i) for i in _ids(notices) if i not in sent]
                _record(engine, outbox.table, outcomes)
            for outcome in outcomes:
                for channel, error in outcome.channels.items():
                    if error is not None:
                        tally.failed += 1
                    elif channel == "webhook":
                        tally.webhook += 1
                    else:
                        tally.email += 1
            handled += len(notices)
            after = max(_ids(notices))
    return tally
