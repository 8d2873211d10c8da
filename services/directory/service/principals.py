"""What the gateway asks of the directory: who an account is, whether a machine's
secret is right, and which permissions accounts used.

The look-ups are the directory's busiest requests (a cold gateway cache sends
one per account at once) and write only now and then: the account's last use,
at most once a minute. They read in a transaction that takes no write lock, and
write that use in a transaction of its own (`write_after_reading`): upgrading
the read transaction would fail at once on SQLite whenever another look-up had
written meanwhile."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlmodel import Session

from services.common.errors import NotFound, Unauthorized
from services.common.timeutil import taipei_date, today_taipei
from services.common.transactions import begin_immediate, write_after_reading
from services.directory.access import PRINCIPALS_RESOLVE
from services.directory.domain import client_secrets
from services.directory.models import Account
from services.directory.roles import NON_HUMAN_KINDS
from services.directory.schemas import ResolvedPrincipal
from services.directory.store import accounts as account_store
from services.directory.store import principals as store


def _record_use(session: Session, account: Account, now: datetime) -> None:
    if store.use_due(account.last_used_at, now):
        write_after_reading(session)
        store.touch_last_used(session, account.name, now)


def resolve_principal(session: Session, name: str, now: datetime) -> ResolvedPrincipal:
    account = account_store.get_account(session, name)
    if account is None:
        raise NotFound("account not registered")
    resolved = store.resolve(session, account, taipei_date(now))
    if account.status == "active":
        _record_use(session, account, now)
    return resolved


def resolve_client_credentials(
    session: Session, client_id: str, presented: str, now: datetime
) -> ResolvedPrincipal:
    account = account_store.get_account(session, client_id)
    usable = account is not None and account.kind in NON_HUMAN_KINDS and account.status == "active"
    current = account_store.current_secrets(session, client_id, now) if usable else []
    # Every candidate is checked, padded with decoys to the usual rotation
    # overlap of two, so that an unknown account, a human one and a wrong
    # secret take the same time as a real refusal.
    hashes = [s.secret_hash for s in current]
    hashes += [client_secrets.DECOY_HASH] * max(0, 2 - len(hashes))
    matched = [client_secrets.verify(presented, h) for h in hashes]
    if account is None or not current or not any(matched):
        raise Unauthorized(
            "invalid client credentials", slug="invalid-client", title="Invalid client"
        )
    resolved = store.resolve(session, account, taipei_date(now))
    _record_use(session, account, now)
    return resolved


def record_usage(
    session: Session, reporter: str, uses: Iterable[tuple[str, str, date]]
) -> tuple[int, int]:
    """Credit the gateway's batch of (account, permission family, Taipei day) to
    the accounts' roles that grant each family, and the reporter's own use of the
    role that lets it report: it talks to the directory itself, never through
    its own routes. A day after today (a clock ahead) counts as today; an
    account the directory does not know is ignored. A write from its first
    statement: opened as one. Returns (unknown accounts, roles recorded)."""
    today = today_taipei()
    begin_immediate(session)
    unknown, recorded = store.record_usage(
        session, ((account, family, min(day, today)) for account, family, day in uses)
    )
    store.record_usage(session, [(reporter, PRINCIPALS_RESOLVE, today)])
    return unknown, recorded
