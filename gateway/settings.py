"""Gateway settings (environment prefix `GATEWAY_`)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings

from services.common.settings import VAR_DIR, Environment, default_sqlite_url, service_config

GATEWAY_PORT = 8000
SERVICES = ("directory", "training", "certs", "attendance", "speakers")
# Each service listens on the gateway's port + its position (8001 … 8005).
DEFAULT_PORTS = {svc: GATEWAY_PORT + i for i, svc in enumerate(SERVICES, start=1)}


def service_urls(gateway_port: int = GATEWAY_PORT, host: str = "127.0.0.1") -> dict[str, str]:
    return {svc: f"http://{host}:{gateway_port + i}" for i, svc in enumerate(SERVICES, start=1)}


class GatewaySettings(BaseSettings):
    model_config = service_config("GATEWAY_")

    environment: Environment = "development"
    log_level: str = "INFO"
    # The gateway's own database holds only its decision audit.
    database_url: str = ""
    public_url: str = "http://127.0.0.1:8000"
    service_urls: dict[str, str] = Field(default_factory=service_urls)
    keys_dir: Path = VAR_DIR / "keys"
    # PEM text; when empty the key is read from (or created in) keys_dir.
    internal_private_key: str = ""
    issuer_private_key: str = ""
    # The built-in issuer: tokens it signs carry this `iss` and `aud`.
    issuer: str = "renshi"
    audience: str = "renshi-api"
    internal_issuer: str = "renshi-gateway"
    # Maximum lifetime of an external token, by account kind.
    max_token_lifetime_human: int = 3600
    max_token_lifetime_machine: int = 900
    leeway_seconds: int = 30
    # How long a resolved account is trusted before it is asked for again;
    # bounds how long a disabled account's valid token keeps working, which the
    # security rules cap at 60 s.
    principal_ttl_seconds: int = Field(default=30, ge=1, le=60)
    # Source-IP control: the deployment-wide allow-list and the proxies whose
    # X-Forwarded-For is believed.
    allowed_networks: list[str] = Field(default_factory=lambda: ["127.0.0.1/32", "::1/128"])
    trusted_proxies: list[str] = Field(default_factory=list)
    upstream_connect_timeout: float = 2.0
    upstream_read_timeout: float = 30.0
    max_connections: int = 200
    max_body_bytes: int = 64 * 1024 * 1024
    max_header_bytes: int = 16 * 1024
    # `limits` notation; storage "memory://" for one replica, "redis://host:6379"
    # when several replicas must share the counts.
    rate_limit_per_ip: str = "1200/minute"
    rate_limit_per_principal: str = "600/minute"
    rate_limit_storage: str = "memory://"
    rate_limit_key_prefix: str = "renshi"
    # The gateway's own HTTP/1.1 client forwards by default (gateway/h1_forwarder.py:
    # a quarter of aiohttp's CPU a request); aiohttp stays selectable, httpx
    # serves tests with in-process transports.
    forwarder: Literal["h1", "aiohttp", "httpx"] = "h1"

    @model_validator(mode="after")
    def _default_database(self) -> GatewaySettings:
        if not self.database_url:
            if self.environment == "production":
                raise ValueError("database_url is required in production")
            self.database_url = default_sqlite_url("gateway")
        return self

    def create_keys_allowed(self) -> bool:
        return self.environment != "production"

    # An external identity provider. Its tokens are told apart by `iss` (exact
    # match with external_issuer) and verified with the keys of its JWKS.
    # Empty jwks_url: only the built-in issuer is trusted.
    jwks_url: str = ""
    external_issuer: str = ""
    # Empty: the same as `audience`.
    external_audience: str = ""
    # Asymmetric algorithms only: `none` and HS* are not in the type, so a
    # configuration naming them fails to load.
    external_algorithms: list[
        Literal[
            "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"
        ]
    ] = Field(default=["RS256", "ES256", "EdDSA"], min_length=1)
    # A removed key must stop working within five minutes.
    jwks_cache_seconds: int = Field(default=300, gt=0, le=300)
    # Bounds how often tokens with unknown `kid`s can make the gateway call the IdP.
    jwks_min_refetch_seconds: int = Field(default=30, gt=0, le=300)
