"""Queued learning-record imports are portable: any training worker runs them,
reaching the real directory behind the real gateway as training's own account
(`svc.training`, `POST /api/directory/persons/import-matches`), for the importer
and within the agencies its job keeps.

Before, only the process that accepted a job could build it (the importer's
token was no data to store): a job whose process stopped waited for ever, and
a re-post with its key answered the same stuck job."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text, update
from sqlmodel import Session

from gateway.issuer import issue_token
from gateway.policies.peers import service_may_call, service_only
from renshi.cli import main
from services.common.importing import queue as queue_module
from services.common.importing.queue import ANY_SOURCE, ImportQueue, portable_imports
from services.common.service_identity import ServiceIdentity
from services.common.timeutil import now_utc
from services.directory.domain import national_id
from services.directory.models import personal_data_reads
from services.training import clients
from services.training.models import ImportJob, LearningRecord
from services.training.store.imports import TABLES
from tests.training.builders import category
from tests.training.test_imports import NATIONAL_HEADER, post, row
from tests.training.test_sync_rosters_job import (  # noqa: F401 (fixtures)
    SECRETS,
    House,
    house,
)

ASYNC = {"Prefer": "respond-async"}
# The demo's importer: account A01 with its subordinates, as the gateway resolves it.
IMPORTER = {
    "sub": "importer.elearn",
    "kind": "machine",
    "agency_code": "A01",
    "agency_scope": ["A01", "A02", "A03", "T01"],
    "permissions": ["training:imports:elearn"],
}
# The demo's persons (directory.demo.PERSONS): id -> national ID.
DEMO_IDS = {
    "P0001": "A10000001",
    "P0002": "B20000002",
    "P0003": "D10000003",
    "P0004": "E20000004",
    "P0005": "F10000005",
    "P0006": "C20000006",
    "P0007": "G10000007",
}
MATCH_ROUTE = "/api/directory/persons/import-matches"


def number(person: str) -> str:
    return national_id.with_check_digit(DEMO_IDS[person])


class Gate(httpx.BaseTransport):
    """The gateway, except that the `hold_at`-th match of national IDs waits for
    `release`: a worker stuck there stands for one whose process died."""

    def __init__(self, inner: httpx.BaseTransport, hold_at: int | None = None) -> None:
        self.inner = inner
        self.hold_at = hold_at
        self.matches = 0
        self.held = threading.Event()
        self.release = threading.Event()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == MATCH_ROUTE and json.loads(request.content)["national_ids"]:
            self.matches += 1
            if self.matches == self.hold_at:
                self.held.set()
                assert self.release.wait(30)
        return self.inner.handle_request(request)


@dataclass
class Portable:
    house: House
    call: Any
    apps: Any
    gate: Gate

    def replica(self, name: str, lease_seconds: float | None = None) -> ImportQueue:
        """A worker of another training process on the same database and spool."""
        app = self.apps["training"]
        return ImportQueue(
            app.state.engine,
            app.state.settings.import_spool_dir,
            name=name,
            service="training",
            settings=app.state.settings,
            **({} if lease_seconds is None else {"lease_seconds": lease_seconds}),
        )

    def job(self, job_id: int) -> dict[str, Any]:
        response = self.call("GET", f"/imports/{job_id}", IMPORTER)
        assert response.status_code == 200, response.text
        got: dict[str, Any] = response.json()
        return got

    def records(self) -> list[tuple[str, str]]:
        with Session(self.house.training_engine) as session:
            rows = session.execute(
                select(LearningRecord.external_id, LearningRecord.person_id)  # type: ignore[call-overload]
            ).all()
        return sorted((r[0], r[1]) for r in rows)

    def lease_ran_out(self, job_id: int) -> None:
        old = now_utc() - timedelta(seconds=3600)
        with self.house.training_engine.begin() as conn:
            conn.execute(
                update(TABLES.jobs).where(TABLES.jobs.c.id == job_id).values(heartbeat_at=old)
            )

    def as_service(self, body: dict[str, Any], account: str = "svc.training") -> httpx.Response:
        form = {
            "grant_type": "client_credentials",
            "client_id": account,
            "client_secret": SECRETS[account.removeprefix("svc.")],
        }
        signed = self.house.gateway.post("/oauth/token", data=form)
        assert signed.status_code == 200, signed.text
        token = signed.json()["access_token"]
        return self.house.gateway.post(
            MATCH_ROUTE, json=body, headers={"Authorization": f"Bearer {token}"}
        )

    def as_account(self, account: str, body: dict[str, Any]) -> httpx.Response:
        settings = self.house.gateway_settings
        token = issue_token(
            self.house.issuer,
            account=account,
            issuer=settings.issuer,
            audience=settings.audience,
            lifetime=300,
        )
        return self.house.gateway.post(
            MATCH_ROUTE, json=body, headers={"Authorization": f"Bearer {token}"}
        )


@pytest.fixture
def portable(call, apps, house, monkeypatch) -> Iterator[Portable]:  # noqa: F811
    gate = Gate(house.gateway._transport)

    def through_the_gateway(_settings: Any) -> Any:
        # The real identity and path; only the transport is the in-process gateway.
        identity = ServiceIdentity.from_settings(house.settings, transport=gate)
        return identity.peer("directory")

    monkeypatch.setattr(clients, "job_directory_peer", through_the_gateway)
    category(call)
    yield Portable(house, call, apps, gate)


def _body(*rows: tuple[str, str]) -> str:
    """Rows naming their person by national ID alone."""
    return NATIONAL_HEADER + "".join(
        row(ext, person="", national=number(person)) for ext, person in rows
    )


def test_a_queued_import_is_run_by_a_replica_that_never_saw_the_request(portable):
    body = (
        NATIONAL_HEADER
        + row("E1", person="P0001", national="")
        + row("E2", person="", national=number("P0007"))
    )
    answer = post(portable.call, body, headers=ASYNC, principal=IMPORTER)
    assert answer.status_code == 202, answer.text
    job_id = answer.json()["id"]
    assert asyncio.run(portable.replica("replica-2").run_once()) == job_id
    done = portable.job(job_id)
    assert (done["status"], done["inserted"], done["failed"]) == ("completed", 2, 0), done.get(
        "failure"
    )
    assert portable.records() == [("E1", "P0001"), ("E2", "P0007")]
    # The directory logged training's own account as the reader, acting for the
    # importer's job: one batch of numbers matched, then both persons (whom
    # training's roster did not hold yet) looked up.
    with Session(portable.house.directory_engine) as session:
        reads = session.execute(
            select(
                personal_data_reads.c.reader,
                personal_data_reads.c.subject_person_id,
                personal_data_reads.c.fields,
            ).where(personal_data_reads.c.resource == "directory:persons:import_match")
        ).all()
    assert {r.reader for r in reads} == {"svc.training"}
    assert sorted(r.subject_person_id for r in reads) == ["*", "P0001", "P0007"]
    assert all(f"for=importer.elearn;job={job_id}" in r.fields for r in reads)
    assert not any(number("P0007") in r.fields for r in reads)


def test_renshi_worker_training_once_runs_the_queued_imports(portable, monkeypatch, capsys):
    answer = post(portable.call, _body(("E1", "P0002")), headers=ASYNC, principal=IMPORTER)
    assert answer.status_code == 202, answer.text
    settings = portable.apps["training"].state.settings
    monkeypatch.setenv("TRAINING_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("TRAINING_IMPORT_SPOOL_DIR", str(settings.import_spool_dir))
    monkeypatch.setenv("TRAINING_ENVIRONMENT", "test")
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        assert main(["worker", "training", "--once"]) == 0
    finally:  # the command configures the process's logging as a worker's
        root.handlers[:], level = saved
        root.setLevel(level)
    assert json.loads(capsys.readouterr().out) == {"service": "training", "jobs_run": 1}
    assert portable.records() == [("E1", "P0002")]


def _small_batches(monkeypatch) -> None:
    entry = portable_imports("training")[ANY_SOURCE]
    monkeypatch.setitem(
        queue_module._PORTABLE["training"], ANY_SOURCE, dataclasses.replace(entry, batch_size=2)
    )


def test_a_job_whose_worker_died_is_resumed_by_another_after_its_committed_batch(
    portable, monkeypatch
):
    _small_batches(monkeypatch)
    persons = ["P0001", "P0002", "P0003", "P0004", "P0005", "P0006"]
    rows = [(f"E{i}", p) for i, p in enumerate(persons, 1)]
    answer = post(
        portable.call,
        _body(*rows),
        headers={**ASYNC, "Idempotency-Key": "key-died-1"},
        principal=IMPORTER,
    )
    assert answer.status_code == 202, answer.text
    job_id = answer.json()["id"]
    # Worker A commits its first batch, then stops answering in the second (its
    # process gone: a lease this long is never renewed while the test runs).
    portable.gate.hold_at = 2
    dying = portable.replica("dying", lease_seconds=3600)
    outcome: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: outcome.update(ran=asyncio.run(dying.run_once())))
    thread.start()
    try:
        assert portable.gate.held.wait(30)
        assert portable.records() == [("E1", "P0001"), ("E2", "P0002")]
        running = portable.job(job_id)
        assert (running["status"], running["progress"]["rows_done"]) == ("running", 2)
        # Not before the lease runs out: the job is still its worker's.
        assert asyncio.run(portable.replica("early").run_once()) is None
        portable.lease_ran_out(job_id)
        assert asyncio.run(portable.replica("replica-2").run_once()) == job_id
    finally:
        portable.gate.release.set()
        thread.join(30)
    assert outcome["ran"] == job_id  # A ran into the fence and stopped
    done = portable.job(job_id)
    assert (done["status"], done["rows_read"], done["inserted"], done["failed"]) == (
        "completed",
        6,
        6,
        0,
    ), done
    # Every row once: none lost, none twice, and A wrote nothing after it lost the job.
    assert portable.records() == sorted(rows)
    with Session(portable.house.training_engine) as session:
        count = session.execute(select(func.count()).select_from(LearningRecord)).scalar_one()
    assert count == 6


def test_a_re_post_after_the_worker_died_answers_the_job_and_any_worker_resumes_it(portable):
    headers = {**ASYNC, "Idempotency-Key": "key-repost-1"}
    body = _body(("E1", "P0001"), ("E2", "P0007"))
    answer = post(portable.call, body, headers=headers, principal=IMPORTER)
    assert answer.status_code == 202, answer.text
    job_id = answer.json()["id"]
    # Claimed, then its worker's process is gone: running, never heartbeating.
    assert portable.replica("gone").claim() is not None
    again = post(portable.call, body, headers=headers, principal=IMPORTER)
    assert again.status_code == 202, again.text
    assert again.headers["location"] == f"imports/{job_id}"
    assert again.json()["status"] == "running"
    portable.lease_ran_out(job_id)
    # Any worker (here neither the one that accepted it nor the one that died).
    assert asyncio.run(portable.replica("replica-3").run_once()) == job_id
    assert portable.job(job_id)["status"] == "completed"
    assert portable.records() == [("E1", "P0001"), ("E2", "P0007")]
    third = post(portable.call, body, headers=headers, principal=IMPORTER)
    assert third.status_code == 202 and third.json()["status"] == "completed"


def _narrow_importer(portable: Portable) -> None:
    """The importer's account loses its subordinate agencies: it reaches A01 only."""
    with Session(portable.house.directory_engine) as session:
        session.execute(
            text("UPDATE accounts SET include_subordinates = :f WHERE name = 'importer.elearn'"),
            {"f": False},
        )
        session.commit()


def _match_body(agencies: list[str], numbers: list[str], persons: list[str] = ()) -> dict:  # type: ignore[assignment]
    return {
        "purpose": "training import elearn #1",
        "importer": "importer.elearn",
        "import_job": 1,
        "agencies": agencies,
        "national_ids": numbers,
        "person_ids": list(persons),
    }


def test_the_directory_matches_only_within_the_agencies_named(portable):
    answer = portable.as_service(
        _match_body(["A02"], [number("P0001"), number("P0007")], ["P0001", "P0007"])
    )
    assert answer.status_code == 200, answer.text
    got = answer.json()
    # P0001 works in A01, not named: as unknown as no one.
    assert [(r["status"], r["person_id"]) for r in got["results"]] == [
        ("not_found", None),
        ("found", "P0007"),
    ]
    assert [p["id"] for p in got["persons"]] == ["P0007"]


def test_the_directory_refuses_agencies_outside_the_importers_reach(portable):
    _narrow_importer(portable)
    for body in (
        _match_body(["A01", "A02"], [number("P0001")]),
        _match_body(["A01", "A02"], [], ["P0007"]),
    ):
        refused = portable.as_service(body)
        assert refused.status_code == 403, refused.text
        assert "A02" in refused.json()["detail"] and "A01" not in refused.json()["detail"]
        assert number("P0001") not in refused.text
    # Within its reach, it is answered.
    assert portable.as_service(_match_body(["A01"], [number("P0001")])).status_code == 200
    # A service account named as the importer is refused: no service acts for another.
    named = portable.as_service(
        {**_match_body(["A01"], [number("P0001")]), "importer": "svc.certs"}
    )
    assert named.status_code == 403, named.text


def test_a_queued_job_beyond_the_importers_reach_fails_and_writes_nothing(portable):
    answer = post(portable.call, _body(("E1", "P0007")), headers=ASYNC, principal=IMPORTER)
    assert answer.status_code == 202, answer.text
    job_id = answer.json()["id"]
    _narrow_importer(portable)  # after the job was queued with A01's subtree
    assert asyncio.run(portable.replica("replica-2").run_once()) == job_id
    failed = portable.job(job_id)
    assert failed["status"] == "failed", failed
    assert "outside the importer's reach" in failed["failure"]
    assert portable.records() == []


def test_the_gateway_lets_no_other_account_call_the_route(portable):
    body = _match_body(["A01"], [number("P0001")])
    # A person (the system administrator), the importer itself, another service.
    for account in ("admin", "importer.elearn", "hr.a01"):
        refused = portable.as_account(account, body)
        assert refused.status_code == 403, (account, refused.text)
    other = portable.as_service(body, account="svc.certs")
    assert other.status_code == 403, other.text
    assert portable.as_service(body).status_code == 200
    # Twice over: only service accounts at all, and of them svc.training alone.
    assert service_only("POST", MATCH_ROUTE)
    assert service_may_call("svc.training", "POST", MATCH_ROUTE)
    assert not service_may_call("svc.certs", "POST", MATCH_ROUTE)


def test_training_declares_every_import_of_its_table_portable():
    entry = portable_imports("training")[ANY_SOURCE]
    assert entry.tables.jobs.name == ImportJob.__tablename__
