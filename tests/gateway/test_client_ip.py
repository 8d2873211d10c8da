from __future__ import annotations

import contextlib
from ipaddress import IPv4Address, ip_address, ip_network

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from gateway.security.client_ip import (
    ClientIpRejected,
    IPNetwork,
    parse_forwarded_entry,
    resolve_client_ip,
)

TRUSTED: tuple[IPNetwork, ...] = (ip_network("10.0.0.0/24"), ip_network("fd00::/64"))

RESOLVE = [
    # (peer, X-Forwarded-For lines, expected client)
    # Untrusted peer: X-Forwarded-For is ignored, whatever it claims.
    ("203.0.113.9", ["10.0.0.5"], "203.0.113.9"),
    ("203.0.113.9", ["1.2.3.4, 10.0.0.1"], "203.0.113.9"),
    ("203.0.113.9", ["not an ip"], "203.0.113.9"),
    ("203.0.113.9", [], "203.0.113.9"),
    ("2001:db8::9", ["10.0.0.5"], "2001:db8::9"),
    # Trusted peer: the rightmost entry that is not a trusted proxy.
    ("10.0.0.1", ["198.51.100.7"], "198.51.100.7"),
    ("10.0.0.1", ["6.6.6.6, 198.51.100.7"], "198.51.100.7"),  # client-written left part ignored
    ("10.0.0.1", ["6.6.6.6, 198.51.100.7, 10.0.0.2"], "198.51.100.7"),  # two trusted proxies
    ("10.0.0.1", ["6.6.6.6", "198.51.100.7", "10.0.0.2"], "198.51.100.7"),  # several lines
    ("10.0.0.1", ["6.6.6.6,198.51.100.7 ,\t10.0.0.2"], "198.51.100.7"),  # blanks
    ("10.0.0.1", ["garbage, 198.51.100.7"], "198.51.100.7"),  # garbage left of client unread
    ("10.0.0.1", ["10.0.0.3, 10.0.0.2"], "10.0.0.3"),  # all trusted: leftmost
    ("10.0.0.1", [], "10.0.0.1"),  # the proxy's own request
    ("10.0.0.1", ["198.51.100.7:5555"], "198.51.100.7"),
    ("10.0.0.1", ["2001:db8::7"], "2001:db8::7"),
    ("10.0.0.1", ["[2001:db8::7]"], "2001:db8::7"),
    ("10.0.0.1", ["[2001:db8::7]:443"], "2001:db8::7"),
    ("10.0.0.1", ["::ffff:198.51.100.7"], "198.51.100.7"),
    ("10.0.0.1", ["[::ffff:198.51.100.7]:80"], "198.51.100.7"),
    ("fd00::1", ["198.51.100.7, fd00::2"], "198.51.100.7"),
    # IPv4-mapped peer is normalised before the trust check.
    ("::ffff:10.0.0.1", ["198.51.100.7"], "198.51.100.7"),
    ("::ffff:203.0.113.9", ["198.51.100.7"], "203.0.113.9"),
    # A mapped entry of a trusted proxy is still a trusted proxy.
    ("10.0.0.1", ["198.51.100.7, ::ffff:10.0.0.2"], "198.51.100.7"),
]


@pytest.mark.parametrize(("peer", "xff", "expected"), RESOLVE)
def test_resolve_client_ip(peer: str, xff: list[str], expected: str) -> None:
    assert resolve_client_ip(peer, xff, TRUSTED) == ip_address(expected)


MALFORMED = [
    ["unknown"],
    ["198.51.100.7, unknown"],
    ["198.51.100.7,"],  # trailing empty entry written by a trusted hop
    [""],
    ["198.51.100.7,,10.0.0.2"],
    ["_hidden"],
    ["198.51.100.7:99999"],
    ["[198.51.100.7]"],
    ["[2001:db8::7"],
    ["2001:db8::7]:80"],
    ["fe80::1%eth0"],
    ["[fe80::1%eth0]"],
    ["010.0.0.7"],  # leading zeros: octal in some parsers
    ["198.51.100.7/24"],
    ["198.51.100.７"],  # full-width digit
    ["1.2.3.4 5.6.7.8"],
]


@pytest.mark.parametrize("xff", MALFORMED)
def test_malformed_entry_from_trusted_hop_is_rejected(xff: list[str]) -> None:
    with pytest.raises(ClientIpRejected) as info:
        resolve_client_ip("10.0.0.1", xff, TRUSTED)
    assert info.value.reason == "malformed X-Forwarded-For entry"


@pytest.mark.parametrize("peer", ["", "unix:/run/gw.sock", "localhost", "10.0.0.1:80"])
def test_peer_must_be_an_ip(peer: str) -> None:
    with pytest.raises(ClientIpRejected, match="peer"):
        resolve_client_ip(peer, [], TRUSTED)


def test_peer_zone_id_is_dropped() -> None:
    result = resolve_client_ip("fe80::1%eth0", [], ())
    assert result == ip_address("fe80::1")


def test_no_trusted_proxies_means_peer_always() -> None:
    assert resolve_client_ip("10.0.0.1", ["198.51.100.7"], ()) == ip_address("10.0.0.1")


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (" 192.0.2.1 ", "192.0.2.1"),
        ("192.0.2.1:0", "192.0.2.1"),
        ("[::1]:65535", "::1"),
        ("::1", "::1"),
    ],
)
def test_parse_forwarded_entry(entry: str, expected: str) -> None:
    assert parse_forwarded_entry(entry) == ip_address(expected)


_ANY_IPV4 = st.ip_addresses(v=4)


@given(st.lists(st.text(max_size=20), max_size=4), _ANY_IPV4)
def test_untrusted_peer_can_never_be_overridden(xff: list[str], peer: IPv4Address) -> None:
    assume(peer not in TRUSTED[0])
    assert resolve_client_ip(str(peer), xff, TRUSTED) == peer


@given(st.lists(_ANY_IPV4, min_size=1, max_size=5), st.text(max_size=30))
def test_client_is_the_rightmost_untrusted_hop(hops: list[IPv4Address], spoof: str) -> None:
    # The client may send any X-Forwarded-For; each proxy appends the address it saw.
    line = ", ".join([spoof, *map(str, hops)])
    untrusted = [h for h in hops if h not in TRUSTED[0]]
    if untrusted:
        assert resolve_client_ip("10.0.0.1", [line], TRUSTED) == untrusted[-1]
    else:
        # Every hop is a trusted proxy, so what it forwarded is believed or refused.
        try:
            result = resolve_client_ip("10.0.0.1", [line], TRUSTED)
        except ClientIpRejected:
            return
        assert result in hops or result in _parseable(spoof)


def _parseable(text: str) -> list[object]:
    found: list[object] = []
    for part in text.split(","):
        with contextlib.suppress(ClientIpRejected):
            found.append(parse_forwarded_entry(part))
    return found
