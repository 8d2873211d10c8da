"""A grant's end, stepped through with one clock shared by the directory's
principal resolution and the gateway's account resolver and token check (no
waiting): the gateway's principal carries `speakers:search` to the last second
of the grant's Taipei day; after it, once the gateway's cached principal (its
TTL) has run out, the next resolution carries it no more, and the grantee's
place is free."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime, timedelta

import httpx
from sqlmodel import Session

from gateway.accounts import AccountResolver
from gateway.authn import Authenticator
from gateway.issuer import issue_token
from gateway.keys import generate
from gateway.settings import GatewaySettings
from services.common.principal import Principal
from services.directory.domain.search_grants import SEARCH_PERMISSION
from services.directory.service import principals as principal_use_case
from services.directory.service import search_grants as use_case
from services.directory.store import agencies as agency_store
from tests.directory.search_grant_scene import build_scene, officer, staff_name

TTL = 30
GRANTEE = staff_name("C01", 1)
# The grant's last Taipei day ends at 15:59:59 UTC.
LAST_SECOND = datetime(2028, 2, 29, 15, 59, 59, tzinfo=UTC)


class Clock:
    """The gateway's seconds, starting now (its token checks read the real
    clock too), and the directory's day, starting at `at`, stepped together."""

    def __init__(self, at: datetime) -> None:
        self.start = self.now = time.time()
        self.at = at

    def __call__(self) -> float:
        return self.now

    def utc(self) -> datetime:
        return self.at + timedelta(seconds=self.now - self.start)

    def set(self, at: datetime) -> None:
        self.now = self.start + (at - self.at).total_seconds()


def test_an_expired_grant_stops_the_search_at_the_gateway(db, tmp_path):
    build_scene(db)
    grantor = Principal(**{**officer("C01"), "kind": "human"})
    use_case.grant(
        db,
        grantor,
        "C01",
        GRANTEE,
        date(2028, 2, 29),
        today=date(2028, 2, 1),
        now=datetime(2028, 2, 1, 1, 0, tzinfo=UTC),
    )
    db.commit()
    clock = Clock(LAST_SECOND - timedelta(seconds=TTL))
    resolutions: list[datetime] = []

    def directory(request: httpx.Request) -> httpx.Response:
        """The directory's own resolution, at the clock's time."""
        account = request.url.path.rsplit("/", 1)[-1]
        resolutions.append(clock.utc())
        with Session(db.get_bind()) as session:
            resolved = principal_use_case.resolve_principal(session, account, clock.utc())
            session.commit()
        return httpx.Response(200, json=resolved.model_dump(mode="json"))

    issuer = generate()
    settings = GatewaySettings(
        keys_dir=tmp_path,
        environment="test",
        issuer_private_key=issuer.private_pem,
        internal_private_key=generate().private_pem,
        principal_ttl_seconds=TTL,
    )
    client = httpx.AsyncClient(transport=httpx.MockTransport(directory))
    resolver = AccountResolver(client, "http://directory", lambda: "t", TTL, clock=clock)
    authenticator = Authenticator(settings, issuer, resolver, clock=clock)
    # Valid for ten minutes: only the grant can stop the search.
    token = issue_token(
        issuer, account=GRANTEE, issuer=settings.issuer, audience=settings.audience, lifetime=600
    )

    def searches() -> bool:
        async def run() -> bool:
            authenticated = await authenticator.authenticate(token)
            return SEARCH_PERMISSION in authenticated.principal.permissions

        return asyncio.run(run())

    assert searches()
    clock.set(LAST_SECOND)
    assert searches()  # the last second of the grant's day
    # Past it, within the gateway's TTL the cached principal may still answer…
    clock.set(LAST_SECOND + timedelta(seconds=1))
    assert searches()
    # …and once the TTL has passed, the directory is asked again and says no.
    clock.set(LAST_SECOND + timedelta(seconds=TTL + 1))
    assert not searches()
    assert resolutions[-1] > LAST_SECOND
    assert not searches()  # and stays refused
    agency = agency_store.get_agency(db, "C01")
    assert agency is not None
    assert use_case.places(db, agency, date(2028, 3, 1)).in_use == 0
