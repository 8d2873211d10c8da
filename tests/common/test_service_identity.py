"""A service's own identity: the client secret from the setting or its file, a
token by client credentials at a stub gateway, cached and renewed before it
expires, and peers reached through the gateway's public path with it."""

from __future__ import annotations

from urllib.parse import parse_qs

import httpx
import pytest

from services.common.errors import ServiceUnavailable
from services.common.service_identity import (
    MissingClientSecret,
    ServiceIdentity,
    ServiceIdentityError,
    client_secret,
    demo_secret_file,
    service_account,
    service_of_account,
)
from services.training.settings import TrainingSettings

SECRET = "a-client-secret-of-the-training-service"


class StubGateway:
    """POST /oauth/token (and an echo of /api/...); counts the token requests."""

    def __init__(self, lifetime: int = 900, status: int = 200) -> None:
        self.lifetime = lifetime
        self.status = status
        self.issued = 0
        self.forms: list[dict[str, list[str]]] = []
        self.calls: list[httpx.Request] = []
        self.transport = httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            self.forms.append(parse_qs(request.content.decode()))
            if self.status != 200:
                return httpx.Response(self.status, json={"error": "invalid_client"})
            self.issued += 1
            return httpx.Response(
                200,
                json={
                    "access_token": f"token-{self.issued}",
                    "token_type": "Bearer",
                    "expires_in": self.lifetime,
                },
            )
        self.calls.append(request)
        return httpx.Response(200, json={"path": request.url.path})


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _identity(gateway: StubGateway, clock: Clock | None = None) -> ServiceIdentity:
    return ServiceIdentity(
        "svc.training",
        SECRET,
        "http://gateway.test/",
        transport=gateway.transport,
        clock=clock or Clock(),
    )


def test_account_names():
    assert service_account("training") == "svc.training"
    assert service_of_account("svc.training") == "training"
    assert service_of_account("svc.") is None and service_of_account("training") is None
    assert demo_secret_file("training").name == "svc.training-secret"


def test_a_token_is_fetched_by_client_credentials_and_cached():
    gateway, clock = StubGateway(), Clock()
    identity = _identity(gateway, clock)
    assert identity.token() == "token-1"
    assert gateway.forms == [
        {
            "grant_type": ["client_credentials"],
            "client_id": ["svc.training"],
            "client_secret": [SECRET],
        }
    ]
    clock.now += 600
    assert identity.token() == identity("directory") == "token-1"
    assert gateway.issued == 1


def test_it_is_renewed_before_it_expires():
    gateway, clock = StubGateway(lifetime=900), Clock()
    identity = _identity(gateway, clock)
    identity.token()
    clock.now += 900 - 61  # more than a minute left
    assert identity.token() == "token-1"
    clock.now += 2  # less than a minute left: a new one, not the one about to lapse
    assert identity.token() == "token-2"
    # A short lifetime is renewed halfway.
    short, clock = StubGateway(lifetime=20), Clock()
    identity = _identity(short, clock)
    identity.token()
    clock.now += 9
    assert identity.token() == "token-1"
    clock.now += 1
    assert identity.token() == "token-2"


def test_forget_fetches_anew():
    gateway = StubGateway()
    identity = _identity(gateway)
    identity.token()
    identity.forget()
    assert identity.token() == "token-2"


def test_a_refusal_is_a_clear_error_without_the_secret():
    identity = _identity(StubGateway(status=401))
    with pytest.raises(ServiceIdentityError, match="refused the client credentials") as caught:
        identity.token()
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize("status", [500, 503, 429])
def test_a_gateway_failure_is_unavailable(status):
    waits: list[float] = []
    identity = ServiceIdentity(
        "svc.training",
        SECRET,
        "http://gateway.test/",
        transport=StubGateway(status=status).transport,
        rate_limit_wait=3,
        sleep=waits.append,
    )
    with pytest.raises(ServiceUnavailable):
        identity.token()
    # A 429 is waited on (a second each, with no Retry-After) within the budget.
    assert waits == ([1.0, 1.0, 1.0] if status == 429 else [])


def test_an_unreachable_gateway_is_unavailable():
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    identity = ServiceIdentity(
        "svc.training", SECRET, "http://gateway.test", transport=httpx.MockTransport(down)
    )
    with pytest.raises(ServiceUnavailable, match="cannot be reached"):
        identity.token()


def test_peers_are_called_through_the_gateway_with_the_token():
    gateway = StubGateway()
    identity = _identity(gateway)
    peer = identity.peer("directory")
    try:
        response = peer.request("GET", "/agencies", params={"limit": "500"})
    finally:
        peer.close()
    assert response.json() == {"path": "/api/directory/agencies"}
    (call,) = gateway.calls
    assert str(call.url) == "http://gateway.test/api/directory/agencies?limit=500"
    assert call.headers["authorization"] == "Bearer token-1"


def test_the_secret_from_the_setting_or_its_file(tmp_path):
    settings = TrainingSettings(environment="test", client_secret=f"  {SECRET}\n")
    assert client_secret(settings) == SECRET
    path = tmp_path / "secret"
    path.write_text(SECRET + "\n")
    assert client_secret(TrainingSettings(environment="test", client_secret_file=path)) == SECRET
    # The setting wins over the file.
    both = TrainingSettings(environment="test", client_secret="other", client_secret_file=path)
    assert client_secret(both) == "other"


def test_a_missing_secret_says_what_to_set(tmp_path, monkeypatch):
    monkeypatch.delenv("TRAINING_CLIENT_SECRET", raising=False)
    monkeypatch.delenv("TRAINING_CLIENT_SECRET_FILE", raising=False)
    with pytest.raises(MissingClientSecret) as caught:
        client_secret(TrainingSettings(environment="test"))
    message = str(caught.value)
    assert "svc.training" in message
    assert "TRAINING_CLIENT_SECRET" in message and "TRAINING_CLIENT_SECRET_FILE" in message
    missing = tmp_path / "nowhere"
    with pytest.raises(MissingClientSecret, match="cannot be read"):
        client_secret(TrainingSettings(environment="test", client_secret_file=missing))
    empty = tmp_path / "empty"
    empty.write_text("\n")
    with pytest.raises(MissingClientSecret, match="empty"):
        client_secret(TrainingSettings(environment="test", client_secret_file=empty))
    with pytest.raises(MissingClientSecret):
        ServiceIdentity.from_settings(TrainingSettings(environment="test"))


def test_the_secret_comes_from_the_environment(tmp_path, monkeypatch):
    path = tmp_path / "secret"
    path.write_text(SECRET)
    monkeypatch.setenv("TRAINING_CLIENT_SECRET_FILE", str(path))
    monkeypatch.setenv("TRAINING_GATEWAY_URL", "http://gw.example:8000")
    identity = ServiceIdentity.from_settings(TrainingSettings(environment="test"))
    assert identity.client_id == "svc.training"
    assert identity.gateway_url == "http://gw.example:8000"


def test_sign_in_waits_for_a_gateway_still_starting():
    clock, naps = Clock(), []
    gateway = StubGateway()
    inner = gateway.transport
    attempts = []

    def starting(request: httpx.Request) -> httpx.Response:
        attempts.append(request)
        if len(attempts) <= 3:
            raise httpx.ConnectError("connection refused", request=request)
        return inner.handle_request(request)

    identity = ServiceIdentity(
        "svc.training",
        SECRET,
        "http://gateway.test",
        transport=httpx.MockTransport(starting),
        clock=clock,
    )

    def sleep(seconds: float) -> None:
        naps.append(seconds)
        clock.now += seconds

    assert identity.sign_in(10, sleep=sleep) == "token-1"
    assert naps == [0.5, 0.5, 0.5]


def test_sign_in_gives_up_at_its_deadline_and_never_waits_on_a_refusal():
    clock = Clock()

    def sleep(seconds: float) -> None:
        clock.now += seconds

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    identity = ServiceIdentity(
        "svc.training",
        SECRET,
        "http://gateway.test",
        transport=httpx.MockTransport(down),
        clock=clock,
    )
    with pytest.raises(ServiceUnavailable):
        identity.sign_in(3, sleep=sleep)
    assert 2.5 <= clock.now - 1000 <= 3
    refused = _identity(StubGateway(status=401), clock)
    started = clock.now
    with pytest.raises(ServiceIdentityError):
        refused.sign_in(30, sleep=sleep)
    assert clock.now == started
