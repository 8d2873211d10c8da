"""Per-account allow-lists, parsed once per distinct list rather than per request."""

from __future__ import annotations

from gateway.security.allowlist import IpAllowList, UnsafeAllowList
from services.common.errors import Forbidden


class AllowListCache:
    def __init__(self, max_entries: int = 10_000) -> None:
        self._max = max_entries
        self._lists: dict[tuple[str, ...], IpAllowList] = {}

    def get(self, networks: list[str]) -> IpAllowList:
        key = tuple(networks)
        found = self._lists.get(key)
        if found is None:
            try:
                found = IpAllowList.from_config(networks)
            except (UnsafeAllowList, ValueError):
                # A registered list the gateway cannot honour denies rather than allows.
                raise Forbidden("the account's source allow-list is not valid") from None
            if len(self._lists) >= self._max:
                self._lists.clear()
            self._lists[key] = found
        return found
