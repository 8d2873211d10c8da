"""The client's IP address, from the socket peer and, behind trusted proxies
only, X-Forwarded-For.

Rules:
- The socket peer is the client unless it is a trusted proxy; then
  X-Forwarded-For is read right to left (every header line, in order, each a
  comma list) and the first entry that is not itself a trusted proxy is the
  client. Entries left of it were written by the client and are never read.
- A malformed entry reached during that walk raises ``ClientIpRejected`` (the
  gateway denies): it was written by a trusted hop, so guessing past it could
  only land on a value the client chose.
- If every entry is a trusted proxy the leftmost one is the client; with no
  X-Forwarded-For at all the trusted peer itself is (e.g. its health checks).
- Accepted entry forms: ``1.2.3.4``, ``1.2.3.4:80``, ``2001:db8::1``,
  ``[2001:db8::1]``, ``[2001:db8::1]:443``. Zone ids, ``unknown`` and
  obfuscated identifiers are malformed. A bare IPv6 address never has a port.
- IPv4-mapped IPv6 addresses (``::ffff:10.0.0.1``, common on dual-stack
  sockets) become IPv4 so that IPv4 allow-lists apply to them.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from typing import TypeAlias

__all__ = [
    "ClientIpRejected",
    "IPAddress",
    "IPNetwork",
    "normalize_ip",
    "parse_forwarded_entry",
    "resolve_client_ip",
]

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network

_BRACKETED = re.compile(r"\[([0-9A-Fa-f:.]+)\](?::([0-9]{1,5}))?")
_IPV4_WITH_PORT = re.compile(r"([0-9.]+):([0-9]{1,5})")


class ClientIpRejected(ValueError):
    """No trustworthy client address; ``reason`` never contains an address."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def normalize_ip(ip: IPAddress) -> IPAddress:
    """IPv4-mapped IPv6 to IPv4; IPv6 zone ids dropped (they never match a network)."""
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped
        if mapped is not None:
            return mapped
        if ip.scope_id is not None:
            return ipaddress.IPv6Address(int(ip))
    return ip


def parse_forwarded_entry(entry: str) -> IPAddress:
    """Parse one X-Forwarded-For list element (surrounding blanks allowed)."""
    text = entry.strip(" \t")
    if not text or not text.isascii():
        raise ClientIpRejected("malformed X-Forwarded-For entry")
    bracketed = _BRACKETED.fullmatch(text)
    with_port = _IPV4_WITH_PORT.fullmatch(text)
    if bracketed is not None:
        host, port = bracketed.group(1), bracketed.group(2)
    elif with_port is not None:
        host, port = with_port.group(1), with_port.group(2)
    elif "%" in text or "[" in text or "]" in text:
        raise ClientIpRejected("malformed X-Forwarded-For entry")
    else:
        host, port = text, None
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise ClientIpRejected("malformed X-Forwarded-For entry") from None
    if (bracketed is not None and ip.version != 6) or (with_port is not None and ip.version != 4):
        raise ClientIpRejected("malformed X-Forwarded-For entry")
    if port is not None and int(port) > 65535:
        raise ClientIpRejected("malformed X-Forwarded-For entry")
    return normalize_ip(ip)


def _is_trusted(ip: IPAddress, trusted_proxies: Sequence[IPNetwork]) -> bool:
    # Membership across IP versions is simply False in ipaddress.
    return any(ip in network for network in trusted_proxies)


def resolve_client_ip(
    peer: str,
    x_forwarded_for: Sequence[str],
    trusted_proxies: Sequence[IPNetwork],
) -> IPAddress:
    """Return the client address; raise ``ClientIpRejected`` when there is none
    to trust. ``x_forwarded_for`` holds every X-Forwarded-For header value in
    the order received; ``trusted_proxies`` should come from
    ``allowlist.parse_trusted_proxies`` (which refuses "trust everyone")."""
    try:
        peer_ip = normalize_ip(ipaddress.ip_address(peer))
    except ValueError:
        raise ClientIpRejected("peer address is not an IP address") from None
    if not _is_trusted(peer_ip, trusted_proxies):
        return peer_ip
    entries = [item for line in x_forwarded_for for item in line.split(",")]
    if not entries:
        return peer_ip
    leftmost = peer_ip
    for entry in reversed(entries):
        ip = parse_forwarded_entry(entry)
        if not _is_trusted(ip, trusted_proxies):
            return ip
        leftmost = ip
    return leftmost
