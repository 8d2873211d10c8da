"""Whether a catalogue version may take a certificate: at registration, and
again when an HR officer verifies it (the catalogue may have moved on since).

Each rule broken is reported, as (field, code, reason), so that a refusal
names them all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.certs.domain.catalogue import recognition_refusals


@dataclass(frozen=True)
class VersionFacts:
    retired: bool
    superseded: bool
    recognised_from: date | None
    recognised_until: date | None


def refusals(version: VersionFacts, obtained_on: date, today: date) -> list[tuple[str, str, str]]:
    found: list[tuple[str, str, str]] = []
    if version.retired:
        found.append(
            ("catalogue_version_id", "catalogue_retired", "the catalogue entry is retired")
        )
    if version.superseded:
        found.append(
            (
                "catalogue_version_id",
                "catalogue_version_superseded",
                "this catalogue version has been replaced by a newer one",
            )
        )
    for code, reason in recognition_refusals(
        version.recognised_from, version.recognised_until, obtained_on
    ):
        field = "catalogue_version_id" if code == "not_yet_recognised" else "obtained_on"
        found.append((field, code, reason))
    if obtained_on > today:
        found.append(
            ("obtained_on", "in_the_future", "a certificate cannot be obtained after today")
        )
    return found
