"""The gateway's one outer ASGI callable: what every request passes before the
proxy or the gateway's own endpoints see it.

In one frame, in this order: the request id (the caller's when well-formed,
else a new one; bound for the logs and the error shape, echoed on the answer),
the size of the request headers (431), and the source address with the
gateway's allow-list (403, the refused address audited). Then `/api/...` goes
to the proxy, which returns its answer (and has written its audit row), and
everything else to the FastAPI app of the gateway's own endpoints, whose
decisions are audited here once the answer is sent.

One frame rather than a stack of middleware: each layer of the stack wrapped
`send` in a closure of its own and every request paid for five of them, a
sixth of the gateway's CPU a request. The proxied answer is a Response whose
headers get the request id once, before it is sent; no wrapper of `send`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from gateway.audit import OPEN_PATHS, OPEN_PREFIXES, AuditWriter
from gateway.decision_notes import AUDIT_STATE_KEY
from gateway.proxy_handler import ProxyHandler
from gateway.settings import GatewaySettings
from gateway.source_ip import (
    CLIENT_IP_KEY,
    CLIENT_IP_TEXT_KEY,
    ClientIpRejected,
    SourceAddresses,
)
from services.common.errors import problem_response, unexpected_error_response
from services.common.request_context import (
    accept_request_id,
    bind_request_id,
    reset_request_id,
)

log = logging.getLogger("renshi.gateway.audit")

_REQUEST_ID = b"x-request-id"


class GatewayFront:
    def __init__(
        self,
        api: FastAPI,
        proxy: ProxyHandler,
        settings: GatewaySettings,
        audit_writer: Callable[[], AuditWriter | None],
    ) -> None:
        self.api = api
        self.proxy = proxy
        self.audit_writer = audit_writer
        self.max_header_bytes = settings.max_header_bytes
        self.sources = SourceAddresses(
            allowed=settings.allowed_networks, trusted_proxies=settings.trusted_proxies
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            # The lifespan (and a websocket, which the app refuses).
            await self.api(scope, receive, send)
            return
        started = time.perf_counter()
        # One pass over the headers for all three checks.
        incoming: str | None = None
        forwarded: list[str] = []
        size = 0
        for name, value in scope["headers"]:
            size += len(name) + len(value) + 4
            if name == _REQUEST_ID:
                if incoming is None:
                    incoming = value.decode("latin-1")
            elif name == b"x-forwarded-for":
                forwarded.append(value.decode("latin-1"))
        rid = accept_request_id(incoming)
        token = bind_request_id(rid)
        try:
            peer = (scope.get("client") or ("", 0))[0]
            if size > self.max_header_bytes:
                refusal = problem_response(
                    431, detail=f"request headers exceed {self.max_header_bytes} bytes"
                )
                await self._refuse(scope, receive, send, refusal, rid, peer, started)
                return
            try:
                ip, text, allowed = self.sources.resolve(peer, tuple(forwarded))
            except ClientIpRejected as exc:
                refusal = problem_response(403, detail=f"source address refused: {exc.reason}")
                await self._refuse(scope, receive, send, refusal, rid, peer, started)
                return
            if not allowed:
                # The refused address, for the audit row (the peer may be a proxy).
                refusal = problem_response(403, detail="source address is not on the allow-list")
                await self._refuse(scope, receive, send, refusal, rid, text, started)
                return
            if scope["path"].startswith("/api/"):
                try:
                    response = await self.proxy.answer(scope, receive, ip, text, started)
                except Exception as exc:
                    # The proxy answers its own errors; this is what escaped it.
                    response = unexpected_error_response(exc)
                    await self._audit(rid, text, scope["method"], None, 500, started)
                response.raw_headers.append((_REQUEST_ID, rid.encode()))
                # An error while a streamed answer is sent propagates: its status
                # line is out, and the server cuts the connection.
                await response(scope, receive, send)
            else:
                state = scope.setdefault("state", {})
                state[CLIENT_IP_KEY] = ip
                state[CLIENT_IP_TEXT_KEY] = text
                await self._own(scope, receive, send, rid, text, started)
        finally:
            reset_request_id(token)

    async def _refuse(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        response: Response,
        rid: str,
        source: str,
        started: float,
    ) -> None:
        """A refusal before the request reached the proxy or the app: sent, then audited."""
        response.raw_headers.append((_REQUEST_ID, rid.encode()))
        await response(scope, receive, send)
        await self._audit(rid, source, scope["method"], None, response.status_code, started)

    async def _own(
        self, scope: Scope, receive: Receive, send: Send, rid: str, source: str, started: float
    ) -> None:
        """The gateway's own endpoints: the request id on the answer, and the
        decision audited unless the endpoint wrote its row itself."""
        status: int | None = None
        rid_header = (_REQUEST_ID, rid.encode())

        async def send_own(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = message.get("headers", [])
                kept = [(k, v) for k, v in headers if k.lower() != _REQUEST_ID]
                kept.append(rid_header)
                message["headers"] = kept
            await send(message)

        try:
            await self.api(scope, receive, send_own)
        except Exception as exc:
            if status is not None:
                raise
            # Here rather than by Starlette's outermost error middleware, so the
            # 500 still carries the request id and the problem+json shape.
            await unexpected_error_response(exc)(scope, receive, send_own)
            status = 500
        finally:
            await self._audit_own(scope, rid, source, 500 if status is None else status, started)

    async def _audit_own(
        self, scope: Scope, rid: str, source: str, status: int, started: float
    ) -> None:
        state = scope.get("state") or {}
        noted: dict[str, Any] = state.get(AUDIT_STATE_KEY) or {}
        if noted.get("recorded"):
            return
        path = scope["path"]
        if (path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)) and not 400 <= status < 500:
            return
        route = noted.get("route") or getattr(scope.get("route"), "path", None)
        await self._audit(
            rid,
            source,
            scope["method"],
            route,
            status,
            started,
            subject=noted.get("subject"),
            account_kind=noted.get("account_kind"),
        )

    async def _audit(
        self,
        rid: str,
        source: str,
        method: str,
        route: str | None,
        status: int,
        started: float,
        *,
        subject: str | None = None,
        account_kind: str | None = None,
    ) -> None:
        writer = self.audit_writer()
        if writer is None:  # not started, or stopped: no request is served then
            log.error("decision not audited: the gateway is not running")
            return
        await writer.record_row(
            (
                time.time(),
                rid,
                subject,
                account_kind,
                source[:64],
                str(method)[:16],
                route,
                "allow" if status < 400 else "deny",
                status,
                round((time.perf_counter() - started) * 1000, 2),
            )
        )
