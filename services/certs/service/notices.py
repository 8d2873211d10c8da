"""How expiry warnings leave the service: through the kernel's delivery
(services.common.notices). Certs keeps no e-mail addresses (the directory
does), so its notices go by the webhook; the receiving system addresses them
by the recipient's person id."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

from services.certs.access import own_holder
from services.certs.models import Notice
from services.certs.settings import CertsSettings
from services.certs.store import notices as store
from services.common.notices import DeliveryTally, Outbox, deliver_pending
from services.common.pagination import PageParams
from services.common.principal import Principal

OUTBOX = Outbox(Notice)


def deliver(engine: Engine, settings: CertsSettings) -> DeliveryTally:
    return deliver_pending(engine, OUTBOX, settings)


def mine(session: Session, who: Principal, page: PageParams) -> tuple[list[Notice], str | None]:
    person_id, _agency = own_holder(who)
    return store.page_for(session, person_id, page)
