"""Scheduled jobs of the certs service (`renshi jobs run certs.<name>`, run on
`SCHEDULE` by `renshi jobs schedule`).

Each job reads `CertsSettings()` for its database, takes the day's claim so
that one replica runs it (`store.job_runs`), and is idempotent: a second run
on the same day is skipped, and even a forced rerun stores and sends nothing
again (notices have dedupe keys). Jobs act as the service's own account
(`svc.certs`, services.common.service_identity): it is the actor recorded on
the events of certificates the expiry job marks expired, and the caller of
training's AI-hours feed in the nightly pull. `as_of` (default today in
Taipei) runs a job for any Taipei day.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session

from services.certs.service import ai_hours_pull, notices, warnings
from services.certs.settings import CertsSettings
from services.certs.store import job_runs, person_certificates, table_statistics
from services.certs.training_client import PAGE_SIZE, TrainingClient
from services.common.db import make_engine
from services.common.service_identity import ServiceIdentity, service_account
from services.common.timeutil import today_taipei
from services.common.transactions import batch_transaction

# Certificates per transaction when marking lapsed ones expired.
EXPIRY_BATCH = 500
# How long a job waits for a gateway that is still starting before signing in.
GATEWAY_WAIT_SECONDS = 60.0

Body = Callable[[Engine, CertsSettings, date], dict[str, Any]]


def _run(
    name: str, body: Body, settings: CertsSettings | None, as_of: date | None, force: bool
) -> dict[str, Any]:
    settings = settings or CertsSettings()
    day = as_of or today_taipei()
    engine = make_engine(settings.database_url)
    try:
        with job_runs.claim(engine, name, day, force=force) as claim:
            if not claim.acquired:
                return {"job": name, "day": day.isoformat(), "skipped": claim.reason}
            claim.summary = {"job": name, "day": day.isoformat(), **body(engine, settings, day)}
            return claim.summary
    finally:
        engine.dispose()


def _delivery(engine: Engine, settings: CertsSettings) -> dict[str, int]:
    delivered = notices.deliver(engine, settings)
    return {
        "webhook": delivered.webhook,
        "email": delivered.email,
        "delivery_failures": delivered.failed,
    }


def _expiry(engine: Engine, settings: CertsSettings, day: date) -> dict[str, Any]:
    actor = service_account(settings.service_name)
    with Session(engine) as session:
        lapsed = warnings.lapsed_ids(session, day)
    totals = {"expired": 0, "expiry_notices": 0}
    for start in range(0, len(lapsed), EXPIRY_BATCH):
        # One short transaction per batch: the write lock is held briefly.
        with batch_transaction(engine, write_lock=True) as session:
            done = warnings.expire_and_tell(
                session, day, actor, lapsed[start : start + EXPIRY_BATCH]
            )
        totals = {key: totals[key] + done[key] for key in totals}
    with batch_transaction(engine, write_lock=True) as session:
        warned = warnings.lead_time_warnings(session, day)
    with batch_transaction(engine, write_lock=True) as session:
        # A certificate that lapsed (or started) overnight ends its holder's
        # count span: staffing reads the counts again only once recounted.
        recounted = person_certificates.recount_uncovered(session, day)
    # Counts and masks of many persons rewritten: staffing plans on them.
    refreshed = table_statistics.refresh(engine, {"talent_persons": recounted})
    return {
        **totals,
        **warned,
        "recounted": recounted,
        "statistics_refreshed": refreshed.analysed,
        "vacuumed": refreshed.vacuumed,
        **_delivery(engine, settings),
    }


def _deliver(engine: Engine, settings: CertsSettings, _day: date) -> dict[str, Any]:
    return _delivery(engine, settings)


def expiry(
    *, settings: CertsSettings | None = None, as_of: date | None = None, force: bool = False
) -> dict[str, Any]:
    """Mark lapsed certificates expired and warn holders at their agency's lead times."""
    return _run("expiry", _expiry, settings, as_of, force)


def deliver_notices(
    *, settings: CertsSettings | None = None, as_of: date | None = None, force: bool = False
) -> dict[str, Any]:
    """Retry expiry warnings a webhook or mail server did not accept earlier."""
    return _run("deliver-notices", _deliver, settings, as_of, force=True)


def pull_ai_hours(
    *,
    settings: CertsSettings | None = None,
    training: TrainingClient | None = None,
    transport: httpx.BaseTransport | None = None,
    as_of: date | None = None,
    force: bool = True,
    page_size: int = PAGE_SIZE,
) -> dict[str, Any]:
    """Pull training's AI hours changed since the last complete pull, as svc.certs.

    `training` is made from the settings (the service's account, through the
    gateway) when not given; tests pass one into the training app. A lock, not a
    daily claim, so every run is forced: a second run the same day pulls what
    changed since the first. A failure keeps the last position (`feed_positions`)."""
    settings = settings or CertsSettings()
    if training is None:
        # Before the claim: a missing or refused secret is a configuration error,
        # not a run; a gateway still starting is waited for a little.
        identity = ServiceIdentity.from_settings(settings, transport=transport)
        identity.sign_in(GATEWAY_WAIT_SECONDS)
        training = TrainingClient.from_settings(settings, identity=identity, transport=transport)
    day = as_of or today_taipei()
    engine = make_engine(settings.database_url)
    try:
        with job_runs.claim(engine, "pull-ai-hours", day, force=True) as claim:
            if not claim.acquired:
                return {"job": "pull-ai-hours", "day": day.isoformat(), "skipped": claim.reason}
            claim.summary = {
                "job": "pull-ai-hours",
                "day": day.isoformat(),
                **ai_hours_pull.pull(engine, training, limit=page_size),
            }
            return claim.summary
    finally:
        training.close()
        engine.dispose()


JOBS: dict[str, Callable[..., dict[str, Any]]] = {
    "expiry": expiry,
    "deliver-notices": deliver_notices,
    "pull-ai-hours": pull_ai_hours,
}

# Cron expressions in Asia/Taipei time (the CronJobs in deploy/k8s/ use the
# same): expiry just after the day turns in Taipei, so a certificate lapses on
# its exact day; failed deliveries are retried often.
SCHEDULE: dict[str, str] = {
    "expiry": "20 0 * * *",
    "deliver-notices": "*/5 * * * *",
    # After training's roster sync (02:00), so the agencies it copies are the night's.
    "pull-ai-hours": "30 2 * * *",
}
