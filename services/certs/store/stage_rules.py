"""Agencies' own learning-path stage rules, one row per agency."""

from __future__ import annotations

from sqlmodel import Session

from services.certs.models import StageRuleTable


def get(session: Session, agency_code: str, *, for_update: bool = False) -> StageRuleTable | None:
    return session.get(StageRuleTable, agency_code, with_for_update=for_update)
