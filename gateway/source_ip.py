"""Source-IP control, before anything else looks at the request."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.decision_notes import note_decision
from gateway.security.allowlist import IpAllowList, parse_trusted_proxies
from gateway.security.client_ip import ClientIpRejected, resolve_client_ip
from services.common.errors import problem_response

CLIENT_IP_KEY = "renshi.client_ip"


class SourceIpMiddleware:
    def __init__(self, app: ASGIApp, *, allowed: list[str], trusted_proxies: list[str]) -> None:
        self.app = app
        # Both raise at start-up on "allow everyone" or "trust every proxy".
        self.allow_list = IpAllowList.from_config(allowed)
        self.trusted = parse_trusted_proxies(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        peer = (scope.get("client") or ("", 0))[0]
        forwarded = [v.decode("latin-1") for k, v in scope["headers"] if k == b"x-forwarded-for"]
        try:
            ip = resolve_client_ip(peer, forwarded, self.trusted)
        except ClientIpRejected as exc:
            response = problem_response(403, detail=f"source address refused: {exc.reason}")
            await response(scope, receive, send)
            return
        if not self.allow_list.allows(ip):
            # The refused address, for the audit row (the peer may be a proxy).
            note_decision(scope, source_ip=str(ip))
            response = problem_response(403, detail="source address is not on the allow-list")
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})[CLIENT_IP_KEY] = ip
        await self.app(scope, receive, send)
