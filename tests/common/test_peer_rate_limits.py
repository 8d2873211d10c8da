"""A job's requests paced by the gateway's limits: an idempotent request refused
with 429 is asked again when its `Retry-After` says, within the client's budget;
a POST, or a client without a budget (a request on a person's behalf), takes
the 429 as its answer."""

from __future__ import annotations

import httpx
import pytest

from services.common.errors import ServiceUnavailable
from services.common.peers import PeerClient, retry_after
from services.common.service_identity import ServiceIdentity


class Refusing:
    """Answers 429 with each of `retry_afters` in turn (None: no header), then 200."""

    def __init__(self, retry_afters: list[str | None]) -> None:
        self.left = list(retry_afters)
        self.seen: list[httpx.Request] = []
        self.transport = httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        if self.left:
            value = self.left.pop(0)
            headers = {} if value is None else {"Retry-After": value}
            return httpx.Response(429, headers=headers, json={"detail": "rate limit"})
        return httpx.Response(200, json={"ok": True})


class Tokens:
    def __init__(self) -> None:
        self.asked = 0

    def __call__(self, peer: str) -> str:
        self.asked += 1
        return f"token-{self.asked}"


def _client(gateway: Refusing, waits: list[float], budget: float) -> PeerClient:
    return PeerClient(
        "directory",
        "http://gateway.test/api/directory",
        Tokens(),
        transport=gateway.transport,
        rate_limit_wait=budget,
        sleep=waits.append,
    )


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("3", 3.0), (" 7 ", 7.0), ("0", 0.0), (None, 1.0), ("", 1.0), ("-1", 1.0), ("1.5", 1.0),
     ("Wed, 21 Oct 2026 07:28:00 GMT", 1.0)],
)  # fmt: skip
def test_retry_after_in_seconds_or_one(value, seconds):
    headers = {} if value is None else {"Retry-After": value}
    assert retry_after(httpx.Response(429, headers=headers)) == seconds


def test_a_read_waits_as_each_429_asks_then_has_its_answer():
    gateway, waits = Refusing(["2", "5"]), list[float]()
    response = _client(gateway, waits, budget=180).request("GET", "/agencies")
    assert response.status_code == 200
    assert waits == [2.0, 5.0]
    assert len(gateway.seen) == 3
    # Each attempt asks for its token afresh: a long wait may outlast one.
    assert [r.headers["authorization"] for r in gateway.seen] == [
        "Bearer token-1",
        "Bearer token-2",
        "Bearer token-3",
    ]


def test_the_budget_bounds_the_waits_and_the_last_429_is_the_answer():
    gateway, waits = Refusing(["4", "4", "4"]), list[float]()
    response = _client(gateway, waits, budget=6).request("GET", "/agencies")
    assert response.status_code == 429
    assert waits == [4.0]
    assert len(gateway.seen) == 2


def test_no_budget_takes_the_429_at_once():
    gateway, waits = Refusing(["1"]), list[float]()
    assert _client(gateway, waits, budget=0).request("GET", "/agencies").status_code == 429
    assert waits == [] and len(gateway.seen) == 1


def test_a_post_is_not_sent_again():
    gateway, waits = Refusing(["1"]), list[float]()
    response = _client(gateway, waits, budget=180).request("POST", "/principals/usage", json={})
    assert response.status_code == 429
    assert waits == [] and len(gateway.seen) == 1


def test_no_retry_after_waits_a_second():
    gateway, waits = Refusing([None, None]), list[float]()
    assert _client(gateway, waits, budget=180).request("GET", "/x").status_code == 200
    assert waits == [1.0, 1.0]


class TokenGateway:
    """/oauth/token refused with 429 `refusals` times, then a token."""

    def __init__(self, refusals: int, retry: str = "3") -> None:
        self.refusals = refusals
        self.retry = retry
        self.asked = 0
        self.transport = httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.asked += 1
        if self.asked <= self.refusals:
            return httpx.Response(429, headers={"Retry-After": self.retry})
        return httpx.Response(200, json={"access_token": "token-1", "expires_in": 900})


def _identity(gateway: TokenGateway, waits: list[float], budget: float) -> ServiceIdentity:
    return ServiceIdentity(
        "svc.training",
        "a-client-secret-of-the-training-service",
        "http://gateway.test",
        transport=gateway.transport,
        rate_limit_wait=budget,
        sleep=waits.append,
    )


def test_a_token_request_waits_on_the_hosts_limit():
    gateway, waits = TokenGateway(refusals=2), list[float]()
    assert _identity(gateway, waits, budget=180).token() == "token-1"
    assert waits == [3.0, 3.0] and gateway.asked == 3


def test_a_token_request_past_its_budget_is_unavailable():
    gateway, waits = TokenGateway(refusals=10, retry="50"), list[float]()
    with pytest.raises(ServiceUnavailable, match=r"could not issue a token .*\(429\)"):
        _identity(gateway, waits, budget=120).token()
    assert waits == [50.0, 50.0] and gateway.asked == 3


def test_its_peers_wait_within_the_same_budget():
    gateway, waits = Refusing(["2"]), list[float]()
    identity = ServiceIdentity(
        "svc.training",
        "a-client-secret-of-the-training-service",
        "http://gateway.test",
        transport=httpx.MockTransport(
            lambda r: (
                TokenGateway(0).handle(r) if r.url.path == "/oauth/token" else gateway.handle(r)
            )
        ),
        rate_limit_wait=10,
        sleep=waits.append,
    )
    assert identity.peer("directory").request("GET", "/agencies").status_code == 200
    assert waits == [2.0]
    assert str(gateway.seen[-1].url) == "http://gateway.test/api/directory/agencies"
