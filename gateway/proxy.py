"""Forwarding to services: pooled keep-alive connections, bodies streamed both ways.

What every forwarder shares (the body cap, the problems for a service that is
down or slow, which answer headers are copied), and two general-purpose
forwarders: aiohttp, selectable, and httpx, which serves tests that plug an
in-process transport into it. The default is the gateway's own HTTP/1.1
client, `gateway.h1_forwarder`, measured against both in benchmarks/gateway.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

import aiohttp
import httpx
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from yarl import URL

from gateway.settings import GatewaySettings
from services.common.errors import Problem

# Response headers that describe one hop, not the resource.
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
    }
)
# Responses up to this size are read whole: cheaper than streaming them.
_SMALL_BODY = 64 * 1024


class BodyTooLarge(Problem):
    status, slug, title = 413, "payload-too-large", "Request body too large"


def upstream_timeout() -> Problem:
    return Problem(
        "the service did not answer in time",
        status=504,
        slug="gateway-timeout",
        title="Upstream timed out",
    )


def upstream_down() -> Problem:
    return Problem(
        "the service is unavailable",
        status=503,
        slug="service-unavailable",
        title="Service unavailable",
    )


class _CappedBody:
    """The request body as it arrives, refused the moment it passes `limit`.

    Remembers that it refused, because a client library may wrap the exception
    raised inside its body writer into a connection error of its own."""

    def __init__(self, request: Request, limit: int) -> None:
        self._request = request
        self._limit = limit
        self.exceeded = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        seen = 0
        async for chunk in self._request.stream():
            seen += len(chunk)
            if seen > self._limit:
                self.exceeded = True
                raise BodyTooLarge(f"request body exceeds {self._limit} bytes")
            if chunk:
                yield chunk


def _declared_body(request: Request, limit: int) -> tuple[bool, str | None]:
    """Refuse early on a declared oversize body; return whether a body is
    expected and the declared Content-Length (the first, as the server read it).

    Read from the scope's raw headers (the server lower-cases their names)
    rather than through a `Headers` object built for every request."""
    declared: str | None = None
    encoding: str | None = None
    for name, value in request.scope["headers"]:
        if name == b"content-length" and declared is None:
            declared = value.decode("latin-1")
        elif name == b"transfer-encoding" and encoding is None:
            encoding = value.decode("latin-1")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"request body exceeds {limit} bytes")
    chunked = encoding is not None and "chunked" in encoding.lower()
    return chunked or (declared is not None and declared != "0"), declared


def _check_declared_length(request: Request, limit: int) -> bool:
    """Refuse early on a declared oversize body; return whether a body is expected."""
    return _declared_body(request, limit)[0]


# Stamped by the server that sends the response: the gateway's own server adds
# its `date` (and no `server`); the upstream's would make them twice.
_SERVER_STAMPED = frozenset({"date", "server"})
# The gateway's front sets the request id on every answer, once.
_NOT_COPIED = _HOP_BY_HOP | _SERVER_STAMPED | {"x-request-id"}


def _response_headers(raw: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    return [(k, v) for k, v in raw if k.decode("latin-1").lower() not in _NOT_COPIED]


class Forwarder(Protocol):
    async def forward(
        self,
        request: Request,
        *,
        url: str,
        headers: list[tuple[bytes, bytes]],
        max_body_bytes: int,
    ) -> Response: ...

    async def get_status(self, url: str, timeout: float) -> int | None: ...

    async def aclose(self) -> None: ...


class AiohttpForwarder:
    def __init__(self, settings: GatewaySettings) -> None:
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                limit=settings.max_connections, ttl_dns_cache=300, enable_cleanup_closed=True
            ),
            timeout=aiohttp.ClientTimeout(
                total=None,
                sock_connect=settings.upstream_connect_timeout,
                sock_read=settings.upstream_read_timeout,
            ),
            auto_decompress=False,
            # Only the headers we pass: no default User-Agent, Accept, etc.
            skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
        )

    async def forward(
        self,
        request: Request,
        *,
        url: str,
        headers: list[tuple[bytes, bytes]],
        max_body_bytes: int,
    ) -> Response:
        has_body = _check_declared_length(request, max_body_bytes)
        str_headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers]
        body = _CappedBody(request, max_body_bytes)
        try:
            upstream = await self._session.request(
                request.method,
                # encoded=True: forward exactly the path that was authorised.
                URL(url, encoded=True),
                headers=str_headers,
                data=body.__aiter__() if has_body else None,
                allow_redirects=False,
            )
        except BodyTooLarge:
            raise
        except TimeoutError:
            raise upstream_timeout() from None
        except aiohttp.ClientError:
            if body.exceeded:
                raise BodyTooLarge(f"request body exceeds {max_body_bytes} bytes") from None
            raise upstream_down() from None
        raw = _response_headers(list(upstream.raw_headers))
        length = upstream.content_length
        if length is not None and length <= _SMALL_BODY:
            try:
                content = await upstream.read()
            except TimeoutError:
                raise upstream_timeout() from None
            finally:
                upstream.release()
            response = Response(content, status_code=upstream.status)
            response.raw_headers = [*raw, (b"content-length", str(len(content)).encode())]
            return response
        streamed = StreamingResponse(
            upstream.content.iter_any(),
            status_code=upstream.status,
            background=BackgroundTask(upstream.release),
        )
        streamed.raw_headers = raw
        return streamed

    async def get_status(self, url: str, timeout: float) -> int | None:
        try:
            async with self._session.get(url, timeout=aiohttp.ClientTimeout(total=timeout)) as r:
                return r.status
        except (aiohttp.ClientError, TimeoutError):
            return None

    async def aclose(self) -> None:
        await self._session.close()


class HttpxForwarder:
    def __init__(
        self, settings: GatewaySettings, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(
                settings.upstream_read_timeout, connect=settings.upstream_connect_timeout
            ),
            limits=httpx.Limits(
                max_connections=settings.max_connections,
                max_keepalive_connections=settings.max_connections,
            ),
            follow_redirects=False,
            transport=transport,
        )

    async def forward(
        self,
        request: Request,
        *,
        url: str,
        headers: list[tuple[bytes, bytes]],
        max_body_bytes: int,
    ) -> Response:
        has_body = _check_declared_length(request, max_body_bytes)
        upstream_request = self.client.build_request(
            request.method,
            url,
            headers=headers,
            content=_CappedBody(request, max_body_bytes).__aiter__() if has_body else None,
        )
        try:
            upstream = await self.client.send(upstream_request, stream=True)
        except BodyTooLarge:
            raise
        except httpx.TimeoutException:
            raise upstream_timeout() from None
        except httpx.TransportError:
            raise upstream_down() from None
        response = StreamingResponse(
            upstream.aiter_raw(),
            status_code=upstream.status_code,
            background=BackgroundTask(upstream.aclose),
        )
        response.raw_headers = _response_headers(list(upstream.headers.raw))
        return response

    async def get_status(self, url: str, timeout: float) -> int | None:
        try:
            return (await self.client.get(url, timeout=timeout)).status_code
        except httpx.HTTPError:
            return None

    async def aclose(self) -> None:
        await self.client.aclose()
