"""The nightly `certs.pull-ai-hours` job end to end against the training app:
the whole feed stored with where each person works, a second run that pulls
only what changed, and a failure part-way that keeps the old position so that
nothing is lost."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlmodel import Session, col

from services.certs import jobs
from services.certs.models import FeedPosition, JobRun, PersonAiHours, TalentPerson
from services.certs.service.ai_hours_pull import FEED
from services.certs.training_client import TrainingClient, TrainingUnavailable
from services.common.transactions import batch_transaction
from services.training.models import AiHours, RosterPerson

AT = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
DAY = date(2026, 12, 2)
PERSONS = 7


@pytest.fixture
def training(apps: Any) -> Any:
    """Training with PERSONS persons' AI hours (two years for P000) and a roster
    that places all but the last."""
    engine = apps["training"].state.engine
    with batch_transaction(engine) as session:
        for n in range(PERSONS):
            session.add(
                AiHours(
                    person_id=f"P{n:03d}",
                    year=2026,
                    basic_centi=300,
                    advanced_centi=25 * n,
                    changed_at=AT + timedelta(seconds=n),
                )
            )
            if n < PERSONS - 1:
                session.add(
                    RosterPerson(
                        person_id=f"P{n:03d}", agency_code=f"A0{n % 2 + 1}", unit_id=f"{n}"
                    )
                )
        session.add(
            AiHours(person_id="P000", year=2025, basic_centi=100, advanced_centi=0, changed_at=AT)
        )
    return apps["training"]


class FailsOnPage(httpx.BaseTransport):
    """Passes requests through until `fail_from` calls, then refuses connections."""

    def __init__(self, inner: httpx.BaseTransport, fail_from: int) -> None:
        self.inner, self.fail_from, self.calls = inner, fail_from, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.calls >= self.fail_from:
            raise httpx.ConnectError("connection reset", request=request)
        return self.inner.handle_request(request)


@pytest.fixture
def feed_client(client: Callable[[str], Any], internal_token: Callable[..., str]) -> Any:
    token = internal_token(
        "training", sub="svc.certs", kind="service", permissions=["training:ai_hours:read"]
    )

    def make(transport: httpx.BaseTransport | None = None) -> TrainingClient:
        return TrainingClient(
            "http://training",
            lambda _peer: token,
            transport=transport or client("training")._transport,
            timeout=2,
        )

    return make


def run(settings: Any, training: TrainingClient, **kwargs: Any) -> dict[str, Any]:
    return jobs.pull_ai_hours(
        settings=settings, training=training, as_of=DAY, page_size=3, **kwargs
    )


def stored(
    certs_app: Any,
) -> tuple[
    dict[tuple[str, int], tuple[int, int, int]], dict[str, tuple[str, str]], datetime | None
]:
    with Session(certs_app.state.engine) as session:
        hours = {
            (r.person_id, r.year): (r.ai_centi, r.basic_centi, r.advanced_centi)
            for r in session.scalars(select(PersonAiHours))
        }
        places = {
            r.person_id: (r.agency_code, r.unit_id) for r in session.scalars(select(TalentPerson))
        }
        position = session.get(FeedPosition, FEED)
    return hours, places, None if position is None else position.changed_since


def test_the_pull_stores_every_persons_hours_and_place_then_moves_on(
    settings, certs_app, training, feed_client
):
    summary = run(settings, feed_client())
    assert summary["rows"] == PERSONS + 1 and summary["pages"] == 3
    hours, places, position = stored(certs_app)
    assert hours[("P006", 2026)] == (450, 300, 150)
    assert hours[("P000", 2025)] == (100, 100, 0)
    assert len(hours) == PERSONS + 1
    assert places["P001"] == ("A02", "1") and places["P000"] == ("A01", "0")
    # The roster does not list P006: no agency is invented for them.
    assert "P006" not in places
    assert position == AT + timedelta(seconds=PERSONS - 1)
    assert summary["persons_placed"] == PERSONS - 1
    # Eight rows are not enough to analyse a table for (store/table_statistics.py).
    assert summary["statistics_refreshed"] == summary["vacuumed"] == []

    # The second run the same night finds nothing new and changes nothing.
    again = run(settings, feed_client())
    assert (again["rows"], again["pages"]) == (0, 1)
    assert stored(certs_app) == (hours, places, position)

    # A change in training comes with the next run, and only it.
    later = AT + timedelta(hours=1)
    with batch_transaction(training.state.engine) as session:
        session.execute(
            update(AiHours)
            .where(col(AiHours.person_id) == "P002", col(AiHours.year) == 2026)
            .values(advanced_centi=900, changed_at=later)
        )
        session.execute(
            update(RosterPerson).where(col(RosterPerson.person_id) == "P002").values(unit_id="99")
        )
    third = run(settings, feed_client())
    assert third["rows"] == 1
    hours3, places3, position3 = stored(certs_app)
    assert hours3[("P002", 2026)] == (1200, 300, 900) and places3["P002"] == ("A01", "99")
    assert position3 == later
    with Session(certs_app.state.engine) as session:
        runs = session.scalars(select(JobRun).where(col(JobRun.job) == "pull-ai-hours")).all()
    assert [r.status for r in runs] == ["done"]


def test_a_failure_part_way_keeps_the_old_position_and_loses_nothing(
    settings, certs_app, training, feed_client, client
):
    # The first page goes through; the second fails after its retries.
    broken = FailsOnPage(client("training")._transport, fail_from=2)
    with pytest.raises(TrainingUnavailable):
        run(settings, feed_client(broken))
    hours, _, position = stored(certs_app)
    assert position is None
    assert len(hours) == 3  # the first page, stored again by the next run
    with Session(certs_app.state.engine) as session:
        (failed,) = session.scalars(select(JobRun).where(col(JobRun.job) == "pull-ai-hours")).all()
    assert failed.status == "failed"

    summary = run(settings, feed_client())
    assert summary["changed_since"] is None and summary["rows"] == PERSONS + 1
    hours, places, position = stored(certs_app)
    assert len(hours) == PERSONS + 1 and len(places) == PERSONS - 1
    assert position == AT + timedelta(seconds=PERSONS - 1)


def test_a_failure_on_a_later_night_keeps_that_nights_start(
    settings, certs_app, training, feed_client, client
):
    run(settings, feed_client())
    _, _, before = stored(certs_app)
    with batch_transaction(training.state.engine) as session:
        for n in range(PERSONS):
            session.execute(
                update(AiHours)
                .where(col(AiHours.person_id) == f"P{n:03d}", col(AiHours.year) == 2026)
                .values(basic_centi=400, changed_at=AT + timedelta(hours=2, seconds=n))
            )
    with pytest.raises(TrainingUnavailable):
        run(settings, feed_client(FailsOnPage(client("training")._transport, fail_from=2)))
    assert stored(certs_app)[2] == before
    summary = run(settings, feed_client())
    assert before is not None
    assert summary["changed_since"] == before.isoformat() and summary["rows"] == PERSONS
    hours, _, after = stored(certs_app)
    assert all(hours[(f"P{n:03d}", 2026)][1] == 400 for n in range(PERSONS))
    assert after == AT + timedelta(hours=2, seconds=PERSONS - 1)


def test_the_job_is_listed_and_scheduled():
    assert "pull-ai-hours" in jobs.JOBS and jobs.SCHEDULE["pull-ai-hours"] == "30 2 * * *"


def test_without_a_secret_the_job_says_which_setting_to_set(settings, monkeypatch):
    from services.common.service_identity import MissingClientSecret

    monkeypatch.setattr(settings, "client_secret", None)
    monkeypatch.setattr(settings, "client_secret_file", None)
    with pytest.raises(MissingClientSecret, match="CERTS_CLIENT_SECRET"):
        jobs.pull_ai_hours(settings=settings, as_of=DAY)
