"""Tokens of an external identity provider, verified with the keys of its JWKS.

The IdP is an in-process fake (host `idp.internal`) that counts how often its
JWKS is fetched; the key store's clock is a fake one, so "five minutes later"
takes no time. Every refused token is also checked not to reach a service.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm
from pydantic import ValidationError

import gateway.app
from gateway.jwks import (
    JwksKeyStore,
    JwksUnavailable,
    check_algorithms,
    external_key_store,
    parse_jwks,
)
from gateway.settings import GatewaySettings
from tests.gateway import harness
from tests.gateway.harness import Harness

AUDIT = "/api/training/audit/personal-data-reads"
IDP = "https://login.idp.example/realms/renshi"
JWKS_URL = "http://idp.internal/jwks.json"


# --- keys ---------------------------------------------------------------------------------


@cache
def rsa_key(name: str) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@cache
def ec_key(name: str) -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@cache
def ed_key(name: str) -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


def jwk_of(private: Any, kid: str, **extra: Any) -> dict[str, Any]:
    public = private.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        jwk = RSAAlgorithm.to_jwk(public, as_dict=True)
    elif isinstance(public, ec.EllipticCurvePublicKey):
        jwk = ECAlgorithm.to_jwk(public, as_dict=True)
    else:
        jwk = OKPAlgorithm.to_jwk(public, as_dict=True)
    jwk.update({"kid": kid, "use": "sig", **extra})
    return {k: v for k, v in jwk.items() if v is not None}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "iss": IDP,
        "aud": "renshi-api",
        "sub": "alice",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def idp_token(private: Any, kid: str, alg: str, **overrides: Any) -> str:
    # A fresh jti each time: a verified token is cached, and these tests must
    # see every token verified.
    # Encoded as raw JSON: PyJWT's own encoder refuses some of the odd claims
    # these tests send (a non-string `iss`).
    payload = json.dumps(claims(**overrides)).encode()
    return jwt.api_jws.encode(payload, private, algorithm=alg, headers={"kid": kid, "typ": "JWT"})


# --- the fake identity provider and the gateway in front of it ----------------------------


@dataclass
class FakeIdp:
    keys: list[dict[str, Any]] = field(default_factory=list)
    fetches: int = 0
    status: int = 200
    delay: float = 0.0
    raw: bytes | None = None

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/jwks.json")
        async def jwks() -> Any:
            self.fetches += 1
            if self.delay:
                await asyncio.sleep(self.delay)
            if self.raw is not None:
                return Response(self.raw, media_type="application/json")
            if self.status != 200:
                return JSONResponse({"error": "down"}, status_code=self.status)
            return {"keys": self.keys}

        return app


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Env:
    gw: Harness
    idp: FakeIdp
    clock: FakeClock

    def get(self, token: str) -> httpx.Response:
        return self.gw.client.get(AUDIT, headers={"Authorization": f"Bearer {token}"})

    def accepted(self, token: str) -> None:
        before = self.gw.recorder.count
        response = self.get(token)
        assert response.status_code == 200, response.text
        assert self.gw.recorder.count == before + 1
        assert self.gw.recorder.requests[-1]["principal"].sub == "alice"

    def refused(self, token: str, expected: int = 401) -> httpx.Response:
        before = self.gw.recorder.count
        response = self.get(token)
        assert response.status_code == expected, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert self.gw.recorder.count == before  # nothing reached a service
        return response


def start(tmp_path, monkeypatch, idp: FakeIdp, **settings: Any):
    clock = FakeClock()
    router = harness.HostRouter
    # The harness builds its host router from a fixed set of apps; the IdP is
    # one more host on it.
    monkeypatch.setattr(
        harness, "HostRouter", lambda apps: router({**apps, "idp.internal": idp.app()})
    )
    # The gateway builds its key store at start-up; only the clock is swapped.
    monkeypatch.setattr(
        gateway.app,
        "external_key_store",
        lambda s, client: external_key_store(s, client, clock=clock),
    )
    fields: dict[str, Any] = {"jwks_url": JWKS_URL, "external_issuer": IDP}
    fields.update(settings)
    client, gw = harness.build(tmp_path, **fields)
    return client, Env(gw, idp, clock)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # the key store uses asyncio tasks, like the server


@pytest.fixture
def idp() -> FakeIdp:
    return FakeIdp(
        keys=[
            jwk_of(rsa_key("r1"), "r1", alg="RS256"),
            jwk_of(ec_key("e1"), "e1"),  # no alg: P-256 implies ES256
        ]
    )


@pytest.fixture
def env(tmp_path, monkeypatch, idp):
    client, environment = start(tmp_path, monkeypatch, idp)
    with client:
        yield environment


# --- accepted -------------------------------------------------------------------------------


def test_rs256_es256_and_eddsa_tokens_from_the_idp_are_accepted(env):
    env.idp.keys.append(jwk_of(ed_key("d1"), "d1"))
    env.accepted(idp_token(rsa_key("r1"), "r1", "RS256"))
    env.accepted(idp_token(ec_key("e1"), "e1", "ES256"))
    env.accepted(idp_token(ed_key("d1"), "d1", "EdDSA"))
    assert env.idp.fetches == 1  # one fetch serves every key of the set


def test_the_built_in_issuer_still_works_beside_the_idp(env):
    env.accepted(env.gw.token())
    assert env.idp.fetches == 0  # its tokens never touch the JWKS


def test_external_audience_defaults_to_the_audience_and_can_differ(tmp_path, monkeypatch, idp):
    client, env = start(tmp_path, monkeypatch, idp, external_audience="renshi-external")
    with client:
        env.accepted(idp_token(rsa_key("r1"), "r1", "RS256", aud="renshi-external"))
        env.refused(idp_token(rsa_key("r1"), "r1", "RS256", aud="renshi-api"))


# --- rotation -------------------------------------------------------------------------------


def test_a_new_key_is_accepted_after_one_refresh(env):
    env.accepted(idp_token(rsa_key("r1"), "r1", "RS256"))
    env.idp.keys.append(jwk_of(rsa_key("r2"), "r2", alg="RS256"))
    new = idp_token(rsa_key("r2"), "r2", "RS256")
    # Just fetched: an unknown kid may not make the gateway call the IdP again yet.
    env.refused(new)
    assert env.idp.fetches == 1
    env.clock.advance(31)
    env.accepted(idp_token(rsa_key("r2"), "r2", "RS256"))
    assert env.idp.fetches == 2
    env.accepted(idp_token(rsa_key("r1"), "r1", "RS256"))
    assert env.idp.fetches == 2


def test_a_removed_key_is_refused_within_five_minutes(env):
    env.accepted(idp_token(rsa_key("r1"), "r1", "RS256"))
    env.idp.keys = [k for k in env.idp.keys if k["kid"] != "r1"]
    env.clock.advance(200)  # still inside the cache time: the IdP is not asked
    env.accepted(idp_token(rsa_key("r1"), "r1", "RS256"))
    assert env.idp.fetches == 1
    env.clock.advance(100)  # 300 s after the fetch: the set has expired
    env.refused(idp_token(rsa_key("r1"), "r1", "RS256"))
    assert env.idp.fetches == 2
    env.accepted(idp_token(ec_key("e1"), "e1", "ES256"))


def test_unknown_kids_refetch_at_most_once_per_interval(env):
    def burst() -> None:
        for _ in range(25):
            env.refused(idp_token(rsa_key("r1"), f"unknown-{uuid.uuid4().hex[:8]}", "RS256"))

    burst()
    assert env.idp.fetches == 1  # the first fetch, nothing more
    env.clock.advance(29)
    burst()
    assert env.idp.fetches == 1
    env.clock.advance(2)
    burst()
    assert env.idp.fetches == 2
    env.clock.advance(15)
    burst()
    assert env.idp.fetches == 2
    assert env.gw.recorder.count == 0


@pytest.mark.anyio
async def test_concurrent_lookups_share_one_fetch():
    idp = FakeIdp(keys=[jwk_of(rsa_key("r1"), "r1", alg="RS256")], delay=0.05)
    clock = FakeClock()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=idp.app())) as client:
        store = JwksKeyStore(client, "http://idp/jwks.json", algorithms=["RS256"], clock=clock)
        found = await asyncio.gather(*(store.key_for(k) for k in ["r1"] * 10 + ["x1"] * 10))
        assert idp.fetches == 1
        assert [k is not None for k in found] == [True] * 10 + [False] * 10
        clock.advance(31)
        idp.keys.append(jwk_of(rsa_key("r2"), "r2", alg="RS256"))
        found = await asyncio.gather(
            *(store.key_for(f"new-{i}") for i in range(20)), store.key_for("r2")
        )
        assert idp.fetches == 2
        assert found[-1] is not None and found[-1].algorithm == "RS256"


# --- keys that must never be used -----------------------------------------------------------


def test_hmac_entries_in_the_jwks_are_never_used(env):
    secret = b"a shared secret the IdP should never publish"
    env.idp.keys += [
        {"kty": "oct", "kid": "h1", "alg": "HS256", "use": "sig", "k": b64(secret)},
        {"kty": "oct", "kid": "h2", "k": b64(secret)},
        jwk_of(rsa_key("r-hs"), "r-hs", alg="HS256"),
    ]
    env.refused(jwt.encode(claims(), secret, algorithm="HS256", headers={"kid": "h1"}))
    env.refused(jwt.encode(claims(), secret, algorithm="HS256", headers={"kid": "h2"}))
    # The RSA key labelled HS256 is not rebound to RS256 either.
    env.refused(idp_token(rsa_key("r-hs"), "r-hs", "RS256"))
    assert env.gw.recorder.count == 0


def test_hs256_signed_with_the_rsa_public_key_pem(env):
    pem = (
        rsa_key("r1")
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    header = {"alg": "HS256", "typ": "JWT", "kid": "r1"}
    body = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims()).encode())}"
    signature = hmac.new(pem, body.encode(), hashlib.sha256).digest()
    env.refused(f"{body}.{b64(signature)}")


def test_rs256_token_for_a_key_bound_to_es256(env):
    # A kid whose key is an ES256 key, presented with RS256 and a signature of
    # another key: refused for the algorithm, before any signature work.
    env.refused(idp_token(rsa_key("r1"), "e1", "RS256"))
    # An RSA JWK that says ES256 is unusable, not silently treated as RS256.
    env.idp.keys.append(jwk_of(rsa_key("r-es"), "r-es", alg="ES256"))
    env.clock.advance(31)
    env.refused(idp_token(rsa_key("r-es"), "r-es", "RS256"))
    # And the other way round.
    env.refused(idp_token(ec_key("e1"), "r1", "ES256"))
    assert env.gw.recorder.count == 0


def test_algorithms_outside_the_configured_list(tmp_path, monkeypatch, idp):
    client, env = start(tmp_path, monkeypatch, idp, external_algorithms=["RS256"])
    with client:
        env.refused(idp_token(ec_key("e1"), "e1", "ES256"))
        env.refused(idp_token(rsa_key("r1"), "r1", "PS256"))
        env.accepted(idp_token(rsa_key("r1"), "r1", "RS256"))


def test_keys_for_encryption_are_ignored(env):
    env.idp.keys = [jwk_of(rsa_key("r1"), "r1", alg="RS256", use="enc")]
    env.refused(idp_token(rsa_key("r1"), "r1", "RS256"))


# --- one issuer's key never vouches for the other -------------------------------------------


def test_idp_key_claiming_the_built_in_issuer(env):
    env.refused(idp_token(rsa_key("r1"), "r1", "RS256", iss=env.gw.settings.issuer))
    # Even when the IdP publishes an EdDSA key under the built-in issuer's kid.
    env.idp.keys.append(jwk_of(ed_key("twin"), env.gw.issuer.kid))
    env.clock.advance(31)
    env.refused(idp_token(ed_key("twin"), env.gw.issuer.kid, "EdDSA", iss=env.gw.settings.issuer))
    assert env.gw.recorder.count == 0


def test_built_in_key_claiming_the_idp(env):
    env.refused(env.gw.claims_token({"iss": IDP}))
    assert env.gw.recorder.count == 0


@pytest.mark.parametrize(
    "iss",
    [
        IDP + "/evil",
        IDP + "/",
        IDP[:-1],
        IDP + " ",
        " " + IDP,
        IDP.upper(),
        IDP.replace("https", "http"),
        [IDP],
        IDP + "\u0000",
    ],
)
def test_issuer_prefix_and_lookalike_tricks(env, iss):
    env.refused(idp_token(rsa_key("r1"), "r1", "RS256", iss=iss))


def test_duplicate_issuer_claims(env):
    # The chooser and the verifier must never read different `iss` values.
    now = int(time.time())
    payload = (
        f'{{"iss": "{env.gw.settings.issuer}", "aud": "renshi-api", "sub": "alice", '
        f'"iat": {now}, "nbf": {now}, "exp": {now + 300}, "iss": "{IDP}"}}'
    ).encode()
    token = jwt.api_jws.encode(
        payload, rsa_key("r1"), algorithm="RS256", headers={"kid": "r1", "typ": "JWT"}
    )
    env.refused(token)


def test_claims_are_still_required_of_idp_tokens(env):
    for missing in ("exp", "nbf", "iat", "aud", "sub"):
        env.refused(idp_token(rsa_key("r1"), "r1", "RS256", **{missing: None}))
    now = int(time.time())
    env.refused(idp_token(rsa_key("r1"), "r1", "RS256", exp=now - 60))
    env.refused(idp_token(rsa_key("r1"), "r1", "RS256", iat=now, exp=now + 3601))
    env.refused(idp_token(rsa_key("r1"), "r1", "RS256", sub="nobody"))


# --- the IdP unreachable --------------------------------------------------------------------


def test_fetch_failures_keep_the_last_set_until_it_expires(env):
    env.accepted(idp_token(rsa_key("r1"), "r1", "RS256"))
    env.idp.status = 500
    env.clock.advance(31)
    env.refused(idp_token(rsa_key("r1"), "unknown", "RS256"))  # refetch fails: still unknown
    assert env.idp.fetches == 2
    env.clock.advance(200)
    env.accepted(idp_token(rsa_key("r1"), "r1", "RS256"))  # the last good set
    env.clock.advance(70)  # 301 s since the last good fetch
    response = env.refused(idp_token(rsa_key("r1"), "r1", "RS256"), expected=503)
    assert int(response.headers["retry-after"]) >= 1
    # Retries wait out the refetch interval: no call per request.
    fetches = env.idp.fetches
    env.refused(idp_token(rsa_key("r1"), "r1", "RS256"), expected=503)
    assert env.idp.fetches == fetches
    env.idp.status = 200
    env.clock.advance(31)
    env.accepted(idp_token(rsa_key("r1"), "r1", "RS256"))


def test_an_unreachable_idp_at_first_use_answers_503(tmp_path, monkeypatch, idp):
    client, env = start(tmp_path, monkeypatch, idp, jwks_url="http://nowhere.internal/jwks")
    with client:
        env.refused(idp_token(rsa_key("r1"), "r1", "RS256"), expected=503)
        env.accepted(env.gw.token())  # the built-in issuer is unaffected


@pytest.mark.anyio
async def test_a_broken_document_keeps_the_last_set():
    idp = FakeIdp(keys=[jwk_of(rsa_key("r1"), "r1", alg="RS256")])
    clock = FakeClock()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=idp.app())) as client:
        store = JwksKeyStore(client, "http://idp/jwks.json", algorithms=["RS256"], clock=clock)
        assert await store.key_for("r1") is not None
        for raw in (
            b"not json",
            b'{"keys": "nope"}',
            b"[]",
            b'{"keys": [' + b"{}," * 40 + b"{}]}",
            b'{"keys": []' + b" " * 70_000 + b"}",
        ):
            idp.raw = raw
            clock.advance(31)
            assert await store.refresh() is False
        assert await store.key_for("r1") is not None
        clock.advance(300)
        with pytest.raises(JwksUnavailable):
            await store.key_for("r1")


@pytest.mark.anyio
async def test_a_set_near_its_expiry_is_refreshed_in_the_background():
    idp = FakeIdp(keys=[jwk_of(rsa_key("r1"), "r1", alg="RS256")])
    clock = FakeClock()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=idp.app())) as client:
        store = JwksKeyStore(client, "http://idp/jwks.json", algorithms=["RS256"], clock=clock)
        assert await store.key_for("r1") is not None
        clock.advance(250)
        assert await store.key_for("r1") is not None  # answered from the current set
        await asyncio.sleep(0.05)
        assert idp.fetches == 2
        assert store.seconds_left() == 300


# --- parsing -------------------------------------------------------------------------------


def test_malformed_keys_are_skipped_and_logged_without_key_material(caplog):
    good = jwk_of(rsa_key("r1"), "r1", alg="RS256")
    private = RSAAlgorithm.to_jwk(rsa_key("leak"), as_dict=True) | {"kid": "leak", "alg": "RS256"}
    # Deliberately weak: the store must refuse it.
    weak = jwk_of(rsa.generate_private_key(public_exponent=65537, key_size=1024), "weak")  # noqa: S505
    bad_point = jwk_of(ec_key("e1"), "bad-point") | {"y": good["n"][:43]}
    document = {
        "keys": [
            "not an object",
            private,
            weak,
            bad_point,
            jwk_of(ec_key("p384"), "no-alg", crv="P-384"),
            jwk_of(rsa_key("r2"), "../../etc/passwd", alg="RS256"),
            jwk_of(rsa_key("r2"), "ops", alg="RS256", key_ops=["encrypt"]),
            jwk_of(ec_key("e1"), "curve", alg="ES384"),
            jwk_of(rsa_key("r2"), "twice", alg="RS256"),
            jwk_of(rsa_key("r3"), "twice", alg="RS256"),
            jwk_of(rsa_key("r2"), "none", alg="none"),
            good,
        ]
    }
    with caplog.at_level(logging.WARNING, logger="renshi.gateway.jwks"):
        keys = parse_jwks(document, check_algorithms(["RS256", "ES256", "ES384"]))
    assert list(keys) == ["r1"]
    assert keys["r1"].algorithm == "RS256"
    text = caplog.text
    assert len(caplog.records) == 10
    assert "private key members" in text and "2048" in text and "passwd" not in text
    # An IdP publishing a symmetric key is logged as such, its secret never.
    with caplog.at_level(logging.WARNING, logger="renshi.gateway.jwks"):
        assert (
            parse_jwks(
                {"keys": [{"kty": "oct", "kid": "h", "k": "c2VjcmV0LXZhbHVl"}]},
                check_algorithms(["RS256"]),
            )
            == {}
        )
    assert "symmetric" in caplog.text and "c2VjcmV0LXZhbHVl" not in caplog.text
    for member in ("n", "d", "p", "q", "e"):
        for jwk in (private, good, weak):
            if member in jwk and len(jwk[member]) > 8:
                assert jwk[member] not in text


def test_implied_algorithms():
    keys = parse_jwks(
        {
            "keys": [
                jwk_of(rsa_key("r1"), "r"),
                jwk_of(ec_key("e1"), "e"),
                jwk_of(ed_key("d1"), "d"),
            ]
        },
        check_algorithms(["RS256", "ES256", "EdDSA"]),
    )
    assert {k: v.algorithm for k, v in keys.items()} == {"r": "RS256", "e": "ES256", "d": "EdDSA"}
    # Implied algorithms outside the configured list leave the key unused.
    assert parse_jwks({"keys": [jwk_of(rsa_key("r1"), "r")]}, frozenset({"PS256"})) == {}


# --- configuration -------------------------------------------------------------------------


@pytest.mark.parametrize("algorithms", [["HS256"], ["none"], ["RS256", "HS512"], [], ["RS1"]])
def test_hmac_and_none_refuse_to_start(tmp_path, algorithms):
    with pytest.raises(ValidationError):
        GatewaySettings(jwks_url=JWKS_URL, external_issuer=IDP, external_algorithms=algorithms)
    with pytest.raises(ValueError, match="GATEWAY_EXTERNAL_ALGORITHMS"):
        check_algorithms(algorithms)


@pytest.mark.parametrize(
    "fields",
    [
        {"jwks_cache_seconds": 301},
        {"jwks_cache_seconds": 0},
        {"jwks_min_refetch_seconds": 0},
    ],
)
def test_cache_bounds(fields):
    with pytest.raises(ValidationError):
        GatewaySettings(**fields)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"external_issuer": ""}, "EXTERNAL_ISSUER is required"),
        ({"external_issuer": "renshi"}, "must differ"),
        ({"jwks_url": "file:///etc/jwks.json"}, "http"),
    ],
)
def test_inconsistent_configuration_refuses_to_start(tmp_path, monkeypatch, idp, fields, message):
    client, _env = start(tmp_path, monkeypatch, idp, **fields)
    with pytest.raises(ValueError, match=message), client:
        pass


@pytest.mark.anyio
async def test_production_needs_https():
    settings = GatewaySettings(
        environment="production", database_url="sqlite://", jwks_url=JWKS_URL, external_issuer=IDP
    )
    async with httpx.AsyncClient() as client:
        with pytest.raises(ValueError, match="https"):
            external_key_store(settings, client)
        https = settings.model_copy(update={"jwks_url": "https://idp.example/jwks"})
        assert external_key_store(https, client) is not None
        assert external_key_store(GatewaySettings(database_url="sqlite://"), client) is None
