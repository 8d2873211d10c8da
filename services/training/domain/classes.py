"""Rules of a training class's sessions."""

from __future__ import annotations

from collections.abc import Iterable


def first_repeated(numbers: Iterable[int]) -> int | None:
    """The position of the first session number already seen, None when none repeats:
    a class numbers its sessions once each."""
    seen: set[int] = set()
    for i, number in enumerate(numbers):
        if number in seen:
            return i
        seen.add(number)
    return None
