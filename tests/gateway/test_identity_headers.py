from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.security.identity_headers import (
    is_identity_header,
    normalize_header_name,
    strip_identity_headers,
)

KEPT: list[tuple[bytes, bytes]] = [
    (b"host", b"gateway.example"),
    (b"accept", b"application/json"),
    (b"content-type", b"application/json"),
    (b"x-request-id", b"abc"),
    (b"user-agent", b"curl/8"),
]

STRIPPED_NAMES = [
    b"Authorization",
    b"authorization",
    b"AUTHORIZATION",
    b"X-Internal-Token",
    b"x_internal_token",
    b"X-Renshi-Principal",
    b"x-renshi-agency-scope",
    b"x-user",
    b"X_User",
    b"X-USER",
    b"x-user-id",
    b"X-UserName",
    b" X-User ",
    b"\tx-user",
    b"X-Principal",
    b"x-principal-roles",
    b"X-Remote-User",
    b"X-Forwarded-User",
    b"X-Auth-Request-User",
    b"x_auth_user",
    b"X-Authenticated-Userid",
    b"X-Roles",
    b"X-Role",
    b"X-Permissions",
    b"X-Agency",
    b"x-agency-id",
    b"X-Person-Id",
    b"X-Subject",
    b"X-Account",
    b"x-account-kind",
    b"X-Client-Cert",
    b"x-client-cert-subject",
    b"X-SSL-Client-DN",
    b"Forwarded",
    b"X-Forwarded-For",
    b"x_forwarded_for",
    b"X-Forwarded-Host",
    b"X-Forwarded-Proto",
    b"X-Real-IP",
    b"X_Real_Ip",
    b"True-Client-IP",
    b"X-Original-URL",
    b"X-Rewrite-URL",
    b"X-HTTP-Method-Override",
    b"Connection",
    b"Keep-Alive",
    b"TE",
    b"Trailer",
    b"Transfer-Encoding",
    b"Upgrade",
    b"Proxy-Authorization",
    b"Proxy-Connection",
    b"X User",  # not a valid token: dropped
    b"X-User:",
    b"",
    b"X-\xe4ser",
]


@pytest.mark.parametrize("name", STRIPPED_NAMES, ids=[repr(n) for n in STRIPPED_NAMES])
def test_identity_and_hop_by_hop_headers_are_stripped(name: bytes) -> None:
    headers = [KEPT[0], (name, b"admin"), *KEPT[1:]]
    assert strip_identity_headers(headers) == KEPT


def test_every_duplicate_is_stripped_and_order_kept() -> None:
    headers = [
        (b"x-user", b"a"),
        (b"accept", b"*/*"),
        (b"X-User", b"b"),
        (b"x-custom", b"1"),
        (b"X_USER", b"c"),
        (b"x-custom", b"2"),
    ]
    assert strip_identity_headers(headers) == [
        (b"accept", b"*/*"),
        (b"x-custom", b"1"),
        (b"x-custom", b"2"),
    ]


def test_headers_listed_in_connection_are_removed() -> None:
    headers = [
        (b"connection", b"keep-alive, X-Custom-Hop , x_other_hop"),
        (b"X-Custom-Hop", b"1"),
        (b"x-other-hop", b"2"),
        (b"x-kept", b"3"),
    ]
    assert strip_identity_headers(headers) == [(b"x-kept", b"3")]


def test_input_is_not_modified() -> None:
    headers = [(b"authorization", b"Bearer x"), (b"accept", b"*/*")]
    copy = list(headers)
    strip_identity_headers(headers)
    assert headers == copy


@pytest.mark.parametrize(
    ("name", "expected"),
    [(b" X_Real_IP ", "x-real-ip"), ("Accept", "accept"), (b"a b", None), (b"", None)],
)
def test_normalize_header_name(name: bytes | str, expected: str | None) -> None:
    assert normalize_header_name(name) == expected


_LETTERS = st.sampled_from(["x-user", "authorization", "x-forwarded-for", "x-renshi-roles"])


@given(_LETTERS, st.lists(st.booleans(), min_size=1), st.sampled_from(["", " ", "\t"]))
def test_any_spelling_of_an_identity_header_is_stripped(
    name: str, upper: list[bool], pad: str
) -> None:
    spelled = "".join(
        (c.upper() if upper[i % len(upper)] else c) for i, c in enumerate(name)
    ).replace("-", "_" if upper[0] else "-")
    headers = [((pad + spelled + pad).encode(), b"v")]
    assert strip_identity_headers(headers) == []
    assert is_identity_header(normalize_header_name(spelled) or "")
