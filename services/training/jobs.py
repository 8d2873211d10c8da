"""Scheduled jobs of the training service (`renshi jobs run training.<name>`,
run on `SCHEDULE` by `renshi jobs schedule`).

`sync-rosters` keeps every agency's roster as the directory has it, so that
reports count staff without records too: it lists every agency in the
directory, reads each one's persons in service page by page, and replaces that
agency's roster, as `POST /roster/agencies/{code}/sync` does for one agency on
a person's behalf (the same use case, `service.roster.sync_agency`). There is no
caller here: the job acts as training's own account `svc.training`, with a
token got by client credentials at the gateway, and reads the directory
through the gateway's public path, where its role and the peer policy allow
exactly the two reads it makes, and every decision is audited.

Each agency is replaced in a transaction of its own: one the directory cannot
serve is reported and keeps its previous roster, the others are synced all the
same, and the run then fails (so that the scheduler retries it, and a CronJob
is marked failed). It is idempotent: the roster becomes the directory's, however
often it runs. It takes the kernel's claim so that one replica runs it at a
time, and, unlike the attendance jobs, runs again when asked the same day: a
run by hand is how a directory change reaches the rosters before the night.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any

import httpx
from sqlalchemy import Table
from sqlalchemy.engine import Engine

from services.common import job_runs
from services.common.db import make_engine
from services.common.errors import Problem
from services.common.service_identity import ServiceIdentity, ServiceIdentityError
from services.common.timeutil import today_taipei
from services.common.transactions import batch_transaction
from services.training.clients import DirectoryClient
from services.training.models import JobRun
from services.training.service.roster import sync_agency
from services.training.settings import TrainingSettings

log = logging.getLogger("renshi.training.jobs")

NAMESPACE = "training"
JOB_RUNS: Table = JobRun.__table__  # type: ignore[attr-defined]
# Seconds per call to the directory through the gateway: a page of 500 persons.
DIRECTORY_TIMEOUT = 30.0
# How long the job waits for the gateway to issue its token before failing.
GATEWAY_WAIT_SECONDS = 60.0


class RosterSyncIncomplete(RuntimeError):
    """Some agencies could not be synced; `summary` says which and why."""

    def __init__(self, summary: dict[str, Any]) -> None:
        self.summary = summary
        failed = summary["failed"]
        listed = ", ".join(f"{code} ({reason})" for code, reason in sorted(failed.items()))
        super().__init__(
            f"roster sync: {len(failed)} of {summary['agencies']} agencies not synced: {listed}"
        )


def _sync_rosters(engine: Engine, directory: DirectoryClient) -> dict[str, Any]:
    # Without the list there is nothing to go on: that failure fails the run.
    codes = directory.agency_codes()
    listed = removed = 0
    failed: dict[str, str] = {}
    for code in codes:
        try:
            # One agency a transaction: a failure leaves that roster as it was.
            with batch_transaction(engine) as session:
                result = sync_agency(session, code, directory.agency_roster)
        except (Problem, ServiceIdentityError) as exc:
            # The directory (or the gateway) failed for this agency: its roster
            # stays as it was; the reason names no person.
            reason = (exc.detail if isinstance(exc, Problem) else None) or str(exc)
            failed[code] = reason
            log.warning("roster not synced", extra={"agency": code, "reason": reason})
            continue
        listed += result.listed
        removed += result.removed
    return {
        "agencies": len(codes),
        "synced": len(codes) - len(failed),
        "listed": listed,
        "removed": removed,
        "failed": failed,
    }


def sync_rosters(
    *,
    settings: TrainingSettings | None = None,
    identity: ServiceIdentity | None = None,
    transport: httpx.BaseTransport | None = None,
    as_of: date | None = None,
    force: bool = True,
) -> dict[str, Any]:
    """Replace every agency's roster with the directory's persons in service.

    `identity` (training's account) is made from the settings when not given;
    `transport` reaches the gateway (tests pass one into an in-process gateway).
    A lock, not a daily claim, so every run is forced; `as_of` names the day
    of the run (the rosters are the directory's as they stand)."""
    settings = settings or TrainingSettings()
    # Before the claim: a missing or refused secret is a configuration error,
    # not a run; and a gateway still starting (a scheduler started with it
    # catches up at once) is waited for a little.
    identity = identity or ServiceIdentity.from_settings(settings, transport=transport)
    identity.sign_in(GATEWAY_WAIT_SECONDS)
    day = as_of or today_taipei()
    engine = make_engine(settings.database_url)
    try:
        with job_runs.claim(engine, JOB_RUNS, NAMESPACE, "sync-rosters", day, force=True) as claim:
            if not claim.acquired:
                return {"job": "sync-rosters", "day": day.isoformat(), "skipped": claim.reason}
            peer = identity.peer("directory", timeout=DIRECTORY_TIMEOUT, transport=transport)
            try:
                summary = {
                    "job": "sync-rosters",
                    "day": day.isoformat(),
                    **_sync_rosters(engine, DirectoryClient(peer)),
                    # Paced by the gateway's per-account limit at national size.
                    "rate_limit_waited_s": round(peer.rate_limit_waited, 1),
                }
            finally:
                peer.close()
            if summary["failed"]:
                raise RosterSyncIncomplete(summary)
            claim.summary = summary
            return summary
    finally:
        engine.dispose()


JOBS: dict[str, Callable[..., dict[str, Any]]] = {
    "sync-rosters": sync_rosters,
}

# Cron times in Asia/Taipei, run by `renshi jobs schedule` (and the CronJob in
# deploy/k8s/training-cronjobs.yaml): at night, when the directory is quiet,
# after the directory's leavers job (00:30), so that the reports of the
# working day count the staff as the directory had them at its start.
SCHEDULE: dict[str, str] = {
    "sync-rosters": "0 2 * * *",
}
