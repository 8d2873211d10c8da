"""A service's own identity, for its jobs.

A call on a person's behalf carries that person's principal (see `peers`); a
scheduled job has no caller, so it acts as the service itself: the account
`svc.<service>` (kind service, owned by the system administrator's person,
allowed from the service's networks only), which signs in with OAuth2 client
credentials at the gateway's `POST /oauth/token` and then calls other services
through the gateway's public path (`/api/<peer>/...`) like any client. The
gateway checks the account's roles and its peer policy, audits each decision,
and the peer sees the account as the reader.

The client secret comes from `<SVC>_CLIENT_SECRET`, or from the file
`<SVC>_CLIENT_SECRET_FILE` names (a mounted secret in production;
`renshi up` points it at the one the demo seed wrote under var/).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from services.common.errors import ServiceUnavailable
from services.common.peers import JOB_RATE_LIMIT_WAIT_SECONDS, PeerClient, pause, retry_after
from services.common.settings import VAR_DIR, ServiceSettings

SERVICE_ACCOUNT_PREFIX = "svc."
# A token is replaced this long before it expires (or halfway through its life,
# when that is sooner), so that a call never leaves with one about to lapse.
REFRESH_MARGIN_SECONDS = 60.0
TOKEN_TIMEOUT_SECONDS = 5.0


def service_account(service: str) -> str:
    """The account a service's jobs act as: `svc.<service>`."""
    return f"{SERVICE_ACCOUNT_PREFIX}{service}"


def service_of_account(account: str) -> str | None:
    """The service whose own account `account` is, or None."""
    if not account.startswith(SERVICE_ACCOUNT_PREFIX):
        return None
    return account[len(SERVICE_ACCOUNT_PREFIX) :] or None


def demo_secret_file(service: str, var_dir: Path = VAR_DIR) -> Path:
    """Where the embedded default keeps the demo secret of `svc.<service>`."""
    return var_dir / f"{service_account(service)}-secret"


class ServiceIdentityError(RuntimeError):
    """The service cannot act as itself: no secret, or the gateway refused it."""


class MissingClientSecret(ServiceIdentityError):
    pass


def _env_prefix(settings: ServiceSettings) -> str:
    return str(settings.model_config.get("env_prefix") or f"{settings.service_name.upper()}_")


def client_secret(settings: ServiceSettings) -> str:
    """The secret of the service's account: the setting itself, else the file it
    names. Raises MissingClientSecret saying which variable to set."""
    prefix = _env_prefix(settings)
    account = service_account(settings.service_name)
    if settings.client_secret is not None:
        value = settings.client_secret.get_secret_value().strip()
        source = f"{prefix}CLIENT_SECRET"
    elif settings.client_secret_file is not None:
        source = f"{prefix}CLIENT_SECRET_FILE ({settings.client_secret_file})"
        try:
            value = settings.client_secret_file.read_text().strip()
        except OSError as exc:
            raise MissingClientSecret(
                f"the client secret of {account} cannot be read from {source}: "
                f"{exc.strerror or type(exc).__name__}"
            ) from None
    else:
        raise MissingClientSecret(
            f"{settings.service_name} has no client secret for its account {account}: "
            f"set {prefix}CLIENT_SECRET or {prefix}CLIENT_SECRET_FILE"
        )
    if not value:
        raise MissingClientSecret(f"the client secret of {account} in {source} is empty")
    return value


class ServiceIdentity:
    """Access tokens of one account by client credentials, cached and renewed
    before they expire; also a `peers.TokenProvider` (the token is addressed to
    the gateway, whichever peer the call is for)."""

    def __init__(
        self,
        client_id: str,
        secret: str,
        gateway_url: str,
        *,
        timeout: float = TOKEN_TIMEOUT_SECONDS,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        rate_limit_wait: float = JOB_RATE_LIMIT_WAIT_SECONDS,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        """`rate_limit_wait`: how long a token request, and each idempotent
        request of its peers, may wait in all on the gateway's 429s."""
        self.client_id = client_id
        self.gateway_url = gateway_url.rstrip("/")
        self._secret = secret
        self._timeout = timeout
        self._transport = transport
        self._clock = clock
        self._rate_limit_wait = rate_limit_wait
        self._sleep = sleep
        self._token: str | None = None
        self._renew_at = 0.0
        # A job may call from several threads; one of them fetches at a time.
        self._lock = threading.Lock()

    @classmethod
    def from_settings(
        cls, settings: ServiceSettings, *, transport: httpx.BaseTransport | None = None
    ) -> ServiceIdentity:
        return cls(
            service_account(settings.service_name),
            client_secret(settings),
            settings.gateway_url,
            transport=transport,
        )

    def __call__(self, _peer: str) -> str:
        return self.token()

    def token(self) -> str:
        with self._lock:
            if self._token is None or self._clock() >= self._renew_at:
                self._token, lifetime = self._fetch()
                margin = min(REFRESH_MARGIN_SECONDS, lifetime / 2)
                self._renew_at = self._clock() + lifetime - margin
            return self._token

    def sign_in(
        self,
        wait_seconds: float,
        *,
        pause: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> str:
        """A token, waiting up to `wait_seconds` while the gateway (or the
        directory behind it) cannot issue one yet, as when everything starts
        together; a refusal of the credentials is raised at once."""
        deadline = self._clock() + wait_seconds
        while True:
            try:
                return self.token()
            except ServiceUnavailable:
                if self._clock() + pause > deadline:
                    raise
            sleep(pause)  # polling the gateway, bounded by the deadline

    def forget(self) -> None:
        """Drop the cached token (the next call fetches a new one)."""
        with self._lock:
            self._token = None

    def _fetch(self) -> tuple[str, float]:
        waited = 0.0
        while True:
            response = self._token_response()
            wait = retry_after(response)
            if response.status_code != 429 or waited + wait > self._rate_limit_wait:
                return self._read_token(response)
            # The token endpoint counts against the host's limit, which the
            # job's own reads may have spent: wait as the gateway asks.
            (self._sleep or pause)(wait)
            waited += wait

    def _token_response(self) -> httpx.Response:
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self._secret,
        }
        try:
            with httpx.Client(timeout=self._timeout, transport=self._transport) as client:
                response = client.post(f"{self.gateway_url}/oauth/token", data=form)
        except httpx.TransportError:
            raise ServiceUnavailable(
                f"the gateway cannot be reached for a token of {self.client_id}"
            ) from None
        return response

    def _read_token(self, response: httpx.Response) -> tuple[str, float]:
        if response.status_code >= 500 or response.status_code == 429:
            raise ServiceUnavailable(
                f"the gateway could not issue a token of {self.client_id} ({response.status_code})"
            )
        if response.status_code != 200:
            # Never the body: it may repeat what was sent.
            raise ServiceIdentityError(
                f"the gateway refused the client credentials of {self.client_id} "
                f"({response.status_code}): is the account active, its secret current "
                "and this host within its allow-list?"
            )
        try:
            body = response.json()
            token = str(body["access_token"])
            lifetime = float(body["expires_in"])
        except (ValueError, KeyError, TypeError):
            raise ServiceUnavailable("the gateway answered a token request oddly") from None
        if not token or lifetime <= 0:
            raise ServiceUnavailable("the gateway answered a token request oddly")
        return token, lifetime

    def peer(
        self,
        peer: str,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> PeerClient:
        """A client of `peer` through the gateway's public path, as this account."""
        return PeerClient(
            peer,
            f"{self.gateway_url}/api/{peer}",
            self,
            transport=transport if transport is not None else self._transport,
            timeout=timeout,
            rate_limit_wait=self._rate_limit_wait,
            sleep=self._sleep,
        )
