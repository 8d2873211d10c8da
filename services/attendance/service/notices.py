"""How comp-time notices leave the service: through the kernel's delivery
(services.common.notices), to the e-mail address on each recipient's roster row."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from services.attendance.models import Notice, RosterPerson
from services.attendance.settings import AttendanceSettings
from services.common.notices import DeliveryTally, Outbox, deliver_pending


def mail_text(notice: Notice) -> str:
    """The mail body: the subject, then one line per grant or per person listed."""
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


OUTBOX = Outbox(
    Notice,
    addresses=select(col(RosterPerson.person_id), col(RosterPerson.email)),
    text=mail_text,
)


def deliver(engine: Engine, settings: AttendanceSettings) -> DeliveryTally:
    return deliver_pending(engine, OUTBOX, settings)
