"""Scheduled jobs of the speakers service (`renshi jobs run speakers.<name>`,
run on `SCHEDULE` by `renshi jobs schedule`).

`deliver-notices` hands the relayed messages stored as notices to the kernel's
delivery (`services.common.notices.deliver_pending`): by webhook, and by mail to
the lecturer's own address, which only the delivery reads. It takes no daily
claim: it runs as often as it is scheduled, and a second run (or a second
replica at the same moment) sends nothing twice, since the delivery claims each
notice under a row lock and records what each channel accepted; what a channel
refused is tried again on the next run. `as_of` only names the day in the
summary, and `force` changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from services.common.db import make_engine
from services.speakers.service import notices
from services.speakers.settings import SpeakersSettings


def deliver_notices(
    *, settings: SpeakersSettings | None = None, as_of: date | None = None, force: bool = False
) -> dict[str, Any]:
    """Deliver relayed messages to lecturers, and retry those not accepted before."""
    settings = settings or SpeakersSettings()
    engine = make_engine(settings.database_url)
    try:
        delivered = notices.deliver(engine, settings)
    finally:
        engine.dispose()
    # Counts only: a recipient or an address has no place in a job's summary.
    return {
        "job": "deliver-notices",
        **({"day": as_of.isoformat()} if as_of else {}),
        "webhook": delivered.webhook,
        "email": delivered.email,
        "delivery_failures": delivered.failed,
    }


JOBS: dict[str, Callable[..., dict[str, Any]]] = {
    "deliver-notices": deliver_notices,
}

# Cron times in Asia/Taipei: a message reaches its lecturer within minutes.
SCHEDULE: dict[str, str] = {
    "deliver-notices": "*/5 * * * *",
}
