"""Scheduled jobs of the directory service (`renshi jobs run directory.<name>`).

`disable-leavers` is the safety net behind the automatic disabling done when a
person's status changes (PATCH or import): it finds human accounts still active
whose holder is recorded as gone however that came about (a direct database
fix, a status written before this rule existed) and disables them. It is
idempotent: a second run finds nothing left to disable. Machine accounts whose
owner is gone are counted, not disabled (see `disable_holders_who_left`).
It takes no daily claim: `force` changes nothing, and `as_of` only names the
day in its summary, since it reads the persons' statuses as they stand.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from services.common.db import make_engine
from services.common.timeutil import now_utc
from services.common.transactions import batch_transaction
from services.directory.settings import DirectorySettings
from services.directory.store.accounts import (
    disable_holders_who_left,
    machine_accounts_without_owner,
)


def disable_leavers(
    *,
    settings: DirectorySettings | None = None,
    now: datetime | None = None,
    as_of: date | None = None,
    force: bool = False,
) -> dict[str, Any]:
    """Disable every active human account whose holder left or died."""
    settings = settings or DirectorySettings()
    engine = make_engine(settings.database_url)
    try:
        # One batch, committed by the kernel's helper: a failure disables no one
        # (the UPDATE is all or nothing), and the next run starts afresh.
        with batch_transaction(engine) as session:
            disabled = disable_holders_who_left(session, None, now or now_utc())
            ownerless = machine_accounts_without_owner(session)
    finally:
        engine.dispose()
    # Counts only: account names can point at a person, and this goes to logs.
    return {
        "job": "disable-leavers",
        **({"day": as_of.isoformat()} if as_of else {}),
        "disabled": len(disabled),
        "machine_accounts_without_owner": ownerless,
    }


JOBS: dict[str, Callable[..., dict[str, Any]]] = {
    "disable-leavers": disable_leavers,
}

# Cron times in Asia/Taipei, run by `renshi jobs schedule`: early, before staff
# sign in, so that a leaver's account is closed on their first day away.
SCHEDULE: dict[str, str] = {
    "disable-leavers": "30 0 * * *",
}
