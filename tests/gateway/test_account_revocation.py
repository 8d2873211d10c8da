"""A disabled account's still-valid token stops working within 60 s.

Driven with one injected clock shared by the account resolver and the verified
token cache, so the test steps through time instead of waiting for it."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from gateway.accounts import AccountResolver
from gateway.authn import Authenticator
from gateway.issuer import issue_token
from gateway.keys import generate
from gateway.settings import GatewaySettings
from services.common.errors import Unauthorized
from tests.gateway.harness import account


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


class Directory:
    """Answers /principals/<name> with the account's current status."""

    def __init__(self) -> None:
        self.status = "active"
        self.calls = 0

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        return httpx.Response(200, json=account("alice", status=self.status))


def _setup(tmp_path, ttl: int) -> tuple[Authenticator, Directory, Clock, str]:
    issuer = generate()
    settings = GatewaySettings(
        keys_dir=tmp_path,
        environment="test",
        issuer_private_key=issuer.private_pem,
        internal_private_key=generate().private_pem,
        principal_ttl_seconds=ttl,
    )
    directory, clock = Directory(), Clock()
    client = httpx.AsyncClient(transport=httpx.MockTransport(directory.handle))
    resolver = AccountResolver(client, "http://directory", lambda: "t", ttl, clock=clock)
    authenticator = Authenticator(settings, issuer, resolver, clock=clock)
    # Valid for an hour: only the account's status can stop it.
    token = issue_token(
        issuer,
        account="alice",
        issuer=settings.issuer,
        audience=settings.audience,
        lifetime=3600,
    )
    return authenticator, directory, clock, token


def _accepted(authenticator: Authenticator, token: str) -> bool:
    async def run() -> Any:
        return await authenticator.authenticate(token)

    try:
        asyncio.run(run())
    except Unauthorized as exc:
        assert exc.detail is not None and "disabled" in exc.detail
        return False
    return True


@pytest.mark.parametrize("ttl", [1, 30, 60])
def test_disabled_account_is_refused_once_the_ttl_has_passed(tmp_path, ttl: int) -> None:
    authenticator, directory, clock, token = _setup(tmp_path, ttl)
    assert _accepted(authenticator, token)
    directory.status = "disabled"
    disabled_at = clock.now

    # Within the window the cached principal may still answer…
    clock.now = disabled_at + ttl - 0.5
    assert _accepted(authenticator, token)
    # …and once it has passed, the directory is asked again and the token refused.
    clock.now = disabled_at + ttl + 0.01
    assert not _accepted(authenticator, token)
    assert clock.now - disabled_at <= 60.01
    assert directory.calls == 2


def test_refusal_sticks_while_the_account_stays_disabled(tmp_path) -> None:
    authenticator, directory, clock, token = _setup(tmp_path, 30)
    assert _accepted(authenticator, token)
    directory.status = "disabled"
    for step in range(1, 5):
        clock.now += 31
        assert not _accepted(authenticator, token), step


def test_re_enabled_account_works_again_after_the_ttl(tmp_path) -> None:
    authenticator, directory, clock, token = _setup(tmp_path, 30)
    directory.status = "disabled"
    assert not _accepted(authenticator, token)
    directory.status = "active"
    clock.now += 31
    assert _accepted(authenticator, token)


@pytest.mark.parametrize("ttl", [0, 61, 3600])
def test_a_window_longer_than_60_s_is_refused_at_start(tmp_path, ttl: int) -> None:
    with pytest.raises(ValidationError, match="principal_ttl_seconds"):
        GatewaySettings(keys_dir=tmp_path, environment="test", principal_ttl_seconds=ttl)
