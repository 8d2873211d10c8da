"""The contact relay: a searcher writes to a lecturer through the directory and
never learns the lecturer's address; the lecturer reads who wrote.

Each message is stored, counted against its sender's limits (per hour and per
day, from the settings) and handed to the kernel's notices for delivery to the
lecturer. Nothing the sender receives — the answer, an error — carries the
lecturer's address, and the address is never logged."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from services.common.errors import NotFound, Problem
from services.common.notices import add_new
from services.common.pagination import PageParams
from services.common.principal import Principal
from services.common.timeutil import now_utc, today_taipei
from services.speakers.domain.relay import Window, retry_after
from services.speakers.models import LecturerMessage, Notice
from services.speakers.schemas import MessageCreate
from services.speakers.service.notices import recipient_of
from services.speakers.service.profile import own
from services.speakers.settings import SpeakersSettings
from services.speakers.store import lecturers
from services.speakers.store import messages as store

NOTICE_KIND = "lecturer_message"


def windows(settings: SpeakersSettings) -> list[Window]:
    return [
        Window(timedelta(hours=1), settings.messages_per_hour),
        Window(timedelta(days=1), settings.messages_per_day),
    ]


def send(
    session: Session,
    settings: SpeakersSettings,
    who: Principal,
    lecturer_id: int,
    body: MessageCreate,
) -> LecturerMessage:
    lecturer = lecturers.get(session, lecturer_id)
    if lecturer is None or not lecturer.active:
        raise NotFound("no such lecturer")
    store.lock_sender(session, who.sub)
    now = now_utc()
    limits = windows(settings)
    longest = max(w.length for w in limits)
    wait = retry_after(store.sent_since(session, who.sub, now - longest), now, limits)
    if wait:
        raise Problem(
            f"at most {settings.messages_per_hour} messages an hour and "
            f"{settings.messages_per_day} a day",
            status=429,
            headers={"Retry-After": str(wait)},
            extra={
                "retry_after": wait,
                "per_hour": settings.messages_per_hour,
                "per_day": settings.messages_per_day,
            },
        )
    message = store.add(
        session,
        LecturerMessage(
            lecturer_id=lecturer_id,
            sender=who.sub,
            sender_person_id=who.person_id,
            sender_agency_code=who.agency_code,
            subject=body.subject,
            body=body.body,
            reply_to=body.reply_to,
            sent_at=now,
        ),
    )
    add_new(
        session,
        Notice,
        [
            {
                "recipient_id": recipient_of(lecturer_id),
                "kind": NOTICE_KIND,
                "dedupe_key": f"message:{message.id}",
                "issued_on": today_taipei(),
                "subject": body.subject,
                "body": {
                    "message_id": message.id,
                    "sender": who.sub,
                    "sender_agency_code": who.agency_code,
                    "reply_to": body.reply_to,
                    "text": body.body,
                },
                "lecturer_id": lecturer_id,
            }
        ],
    )
    return message


def received(
    session: Session, who: Principal, params: PageParams
) -> tuple[list[LecturerMessage], str | None]:
    lecturer = own(session, who)
    assert lecturer.id is not None
    return store.to_lecturer(session, lecturer.id, params)
