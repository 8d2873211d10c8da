"""Who is calling: the principal the gateway vouches for in the internal token."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Principal(BaseModel):
    sub: str = Field(description="Account name")
    kind: Literal["human", "machine", "service"]
    person_id: str | None = None
    agency_code: str | None = None
    # Agencies whose records this principal may see: its own and, where the
    # account is granted subordinates, those too. Resolved by the gateway.
    agency_scope: list[str] = Field(default_factory=list)
    roles: list[str] = Field(default_factory=list)
    permissions: list[str] = Field(default_factory=list)
    request_id: str | None = None

    def has(self, permission: str) -> bool:
        return permission in self.permissions

    def in_scope(self, agency_code: str | None) -> bool:
        return agency_code is not None and agency_code in self.agency_scope
