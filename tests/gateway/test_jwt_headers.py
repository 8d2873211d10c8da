from __future__ import annotations

import base64
import json
from typing import Any

import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.security.jwt_headers import (
    MAX_TOKEN_BYTES,
    JwtRejected,
    precheck_jwt_header,
    token_from_request,
)

ALLOWED = frozenset({"RS256", "ES256"})
_BODY = "eyJzdWIiOiJ1MSJ9"  # {"sub":"u1"}
_SIG = "c2lnbmF0dXJl"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _token(header: dict[str, Any] | str | bytes, body: str = _BODY, sig: str = _SIG) -> str:
    if isinstance(header, dict):
        raw = json.dumps(header).encode()
    elif isinstance(header, str):
        raw = header.encode()
    else:
        raw = header
    return f"{_b64(raw)}.{body}.{sig}"


REJECTED = [
    # (token, reason)
    (_token({"alg": "none"}), "alg none refused"),
    (_token({"alg": "None"}), "alg none refused"),
    (_token({"alg": "NONE", "typ": "JWT"}), "alg none refused"),
    (_token({"alg": "RS256"}, sig=""), "token is not three base64url segments"),
    (_token({"typ": "JWT"}), "alg missing"),
    (_token({"alg": ""}), "alg missing"),
    (_token({"alg": ["RS256"]}), "alg missing"),
    (_token({"alg": "HS256"}), "alg not allowed"),  # confusion with a public key
    (_token({"alg": "rs256"}), "alg not allowed"),  # exact, case-sensitive
    (_token({"alg": "RS256 "}), "alg not allowed"),
    (_token({"alg": "RS256", "jku": "https://evil.example/jwks"}), "header parameter jku refused"),
    (_token({"alg": "RS256", "x5u": "https://evil.example/c"}), "header parameter x5u refused"),
    (_token({"alg": "RS256", "jwk": {"kty": "RSA"}}), "header parameter jwk refused"),
    (_token({"alg": "RS256", "x5c": ["MIIB"]}), "header parameter x5c refused"),
    (_token({"alg": "RS256", "crit": ["exp"]}), "header parameter crit refused"),
    (_token({"alg": "RS256", "b64": False}), "header parameter b64 refused"),
    (_token({"alg": "RS256", "cty": "JWT"}), "header parameter cty refused"),
    (_token({"alg": "RS256", "kid": "../../etc/passwd"}), "kid malformed"),
    (_token({"alg": "RS256", "kid": ".."}), "kid malformed"),
    (_token({"alg": "RS256", "kid": "a..b"}), "kid malformed"),
    (_token({"alg": "RS256", "kid": "."}), "kid malformed"),
    (_token({"alg": "RS256", "kid": "/dev/null"}), "kid malformed"),
    (_token({"alg": "RS256", "kid": "k1' OR '1'='1"}), "kid malformed"),
    (_token({"alg": "RS256", "kid": "x' UNION SELECT key FROM keys--"}), "kid malformed"),
    (_token({"alg": "RS256", "kid": "https://evil.example/key.pem"}), "kid malformed"),
    (_token({"alg": "RS256", "kid": "k1|rm -rf"}), "kid malformed"),
    (_token({"alg": "RS256", "kid": "k\u00e9y"}), "kid malformed"),
    (_token({"alg": "RS256", "kid": "k\u0000"}), "kid malformed"),
    (_token({"alg": "RS256", "kid": ""}), "kid malformed"),
    (_token({"alg": "RS256", "kid": "k" * 65}), "kid malformed"),
    (_token({"alg": "RS256", "kid": 7}), "kid malformed"),
    (_token({"alg": "RS256", "typ": "JWE"}), "typ not accepted"),
    (_token({"alg": "RS256", "typ": "application/jose"}), "typ not accepted"),
    (_token({"alg": "RS256", "typ": 1}), "typ not accepted"),
    (_token('{"alg":"RS256","alg":"none"}'), "duplicate member in JWT header"),
    (_token('{"alg":"none","alg":"RS256"}'), "duplicate member in JWT header"),
    (_token('{"alg":"RS256","x":NaN}'), "JWT header is not valid JSON"),
    (_token("not json"), "JWT header is not valid base64url JSON"),
    (_token(b"\xff\xfe"), "JWT header is not valid base64url JSON"),
    (_token('["RS256"]'), "JWT header is not a JSON object"),
    ("a" * 5 + "." + _BODY + "." + _SIG, "JWT header is not valid base64url JSON"),
    ("abc.def", "token is not three base64url segments"),
    ("abc.def.ghi.jkl", "token is not three base64url segments"),
    ("abc.def.ghi.jkl.mno", "token is not three base64url segments"),  # JWE shape
    ("", "token is not three base64url segments"),
    ("..", "token is not three base64url segments"),
    (_token({"alg": "RS256"}) + "=", "token is not three base64url segments"),
    (_token({"alg": "RS256"}).replace(".", ". ", 1), "token is not three base64url segments"),
    ("eyJ+/.abc.def", "token is not three base64url segments"),  # standard alphabet
    (_token({"alg": "RS256"}, sig="a" * MAX_TOKEN_BYTES), "token too large"),
    ("é" + _token({"alg": "RS256"}), "token is not ASCII text"),
]


@pytest.mark.parametrize(("token", "reason"), REJECTED, ids=[r for _, r in REJECTED])
def test_precheck_rejects(token: str, reason: str) -> None:
    with pytest.raises(JwtRejected) as info:
        precheck_jwt_header(token, ALLOWED)
    assert info.value.reason == reason
    assert str(info.value) == reason  # the message is the reason, never the token


@pytest.mark.parametrize(
    ("header", "allowed"),
    [
        ({"alg": "RS256"}, ALLOWED),
        ({"alg": "ES256", "kid": "key-2024.01_a"}, ALLOWED),
        ({"alg": "RS256", "typ": "JWT"}, ALLOWED),
        ({"alg": "RS256", "typ": "jwt"}, ALLOWED),
        ({"alg": "RS256", "typ": "at+jwt"}, ALLOWED),
        ({"alg": "RS256", "typ": "AT+JWT"}, ALLOWED),
        ({"alg": "RS256", "kid": "k" * 64}, ALLOWED),
        ({"alg": "HS256"}, frozenset({"HS256"})),
    ],
)
def test_precheck_accepts(header: dict[str, Any], allowed: frozenset[str]) -> None:
    assert precheck_jwt_header(_token(header), allowed) == header


def test_precheck_accepts_a_real_pyjwt_token() -> None:
    token = jwt.encode({"sub": "u1"}, "s" * 32, algorithm="HS256", headers={"kid": "k1"})
    assert precheck_jwt_header(token, frozenset({"HS256"})) == {
        "alg": "HS256",
        "kid": "k1",
        "typ": "JWT",
    }


@pytest.mark.parametrize(
    "allowed", [frozenset(), frozenset({"none"}), frozenset({"RS256", "None"})]
)
def test_unsafe_algorithm_configuration_is_a_config_error(allowed: frozenset[str]) -> None:
    with pytest.raises(ValueError, match="algorithm"):
        precheck_jwt_header(_token({"alg": "RS256"}), allowed)


def test_kid_value_is_not_echoed() -> None:
    with pytest.raises(JwtRejected) as info:
        precheck_jwt_header(_token({"alg": "RS256", "kid": "../A123456789"}), ALLOWED)
    assert "A123456789" not in str(info.value)


@given(st.text(max_size=200))
def test_precheck_never_raises_anything_but_jwt_rejected(token: str) -> None:
    try:
        header = precheck_jwt_header(token, ALLOWED)
    except JwtRejected:
        return
    assert header["alg"] in ALLOWED


@given(
    st.dictionaries(
        st.sampled_from(["alg", "kid", "typ", "jku", "x5u", "crit", "zip"]),
        st.one_of(st.text(max_size=10), st.sampled_from(["RS256", "none", "JWT"])),
    )
)
def test_returned_header_is_always_safe(header: dict[str, str]) -> None:
    try:
        result = precheck_jwt_header(_token(header), ALLOWED)
    except JwtRejected:
        return
    assert result["alg"] in ALLOWED
    assert not {"jku", "x5u", "jwk", "x5c", "crit"} & result.keys()


GOOD = _token({"alg": "RS256"})

REQUEST_REJECTED: list[tuple[list[tuple[bytes, bytes]], bytes | str, str]] = [
    ([], b"", "missing Authorization header"),
    (
        [(b"authorization", f"Bearer {GOOD}".encode())],
        b"access_token=" + GOOD.encode(),
        "token in query string refused",
    ),
    ([], b"access_token=" + GOOD.encode(), "token in query string refused"),
    ([], b"a=1&token=x", "token in query string refused"),
    ([], "jwt=x", "token in query string refused"),
    ([], b"ACCESS_TOKEN=x", "token in query string refused"),
    ([], b"access-token=x", "token in query string refused"),
    ([], b"access%5Ftoken=x", "token in query string refused"),
    ([], b"a=1;token=x", "token in query string refused"),
    ([], b"token", "token in query string refused"),
    ([], b"id_token=x", "token in query string refused"),
    ([(b"authorization", f"Bearer {GOOD}".encode())] * 2, b"", "several Authorization headers"),
    (
        [(b"Authorization", f"Bearer {GOOD}".encode()), (b"authorization", b"Bearer other")],
        b"",
        "several Authorization headers",
    ),
    ([(b"authorization", f"Basic {GOOD}".encode())], b"", "Authorization scheme is not Bearer"),
    ([(b"authorization", GOOD.encode())], b"", "Authorization scheme is not Bearer"),
    ([(b"authorization", b"Bearer")], b"", "malformed bearer token"),
    ([(b"authorization", b"Bearer ")], b"", "malformed bearer token"),
    ([(b"authorization", f"Bearer {GOOD} extra".encode())], b"", "malformed bearer token"),
    ([(b"authorization", f"Bearer {GOOD}, Bearer x".encode())], b"", "malformed bearer token"),
    ([(b"authorization", f"Bearer\t{GOOD}".encode())], b"", "Authorization scheme is not Bearer"),
]


@pytest.mark.parametrize(("headers", "query", "reason"), REQUEST_REJECTED)
def test_token_from_request_rejects(
    headers: list[tuple[bytes, bytes]], query: bytes | str, reason: str
) -> None:
    with pytest.raises(JwtRejected) as info:
        token_from_request(headers, query)
    assert info.value.reason == reason
    assert GOOD not in str(info.value)


@pytest.mark.parametrize(
    ("value", "query"),
    [
        (f"Bearer {GOOD}", b""),
        (f"bearer {GOOD}", b""),
        (f"BEARER  {GOOD}", b"page=2&tokens=3&my_token=1"),
        (f" Bearer {GOOD} ", "q=%E7%8E%8B"),
    ],
)
def test_token_from_request_accepts(value: str, query: bytes | str) -> None:
    headers = [(b"accept", b"*/*"), (b"authorization", value.encode())]
    assert token_from_request(headers, query) == GOOD
