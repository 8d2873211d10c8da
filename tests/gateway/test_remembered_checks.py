"""The hot path remembers what it computed per distinct value (the source
address and its verdict per peer and X-Forwarded-For, header names): a
remembered answer must be the answer the check gives, for every request."""

from __future__ import annotations

import pytest

from gateway import source_ip
from gateway.security.identity_headers import strip_identity_headers
from gateway.source_ip import ClientIpRejected, SourceAddresses


def _sources() -> SourceAddresses:
    # Behind a trusted proxy in 10/8; only 192.0.2.0/24 may call.
    return SourceAddresses(allowed=["192.0.2.0/24"], trusted_proxies=["10.0.0.0/8"])


def _call(sources: SourceAddresses, peer: str, forwarded: str | None) -> tuple[int, str]:
    """What the front answers: 200 with the client address when admitted, else 403."""
    try:
        _ip, text, allowed = sources.resolve(peer, () if forwarded is None else (forwarded,))
    except ClientIpRejected:
        return 403, ""
    return (200, text) if allowed else (403, text)


def test_each_forwarded_address_keeps_its_own_verdict_when_repeated() -> None:
    sources = _sources()
    for _ in range(3):
        assert _call(sources, "10.0.0.1", "192.0.2.5") == (200, "192.0.2.5")
        status, _ = _call(sources, "10.0.0.1", "198.51.100.7")
        assert status == 403
        # The same peer without the header is the proxy itself: not allowed.
        assert _call(sources, "10.0.0.1", None)[0] == 403
        # An untrusted peer's header is never read.
        assert _call(sources, "198.51.100.9", "192.0.2.5")[0] == 403


def test_a_malformed_forwarded_entry_is_refused_every_time() -> None:
    sources = _sources()
    for _ in range(3):
        assert _call(sources, "10.0.0.1", "192.0.2.5, unknown")[0] == 403


def test_the_remembered_addresses_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(source_ip, "_MAX_REMEMBERED", 8)
    sources = _sources()
    for host in range(1, 30):
        assert _call(sources, "10.0.0.1", f"192.0.2.{host}") == (200, f"192.0.2.{host}")
        assert len(sources._seen) <= 8


def test_a_name_seen_before_is_still_dropped_when_connection_lists_it() -> None:
    plain = [(b"x-trace", b"1"), (b"accept", b"*/*")]
    assert strip_identity_headers(plain) == plain
    listed = [(b"connection", b"x-trace"), *plain]
    assert strip_identity_headers(listed) == [(b"accept", b"*/*")]
    assert strip_identity_headers(plain) == plain


@pytest.mark.parametrize(
    "name", [b"authorization", b"X-User-Id", b"x_user_id", b" x-renshi-principal", b"bad name"]
)
def test_a_refused_name_is_refused_again_once_remembered(name: bytes) -> None:
    for _ in range(3):
        assert strip_identity_headers([(name, b"v"), (b"accept", b"*/*")]) == [(b"accept", b"*/*")]
