"""How relayed messages reach lecturers: through the kernel's delivery
(services.common.notices), by webhook and to the e-mail address on the
lecturer's own row, which only this service reads."""

from __future__ import annotations

from sqlalchemy import String, cast, literal
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from services.common.notices import DeliveryTally, Outbox, deliver_pending
from services.speakers.models import Lecturer, Notice
from services.speakers.settings import SpeakersSettings

RECIPIENT_PREFIX = "lecturer:"


def recipient_of(lecturer_id: int) -> str:
    return f"{RECIPIENT_PREFIX}{lecturer_id}"


def mail_text(notice: Notice) -> str:
    body = notice.body or {}
    lines = [
        notice.subject,
        "",
        f"From: {body.get('sender', '')} ({body.get('sender_agency_code') or '-'})",
    ]
    if body.get("reply_to"):
        lines.append(f"Reply to: {body['reply_to']}")
    lines += ["", str(body.get("text", ""))]
    return "\n".join(lines) + "\n"


OUTBOX = Outbox(
    Notice,
    addresses=select(
        (literal(RECIPIENT_PREFIX) + cast(col(Lecturer.id), String)).label("recipient"),
        col(Lecturer.email),
    ).where(col(Lecturer.email) != ""),
    text=mail_text,
)


def deliver(engine: Engine, settings: SpeakersSettings) -> DeliveryTally:
    return deliver_pending(engine, OUTBOX, settings)
