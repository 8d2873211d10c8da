"""What a catalogue entry says: the kinds of certification, the talent roles
a certificate supports, and whether it is a government or an industry one.

The entries themselves are data (tables `catalogue_entries` and
`catalogue_versions`); these are the closed vocabularies their columns use,
from the AI-talent guidance of June 2026 (domain.md §3)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum


class Kind(StrEnum):
    LITERACY = "literacy"  # 素養類
    TOOL = "tool"  # 工具類
    PROJECT_PLANNING = "project_planning"  # 專案規劃類
    PROJECT_TECHNICAL = "project_technical"  # 專案技術類


class TalentRole(StrEnum):
    POLICY = "policy"  # 政策人才
    APPLICATION = "application"  # 應用人才
    DEVELOPMENT = "development"  # 開發人才
    RESEARCH = "research"  # 研究人才


class Sector(StrEnum):
    GOVERNMENT = "government"  # 公部門專屬認證
    INDUSTRY = "industry"  # 產業認證


def recognition_refusals(
    recognised_from: date | None, recognised_until: date | None, obtained_on: date
) -> list[tuple[str, str]]:
    """Why a certificate obtained on `obtained_on` is not recognised by a catalogue
    version (code, reason); empty when it is. A version without `recognised_from`
    is announced but not recognised yet (a planned certificate)."""
    if recognised_from is None:
        return [("not_yet_recognised", "the catalogue does not recognise this certificate yet")]
    refusals = []
    if obtained_on < recognised_from:
        refusals.append(
            (
                "obtained_before_recognised",
                f"obtained before the catalogue recognises it ({recognised_from.isoformat()})",
            )
        )
    if recognised_until is not None and obtained_on > recognised_until:
        refusals.append(
            (
                "obtained_after_recognition_ended",
                f"obtained after the catalogue stopped recognising it "
                f"({recognised_until.isoformat()})",
            )
        )
    return refusals
