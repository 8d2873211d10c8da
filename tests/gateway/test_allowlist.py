from __future__ import annotations

from ipaddress import ip_address, ip_network

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.security.allowlist import (
    IpAllowList,
    UnsafeAllowList,
    parse_networks,
    parse_trusted_proxies,
)

UNSAFE = [
    # (configuration, expected reason)
    (["0.0.0.0/0"], "entry covers the whole address space"),
    (["::/0"], "entry covers the whole address space"),
    (["10.0.0.0/8", "0.0.0.0/0"], "entry covers the whole address space"),
    (["::ffff:0.0.0.0/96"], "entry covers the whole address space"),  # mapped form of /0
    (["*"], "wildcard entry"),
    (["any"], "wildcard entry"),
    (["ANY"], "wildcard entry"),
    (["All"], "wildcard entry"),
    (["true"], "wildcard entry"),
    (["10.*.*.*"], "wildcard entry"),
    ("10.0.0.0/8, *", "wildcard entry"),
    (["0.0.0.0"], "unspecified address means 'any'"),  # noqa: S104
    (["::"], "unspecified address means 'any'"),
    (["0.0.0.0/1", "128.0.0.0/1"], "entries together cover the whole address space"),
    (
        ["0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/2", "192.0.0.0/2"],
        "entries together cover the whole address space",
    ),
    (["::/1", "8000::/1"], "entries together cover the whole address space"),
    (["::ffff:0.0.0.0/97", "128.0.0.0/1"], "entries together cover the whole address space"),
    ("0.0.0.0/1 128.0.0.0/1", "entries together cover the whole address space"),
    (["10.0.0.1/8"], "entry is not an IP network (or has host bits set)"),
    (["10.0.0.0/33"], "entry is not an IP network (or has host bits set)"),
    (["example.org"], "entry is not an IP network (or has host bits set)"),
    (["0/0"], "entry is not an IP network (or has host bits set)"),
]


@pytest.mark.parametrize(("config", "reason"), UNSAFE)
def test_unsafe_allow_lists_are_refused(config: str | list[str], reason: str) -> None:
    with pytest.raises(UnsafeAllowList) as info:
        parse_networks(config)
    assert info.value.reason == reason


@pytest.mark.parametrize("config", [c for c, _ in UNSAFE])
def test_unsafe_trusted_proxies_are_refused(config: str | list[str]) -> None:
    with pytest.raises(UnsafeAllowList, match="trusted proxies"):
        parse_trusted_proxies(config)


@pytest.mark.parametrize(
    "networks",
    [
        [ip_network("0.0.0.0/0")],
        [ip_network("0.0.0.0/1"), ip_network("128.0.0.0/1")],
        [ip_network("::ffff:0:0/96")],
    ],
)
def test_allow_list_refuses_everyone_when_built_directly(networks: list[object]) -> None:
    with pytest.raises(UnsafeAllowList):
        IpAllowList(networks)  # type: ignore[arg-type]


def test_half_the_space_is_not_everyone() -> None:
    assert len(parse_networks(["0.0.0.0/1"])) == 1


def test_parse_accepts_a_setting_string() -> None:
    assert parse_networks(" 10.0.0.0/8,192.0.2.7  2001:db8::/32 ,") == (
        ip_network("10.0.0.0/8"),
        ip_network("192.0.2.7/32"),
        ip_network("2001:db8::/32"),
    )


def test_mapped_network_is_stored_as_ipv4() -> None:
    assert parse_networks(["::ffff:10.0.0.0/104"]) == (ip_network("10.0.0.0/8"),)


ALLOWS = [
    # (configuration, address, allowed)
    (["10.0.0.0/8"], "10.1.2.3", True),
    (["10.0.0.0/8"], "11.0.0.1", False),
    (["10.0.0.0/8"], "::ffff:10.1.2.3", True),  # mapped client address
    (["::ffff:10.0.0.0/104"], "10.1.2.3", True),  # mapped network entry
    (["192.0.2.7"], "192.0.2.7", True),
    (["192.0.2.7"], "192.0.2.8", False),
    (["2001:db8::/32"], "2001:db8::1", True),
    (["2001:db8::/32"], "2001:db9::1", False),
    (["2001:db8::/32"], "10.0.0.1", False),
    (["10.0.0.0/8"], "2001:db8::1", False),
    (["0.0.0.0/1"], "128.0.0.1", False),
    ([], "10.0.0.1", False),  # empty denies everything
    ([], "::1", False),
    ("", "127.0.0.1", False),
]


@pytest.mark.parametrize(("config", "address", "allowed"), ALLOWS)
def test_allows(config: str | list[str], address: str, allowed: bool) -> None:
    assert IpAllowList.from_config(config).allows(ip_address(address)) is allowed


@given(st.ip_addresses())
def test_empty_allow_list_denies_every_address(address: object) -> None:
    assert IpAllowList().allows(address) is False  # type: ignore[arg-type]


@given(st.ip_addresses(v=4), st.integers(min_value=1, max_value=32))
def test_allows_exactly_the_network(address: object, prefix: int) -> None:
    network = ip_network(f"{address}/{prefix}", strict=False)
    allow = IpAllowList([network])
    assert allow.allows(address)  # type: ignore[arg-type]
    if int(network.broadcast_address) < 2**32 - 1:
        assert not allow.allows(network.broadcast_address + 1)
    if int(network.network_address) > 0:
        assert not allow.allows(network.network_address - 1)
