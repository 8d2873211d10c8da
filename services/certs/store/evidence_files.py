"""Evidence files on disk, content-addressed: `<dir>/<sha[:2]>/<sha[2:4]>/<sha>`.

An upload is streamed into a temporary file in the storage folder itself, so
that the final rename is atomic (same file system); a refused upload (too
large, not an accepted type) deletes it, leaving nothing behind. Two uploads
of the same bytes share one file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from services.certs.domain.evidence import SNIFF_BYTES, media_type_of

TEMP_PREFIX = ".upload-"


class TooLarge(Exception):
    pass


class NotAccepted(Exception):
    pass


@dataclass(frozen=True)
class Stored:
    sha256: str
    media_type: str
    size: int


def path_of(root: Path, sha256: str) -> Path:
    return root / sha256[:2] / sha256[2:4] / sha256


async def store_stream(root: Path, chunks: AsyncIterator[bytes], max_bytes: int) -> Stored:
    """Stream `chunks` into the store. Raises TooLarge past `max_bytes` and
    NotAccepted when the first bytes are no PDF, PNG or JPEG; either way the
    temporary file is gone."""
    root.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=root)
    temp = Path(temp_name)
    digest = hashlib.sha256()
    size = 0
    head = b""
    media_type: str | None = None
    try:
        with os.fdopen(handle, "wb") as out:
            async for chunk in chunks:
                if not chunk:
                    continue
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge
                if media_type is None:
                    head = (head + chunk)[:SNIFF_BYTES]
                    if len(head) >= SNIFF_BYTES:
                        media_type = media_type_of(head)
                        if media_type is None:
                            raise NotAccepted
                digest.update(chunk)
                out.write(chunk)
        if media_type is None:
            # Shorter than a signature's length: decide on what there is.
            media_type = media_type_of(head)
            if media_type is None:
                raise NotAccepted
        sha = digest.hexdigest()
        final = path_of(root, sha)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temp, final)
        return Stored(sha256=sha, media_type=media_type, size=size)
    finally:
        temp.unlink(missing_ok=True)


def open_file(root: Path, sha256: str) -> Path | None:
    path = path_of(root, sha256)
    return path if path.is_file() else None
