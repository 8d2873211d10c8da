"""Which file an evidence upload is, from its first bytes (magic numbers), never
from its name or the Content-Type the client declared."""

from __future__ import annotations

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
ACCEPTED = (PDF, PNG, JPEG)
# Bytes to read before deciding: the longest signature below.
SNIFF_BYTES = 8

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
)


def media_type_of(head: bytes) -> str | None:
    """The accepted media type the file starting with `head` is; None otherwise."""
    for signature, media_type in _SIGNATURES:
        if head.startswith(signature):
            return media_type
    return None
