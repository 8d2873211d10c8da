"""How a held permission satisfies a route's required one."""

from __future__ import annotations

from collections.abc import Iterable

PUBLIC = "public"


def grants(held: Iterable[str], required: str) -> bool:
    """`training:records:read:self` satisfies a route requiring `training:records:read`:
    the gateway checks the action, the service narrows it to the scope."""
    if required == PUBLIC:
        return True
    prefix = required + ":"
    return any(p == required or p.startswith(prefix) for p in held)
