"""Settings shared by every service; each service subclasses with its own env prefix."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[2]
# Where the embedded default keeps its SQLite files and keys.
VAR_DIR = Path(os.environ.get("RENSHI_VAR_DIR") or ROOT / "var").resolve()

# Values that mean "nobody set a secret yet": fine on a laptop, never in production.
PLACEHOLDER_SECRETS = frozenset(
    {"", "changeme", "change-me", "secret", "dev", "development", "placeholder"}
)

Environment = Literal["development", "test", "production"]


def default_sqlite_url(service: str) -> str:
    return f"sqlite:///{VAR_DIR / f'{service}.db'}"


class ServiceSettings(BaseSettings):
    """Base settings. Subclasses set `model_config = service_config("TRAINING_")`."""

    model_config = SettingsConfigDict(extra="ignore")

    service_name: str = "service"
    environment: Environment = "development"
    database_url: str = ""
    # The gateway's public key (PEM) for verifying internal tokens; read from
    # internal_public_key_file when empty.
    internal_public_key: str = ""
    internal_public_key_file: Path = VAR_DIR / "keys" / "internal.pub.pem"
    internal_issuer: str = "renshi-gateway"
    log_level: str = "INFO"
    # Other services' base URLs, for typed clients between services.
    peer_urls: dict[str, str] = Field(default_factory=dict)
    # The gateway, which exchanges a caller's internal token for one addressed
    # to a peer service.
    gateway_url: str = "http://127.0.0.1:8000"
    # The client secret of the service's own account `svc.<service>`, with which
    # its jobs get tokens at the gateway (services.common.service_identity);
    # or the file holding it. Only a service whose jobs call another needs one.
    client_secret: SecretStr | None = None
    client_secret_file: Path | None = None
    # An import whose Content-Length is above this many bytes answers 202 and runs
    # as a job (as does any with `Prefer: respond-async`); 4 MiB is some 20,000
    # rows of a learning-record file. A body of unknown length runs in its request.
    import_async_bytes: int = Field(default=4 * 1024 * 1024, ge=0)
    # Where an import answered 202 keeps its body until its job ends (default
    # var/<service>/import-spool).
    import_spool_dir: Path | None = None
    # Whether the app runs the import worker in its lifespan (off: portable jobs
    # wait for another replica or `renshi worker`, held ones for a re-post with
    # their key), and how often it looks for one no local wake-up announced.
    import_worker: bool = True
    import_worker_poll_seconds: float = Field(default=5.0, gt=0)
    # How long a running import's last commit may be old before the job counts as
    # left by a process that died: a re-post with its key, or a worker, then
    # resumes it. Long enough for the slowest batch (its heartbeat refreshes it).
    import_lease_seconds: float = Field(default=120.0, gt=0)

    @model_validator(mode="after")
    def _fill_defaults(self) -> ServiceSettings:
        if not self.database_url:
            if self.environment == "production":
                raise ValueError("database_url is required in production")
            self.database_url = default_sqlite_url(self.service_name)
        if self.import_spool_dir is None:
            self.import_spool_dir = VAR_DIR / self.service_name / "import-spool"
        return self

    def secret_problems(self) -> list[str]:
        """Names of secret fields still holding a placeholder; subclasses extend."""
        return []

    def check_secrets(self) -> None:
        bad = self.secret_problems()
        if bad and self.environment == "production":
            raise ValueError(f"placeholder secret(s) outside development: {', '.join(bad)}")

    def public_key_pem(self) -> str:
        if self.internal_public_key:
            return self.internal_public_key
        return self.internal_public_key_file.read_text()


def is_placeholder(value: str) -> bool:
    return value.strip().lower() in PLACEHOLDER_SECRETS or len(value.strip()) < 16


def service_config(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(env_prefix=prefix, extra="ignore", env_nested_delimiter="__")
