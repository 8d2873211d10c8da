"""Source-IP allow-lists and trusted-proxy lists, checked at configuration time.

The personnel-system security rules require restricting source IPs to the
range of the users and never allowing any IP. So a configuration that means
"everyone" is refused when it is loaded (``UnsafeAllowList``), not discovered
in production: wildcard words (``*``, ``any``, ``all``...), ``0.0.0.0/0``,
``::/0``, the unspecified addresses ``0.0.0.0`` and ``::`` (which mean "any"
to many tools), and any list whose union covers all of IPv4 or all of IPv6
(``0.0.0.0/1`` + ``128.0.0.0/1``). The same applies to trusted proxies:
trusting every proxy would let any client write its own X-Forwarded-For.

Entries with host bits set (``10.0.0.1/8``) are refused as ambiguous.
IPv4-mapped IPv6 networks (``::ffff:10.0.0.0/104``) are stored as IPv4,
matching how client addresses are normalised. An empty list denies everyone.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

from gateway.security.client_ip import IPAddress, IPNetwork, normalize_ip

__all__ = [
    "IpAllowList",
    "UnsafeAllowList",
    "parse_networks",
    "parse_trusted_proxies",
]

_WILDCARD_WORDS = frozenset({"*", "any", "all", "everyone", "anywhere", "true", "yes", "on"})
_MAPPED_V4 = ipaddress.IPv6Network("::ffff:0:0/96")


class UnsafeAllowList(ValueError):
    """Refused configuration; ``reason`` names the problem, not the entry."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _normalize_network(network: IPNetwork) -> IPNetwork:
    if isinstance(network, ipaddress.IPv6Network) and network.subnet_of(_MAPPED_V4):
        mapped = network.network_address.ipv4_mapped
        assert mapped is not None  # inside ::ffff:0:0/96
        return ipaddress.IPv4Network((mapped, network.prefixlen - 96))
    return network


def _refuse_everyone(networks: Iterable[IPNetwork]) -> None:
    v4: list[ipaddress.IPv4Network] = []
    v6: list[ipaddress.IPv6Network] = []
    for network in networks:
        if network.prefixlen == 0:
            raise UnsafeAllowList("entry covers the whole address space")
        if network.num_addresses == 1 and network.network_address.is_unspecified:
            raise UnsafeAllowList("unspecified address means 'any'")
        if isinstance(network, ipaddress.IPv4Network):
            v4.append(network)
        else:
            v6.append(network)
    # Collapsing merges adjacent networks; only /0 remains if they cover all.
    v4_union = [n.prefixlen for n in ipaddress.collapse_addresses(v4)]
    v6_union = [n.prefixlen for n in ipaddress.collapse_addresses(v6)]
    if v4_union == [0] or v6_union == [0]:
        raise UnsafeAllowList("entries together cover the whole address space")


def _entries(values: str | Iterable[str]) -> list[str]:
    if isinstance(values, str):
        # A single setting string: "10.0.0.0/8, 192.0.2.7".
        values = re.split(r"[,\s]+", values)
    return [v.strip() for v in values if v.strip()]


def _parse_entry(entry: str) -> IPNetwork:
    if entry.lower() in _WILDCARD_WORDS or "*" in entry:
        raise UnsafeAllowList("wildcard entry")
    try:
        network = ipaddress.ip_network(entry, strict=True)
    except ValueError:
        raise UnsafeAllowList("entry is not an IP network (or has host bits set)") from None
    return _normalize_network(network)


def parse_networks(values: str | Iterable[str]) -> tuple[IPNetwork, ...]:
    """Parse an allow-list setting (a comma/blank separated string or a list)."""
    networks = tuple(_parse_entry(entry) for entry in _entries(values))
    _refuse_everyone(networks)
    return networks


def parse_trusted_proxies(values: str | Iterable[str]) -> tuple[IPNetwork, ...]:
    """Parse the trusted-proxy setting; "trust every proxy" in any spelling is refused."""
    try:
        return parse_networks(values)
    except UnsafeAllowList as exc:
        raise UnsafeAllowList(f"trusted proxies: {exc.reason}") from None


class IpAllowList:
    """Allows an address when it lies in one of the networks; empty denies all."""

    __slots__ = ("_v4", "_v6")

    def __init__(self, networks: Iterable[IPNetwork] = ()) -> None:
        normalized = [_normalize_network(n) for n in networks]
        # Checked here too, so a list built from parsed networks cannot bypass it.
        _refuse_everyone(normalized)
        self._v4 = tuple(
            ipaddress.collapse_addresses(
                n for n in normalized if isinstance(n, ipaddress.IPv4Network)
            )
        )
        self._v6 = tuple(
            ipaddress.collapse_addresses(
                n for n in normalized if isinstance(n, ipaddress.IPv6Network)
            )
        )

    @classmethod
    def from_config(cls, values: str | Iterable[str]) -> IpAllowList:
        return cls(parse_networks(values))

    @property
    def networks(self) -> tuple[IPNetwork, ...]:
        return (*self._v4, *self._v6)

    def allows(self, ip: IPAddress) -> bool:
        ip = normalize_ip(ip)
        if isinstance(ip, ipaddress.IPv4Address):
            return any(ip in network for network in self._v4)
        return any(ip in network for network in self._v6)

    def __len__(self) -> int:
        return len(self._v4) + len(self._v6)

    def __repr__(self) -> str:
        return f"IpAllowList({[str(n) for n in self.networks]!r})"
