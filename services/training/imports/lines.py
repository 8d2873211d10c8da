"""Numbered lines out of a streamed request body, never holding more than one line."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

UTF8_BOM = b"\xef\xbb\xbf"
# A learning record is a few hundred bytes; a longer line is garbage, and is cut
# so that a file without line breaks cannot fill the memory.
MAX_LINE_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class RawLine:
    number: int  # physical line number, from 1
    data: bytes  # without the line break
    terminated: bool  # False for a last line with no line break: possibly truncated
    too_long: bool = False


async def raw_lines(chunks: AsyncIterator[bytes]) -> AsyncIterator[RawLine]:
    """Split on b"\\n" before decoding: safe for UTF-8 and Big5, whose multi-byte
    characters never contain the byte 0x0A, and it lets one badly encoded line be
    reported without losing the rest."""
    pending = bytearray()
    number = 0
    overflow = False
    first = True
    async for chunk in chunks:
        if not chunk:
            continue
        if first:
            first = False
            if chunk.startswith(UTF8_BOM):
                chunk = chunk[len(UTF8_BOM) :]
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            if end < 0:
                if not overflow:
                    pending += chunk[start:]
                    if len(pending) > MAX_LINE_BYTES:
                        overflow = True
                        pending.clear()
                break
            number += 1
            if overflow:
                yield RawLine(number, b"", True, too_long=True)
            else:
                pending += chunk[start:end]
                if len(pending) > MAX_LINE_BYTES:
                    yield RawLine(number, b"", True, too_long=True)
                else:
                    yield RawLine(number, _strip_cr(bytes(pending)), True)
            pending.clear()
            overflow = False
            start = end + 1
    if pending or overflow:
        number += 1
        yield RawLine(number, _strip_cr(bytes(pending)), False, too_long=overflow)


def _strip_cr(data: bytes) -> bytes:
    return data[:-1] if data.endswith(b"\r") else data
