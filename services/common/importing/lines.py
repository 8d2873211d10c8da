"""Numbered lines out of a streamed request body, never holding more than one chunk
and one line."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import NamedTuple

UTF8_BOM = b"\xef\xbb\xbf"
# An imported row (a person, a learning record, a day's attendance) is a few
# hundred bytes; a longer line is garbage, and is cut so that a file without
# line breaks cannot fill the memory.
MAX_LINE_BYTES = 64 * 1024


class RawLine(NamedTuple):
    # A named tuple: built for every line of a file of a million, where a frozen
    # dataclass costs several times more.
    number: int  # physical line number, from 1
    data: bytes  # without the line break
    terminated: bool  # False for a last line with no line break: possibly truncated
    too_long: bool = False


async def line_blocks(chunks: AsyncIterator[bytes]) -> AsyncIterator[list[RawLine]]:
    """The lines each chunk completes, a list per chunk (never an empty one).

    Split on b"\\n" before decoding: safe for UTF-8 and Big5, whose multi-byte
    characters never contain the byte 0x0A, and it lets one badly encoded line be
    reported without losing the rest. A list per chunk rather than a line at a time:
    the asynchronous hand-over costs more than the split, per item.
    """
    pending = b""  # the start of a line the next chunk completes
    overflow = False  # the pending line grew past MAX_LINE_BYTES: skip to its end
    number = 0
    head: bytes | None = b""  # the body's first bytes, until a BOM is ruled in or out
    async for chunk in chunks:
        if head is not None:
            head += chunk
            if UTF8_BOM.startswith(head):
                continue  # a BOM may still be arriving, a byte at a time
            chunk = head.removeprefix(UTF8_BOM)
            head = None
        if not chunk:
            continue
        parts = chunk.split(b"\n")
        tail = parts.pop()
        block: list[RawLine] = []
        for i, part in enumerate(parts):
            number += 1
            if i == 0:
                if overflow:
                    block.append(RawLine(number, b"", True, True))
                    overflow = False
                    continue
                part = pending + part
                pending = b""
            if len(part) > MAX_LINE_BYTES:
                block.append(RawLine(number, b"", True, True))
            else:
                block.append(RawLine(number, _strip_cr(part), True))
        if not overflow:
            pending += tail
            if len(pending) > MAX_LINE_BYTES:
                overflow = True
                pending = b""
        if block:
            yield block
    if head and head != UTF8_BOM:
        pending = head  # a body shorter than a BOM, and not one
    if pending or overflow:
        yield [RawLine(number + 1, _strip_cr(pending), False, overflow)]


def _strip_cr(data: bytes) -> bytes:
    return data[:-1] if data.endswith(b"\r") else data
