"""Ed25519 signing keys: generated on first start for the embedded default,
supplied as PEM (env or mounted secret file) in production."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


@dataclass(frozen=True)
class KeyPair:
    private_pem: str
    public_pem: str
    kid: str


def _kid(public_pem: str) -> str:
    import hashlib

    return hashlib.sha256(public_pem.encode()).hexdigest()[:16]


def generate() -> KeyPair:
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return KeyPair(private_pem, public_pem, _kid(public_pem))


def from_private_pem(private_pem: str) -> KeyPair:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("signing key must be Ed25519")
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return KeyPair(private_pem, public_pem, _kid(public_pem))


def load_or_create(directory: Path, name: str) -> KeyPair:
    """`<name>.pem` (private, mode 0600) and `<name>.pub.pem` in `directory`."""
    private_path = directory / f"{name}.pem"
    public_path = directory / f"{name}.pub.pem"
    if private_path.exists():
        pair = from_private_pem(private_path.read_text())
    else:
        directory.mkdir(parents=True, exist_ok=True)
        pair = generate()
        # Create with 0600 from the start rather than chmod after writing.
        fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(pair.private_pem)
    if not public_path.exists() or public_path.read_text() != pair.public_pem:
        public_path.write_text(pair.public_pem)
    return pair
