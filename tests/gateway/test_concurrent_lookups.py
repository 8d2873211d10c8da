"""Account look-ups under concurrency, on real connections: a real directory
served by uvicorn on the test database (SQLite or PostgreSQL), and a gateway in
front of it with a cold account cache. Nothing may answer 5xx."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from gateway.keys import KeyPair, generate
from services.common.internal_auth import mint_internal_token
from services.common.principal import Principal
from services.directory.app import create_app
from services.directory.demo import seed_demo
from services.directory.models import Account, AccountRole, Person
from services.directory.settings import DirectorySettings
from tests.databases import fresh_database
from tests.gateway.harness import SERVICES, build
from tests.gateway.live import all_at_once, serve

ACCOUNTS = 20
GATEWAY = Principal(sub="gateway", kind="service", permissions=["directory:principals:resolve"])


def _name(i: int) -> str:
    return f"load.{i:02d}"


def _person(i: int) -> str:
    return f"P1{i:03d}"


@dataclass
class LiveDirectory:
    url: str
    engine: Engine
    keys: KeyPair

    def gateway_token(self) -> str:
        return mint_internal_token(
            GATEWAY, audience="directory", private_pem=self.keys.private_pem, kid=self.keys.kid
        )

    def forget_use(self) -> None:
        """Every account unused: each look-up below then writes its last use."""
        with Session(self.engine) as session:
            session.execute(update(Account).values(last_used_at=None))
            session.commit()

    def last_used(self) -> dict[str, bool]:
        with Session(self.engine) as session:
            rows = session.exec(select(Account).where(col(Account.name).like("load.%"))).all()
            return {a.name: a.last_used_at is not None for a in rows}


@pytest.fixture(scope="module")
def live_directory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveDirectory]:
    keys = generate()
    with fresh_database("directory", tmp_path_factory.mktemp("live-directory")) as url:
        app = create_app(
            DirectorySettings(
                database_url=url, internal_public_key=keys.public_pem, environment="test"
            )
        )
        engine: Engine = app.state.engine
        with Session(engine) as session:
            seed_demo(session)
            for i in range(ACCOUNTS):
                session.add(
                    Person(id=_person(i), name=f"測試{i}", agency_code="A01", source="test")
                )
                session.flush()
                session.add(
                    Account(name=_name(i), kind="human", person_id=_person(i), agency_code="A01")
                )
                session.flush()
                session.add(AccountRole(account=_name(i), role="employee"))
            session.commit()
        with serve(app) as base:
            yield LiveDirectory(base, engine, keys)


def _resolve(live: LiveDirectory, name: str) -> int:
    response = httpx.get(
        f"{live.url}/principals/{name}",
        headers={"Authorization": f"Bearer {live.gateway_token()}"},
        timeout=30,
    )
    return response.status_code


def test_directory_resolves_many_accounts_at_once(live_directory: LiveDirectory) -> None:
    live_directory.forget_use()
    statuses = all_at_once([partial(_resolve, live_directory, _name(i)) for i in range(ACCOUNTS)])
    assert statuses == [200] * ACCOUNTS
    # Each look-up recorded the account's use despite the others writing too.
    assert live_directory.last_used() == {_name(i): True for i in range(ACCOUNTS)}


def test_directory_resolves_one_account_many_times_at_once(
    live_directory: LiveDirectory,
) -> None:
    # As several gateway replicas would: the same row written concurrently.
    live_directory.forget_use()
    statuses = all_at_once([lambda: _resolve(live_directory, _name(0)) for _ in range(ACCOUNTS)])
    assert statuses == [200] * ACCOUNTS
    assert live_directory.last_used()[_name(0)] is True


def test_cold_gateway_under_concurrent_requests_gives_no_5xx(
    tmp_path, live_directory: LiveDirectory
) -> None:
    live_directory.forget_use()
    urls = {s: f"http://{s}.internal" for s in SERVICES}
    urls["directory"] = live_directory.url
    client, harness = build(
        tmp_path,
        internal=live_directory.keys,
        network=True,
        forwarder="aiohttp",
        service_urls=urls,
    )
    # Two requests per account: distinct accounts are looked up side by side,
    # the two of one account share one look-up.
    requests = [(i % ACCOUNTS, harness.token(_name(i % ACCOUNTS))) for i in range(2 * ACCOUNTS)]
    with serve(client.app) as gateway:

        def call(i: int, token: str) -> tuple[int, str]:
            response = httpx.get(
                f"{gateway}/api/directory/persons/{_person(i)}",
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            )
            return response.status_code, response.text

        results = all_at_once([partial(call, i, t) for i, t in requests])
    assert [status for status, _ in results] == [200] * len(requests), [
        text for status, text in results if status != 200
    ][:3]
    assert live_directory.last_used() == {_name(i): True for i in range(ACCOUNTS)}


def _change(live: LiveDirectory, name: str, purpose: str) -> int:
    admin = Principal(
        sub="admin",
        kind="human",
        person_id="P0001",
        agency_code="A01",
        agency_scope=["A01", "A02", "A03", "T01"],
        roles=["system_admin"],
        permissions=["directory:accounts:read", "directory:accounts:write"],
    )
    token = mint_internal_token(
        admin, audience="directory", private_pem=live.keys.private_pem, kid=live.keys.kid
    )
    response = httpx.patch(
        f"{live.url}/accounts/{name}",
        json={"purpose": purpose},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    return response.status_code


def test_account_changes_beside_look_ups_give_no_5xx(live_directory: LiveDirectory) -> None:
    # Each change reads the account, then writes it, while look-ups write last uses.
    live_directory.forget_use()
    half = ACCOUNTS // 2
    calls: list[Callable[[], int]] = [
        partial(_resolve, live_directory, _name(i)) for i in range(half)
    ]
    calls += [
        partial(_change, live_directory, _name(i), f"changed {uuid.uuid4().hex[:8]}")
        for i in range(half, ACCOUNTS)
    ]
    assert all_at_once(calls) == [200] * ACCOUNTS


def _list_persons(live: LiveDirectory) -> int:
    hr = Principal(
        sub="hr.a01",
        kind="human",
        person_id="P0002",
        agency_code="A01",
        agency_scope=["A01", "A02", "A03", "T01"],
        roles=["hr_officer"],
        permissions=["directory:persons:read:agency"],
    )
    token = mint_internal_token(
        hr, audience="directory", private_pem=live.keys.private_pem, kid=live.keys.kid
    )
    response = httpx.get(
        f"{live.url}/persons", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    return response.status_code


def test_audited_reads_beside_look_ups_give_no_5xx(live_directory: LiveDirectory) -> None:
    # Each list of persons reads, then writes its rows of the personal-data read log.
    live_directory.forget_use()
    half = ACCOUNTS // 2
    calls: list[Callable[[], int]] = [
        partial(_resolve, live_directory, _name(i)) for i in range(half)
    ]
    calls += [lambda: _list_persons(live_directory) for _ in range(half)]
    assert all_at_once(calls) == [200] * ACCOUNTS
