"""Calling another service: typed clients build on `PeerClient`.

A call made on a person's behalf carries that person's principal: the service
exchanges the internal token it received for one addressed to the peer, at the
gateway (`POST /internal/token-exchange`), which alone holds the signing key
and decides which service may call which.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from services.common.errors import Problem, ServiceUnavailable
from services.common.request_context import current_request_id

# Given the peer's name, return a bearer token addressed to it.
TokenProvider = Callable[[str], str]
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
# How long one request of a job (a service's own account) may wait in all on the
# gateway's 429s: its limits are per minute, and a sliding window's Retry-After
# is at most two periods. A request on a person's behalf does not wait (0).
JOB_RATE_LIMIT_WAIT_SECONDS = 180.0


def retry_after(response: httpx.Response) -> float:
    """The seconds a 429 asks to wait (`Retry-After` in seconds; 1 when absent
    or given as a date, which the gateway never sends)."""
    value = response.headers.get("retry-after", "").strip()
    return float(value) if value.isdigit() else 1.0


def pause(seconds: float) -> None:
    """Wait as the gateway asked (replaced in tests by a clock that advances)."""
    time.sleep(seconds)


class PeerError(Problem):
    """The peer refused the request; its status and detail are passed on."""


class PeerClient:
    def __init__(
        self,
        peer: str,
        base_url: str,
        tokens: TokenProvider,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 5.0,
        retries: int = 2,
        rate_limit_wait: float = 0.0,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        """`rate_limit_wait`: how long in all one idempotent request may wait
        on 429s, as their `Retry-After` asks, before the 429 is its answer (a
        job's reads are paced by the gateway's limits instead of failing)."""
        self.peer = peer
        self._tokens = tokens
        self._retries = retries
        self._rate_limit_wait = rate_limit_wait
        self._sleep = sleep
        # Seconds this client has waited on 429s, for a job's summary.
        self.rate_limit_waited = 0.0
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"), timeout=timeout, transport=transport
        )

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        waited = 0.0
        while True:
            response = self._attempts(method, path, **kwargs)
            if response.status_code != 429 or method.upper() not in IDEMPOTENT:
                return response
            wait = retry_after(response)
            if waited + wait > self._rate_limit_wait:
                return response
            (self._sleep or pause)(wait)
            waited += wait
            self.rate_limit_waited += wait

    def _attempts(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        # Asked afresh each time: a wait on a 429 may outlast the token.
        headers["Authorization"] = f"Bearer {self._tokens(self.peer)}"
        rid = current_request_id()
        if rid:
            headers["X-Request-ID"] = rid
        # Retry only what is safe to repeat; a POST may have been applied.
        attempts = 1 + (self._retries if method.upper() in IDEMPOTENT else 0)
        for attempt in range(attempts):
            try:
                response = self._client.request(method, path, headers=headers, **kwargs)
            except httpx.TransportError:
                if attempt + 1 < attempts:
                    continue
                raise ServiceUnavailable(f"the {self.peer} service cannot be reached") from None
            if response.status_code in (502, 503, 504) and attempt + 1 < attempts:
                continue
            if response.status_code >= 500:
                raise ServiceUnavailable(f"the {self.peer} service failed ({response.status_code})")
            return response
        raise ServiceUnavailable(f"the {self.peer} service cannot be reached")

    def json_or_raise(self, response: httpx.Response) -> Any:
        if response.status_code < 400:
            return response.json()
        detail = None
        if response.headers.get("content-type", "").startswith("application/problem+json"):
            detail = response.json().get("detail")
        raise PeerError(
            detail or f"the {self.peer} service answered {response.status_code}",
            status=response.status_code if response.status_code in (404, 409, 422) else 502,
            slug=f"{self.peer}-refused",
            title=f"The {self.peer} service refused the request",
        )

    def close(self) -> None:
        self._client.close()


class GatewayTokenExchange:
    """Token provider for a request: exchanges the caller's internal token."""

    def __init__(
        self,
        gateway_url: str,
        incoming_token: str,
        timeout: float = 3.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._url = gateway_url.rstrip("/") + "/internal/token-exchange"
        self._incoming = incoming_token
        self._timeout = timeout
        self._transport = transport
        self._cache: dict[str, tuple[float, str]] = {}

    def __call__(self, peer: str) -> str:
        hit = self._cache.get(peer)
        now = time.monotonic()
        if hit is not None and hit[0] > now:
            return hit[1]
        try:
            with httpx.Client(timeout=self._timeout, transport=self._transport) as client:
                response = client.post(
                    self._url,
                    json={"audience": peer},
                    headers={"Authorization": f"Bearer {self._incoming}"},
                )
        except httpx.TransportError:
            raise ServiceUnavailable("the gateway cannot be reached for a peer token") from None
        if response.status_code != 200:
            raise ServiceUnavailable(f"the gateway refused a token for {peer}")
        body = response.json()
        token = str(body["access_token"])
        self._cache[peer] = (now + max(1, int(body.get("expires_in", 20)) - 5), token)
        return token


class PeerSet:
    """The peer clients of one request, opened lazily so that a request that
    calls no peer exchanges no token; a service subclasses it with one typed
    accessor per peer (`DirectoryClient(self.client("directory"))`)."""

    def __init__(
        self,
        urls: Mapping[str, str],
        tokens: TokenProvider,
        transports: Mapping[str, httpx.BaseTransport] | None = None,
        timeout: float = 5.0,
    ) -> None:
        self._urls = dict(urls)
        self._tokens = tokens
        self._transports = dict(transports or {})
        self._timeout = timeout
        self._open: list[PeerClient] = []

    def client(self, peer: str) -> PeerClient:
        url = self._urls.get(peer)
        if not url:
            raise ServiceUnavailable(f"the {peer} service is not configured")
        opened = PeerClient(
            peer, url, self._tokens, transport=self._transports.get(peer), timeout=self._timeout
        )
        self._open.append(opened)
        return opened

    def close(self) -> None:
        for opened in self._open:
            opened.close()
        self._open.clear()
