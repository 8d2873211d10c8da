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

import httpx

from services.common.errors import ServiceUnavailable
from services.common.peers import PeerClient, TokenProvider
from services.common.service_identity import ServiceIdentity
from services.common.settings import ServiceSettings

PEER = "training"
FEED_PATH = "/ai-hours"
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
    )


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
    ) -> None:
        self._peer = PeerClient(PEER, base_url, tokens, transport=transport, timeout=timeout)

    @classmethod
    def from_settings(
        cls,
        settings: ServiceSettings,
        *,
        timeout: float = TIMEOUT_SECONDS,
        transport: httpx.BaseTransport | None = None,
    ) -> TrainingClient:
        """As the service's own account, through the gateway's public path."""
        identity = ServiceIdentity.from_settings(settings, transport=transport)
        return cls(
            f"{settings.gateway_url.rstrip('/')}/api/{PEER}",
            identity,
            timeout=timeout,
            transport=transport,
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
