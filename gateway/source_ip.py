"""Source-IP control, before anything else looks at the request: which address
a request comes from, and whether the gateway's allow-list admits it."""

from __future__ import annotations

from gateway.security.allowlist import IpAllowList, parse_trusted_proxies
from gateway.security.client_ip import ClientIpRejected, IPAddress, resolve_client_ip

CLIENT_IP_KEY = "renshi.client_ip"
# The same address as text, written once for the rate limit, the audit row and
# X-Forwarded-For.
CLIENT_IP_TEXT_KEY = "renshi.client_ip_text"
# Decisions remembered per (peer, X-Forwarded-For values): the answer depends
# on nothing else, and parsing addresses with `ipaddress` cost more than
# every other check of a request together. Bounded: cleared when full.
_MAX_REMEMBERED = 4096

# The client address, its text, and whether the allow-list admits it.
Source = tuple[IPAddress, str, bool]

__all__ = ["CLIENT_IP_KEY", "CLIENT_IP_TEXT_KEY", "ClientIpRejected", "Source", "SourceAddresses"]


class SourceAddresses:
    def __init__(self, *, allowed: list[str], trusted_proxies: list[str]) -> None:
        # Both raise at start-up on "allow everyone" or "trust every proxy".
        self.allow_list = IpAllowList.from_config(allowed)
        self.trusted = parse_trusted_proxies(trusted_proxies)
        self._seen: dict[tuple[str, tuple[str, ...]], Source] = {}

    def resolve(self, peer: str, forwarded: tuple[str, ...]) -> Source:
        """The client behind the socket peer `peer`, given the request's
        X-Forwarded-For values in order; ClientIpRejected for a malformed
        chain (never remembered: refused each time)."""
        key = (peer, forwarded)
        seen = self._seen.get(key)
        if seen is None:
            ip = resolve_client_ip(peer, forwarded, self.trusted)
            if len(self._seen) >= _MAX_REMEMBERED:
                self._seen.clear()
            seen = self._seen[key] = (ip, str(ip), self.allow_list.allows(ip))
        return seen
