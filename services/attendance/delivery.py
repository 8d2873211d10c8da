"""Delivering stored notices: a JSON webhook and/or e-mail over SMTP.

A notice is marked delivered per channel only after that channel accepted
it, so a failed delivery is retried by the next run and a delivered one is
never sent again.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from services.attendance.models import Notice, RosterPerson
from services.attendance.settings import AttendanceSettings
from services.common.timeutil import now_utc

log = logging.getLogger("renshi.attendance.delivery")
BATCH = 500


@dataclass
class DeliveryTally:
    webhook: int = 0
    email: int = 0
    failed: int = 0


def _payload(notice: Notice) -> dict[str, Any]:
    return {
        "id": notice.id,
        "recipient_id": notice.recipient_id,
        "kind": notice.kind,
        "issued_on": notice.issued_on.isoformat(),
        "subject": notice.subject,
        "body": notice.body,
    }


def _text(notice: Notice) -> str:
    lines = [notice.subject, ""]
    grants = notice.body.get("grants")
    for grant in grants if isinstance(grants, list) else []:
        if isinstance(grant, dict):
            lines.append(
                f"- {grant.get('minutes', 0) // 60} h {grant.get('minutes', 0) % 60:02d} min, "
                f"last usable day {grant.get('expires_on')}"
            )
    people = notice.body.get("people")
    for person in people if isinstance(people, list) else []:
        if isinstance(person, dict):
            lines.append(f"- {person.get('person_id')}: {person.get('minutes')} min")
    return "\n".join(lines) + "\n"


def _webhook(settings: AttendanceSettings, session: Session, tally: DeliveryTally) -> None:
    pending = session.exec(
        select(Notice)
        .where(col(Notice.webhook_delivered_at).is_(None))
        .order_by(col(Notice.id))
        .limit(BATCH * 20)
    ).all()
    if not pending:
        return
    with httpx.Client(timeout=settings.notice_webhook_timeout) as client:
        for notice in pending:
            try:
                response = client.post(settings.notice_webhook_url, json=_payload(notice))
                response.raise_for_status()
            except httpx.HTTPError as exc:
                log.warning("webhook delivery failed", extra={"error_type": type(exc).__name__})
                tally.failed += 1
                continue
            notice.webhook_delivered_at = now_utc()
            session.add(notice)
            session.commit()
            tally.webhook += 1


def _smtp(settings: AttendanceSettings, session: Session, tally: DeliveryTally) -> None:
    rows = session.exec(
        select(Notice, RosterPerson.email)
        .join(RosterPerson, col(RosterPerson.person_id) == col(Notice.recipient_id))
        .where(col(Notice.email_delivered_at).is_(None), col(RosterPerson.email).is_not(None))
        .order_by(col(Notice.id))
        .limit(BATCH * 20)
    ).all()
    if not rows:
        return
    try:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout)
    except OSError as exc:
        log.warning("SMTP connection failed", extra={"error_type": type(exc).__name__})
        tally.failed += len(rows)
        return
    with smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password)
        for notice, address in rows:
            message = EmailMessage()
            message["From"] = settings.smtp_sender
            message["To"] = address
            message["Subject"] = notice.subject
            message.set_content(_text(notice))
            try:
                smtp.send_message(message)
            except smtplib.SMTPException as exc:
                log.warning("SMTP delivery failed", extra={"error_type": type(exc).__name__})
                tally.failed += 1
                continue
            notice.email_delivered_at = now_utc()
            session.add(notice)
            session.commit()
            tally.email += 1


def deliver_pending(engine: Engine, settings: AttendanceSettings) -> DeliveryTally:
    tally = DeliveryTally()
    with Session(engine, expire_on_commit=False) as session:
        if settings.notice_webhook_url:
            _webhook(settings, session, tally)
        if settings.smtp_host:
            _smtp(settings, session, tally)
    return tally
