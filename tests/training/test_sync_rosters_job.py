"""`training.sync-rosters` against the real directory behind the real gateway, in
process: the job signs in as svc.training by client credentials, lists every
agency and reads each one's roster through the gateway's public path, and
replaces training's roster agency by agency."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlmodel import Session, col

from gateway import rate_limits
from gateway.app import create_app
from gateway.issuer import issue_token
from gateway.keys import generate
from gateway.settings import GatewaySettings
from renshi.jobs import registry, schedules
from services.common import job_runs, peers, service_identity
from services.common.errors import Forbidden
from services.common.internal_auth import InternalTokenVerifier
from services.common.service_identity import MissingClientSecret, ServiceIdentityError
from services.common.timeutil import today_taipei
from services.directory.demo import SERVICE_ACCOUNTS, seed_demo
from services.directory.models import AccountRole, Person, personal_data_reads
from services.training import jobs
from services.training.models import JobRun, RosterPerson
from services.training.settings import TrainingSettings
from tests.databases import fresh_database
from tests.gateway.harness import SERVICES, HostRouter, Recorder, recording_upstream

SECRETS = {s: f"{s}-secret-for-the-job-tests-0000" for s in SERVICE_ACCOUNTS}
AGENCIES = ("A01", "A02", "A03", "T01")


class FailingFor:
    """The directory, except that the roster of the agencies in `failing` answers 503."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.failing: set[str] = set()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if any(path == f"/agencies/{code}/roster" for code in self.failing):
            await send({"type": "http.response.start", "status": 503, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        await self.app(scope, receive, send)


@dataclass
class House:
    gateway: TestClient
    settings: TrainingSettings
    directory: FailingFor
    issuer: Any
    gateway_settings: GatewaySettings
    directory_engine: Any
    training_engine: Any
    clock: Any = field(default=None)

    def run(self, **kwargs: Any) -> dict[str, Any]:
        return jobs.sync_rosters(
            settings=kwargs.pop("settings", self.settings),
            transport=self.gateway._transport,
            **kwargs,
        )

    def roster(self) -> dict[str, tuple[str, str]]:
        with Session(self.training_engine) as session:
            rows = session.execute(select(RosterPerson)).scalars().all()
            return {r.person_id: (r.agency_code, r.unit_id) for r in rows}

    def directory_in_service(self) -> dict[str, tuple[str, str]]:
        with Session(self.directory_engine) as session:
            rows = (
                session.execute(select(Person).where(col(Person.status) == "active"))
                .scalars()
                .all()
            )
            return {
                p.id: (p.agency_code, "" if p.unit_id is None else str(p.unit_id)) for p in rows
            }

    def audit(self, subject: str) -> list[dict[str, Any]]:
        token = issue_token(
            self.issuer,
            account="auditor",
            issuer=self.gateway_settings.issuer,
            audience=self.gateway_settings.audience,
            lifetime=300,
        )
        response = self.gateway.get(
            "/audit/decisions",
            params={"subject": subject, "limit": 500},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items


@contextmanager
def _house(
    apps: Any, service_urls: Any, internal_keys: Any, tmp_path: Any, **gateway_extra: Any
) -> Iterator[House]:
    directory_engine = apps["directory"].state.engine
    with Session(directory_engine) as session:
        seed_demo(session, service_secrets=SECRETS)
        session.commit()
    recorder = Recorder()
    hosts: dict[str, Any] = {
        f"{s}.internal": recording_upstream(
            recorder, s, InternalTokenVerifier(public_pem=internal_keys.public_pem, audience=s)
        )
        for s in SERVICES
    }
    directory = FailingFor(apps["directory"])
    hosts["directory.internal"] = directory
    issuer = generate()
    with fresh_database("gateway", tmp_path) as audit_url:
        gateway_settings = GatewaySettings(
            keys_dir=tmp_path,
            environment="test",
            database_url=audit_url,
            issuer_private_key=issuer.private_pem,
            internal_private_key=internal_keys.private_pem,
            forwarder="httpx",
            service_urls={s: f"http://{s}.internal" for s in SERVICES},
            **gateway_extra,
        )
        gateway = create_app(gateway_settings, transport=HostRouter(hosts))
        with TestClient(gateway, client=("127.0.0.1", 50000)) as client:
            settings = TrainingSettings(
                database_url=service_urls["training"],
                environment="test",
                gateway_url="http://gateway.test",
                client_secret=SECRETS["training"],
            )
            yield House(
                client,
                settings,
                directory,
                issuer,
                gateway_settings,
                directory_engine,
                apps["training"].state.engine,
            )


@pytest.fixture
def house(apps, service_urls, internal_keys, tmp_path) -> Iterator[House]:
    with _house(apps, service_urls, internal_keys, tmp_path) as made:
        yield made


class Clock:
    """The gateway's rate-limit clock, advanced by the job's waits instead of time."""

    def __init__(self) -> None:
        self.now = time.time()
        self.waits: list[float] = []

    def time(self) -> float:
        return self.now

    def pause(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


@pytest.fixture
def paced_house(apps, service_urls, internal_keys, tmp_path, monkeypatch) -> Iterator[House]:
    """The house with a per-account limit of 3 requests a minute, counted on a
    clock that the job's waits advance."""
    clock = Clock()
    monkeypatch.setattr(rate_limits, "time", clock)
    monkeypatch.setattr(peers, "pause", clock.pause)
    monkeypatch.setattr(service_identity, "pause", clock.pause)
    with _house(
        apps, service_urls, internal_keys, tmp_path, rate_limit_per_principal="3/minute"
    ) as made:
        made.clock = clock
        yield made


def _put_roster(house: House, rows: dict[str, tuple[str, str]]) -> None:
    with Session(house.training_engine) as session:
        for pid, (agency, unit) in rows.items():
            session.add(RosterPerson(person_id=pid, agency_code=agency, unit_id=unit))
        session.commit()


def _wait_for_audit(house: House, subject: str, count: int) -> list[dict[str, Any]]:
    """Decisions are written in batches: poll, with a deadline."""
    deadline = time.monotonic() + 10
    while True:
        decisions = house.audit(subject)
        if len(decisions) >= count or time.monotonic() > deadline:
            return decisions
        time.sleep(0.05)  # polling the audit, bounded by the deadline


def test_every_agency_is_synced_as_the_directory_has_it(house):
    # Before: someone who has left A01, and someone training still has in the
    # wrong agency (they transferred).
    _put_roster(house, {"P-OLD": ("A01", "11"), "P0007": ("A01", "1")})
    summary = house.run()
    expected = house.directory_in_service()
    assert len(expected) == 9
    assert summary["agencies"] == summary["synced"] == len(AGENCIES)
    # Both leave A01's roster; P0007 is then listed by A02, where they work now.
    assert (summary["listed"], summary["removed"], summary["failed"]) == (9, 2, {})
    assert summary["rate_limit_waited_s"] == 0
    assert house.roster() == expected


def test_the_job_reads_as_its_own_account_and_is_audited(house):
    house.run()
    # Its sign-in at /oauth/token, then the directory reads, all under its name.
    audited = _wait_for_audit(house, "svc.training", 2 + len(AGENCIES))
    assert [d["decision"] for d in audited if d["route"] == "/oauth/token"] == ["allow"]
    decisions = [d for d in audited if d["route"] != "/oauth/token"]
    assert sorted(d["route"] for d in decisions) == sorted(
        ["/api/directory/agencies"] + ["/api/directory/agencies/{code}/roster"] * len(AGENCIES)
    )
    assert {(d["decision"], d["account_kind"], d["status"]) for d in decisions} == {
        ("allow", "service", 200)
    }
    # The directory logged each person listed as read by the job's account.
    with Session(house.directory_engine) as session:
        readers = session.execute(
            select(personal_data_reads.c.reader, personal_data_reads.c.subject_person_id)
        ).all()
    assert {r for r, _ in readers} == {"svc.training"}
    assert {s for _, s in readers} == set(house.directory_in_service())


def test_the_gateways_limits_pace_the_job_and_lose_no_agency(paced_house):
    # Five reads (the agency list and four rosters) under a limit of three a
    # minute: the job waits as each 429 asks and syncs every agency.
    summary = paced_house.run()
    assert summary["agencies"] == summary["synced"] == len(AGENCIES)
    assert summary["failed"] == {}
    assert paced_house.roster() == paced_house.directory_in_service()
    waits = paced_house.clock.waits
    assert waits and all(w >= 1 for w in waits)
    assert summary["rate_limit_waited_s"] == round(sum(waits), 1)
    # The refusals were the gateway's, audited under the job's account.
    audited = _wait_for_audit(paced_house, "svc.training", 2 + len(AGENCIES) + len(waits))
    statuses = [d["status"] for d in audited if d["route"] != "/oauth/token"]
    assert statuses.count(429) == len(waits)
    assert statuses.count(200) == 1 + len(AGENCIES)


def test_a_second_run_changes_nothing(house):
    first = house.run()
    again = house.run()
    assert (again["listed"], again["removed"]) == (first["listed"], 0)
    assert house.roster() == house.directory_in_service()


def test_a_failing_agency_is_reported_and_the_others_are_synced(house):
    _put_roster(house, {"P-KEPT": ("A03", "9")})
    house.directory.failing.add("A03")
    with pytest.raises(jobs.RosterSyncIncomplete) as caught:
        house.run()
    summary = caught.value.summary
    assert (summary["agencies"], summary["synced"]) == (4, 3)
    assert list(summary["failed"]) == ["A03"] and "directory" in summary["failed"]["A03"]
    assert "A03" in str(caught.value)
    roster = house.roster()
    # A03 keeps its roster as it was; every other agency is the directory's.
    assert {p: v for p, v in roster.items() if v[0] == "A03"} == {"P-KEPT": ("A03", "9")}
    assert {p: v for p, v in roster.items() if v[0] != "A03"} == {
        p: v for p, v in house.directory_in_service().items() if v[0] != "A03"
    }
    with Session(house.training_engine) as session:
        assert session.execute(select(col(JobRun.status))).scalars().all() == ["failed"]
    # Once the directory serves it again, the next run completes.
    house.directory.failing.clear()
    assert house.run()["failed"] == {}
    assert house.roster() == house.directory_in_service()


def test_without_its_role_the_account_reads_nothing(house):
    with Session(house.directory_engine) as session:
        session.execute(text("DELETE FROM account_roles WHERE account = 'svc.training'"))
        session.commit()
        assert session.get(AccountRole, ("svc.training", "service_training")) is None
    with pytest.raises(Forbidden, match="directory:agencies:read"):
        house.run()
    assert house.roster() == {}
    audited = _wait_for_audit(house, "svc.training", 2)
    decisions = [d for d in audited if d["route"] != "/oauth/token"]
    assert [(d["route"], d["decision"]) for d in decisions] == [("/api/directory/agencies", "deny")]


def test_a_wrong_secret_is_a_clear_error(house):
    wrong = house.settings.model_copy(update={"client_secret": None})
    with pytest.raises(MissingClientSecret, match="TRAINING_CLIENT_SECRET"):
        house.run(settings=wrong)
    other = TrainingSettings(
        database_url=house.settings.database_url,
        environment="test",
        gateway_url="http://gateway.test",
        client_secret=SECRETS["certs"],
    )
    with pytest.raises(ServiceIdentityError, match="refused the client credentials"):
        house.run(settings=other)
    with Session(house.training_engine) as session:
        # Refused at sign-in, before the run is claimed: no run at all.
        assert session.execute(select(col(JobRun.status))).scalars().all() == []


def test_a_run_in_progress_elsewhere_is_not_doubled(house):
    with job_runs.claim(
        house.training_engine,
        jobs.JOB_RUNS,
        jobs.NAMESPACE,
        "sync-rosters",
        today_taipei(),
        force=True,
    ) as held:
        assert held.acquired
        summary = house.run()
    assert summary["skipped"] == "running elsewhere"
    assert house.roster() == {}


def test_it_is_registered_and_scheduled_nightly():
    assert registry()["training.sync-rosters"] is jobs.sync_rosters
    assert schedules()["training.sync-rosters"].expression == "0 2 * * *"
