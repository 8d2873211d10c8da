"""Agencies' promotion points tables, one per agency and year."""

from __future__ import annotations

from sqlmodel import Session

from services.certs.models import PromotionPointsTable


def get(
    session: Session, agency_code: str, year: int, *, for_update: bool = False
) -> PromotionPointsTable | None:
    return session.get(PromotionPointsTable, (agency_code, year), with_for_update=for_update)
