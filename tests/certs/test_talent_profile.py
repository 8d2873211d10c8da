"""A person's learning-path stage and readiness view: verified certificates
valid on the day asked, AI hours from the stored copy (stage) or from training
live (readiness), and what readiness says when training cannot answer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.certs.api.deps import live_training
from services.certs.models import PersonAiHours, TalentPerson
from services.certs.training_client import TrainingClient
from services.common.timeutil import today_taipei
from services.common.transactions import batch_transaction
from services.training.models import AiHours
from tests.certs.conftest import (
    HOLDER,
    HOLDER_A02,
    NOBODY,
    TALENT_HR_A01,
    TALENT_HR_A02,
    TALENT_OTHER_SELF,
    TALENT_SELF,
    Call,
    verified,
)

PERSON = HOLDER["person_id"]
PULLED = datetime(2026, 12, 2, 18, 30, tzinfo=UTC)


def place(certs_app: Any, person: str = PERSON, agency: str = "A01") -> None:
    with batch_transaction(certs_app.state.engine) as session:
        session.add(TalentPerson(person_id=person, agency_code=agency, unit_id="11"))


def store_hours(certs_app: Any, year: int, basic: int, advanced: int) -> None:
    with batch_transaction(certs_app.state.engine) as session:
        session.add(
            PersonAiHours(
                person_id=PERSON,
                year=year,
                ai_centi=basic + advanced,
                basic_centi=basic,
                advanced_centi=advanced,
                changed_at=PULLED - timedelta(hours=1),
                pulled_at=PULLED,
            )
        )


def stage(call: Call, principal: dict[str, Any] = TALENT_HR_A01, **params: Any) -> Any:
    return call("GET", f"/persons/{PERSON}/talent-stage", principal, params=params)


# --------------------------------------------------------------- stage


def test_everyone_starts_at_entry(call, certs_app):
    place(certs_app)
    body = stage(call).json()
    assert body["stage"] == "entry" and body["stage_zh"] == "入門"
    assert body["rule"] == 5 and body["counted"] == []
    assert body["ai_hours"]["ai_hours"] == "0.00" and body["ai_hours_pulled_at"] is None


def test_six_stored_hours_three_advanced_is_advanced(call, certs_app):
    place(certs_app)
    year = today_taipei().year
    store_hours(certs_app, year, 300, 300)
    body = stage(call).json()
    assert body["stage"] == "advanced" and "3 basic + 3 advanced" in body["reason"]
    assert body["ai_hours"] == {
        "year": year,
        "ai_hours": "6.00",
        "ai_basic_hours": "3.00",
        "ai_advanced_hours": "3.00",
    }
    # Another year's hours do not count.
    assert stage(call, on=f"{year - 1}-06-01").json()["stage"] == "entry"


def test_a_project_technical_certificate_is_hands_on_from_its_verification(call, certs_app):
    certificate = verified(call, kind="project_technical", level="professional")
    body = stage(call).json()
    assert body["stage"] == "hands_on"
    assert [c["certificate_id"] for c in body["counted"]] == [certificate["id"]]
    assert body["counted"][0]["rules_level"] == "advanced"
    # The person is placed by the certificate's agency; before it was verified it
    # did not count.
    before = stage(call, on=(today_taipei() - timedelta(days=1)).isoformat()).json()
    assert before["stage"] == "entry" and before["valid_certificates"] == []


def test_an_intermediate_tool_certificate_needs_the_hours_for_hands_on(call, certs_app):
    verified(call, kind="tool", level="intermediate (中級)")
    assert stage(call).json()["stage"] == "advanced"
    store_hours(certs_app, today_taipei().year, 300, 300)
    assert stage(call).json()["stage"] == "hands_on"


def test_a_certificate_after_its_last_valid_day_no_longer_counts(call, certs_app):
    # Obtained 2026-03-01 for 36 months: lapses 2029-03-01, valid through 02-28.
    verified(call, kind="project_technical", level="professional", validity_months=36)
    assert stage(call, on="2029-02-28").json()["stage"] == "hands_on"
    assert stage(call, on="2029-03-01").json()["stage"] == "entry"


@pytest.mark.parametrize("on", ["2026-02-30", "yesterday", "1800-01-01"])
def test_a_bad_day_is_named(call, certs_app, on):
    place(certs_app)
    response = stage(call, on=on)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["query.on"]


@pytest.mark.parametrize("suffix", ["talent-stage", "readiness"])
@pytest.mark.parametrize(
    "principal, status",
    [
        (None, 401),
        (NOBODY, 403),
        (TALENT_HR_A02, 404),
        (TALENT_OTHER_SELF, 404),
        (TALENT_SELF, 200),
        (TALENT_HR_A01, 200),
    ],
    ids=["anonymous", "no-grant", "other-agency", "other-employee", "self", "officer"],
)
def test_access(call, certs_app, unreachable_training, suffix, principal, status):
    place(certs_app)
    response = call("GET", f"/persons/{PERSON}/{suffix}", principal)
    assert response.status_code == status, response.text


@pytest.mark.parametrize("suffix", ["talent-stage", "readiness"])
def test_a_person_the_service_has_no_record_of_is_not_found(call, unreachable_training, suffix):
    assert call("GET", f"/persons/P-GHOST/{suffix}", TALENT_HR_A01).status_code == 404
    # Not even another agency's employee's own page tells them apart.
    assert (
        call("GET", f"/persons/{HOLDER_A02['person_id']}/{suffix}", TALENT_HR_A01).status_code
        == 404
    )


# --------------------------------------------------------------- readiness


def use_training(certs_app: Any, factory: Callable[[], TrainingClient]) -> None:
    certs_app.dependency_overrides[live_training] = lambda: factory


@pytest.fixture
def live(certs_app, apps, client, internal_token) -> Iterator[Any]:
    """Readiness asks the real training app, as svc.certs."""
    token = internal_token(
        "training", sub="svc.certs", kind="service", permissions=["training:ai_hours:read"]
    )
    transport = client("training")._transport
    use_training(
        certs_app,
        lambda: TrainingClient("http://training", lambda _p: token, transport=transport, retries=0),
    )
    yield apps["training"]
    certs_app.dependency_overrides.pop(live_training, None)


class TimesOut(httpx.BaseTransport):
    """A training that never answers in time: every call ends in a read timeout."""

    def __init__(self) -> None:
        self.calls = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        raise httpx.ReadTimeout("timed out", request=request)


@pytest.fixture
def unreachable_training(certs_app) -> Iterator[TimesOut]:
    stub = TimesOut()
    use_training(
        certs_app,
        lambda: TrainingClient(
            "http://training", lambda _p: "token", transport=stub, timeout=0.2, retries=0
        ),
    )
    yield stub
    certs_app.dependency_overrides.pop(live_training, None)


def readiness(call: Call, principal: dict[str, Any] = TALENT_HR_A01, **params: Any) -> Any:
    response = call("GET", f"/persons/{PERSON}/readiness", principal, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_readiness_asks_training_live(call, certs_app, live):
    certificate = verified(call)
    year = today_taipei().year
    with batch_transaction(live.state.engine) as session:
        session.add(
            AiHours(
                person_id=PERSON, year=year, basic_centi=300, advanced_centi=125, changed_at=PULLED
            )
        )
    # A stale stored copy is not what a live answer gives.
    store_hours(certs_app, year, 100, 0)
    body = readiness(call)
    assert body["ai_hours_source"] == "training"
    assert (
        body["ai_hours"]["ai_hours"] == "4.25" and body["ai_hours"]["ai_advanced_hours"] == "1.25"
    )
    assert body["ai_hours_unavailable_reason"] is None and body["agency_code"] == "A01"
    assert [c["certificate_id"] for c in body["certificates"]] == [certificate["id"]]


def test_training_timing_out_still_gives_the_certificates(call, certs_app, unreachable_training):
    certificate = verified(call)
    body = readiness(call)
    assert unreachable_training.calls == 1
    assert body["ai_hours"] is None and body["ai_hours_source"] == "unavailable"
    assert "training" in body["ai_hours_unavailable_reason"]
    assert [c["certificate_id"] for c in body["certificates"]] == [certificate["id"]]


def test_training_down_falls_back_to_the_stored_copy_saying_so(
    call, certs_app, unreachable_training
):
    place(certs_app)
    store_hours(certs_app, today_taipei().year, 300, 300)
    body = readiness(call, TALENT_SELF)
    assert body["ai_hours_source"] == "stored"
    assert body["ai_hours"]["ai_hours"] == "6.00"
    assert datetime.fromisoformat(body["ai_hours_pulled_at"]) == PULLED
    assert body["ai_hours_unavailable_reason"]


def test_training_refusing_is_unavailable_too(call, certs_app):
    place(certs_app)

    def refuses(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            403,
            json={"detail": "only svc.certs"},
            headers={"content-type": "application/problem+json"},
        )

    use_training(
        certs_app,
        lambda: TrainingClient(
            "http://training", lambda _p: "t", transport=httpx.MockTransport(refuses), retries=0
        ),
    )
    try:
        body = readiness(call)
    finally:
        certs_app.dependency_overrides.pop(live_training, None)
    assert (
        body["ai_hours_source"] == "unavailable"
        and "svc.certs" in body["ai_hours_unavailable_reason"]
    )


def test_no_client_secret_is_unavailable_with_the_setting_named(call, certs_app, settings):
    place(certs_app)
    certs_app.state.live_training = None
    settings_secret = (settings.client_secret, settings.client_secret_file)
    settings.client_secret, settings.client_secret_file = None, None
    try:
        body = readiness(call)
    finally:
        settings.client_secret, settings.client_secret_file = settings_secret
        certs_app.state.live_training = None
    assert body["ai_hours_source"] == "unavailable"
    assert "CERTS_CLIENT_SECRET" in body["ai_hours_unavailable_reason"]


def test_readiness_counts_certificates_valid_on_the_day(call, certs_app, unreachable_training):
    verified(call, validity_months=12)
    assert readiness(call, on="2027-02-28")["certificates"]
    assert readiness(call, on="2027-03-01")["certificates"] == []
    assert readiness(call, on=date(2026, 1, 1).isoformat())["certificates"] == []
