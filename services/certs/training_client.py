"""The certs service's client of training's AI-hours feed (`GET /api/training/ai-hours`).

The nightly pull runs as the certs service's own account `svc.certs` (client
credentials at the gateway, `services.common.service_identity`), through the
gateway's public path like any client. Every call has a timeout; a GET is
retried on a connection failure or a 502/503/504 (`services.common.peers`).
When training cannot answer — a timeout, a connection refused, a 5xx, an
answer that is not the feed's shape — the call raises `TrainingUnavailable`
(a 503 problem when it reaches a request), so a caller can say that training
could not be reached and go on with what it has. A refusal (401, 403, 422) is
not unavailability: it raises `PeerError` with training's detail.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

import httpx

from services.common.errors import ServiceUnavailable
from services.common.peers import JOB_RATE_LIMIT_WAIT_SECONDS, PeerClient, TokenProvider
from services.common.service_identity import ServiceIdentity, ServiceIdentityError
from services.common.settings import ServiceSettings

PEER = "training"
FEED_PATH = "/ai-hours"
PERSON_PATH = "/ai-hours/persons/{person_id}"
# Per call: a page of 5,000 answers well within this on a loaded server.
TIMEOUT_SECONDS = 10.0
PAGE_SIZE = 5000


class TrainingUnavailable(ServiceUnavailable):
    """Training could not be reached or did not answer properly."""


@dataclass(frozen=True, slots=True)
class AiHoursEntry:
    person_id: str
    year: int
    ai_hours: Decimal
    ai_basic_hours: Decimal
    ai_advanced_hours: Decimal
    changed_at: datetime
    # Where training's roster places the person; None when it does not list them.
    agency_code: str | None = None
    unit_id: str | None = None


@dataclass(frozen=True, slots=True)
class PersonAiHours:
    """One person's AI hours of one year, asked live."""

    person_id: str
    year: int
    ai_hours: Decimal
    ai_basic_hours: Decimal
    ai_advanced_hours: Decimal
    changed_at: datetime | None


@dataclass(frozen=True, slots=True)
class AiHoursPage:
    entries: tuple[AiHoursEntry, ...]
    next_cursor: str | None
    until: datetime | None  # pass as the next pull's changed_since


def _aware(value: Any) -> datetime:
    moment = datetime.fromisoformat(str(value))
    if moment.utcoffset() is None:
        raise ValueError("a timestamp without an offset")
    return moment


def _entry(item: Any) -> AiHoursEntry:
    return AiHoursEntry(
        person_id=str(item["person_id"]),
        year=int(item["year"]),
        ai_hours=Decimal(str(item["ai_hours"])),
        ai_basic_hours=Decimal(str(item["ai_basic_hours"])),
        ai_advanced_hours=Decimal(str(item["ai_advanced_hours"])),
        changed_at=_aware(item["changed_at"]),
        agency_code=_optional_text(item.get("agency_code")),
        unit_id=_optional_text(item.get("unit_id")),
    )


def _optional_text(value: Any) -> str | None:
    return None if value is None else str(value)


def _page(body: Any) -> AiHoursPage:
    try:
        entries = tuple(_entry(item) for item in body["items"])
        cursor = body.get("next_cursor")
        until = body.get("until")
        return AiHoursPage(
            entries,
            None if cursor is None else str(cursor),
            None if until is None else _aware(until),
        )
    except (KeyError, TypeError, ValueError, InvalidOperation, AttributeError):
        # Never the body itself: it lists persons.
        raise TrainingUnavailable("the training service answered the AI-hours feed oddly") from None


class TrainingClient:
    """Training's feed, for the certs service's jobs."""

    def __init__(
        self,
        base_url: str,
        tokens: TokenProvider,
        *,
        timeout: float = TIMEOUT_SECONDS,
        transport: httpx.BaseTransport | None = None,
        retries: int = 2,
        rate_limit_wait: float = JOB_RATE_LIMIT_WAIT_SECONDS,
    ) -> None:
        # A job's client: a page the gateway's limits refuse is asked again
        # when its Retry-After says, not lost to the pull.
        self._peer = PeerClient(
            PEER,
            base_url,
            tokens,
            transport=transport,
            timeout=timeout,
            retries=retries,
            rate_limit_wait=rate_limit_wait,
        )

    @classmethod
    def from_settings(
        cls,
        settings: ServiceSettings,
        *,
        timeout: float = TIMEOUT_SECONDS,
        transport: httpx.BaseTransport | None = None,
        identity: ServiceIdentity | None = None,
        retries: int = 2,
    ) -> TrainingClient:
        """As the service's own account, through the gateway's public path."""
        identity = identity or ServiceIdentity.from_settings(settings, transport=transport)
        return cls(
            f"{settings.gateway_url.rstrip('/')}/api/{PEER}",
            identity,
            timeout=timeout,
            transport=transport,
            retries=retries,
        )

    def ai_hours_page(
        self,
        changed_since: datetime | None = None,
        *,
        cursor: str | None = None,
        limit: int = PAGE_SIZE,
    ) -> AiHoursPage:
        """One page of the feed: AI hours changed after `changed_since`."""
        params: dict[str, Any] = {"limit": limit}
        if changed_since is not None:
            if changed_since.utcoffset() is None:
                raise ValueError("changed_since: a timezone is required")
            params["changed_since"] = changed_since.isoformat()
        if cursor is not None:
            params["cursor"] = cursor
        try:
            response = self._peer.request("GET", FEED_PATH, params=params)
        except ServiceUnavailable as exc:
            # Timeouts and refused connections (after the retries), and 5xx.
            raise TrainingUnavailable(
                exc.detail or "the training service cannot be reached"
            ) from None
        try:
            body = self._peer.json_or_raise(response)
        except ValueError:
            raise TrainingUnavailable("the training service answered with no JSON") from None
        return _page(body)

    def person_ai_hours(self, person_id: str, year: int) -> PersonAiHours:
        """One person's AI hours of `year` (the service-only single-person read)."""
        try:
            response = self._peer.request(
                "GET",
                PERSON_PATH.format(person_id=quote(person_id, safe="")),
                params={"year": year},
            )
        except ServiceUnavailable as exc:
            raise TrainingUnavailable(
                exc.detail or "the training service cannot be reached"
            ) from None
        try:
            body = self._peer.json_or_raise(response)
        except ValueError:
            raise TrainingUnavailable("the training service answered with no JSON") from None
        try:
            changed = body.get("changed_at")
            return PersonAiHours(
                person_id=str(body["person_id"]),
                year=int(body["year"]),
                ai_hours=Decimal(str(body["ai_hours"])),
                ai_basic_hours=Decimal(str(body["ai_basic_hours"])),
                ai_advanced_hours=Decimal(str(body["ai_advanced_hours"])),
                changed_at=None if changed is None else _aware(changed),
            )
        except (KeyError, TypeError, ValueError, InvalidOperation, AttributeError):
            raise TrainingUnavailable(
                "the training service answered the AI-hours read oddly"
            ) from None

    def ai_hours_changed_since(
        self, changed_since: datetime | None, *, limit: int = PAGE_SIZE
    ) -> Iterator[AiHoursPage]:
        """Every page of one pull, in order; the last page's `until` is where the
        next pull starts. A failure on any page raises `TrainingUnavailable`, and
        the caller keeps the `changed_since` it had, so nothing is lost."""
        page = self.ai_hours_page(changed_since, limit=limit)
        yield page
        while page.next_cursor is not None:
            page = self.ai_hours_page(changed_since, cursor=page.next_cursor, limit=limit)
            yield page

    def close(self) -> None:
        self._peer.close()

    def __enter__(self) -> TrainingClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


# The readiness view waits this long for training, once, then answers without it.
LIVE_TIMEOUT_SECONDS = 2.0


class LiveTraining:
    """Training clients for requests that ask training live (the readiness view),
    as the service's own account: the identity (and its cached token) is made
    once, on first use, and kept for the app's life."""

    def __init__(self, settings: ServiceSettings, *, timeout: float = LIVE_TIMEOUT_SECONDS) -> None:
        self._settings = settings
        self._timeout = timeout
        self._identity: ServiceIdentity | None = None

    def __call__(self) -> TrainingClient:
        if self._identity is None:
            try:
                self._identity = ServiceIdentity.from_settings(self._settings)
            except ServiceIdentityError as exc:
                raise TrainingUnavailable(str(exc)) from None
        return TrainingClient.from_settings(
            self._settings, timeout=self._timeout, identity=self._identity, retries=0
        )
