"""The gateway's two signing keys: the built-in issuer's (external tokens) and the
internal one (tokens for services). Separate keys so a leaked internal key cannot
mint tokens the gateway would accept from outside, and vice versa."""

from __future__ import annotations

from dataclasses import dataclass

from gateway import keys
from gateway.keys import KeyPair
from gateway.settings import GatewaySettings


@dataclass(frozen=True)
class Keyring:
    issuer: KeyPair
    internal: KeyPair


def _load(pem: str, settings: GatewaySettings, name: str) -> KeyPair:
    if pem:
        return keys.from_private_pem(pem)
    path = settings.keys_dir / f"{name}.pem"
    if not path.exists() and not settings.create_keys_allowed():
        raise RuntimeError(f"{name} signing key missing: set GATEWAY_{name.upper()}_PRIVATE_KEY")
    return keys.load_or_create(settings.keys_dir, name)


def load_keyring(settings: GatewaySettings) -> Keyring:
    return Keyring(
        issuer=_load(settings.issuer_private_key, settings, "issuer"),
        internal=_load(settings.internal_private_key, settings, "internal"),
    )
