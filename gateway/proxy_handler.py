"""The hot path: `/api/<service>/...` requests, authorised and forwarded.

A plain handler called by the gateway's front (`gateway.front`) rather than a
FastAPI route: the gateway does the same few steps for every request and
FastAPI's routing and dependency machinery cost more than the steps
themselves. It returns its answer; the front sends it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope

from gateway.internal_tokens import InternalSigner
from gateway.ip_lists import AllowListCache
from gateway.permissions import grants
from gateway.policies.peers import service_may_call, service_only
from gateway.rate_limits import RateLimits
from gateway.runtime import Runtime
from gateway.security.client_ip import IPAddress
from gateway.security.identity_headers import strip_identity_headers
from gateway.security.jwt_headers import JwtRejected, token_from_request
from gateway.security.paths import PathRejected, RouteMatch, RouteTable, check_path
from gateway.settings import GatewaySettings
from services.common.errors import (
    Forbidden,
    NotFound,
    Problem,
    Unauthorized,
    problem_response,
    unexpected_error_response,
)
from services.common.request_context import current_request_id

log = logging.getLogger("renshi.gateway.decisions")
# Request lines remembered by the route cache; cleared when full.
_MAX_ROUTED = 4096


class ProxyHandler:
    def __init__(
        self,
        settings: GatewaySettings,
        routes: RouteTable,
        signer: InternalSigner,
        runtime: Callable[[], Runtime],
        allow_lists: AllowListCache,
        rate_limits: RateLimits,
    ) -> None:
        self.settings = settings
        self.routes = routes
        self.signer = signer
        self.runtime = runtime
        self.allow_lists = allow_lists
        self.rate_limits = rate_limits
        # (method, raw path) → (canonical path, route or None): both are pure
        # functions of the request line and the fixed route table, and checking
        # and matching cost a tenth of a request's CPU. Refused paths are not
        # kept (they raise each time).
        self._routed: dict[tuple[str, bytes], tuple[str, RouteMatch | None]] = {}

    async def answer(
        self, scope: Scope, receive: Receive, client_ip: IPAddress, client_text: str, started: float
    ) -> Response:
        """The answer to an `/api/...` request from `client_ip` (already admitted by
        the gateway's allow-list; `client_text` is its text), with its audit row
        written. Refusals and errors are answers too: nothing escapes but a bug."""
        outcome: dict[str, Any] = {
            "decision": "deny",
            "route": None,
            "subject": None,
            "account_kind": None,
            "status": None,
            # Only validated, non-personal values: the log formatter may skip its scan.
            "_structured": True,
        }
        request = Request(scope, receive)
        response: Response
        try:
            response = await self._authorise_and_forward(request, outcome, client_ip, client_text)
            outcome["decision"] = "allow"
        except Problem as exc:
            response = problem_response(
                exc.status,
                detail=exc.detail,
                slug=exc.slug,
                title=exc.title,
                errors=exc.errors,
                headers=exc.headers,
                extra=exc.extra,
            )
        except Exception as exc:
            # Still one audit row and a problem+json answer for the unexpected.
            response = unexpected_error_response(exc)
        outcome["status"] = response.status_code
        outcome["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)
        outcome["method"] = scope["method"]
        outcome["source_ip"] = client_text
        # The audit table holds every decision; the log repeats refusals (what an
        # operator watches for) and leaves allowed requests to DEBUG, where
        # formatting a line per request would cost more than the forwarding.
        level = logging.DEBUG if outcome["decision"] == "allow" else logging.INFO
        if log.isEnabledFor(level):
            log.log(level, "gateway decision", extra=outcome)
        # The row as a tuple in the table's order: no second dict per request.
        await self.runtime().audit.record_row(
            (
                time.time(),
                current_request_id(),
                outcome["subject"],
                outcome["account_kind"],
                client_text,
                outcome["method"],
                outcome["route"],
                outcome["decision"],
                outcome["status"],
                outcome["latency_ms"],
            )
        )
        return response

    async def _authorise_and_forward(
        self, request: Request, outcome: dict[str, Any], client_ip: IPAddress, client_text: str
    ) -> Response:
        scope = request.scope
        await self.rate_limits.check_ip(client_text)
        raw_path = scope.get("raw_path") or scope["path"].encode()
        key = (scope["method"], raw_path)
        known = self._routed.get(key)
        if known is None:
            try:
                path = check_path(raw_path)
            except PathRejected as exc:
                raise Problem(f"path refused: {exc.reason}", status=400) from None
            if len(self._routed) >= _MAX_ROUTED:
                self._routed.clear()
            known = self._routed[key] = (path, self.routes.lookup(scope["method"], path))
        path, match = known
        if match is None:
            raise NotFound("no such operation")
        outcome["route"] = match.template
        try:
            token = token_from_request(scope["headers"], scope.get("query_string", b""))
        except JwtRejected as exc:
            raise Unauthorized(exc.reason) from None
        runtime = self.runtime()
        auth = await runtime.authenticator.authenticate(token)
        principal = auth.principal
        outcome["subject"], outcome["account_kind"] = principal.sub, principal.kind
        await self.rate_limits.check_principal(principal.sub)
        check_account_network(
            client_ip, self.allow_lists, auth.account.allowed_networks, auth.account.kind
        )
        if not grants(principal.permissions, match.permission):
            raise Forbidden(f"requires permission {match.permission}")
        if principal.kind == "service" and not service_may_call(
            principal.sub, scope["method"], match.template
        ):
            # A component's own account reaches only what its jobs are listed for.
            raise Forbidden("the peer policy does not let this service call this operation")
        if principal.kind != "service" and service_only(scope["method"], match.template):
            raise Forbidden("only a service's own account may call this operation")
        service = path.split("/", 3)[2]
        base = self.settings.service_urls.get(service)
        if base is None:
            raise NotFound("no such service")
        internal = self.signer.for_request(principal, service, auth.fingerprint)
        headers = [
            (k, v) for k, v in strip_identity_headers(list(scope["headers"])) if k != b"host"
        ]
        headers.append((b"authorization", b"Bearer " + internal.encode()))
        headers.append((b"x-request-id", current_request_id().encode()))
        headers.append((b"x-forwarded-for", client_text.encode()))
        query = scope.get("query_string", b"").decode("latin-1")
        url = base.rstrip("/") + path[len(service) + 5 :] + (f"?{query}" if query else "")
        response = await runtime.forwarder.forward(
            request, url=url, headers=headers, max_body_bytes=self.settings.max_body_bytes
        )
        # Allowed: which family the account used today, for the account review
        # (a set insertion; sent to the directory in the background).
        runtime.usage.note(principal.sub, match.permission)
        return response


def check_account_network(
    client_ip: IPAddress | None, allow_lists: AllowListCache, networks: list[str], kind: str
) -> None:
    """Machine and service accounts must have an allow-list; a human account may have one."""
    if kind != "human" and not networks:
        raise Forbidden(f"{kind} account has no source allow-list")
    if networks and (client_ip is None or not allow_lists.get(networks).allows(client_ip)):
        raise Forbidden("source address is not allowed for this account")
