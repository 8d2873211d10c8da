"""The certs service's client of training's AI-hours feed: against httpx's
MockTransport for every way training can fail, and against the training app
itself, so that the client reads what the service really answers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from services.certs.settings import CertsSettings
from services.certs.training_client import TrainingClient, TrainingUnavailable
from services.common.peers import PeerError

SINCE = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def item(person: str, hours: str = "6.00") -> dict[str, Any]:
    return {
        "person_id": person,
        "year": 2026,
        "ai_hours": hours,
        "ai_basic_hours": "3.00",
        "ai_advanced_hours": "3.00",
        "changed_at": "2026-12-01T18:00:00.000001+00:00",
    }


def client_for(handler: Callable[[httpx.Request], httpx.Response]) -> TrainingClient:
    return TrainingClient(
        "http://gateway/api/training",
        lambda peer: f"token-for-{peer}",
        timeout=0.5,
        transport=httpx.MockTransport(handler),
    )


def test_it_follows_every_page_with_the_token_and_reads_decimals():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        cursor = request.url.params.get("cursor")
        body = {
            "items": [item("P001")] if cursor is None else [item("P002", "1.25")],
            "next_cursor": "c1" if cursor is None else None,
            "limit": 1,
            "until": "2026-12-01T18:00:00.000001+00:00",
        }
        return httpx.Response(200, json=body)

    with client_for(handler) as training:
        pages = list(training.ai_hours_changed_since(SINCE, limit=1))
    assert [e.person_id for p in pages for e in p.entries] == ["P001", "P002"]
    assert pages[-1].entries[0].ai_hours == Decimal("1.25")
    assert pages[-1].until == datetime(2026, 12, 1, 18, 0, 0, 1, tzinfo=UTC)
    assert [r.url.path for r in seen] == ["/api/training/ai-hours"] * 2
    assert all(r.headers["Authorization"] == "Bearer token-for-training" for r in seen)
    assert seen[0].url.params["changed_since"] == SINCE.isoformat()
    assert seen[1].url.params["cursor"] == "c1"


def _raises(exc: type[Exception]) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc("boom", request=request)  # type: ignore[call-arg]

    return handler


@pytest.mark.parametrize(
    "handler",
    [
        _raises(httpx.ReadTimeout),
        _raises(httpx.ConnectTimeout),
        _raises(httpx.ConnectError),
        lambda request: httpx.Response(503, json={"detail": "down"}),
        lambda request: httpx.Response(500, text="oops"),
        lambda request: httpx.Response(504),
        lambda request: httpx.Response(200, text="not json"),
        lambda request: httpx.Response(200, json={"items": [{"person_id": "P001"}]}),
        lambda request: httpx.Response(200, json={"items": [item("P001", "many")]}),
    ],
    ids=[
        "read-timeout",
        "connect-timeout",
        "refused",
        "503",
        "500",
        "504",
        "not-json",
        "missing-fields",
        "bad-decimal",
    ],
)
def test_training_that_cannot_answer_raises_training_unavailable(handler):
    with client_for(handler) as training, pytest.raises(TrainingUnavailable) as raised:
        training.ai_hours_page(SINCE)
    assert raised.value.status == 503
    assert "P001" not in str(raised.value.detail)


def test_a_timeout_is_retried_before_it_is_given_up():
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            raise httpx.ReadTimeout("slow", request=request)
        return httpx.Response(200, json={"items": [], "next_cursor": None, "limit": 5000})

    with client_for(handler) as training:
        assert training.ai_hours_page(SINCE).entries == ()
    assert len(calls) == 2


def test_a_refusal_is_not_unavailability():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            403,
            json={"detail": "only the certs service's own account svc.certs may call this"},
            headers={"content-type": "application/problem+json"},
        )

    with client_for(handler) as training, pytest.raises(PeerError) as raised:
        training.ai_hours_page()
    assert not isinstance(raised.value, TrainingUnavailable)
    assert "svc.certs" in str(raised.value.detail)


def test_a_token_that_cannot_be_had_is_unavailability_too():
    def tokens(_peer: str) -> str:
        from services.common.errors import ServiceUnavailable

        raise ServiceUnavailable("the gateway cannot be reached for a token of svc.certs")

    training = TrainingClient(
        "http://gateway/api/training",
        tokens,
        transport=httpx.MockTransport(lambda r: httpx.Response(200)),
    )
    with pytest.raises(TrainingUnavailable, match="token"):
        training.ai_hours_page()


def test_a_naive_changed_since_is_refused_before_any_call():
    with (
        client_for(lambda r: httpx.Response(200)) as training,
        pytest.raises(ValueError, match="timezone"),
    ):
        training.ai_hours_page(datetime(2026, 12, 1))


def test_from_settings_goes_through_the_gateway_as_svc_certs():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "svc-token", "expires_in": 900})
        return httpx.Response(200, json={"items": [], "next_cursor": None, "limit": 5000})

    settings = CertsSettings(
        gateway_url="http://gw:8000",
        client_secret="a-long-enough-secret-for-svc-certs",
        environment="test",
    )
    with TrainingClient.from_settings(settings, transport=httpx.MockTransport(handler)) as training:
        training.ai_hours_page()
    token_request, feed_request = seen
    assert b"client_id=svc.certs" in token_request.content
    assert str(feed_request.url).startswith("http://gw:8000/api/training/ai-hours")
    assert feed_request.headers["Authorization"] == "Bearer svc-token"


def test_it_reads_the_training_service_itself(apps, client, internal_token):
    """Against the real app: the shapes agree, pages and all."""
    from services.common.transactions import batch_transaction
    from services.training.models import AiHours

    with batch_transaction(apps["training"].state.engine) as session:
        for n in range(5):
            session.add(
                AiHours(
                    person_id=f"P{n:03d}",
                    year=2026,
                    basic_centi=300,
                    advanced_centi=25 * n,
                    changed_at=SINCE,
                )
            )
    token = internal_token(
        "training", sub="svc.certs", kind="service", permissions=["training:ai_hours:read"]
    )
    transport = client("training")._transport
    with TrainingClient("http://training", lambda _peer: token, transport=transport) as training:
        pages = list(training.ai_hours_changed_since(None, limit=2))
        entries = [e for p in pages for e in p.entries]
        assert [e.person_id for e in entries] == [f"P{n:03d}" for n in range(5)]
        assert entries[4].ai_hours == Decimal("4.00") and entries[4].changed_at == SINCE
        assert pages[-1].until == SINCE and len(pages) == 3
        # The next night, nothing new.
        (again,) = training.ai_hours_changed_since(pages[-1].until)
        assert again.entries == () and again.until == SINCE
