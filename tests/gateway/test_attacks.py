"""Attacks that have beaten real gateways: for each, nothing reaches a service."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import anyio
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from gateway.keys import generate
from tests.gateway.harness import account, build

AUDIT = "/api/training/audit/personal-data-reads"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict, claims: dict, signature: bytes = b"") -> str:
    return ".".join(
        [b64(json.dumps(header).encode()), b64(json.dumps(claims).encode()), b64(signature)]
    )


def good_claims(gw, **overrides):
    now = int(time.time())
    claims = {
        "iss": gw.settings.issuer,
        "aud": gw.settings.audience,
        "sub": "alice",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def refused(gw, token: str, expected: int = 401) -> None:
    response = gw.client.get(AUDIT, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == expected, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert gw.recorder.count == 0


def test_a_good_token_passes(gw):
    # The control case: the same construction without the flaw is accepted.
    token = jwt.encode(
        good_claims(gw), gw.issuer.private_pem, algorithm="EdDSA", headers={"kid": gw.issuer.kid}
    )
    response = gw.client.get(AUDIT, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert gw.recorder.count == 1


def test_alg_none(gw):
    refused(gw, unsigned({"alg": "none", "typ": "JWT", "kid": gw.issuer.kid}, good_claims(gw)))


def test_hs256_signed_with_the_public_key(gw):
    header = {"alg": "HS256", "typ": "JWT", "kid": gw.issuer.kid}
    body = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(good_claims(gw)).encode())}"
    sig = hmac.new(gw.issuer.public_pem.encode(), body.encode(), hashlib.sha256).digest()
    refused(gw, f"{body}.{b64(sig)}")


def test_algorithm_outside_the_list(gw):
    key = ec.generate_private_key(ec.SECP256R1())
    token = jwt.encode(good_claims(gw), key, algorithm="ES256", headers={"kid": gw.issuer.kid})
    refused(gw, token)


@pytest.mark.parametrize(
    "header",
    [
        {"jku": "https://evil.example/jwks.json"},
        {"x5u": "https://evil.example/cert.pem"},
        {"jwk": {"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}},
        {"x5c": ["MIIB"]},
    ],
)
def test_key_location_headers(gw, header):
    token = jwt.encode(
        good_claims(gw),
        gw.issuer.private_pem,
        algorithm="EdDSA",
        headers={"kid": gw.issuer.kid, **header},
    )
    refused(gw, token)


@pytest.mark.parametrize(
    "kid",
    [
        "../../../../dev/null",
        "' OR '1'='1",
        "https://evil.example/key",
        "x" * 200,
        "",
        "unknown-kid",
    ],
)
def test_injected_kid_values(gw, kid):
    token = jwt.encode(
        good_claims(gw), gw.issuer.private_pem, algorithm="EdDSA", headers={"kid": kid}
    )
    refused(gw, token)


def test_token_signed_by_another_key_with_our_kid(gw):
    other = generate()
    token = jwt.encode(
        good_claims(gw), other.private_pem, algorithm="EdDSA", headers={"kid": gw.issuer.kid}
    )
    refused(gw, token)


@pytest.mark.parametrize("missing", ["exp", "iat", "nbf", "iss", "aud", "sub"])
def test_missing_claims(gw, missing):
    refused(gw, gw.claims_token({missing: None}))


# Times are offsets from the moment the test runs (not from collection, which
# may be minutes earlier on a busy machine).
@pytest.mark.parametrize(
    "overrides",
    [
        {"exp": -120},  # expired beyond leeway
        {"nbf": +120},  # not yet valid
        {"iat": +120, "exp": +400},  # issued in the future
        {"aud": "someone-else"},
        {"aud": ["someone-else", "another"]},
        {"iss": "renshi-evil"},  # prefix-matching issuer
        {"iss": "rensh"},
        {"iss": "https://renshi"},
    ],
)
def test_bad_claims(gw, overrides):
    now = int(time.time())
    claims = {k: now + v if k in ("exp", "nbf", "iat") else v for k, v in overrides.items()}
    refused(gw, gw.claims_token(claims))


def test_lifetime_over_the_cap_for_a_machine_account(gw):
    gw.accounts["bot"] = account("bot", kind="machine", allowed_networks=["127.0.0.1/32"])
    now = int(time.time())
    refused(gw, gw.claims_token({"sub": "bot", "iat": now, "nbf": now, "exp": now + 901}))


def test_shared_accounts_without_a_person_are_refused(gw):
    gw.accounts["front-desk"] = account("front-desk", person_id=None)
    refused(gw, gw.token("front-desk"))


def test_token_in_the_query_string(gw):
    token = gw.token()
    response = gw.client.get(
        f"{AUDIT}?access_token={token}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401
    assert gw.recorder.count == 0


def test_spoofed_x_forwarded_for_from_an_untrusted_peer(tmp_path):
    # The peer is outside the allow-list; it claims to forward for an allowed address.
    client, harness = build(tmp_path, peer="198.51.100.7")
    with client:
        response = client.get(
            AUDIT,
            headers={"Authorization": f"Bearer {harness.token()}", "X-Forwarded-For": "127.0.0.1"},
        )
    assert response.status_code == 403
    assert harness.recorder.count == 0


def test_x_forwarded_for_is_honoured_from_a_trusted_proxy(tmp_path):
    client, harness = build(
        tmp_path,
        peer="10.0.0.5",
        trusted_proxies=["10.0.0.0/24"],
        allowed_networks=["192.0.2.0/24"],
    )
    with client:
        ok = client.get(
            AUDIT,
            headers={
                "Authorization": f"Bearer {harness.token()}",
                "X-Forwarded-For": "203.0.113.1, 192.0.2.10",
            },
        )
        spoofed_left = client.get(
            AUDIT,
            headers={
                "Authorization": f"Bearer {harness.token()}",
                "X-Forwarded-For": "192.0.2.10, 203.0.113.1",
            },
        )
    assert ok.status_code == 200
    assert spoofed_left.status_code == 403  # the rightmost untrusted entry is the client
    assert harness.recorder.count == 1
    forwarded = dict(harness.recorder.requests[0]["headers"])[b"x-forwarded-for"]
    assert forwarded == b"192.0.2.10"


@pytest.mark.parametrize("config", [["0.0.0.0/0"], ["::/0"], ["10.0.0.0/8", "::/0"]])
def test_allow_everyone_refuses_to_start(tmp_path, config):
    with pytest.raises(ValueError):
        build(tmp_path, allowed_networks=config)


def test_trust_every_proxy_refuses_to_start(tmp_path):
    with pytest.raises(ValueError):
        build(tmp_path, trusted_proxies=["0.0.0.0/0"])


async def _raw(app, raw_path: bytes, token: str):
    """Send a request with an exact raw path, bypassing any client-side normalisation."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": raw_path.decode("latin-1"),
        "raw_path": raw_path,
        "query_string": b"",
        "root_path": "",
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
        "headers": [(b"host", b"testserver"), (b"authorization", f"Bearer {token}".encode())],
    }
    messages = []
    sent_request = False
    finished = anyio.Event()

    async def receive():
        nonlocal sent_request
        if not sent_request:
            sent_request = True
            return {"type": "http.request", "body": b"", "more_body": False}
        # Like a real server: the client stays connected until the response ends.
        await finished.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        messages.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            finished.set()

    await app(scope, receive, send)
    return messages[0]["status"]


@pytest.mark.parametrize(
    "raw_path",
    [
        b"/api/training/audit/%2e%2e/personal-data-reads",
        b"/api/training/audit/../personal-data-reads",
        b"/api/training/x/%2e%2e/audit/personal-data-reads",
        b"/api/training/audit%2fpersonal-data-reads",
        b"/api/training/audit%2Fpersonal-data-reads",
        b"/api/training/audit\\personal-data-reads",
        b"/api/training/audit%5cpersonal-data-reads",
        b"/api/training//audit/personal-data-reads",
        b"/api/training/./audit/personal-data-reads",
        b"/api/training/audit/personal-data-reads;jsessionid=1",
        b"/api/training/audit/personal-data-reads%00",
        b"/api/training/audit/%252e%252e/personal-data-reads",
        b"/api/directory/../training/audit/personal-data-reads",
    ],
)
def test_path_normalisation_attacks(gw, raw_path):
    # On the client's own event loop, where the gateway's HTTP clients live.
    status = gw.client.portal.call(_raw, gw.client.app, raw_path, gw.token())
    assert status in (400, 404)
    assert gw.recorder.count == 0


def test_the_forwarded_path_is_the_authorised_one(gw):
    status = gw.client.portal.call(
        _raw, gw.client.app, b"/api/training/audit/personal-data-reads", gw.token()
    )
    assert status == 200
    assert gw.recorder.requests[0]["raw_path"] == b"/audit/personal-data-reads"


def test_logs_carry_no_token_and_no_national_id(gw, caplog):
    caplog.set_level("DEBUG")
    token = gw.token()
    gw.client.get(AUDIT + "?q=A123456789", headers={"Authorization": f"Bearer {token}"})
    gw.client.get(AUDIT, headers={"Authorization": "Bearer eyJhbGciOiJub25lIn0.e30."})
    from services.common.logs import JsonFormatter

    formatter = JsonFormatter("gateway")
    text = "\n".join(formatter.format(r) for r in caplog.records)
    assert "gateway decision" in text
    assert "eyJ" not in text
    assert "A123456789" not in text
