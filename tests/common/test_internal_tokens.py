"""Every service refuses requests that lack a valid internal token."""

from __future__ import annotations

import time

import jwt
import pytest

from gateway.keys import generate
from services.common.internal_auth import mint_internal_token
from services.common.principal import Principal
from tests.databases import SERVICES

AUDITOR: dict[str, list[str]] = {"permissions": []}


def _path(service: str) -> str:
    return "/audit/personal-data-reads"


@pytest.mark.parametrize("service", SERVICES)
def test_no_token_is_401(client, service):
    response = client(service).get(_path(service))
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/unauthorized")


@pytest.mark.parametrize("service", SERVICES)
def test_valid_token_with_permission_is_accepted(client, internal_token, service):
    token = internal_token(service, permissions=[f"{service}:audit:read"])
    response = client(service).get(_path(service), headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    assert response.json()["items"] == []


@pytest.mark.parametrize("service", SERVICES)
def test_valid_token_without_permission_is_403(client, internal_token, service):
    token = internal_token(service, permissions=["something:else"])
    response = client(service).get(_path(service), headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403


@pytest.mark.parametrize("service", SERVICES)
def test_identity_headers_alone_are_not_trusted(client, service):
    headers = {
        "X-User": "admin",
        "X-Roles": "system_admin",
        "X-Permissions": f"{service}:audit:read",
        "X-Forwarded-User": "admin",
    }
    assert client(service).get(_path(service), headers=headers).status_code == 401


def _forged_tokens(service: str, real_kid: str):
    other = generate()
    principal = Principal(sub="x", kind="human", permissions=[f"{service}:audit:read"])
    yield (
        "foreign key",
        mint_internal_token(
            principal, audience=service, private_pem=other.private_pem, kid=real_kid
        ),
    )
    yield (
        "alg none",
        jwt.encode(
            {
                "sub": "x",
                "aud": service,
                "iss": "renshi-gateway",
                "iat": int(time.time()),
                "nbf": int(time.time()),
                "exp": int(time.time()) + 30,
                "principal": principal.model_dump(),
            },
            "",
            algorithm="none",
        ),
    )


@pytest.mark.parametrize("service", SERVICES)
def test_forged_tokens_are_refused(client, internal_keys, service):
    for label, token in _forged_tokens(service, internal_keys.kid):
        response = client(service).get(_path(service), headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, label


@pytest.mark.parametrize("service", SERVICES)
def test_hs256_signed_with_public_key_is_refused(client, internal_keys, service):
    now = int(time.time())
    claims = {
        "sub": "x",
        "aud": service,
        "iss": "renshi-gateway",
        "iat": now,
        "nbf": now,
        "exp": now + 30,
        "principal": {"sub": "x", "kind": "human", "permissions": [f"{service}:audit:read"]},
    }
    # PyJWT refuses to sign HMAC with a PEM key, so build the token by hand.
    import base64
    import hashlib
    import hmac
    import json

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(claims).encode())
    sig = hmac.new(internal_keys.public_pem.encode(), f"{head}.{body}".encode(), hashlib.sha256)
    token = f"{head}.{body}.{b64(sig.digest())}"
    response = client(service).get(_path(service), headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


@pytest.mark.parametrize("service", SERVICES)
def test_expired_token_is_refused(client, internal_keys, service):
    principal = Principal(sub="x", kind="human", permissions=[f"{service}:audit:read"])
    token = mint_internal_token(
        principal,
        audience=service,
        private_pem=internal_keys.private_pem,
        kid=internal_keys.kid,
        lifetime=30,
        now=time.time() - 120,
    )
    response = client(service).get(_path(service), headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


@pytest.mark.parametrize("service", SERVICES)
def test_wrong_audience_is_refused(client, internal_token, service):
    other = next(s for s in SERVICES if s != service)
    token = internal_token(other, permissions=[f"{service}:audit:read"])
    response = client(service).get(_path(service), headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_lifetime_over_sixty_seconds_cannot_be_minted(internal_keys):
    with pytest.raises(ValueError):
        mint_internal_token(
            Principal(sub="x", kind="human"),
            audience="training",
            private_pem=internal_keys.private_pem,
            kid=internal_keys.kid,
            lifetime=61,
        )
