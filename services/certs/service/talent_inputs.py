"""What the pure talent rules are given for one person: their verified
certificates as `domain.talent.Certificate`, their live roles and the stored
copy of their AI hours of a year."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlmodel import Session

from services.certs.domain.levels import rank_of
from services.certs.domain.talent import Certificate, CertificateKind, TalentRole
from services.certs.store import person_ai_hours, person_certificates, talent_roles
from services.certs.store.person_certificates import HeldCertificate
from services.certs.talent_schemas import AiHoursFigures, CountedCertificate, LevelName
from services.common.timeutil import taipei_date

HUNDREDTH = Decimal("0.01")


@dataclass(frozen=True)
class Held:
    row: HeldCertificate
    rule: Certificate


def held_certificates(session: Session, person_id: str) -> list[Held]:
    """The person's certificates that counted on some day since their verification.
    A certificate verified for the record after it had lapsed counts on no day."""
    held = []
    for row in person_certificates.held(session, person_id):
        verified_on = taipei_date(row.verified_at)
        # `expires_on` is the day it lapses; the rules want its last valid day.
        last = None if row.expires_on is None else row.expires_on - timedelta(days=1)
        if last is not None and last < verified_on:
            continue
        rule = Certificate(
            kind=CertificateKind(row.kind),
            level=rank_of(row.level_rank),
            verified_on=verified_on,
            expires_on=last,
            code=row.code,
        )
        held.append(Held(row, rule))
    return held


def counted_out(item: Held) -> CountedCertificate:
    return CountedCertificate(
        certificate_id=item.row.id,
        catalogue_code=item.row.code,
        name=item.row.name,
        kind=item.row.kind,
        level=item.row.level,
        rules_level=LevelName(item.rule.level.name.lower()),
        verified_on=item.rule.verified_on,
        last_valid_on=item.rule.expires_on,
    )


def live_roles(session: Session, person_id: str) -> frozenset[TalentRole]:
    return frozenset(TalentRole(r) for r in talent_roles.live_roles(session, person_id))


@dataclass(frozen=True)
class StoredHours:
    year: int
    basic: Decimal
    advanced: Decimal
    pulled_at: datetime | None

    @property
    def total(self) -> Decimal:
        return self.basic + self.advanced

    def figures(self) -> AiHoursFigures:
        return AiHoursFigures(
            year=self.year,
            ai_hours=self.total,
            ai_basic_hours=self.basic,
            ai_advanced_hours=self.advanced,
        )


def stored_hours(session: Session, person_id: str, year: int) -> StoredHours:
    """The nightly pull's copy; zeros (and no `pulled_at`) when it holds none."""
    row = person_ai_hours.get(session, person_id, year)
    if row is None:
        return StoredHours(year, Decimal("0.00"), Decimal("0.00"), None)
    return StoredHours(
        year,
        Decimal(row.basic_centi) * HUNDREDTH,
        Decimal(row.advanced_centi) * HUNDREDTH,
        row.pulled_at,
    )
