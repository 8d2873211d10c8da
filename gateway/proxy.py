"""Forwarding to services: pooled keep-alive connections, bodies streamed both ways."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import StreamingResponse

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


class BodyTooLarge(Problem):
    status, slug, title = 413, "payload-too-large", "Request body too large"


def make_client(settings: GatewaySettings) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(
            settings.upstream_read_timeout, connect=settings.upstream_connect_timeout
        ),
        limits=httpx.Limits(
            max_connections=settings.max_connections,
            max_keepalive_connections=settings.max_connections,
        ),
        follow_redirects=False,
    )


async def _capped(request: Request, limit: int) -> AsyncIterator[bytes]:
    """The request body as it arrives, refused the moment it passes `limit`."""
    seen = 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen > limit:
            raise BodyTooLarge(f"request body exceeds {limit} bytes")
        if chunk:
            yield chunk


async def forward(
    client: httpx.AsyncClient,
    request: Request,
    *,
    url: str,
    headers: list[tuple[bytes, bytes]],
    max_body_bytes: int,
) -> StreamingResponse:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_body_bytes:
        raise BodyTooLarge(f"request body exceeds {max_body_bytes} bytes")
    has_body = request.method not in ("GET", "HEAD", "OPTIONS") or declared not in (None, "0")
    upstream_request = client.build_request(
        request.method,
        url,
        headers=headers,
        content=_capped(request, max_body_bytes) if has_body else None,
    )
    try:
        upstream = await client.send(upstream_request, stream=True)
    except BodyTooLarge:
        raise
    except httpx.TimeoutException:
        raise Problem(
            "the service did not answer in time",
            status=504,
            slug="gateway-timeout",
            title="Upstream timed out",
        ) from None
    except httpx.TransportError:
        raise Problem(
            "the service is unavailable",
            status=503,
            slug="service-unavailable",
            title="Service unavailable",
        ) from None
    response_headers = [
        (k, v) for k, v in upstream.headers.raw if k.decode("latin-1").lower() not in _HOP_BY_HOP
    ]
    response = StreamingResponse(
        upstream.aiter_raw(),
        status_code=upstream.status_code,
        background=BackgroundTask(upstream.aclose),
    )
    response.raw_headers = response_headers
    return response
