"""Source-IP control, before anything else looks at the request."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.decision_notes import note_decision
from gateway.security.allowlist import IpAllowList, parse_trusted_proxies
from gateway.security.client_ip import ClientIpRejected, IPAddress, resolve_client_ip
from services.common.errors import problem_response

CLIENT_IP_KEY = "renshi.client_ip"
# The same address as text, written once for the rate limit, the audit row and
# X-Forwarded-For.
CLIENT_IP_TEXT_KEY = "renshi.client_ip_text"
# Decisions remembered per (peer, X-Forwarded-For values): the answer depends
# on nothing else, and parsing addresses with `ipaddress` cost more than
# every other check of a request together. Bounded: cleared when full.
_MAX_REMEMBERED = 4096


class SourceIpMiddleware:
    def __init__(self, app: ASGIApp, *, allowed: list[str], trusted_proxies: list[str]) -> None:
        self.app = app
        # Both raise at start-up on "allow everyone" or "trust every proxy".
        self.allow_list = IpAllowList.from_config(allowed)
        self.trusted = parse_trusted_proxies(trusted_proxies)
        # key → (address, its text, allowed)
        self._seen: dict[tuple[str, tuple[str, ...]], tuple[IPAddress, str, bool]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        peer = (scope.get("client") or ("", 0))[0]
        forwarded = tuple(
            v.decode("latin-1") for k, v in scope["headers"] if k == b"x-forwarded-for"
        )
        seen = self._seen.get((peer, forwarded))
        if seen is None:
            try:
                ip = resolve_client_ip(peer, forwarded, self.trusted)
            except ClientIpRejected as exc:
                response = problem_response(403, detail=f"source address refused: {exc.reason}")
                await response(scope, receive, send)
                return
            if len(self._seen) >= _MAX_REMEMBERED:
                self._seen.clear()
            seen = self._seen[(peer, forwarded)] = (ip, str(ip), self.allow_list.allows(ip))
        ip, text, allowed = seen
        if not allowed:
            # The refused address, for the audit row (the peer may be a proxy).
            note_decision(scope, source_ip=text)
            response = problem_response(403, detail="source address is not on the allow-list")
            await response(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        state[CLIENT_IP_KEY] = ip
        state[CLIENT_IP_TEXT_KEY] = text
        await self.app(scope, receive, send)
