"""Stored notices and their delivery, for any service on its own table.

- `model.StoredNotice`: the columns, mixed into a service's table class.
- `store.add_new`: store notices, each dedupe key once.
- `delivery.deliver_pending`: send what a webhook or mail server has not
  accepted yet, configured by `delivery.NoticeDeliverySettings` (mixed into
  the service's settings) and described by an `delivery.Outbox`.
"""

from services.common.notices.delivery import (
    DeliveryTally,
    NoticeDeliverySettings,
    Outbox,
    deliver_pending,
    notice_payload,
)
from services.common.notices.model import StoredNotice
from services.common.notices.store import add_new

__all__ = [
    "DeliveryTally",
    "NoticeDeliverySettings",
    "Outbox",
    "StoredNotice",
    "add_new",
    "deliver_pending",
    "notice_payload",
]
