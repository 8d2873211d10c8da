"""Thirty grants at once for a competent authority's twenty places, as thirty
concurrent HTTP requests, each on its own connection and transaction: the
places lock (FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on SQLite) makes them
count one after the other, so exactly twenty are granted and every refusal
gives the quota and the places in use."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from services.common.errors import Conflict
from services.common.principal import Principal
from services.common.timeutil import now_utc, today_taipei
from services.directory.models import SearchGrant
from services.directory.service import search_grants as use_case
from services.directory.store import search_grants as store
from tests.directory.search_grant_scene import build_scene, officer, staff_name, tomorrow

THREADS = 30
QUOTA = 20


def test_parallel_grants_never_pass_the_quota(api, db):
    build_scene(db, staff=THREADS)
    start = threading.Barrier(THREADS)

    def grant(i: int) -> tuple[int, dict[str, Any]]:
        start.wait(timeout=60)
        response = api.post(
            "/agencies/C01/search-grants",
            as_=officer("C01"),
            json={"account": staff_name("C01", i), "ends_on": tomorrow()},
        )
        return response.status_code, response.json()

    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = list(pool.map(grant, range(1, THREADS + 1)))

    statuses = sorted(status for status, _ in outcomes)
    assert statuses == [201] * QUOTA + [409] * (THREADS - QUOTA), outcomes
    for status, body in outcomes:
        if status == 409:
            assert (body["quota"], body["in_use"]) == (QUOTA, QUOTA)
            assert [e["code"] for e in body["errors"]] == ["quota_reached"]
    db.expire_all()
    stored = db.execute(
        select(func.count())
        .select_from(SearchGrant)
        .where(col(SearchGrant.agency_code) == "C01", col(SearchGrant.ends_on) >= today_taipei())
    ).scalar_one()
    db.rollback()
    assert stored == QUOTA
    listed = api.get("/agencies/C01/search-grants", as_=officer("C01")).json()
    assert (listed["quota"], listed["in_use"], listed["free"]) == (QUOTA, QUOTA, 0)


def test_parallel_grant_transactions_never_pass_the_quota(db, engine):
    """The same below HTTP: thirty threads, each its own session and
    transaction, run the grant use case at once (no request machinery that
    could make them take turns)."""
    build_scene(db, staff=THREADS)
    grantor = Principal(**{**officer("C01"), "kind": "human"})
    start = threading.Barrier(THREADS)

    def grant(i: int) -> tuple[bool, dict[str, Any]]:
        start.wait(timeout=60)
        with Session(engine, expire_on_commit=False) as session:
            try:
                use_case.grant(
                    session,
                    grantor,
                    "C01",
                    staff_name("C01", i),
                    today_taipei() + timedelta(days=1),
                    today=today_taipei(),
                    now=now_utc(),
                )
            except Conflict as refused:
                session.rollback()
                return False, refused.extra
            session.commit()
            return True, {}

    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = list(pool.map(grant, range(1, THREADS + 1)))

    assert sum(ok for ok, _ in outcomes) == QUOTA
    assert all(extra == {"quota": QUOTA, "in_use": QUOTA} for ok, extra in outcomes if not ok)
    with Session(engine) as session:
        assert store.count_active(session, "C01", today_taipei()) == QUOTA
