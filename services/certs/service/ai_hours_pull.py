"""The nightly pull of training's AI-hours feed into the certs service's copy.

From where the last complete pull ended (`feed_positions`, feed
`training.ai-hours`), every page of the feed is stored as it arrives, one short
transaction a page: each person-year's figures into `person_ai_hours`, and
where training's roster places the person into `talent_persons`. The new
position — the feed's `until` — is stored only after the last page: a pull that
fails part-way keeps the old position, so the next pull asks again for
everything since then (the pages already stored are stored again, the same
figures), and nothing is lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from services.certs.store import (
    person_ai_hours,
    person_certificates,
    table_statistics,
    talent_persons,
)
from services.certs.training_client import PAGE_SIZE, AiHoursEntry, TrainingClient
from services.common.timeutil import now_utc, today_taipei
from services.common.transactions import batch_transaction

FEED = "training.ai-hours"


def _centi(value: Any) -> int:
    return int((value * 100).to_integral_value())


def _store_page(session: Session, entries: Sequence[AiHoursEntry], at: datetime) -> int:
    """Store one page; returns how many persons it placed in an agency."""
    hours = [
        {
            "person_id": e.person_id,
            "year": e.year,
            "ai_centi": _centi(e.ai_hours),
            "basic_centi": _centi(e.ai_basic_hours),
            "advanced_centi": _centi(e.ai_advanced_hours),
            "changed_at": e.changed_at,
            "pulled_at": at,
        }
        for e in entries
    ]
    # One row per person (a person may be on the page for several years).
    placed = {
        e.person_id: (e.person_id, e.agency_code, e.unit_id or "")
        for e in entries
        if e.agency_code is not None
    }
    places = sorted(placed.values())
    person_ai_hours.upsert(session, hours)
    # A person new to `talent_persons` has no count of valid certificates yet:
    # count those. A person already there keeps the count the registry's writes
    # and the daily expiry job maintain (a move changes no certificate); recounting
    # every person of every page cost more than the rest of the pull together.
    known = talent_persons.known(session, [p for p, _, _ in places])
    talent_persons.upsert(session, places, at)
    # Each person's latest hours onto their row, for the staffing counts.
    talent_persons.copy_hours(session, [e.person_id for e in entries])
    new = [p for p, _, _ in places if p not in known]
    if new:
        person_certificates.recount(session, new, today_taipei(), only_uncovered=True)
    return len(places)


def pull(engine: Engine, training: TrainingClient, *, limit: int = PAGE_SIZE) -> dict[str, Any]:
    """One pull; raises TrainingUnavailable (the position kept) when training
    cannot answer a page."""
    with Session(engine) as session:
        since = person_ai_hours.position(session, FEED)
    pages = rows = placed = 0
    until = since
    for page in training.ai_hours_changed_since(since, limit=limit):
        at = now_utc()
        with batch_transaction(engine, write_lock=True) as session:
            placed += _store_page(session, page.entries, at)
        pages += 1
        rows += len(page.entries)
        until = page.until
    moved = until is not None and until != since
    if moved:
        assert until is not None
        with batch_transaction(engine, write_lock=True) as session:
            person_ai_hours.set_position(session, FEED, until, now_utc())
    # The first pull writes every person: searches right after it must not be
    # planned on the statistics of an empty table.
    refreshed = table_statistics.refresh(
        engine, {"person_ai_hours": rows, "talent_persons": placed}
    )
    return {
        "changed_since": None if since is None else since.isoformat(),
        "until": None if until is None else until.isoformat(),
        "pages": pages,
        "rows": rows,
        "persons_placed": placed,
        "statistics_refreshed": refreshed.analysed,
        "vacuumed": refreshed.vacuumed,
    }
