"""Promotion points for AI knowledge (陞任評分), from an agency's table for a year.

Since the Executive Yuan's 2025-12-22 revision of the promotion scoring table
(陞任評分標準表, seed 001 Q5), "AI knowledge" (人工智慧知能) sits within two of
its items: professional or technical ability (專業或技術能力) and training and
further study (職務訓練及進修, "訓練進修" here). Each agency sets, as data per
year and within each item's cap, the points for AI certificates by kind and
level and for AI hours by bands; this module applies such a table to one
person:

- A certificate counts when it is valid on the scoring day (verified by then,
  not past its last valid day), at the points of its (kind, level) row; a kind
  and level the table does not list earns nothing, and says so. The same
  catalogue entry held twice (a renewal beside the old row) counts once.
- AI hours of the table's year earn the points of the highest band reached
  (bands are not added up).
- Each item's points are the sum of its lines, cut to the item's cap; the
  result says which lines were counted, why, and where the cap bit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise

from services.certs.domain.talent import Certificate, CertificateKind, Level

_ZERO = Decimal(0)


class ScoringItem(StrEnum):
    PROFESSIONAL_ABILITY = "professional_ability"
    TRAINING = "training"

    @property
    def label_zh(self) -> str:
        return _ITEM_LABELS[self]


_ITEM_LABELS = {
    ScoringItem.PROFESSIONAL_ABILITY: "專業或技術能力",
    ScoringItem.TRAINING: "訓練進修",
}


@dataclass(frozen=True, slots=True)
class CertificatePoints:
    kind: CertificateKind
    level: Level
    points: Decimal
    item: ScoringItem


@dataclass(frozen=True, slots=True)
class HourBand:
    min_hours: Decimal  # AI hours of the year at least this
    points: Decimal
    item: ScoringItem


@dataclass(frozen=True, slots=True)
class PointsTable:
    """One agency's AI points for one year."""

    agency_code: str
    year: int
    certificates: tuple[CertificatePoints, ...]
    hour_bands: tuple[HourBand, ...]
    caps: Mapping[ScoringItem, Decimal]
    version: str = ""

    def __post_init__(self) -> None:
        problems = []
        for item in ScoringItem:
            cap = self.caps.get(item)
            if cap is None:
                problems.append(f"caps.{item.value}: required")
            elif not cap.is_finite() or cap < 0:
                problems.append(f"caps.{item.value}: must be finite and not negative")
        seen: set[tuple[CertificateKind, Level]] = set()
        for i, row in enumerate(self.certificates):
            if not row.points.is_finite() or row.points < 0:
                problems.append(f"certificates[{i}].points: must be finite and not negative")
            key = (row.kind, row.level)
            if key in seen:
                problems.append(f"certificates[{i}]: {row.kind.value} level {row.level} twice")
            seen.add(key)
        for i, band in enumerate(self.hour_bands):
            if not band.points.is_finite() or band.points < 0:
                problems.append(f"hour_bands[{i}].points: must be finite and not negative")
            if not band.min_hours.is_finite() or band.min_hours <= 0:
                problems.append(f"hour_bands[{i}].min_hours: must be more than 0")
        for i, (lower, upper) in enumerate(pairwise(self.hour_bands)):
            # Ordered, so "the highest band reached" is the last one reached, and
            # more hours can never earn fewer points.
            if upper.min_hours <= lower.min_hours:
                problems.append(f"hour_bands[{i + 1}].min_hours: not above the band before")
            if upper.points < lower.points:
                problems.append(f"hour_bands[{i + 1}].points: fewer than the band before")
            if upper.item is not lower.item:
                problems.append(f"hour_bands[{i + 1}].item: bands belong to one item")
        if problems:
            raise ValueError("; ".join(problems))

    def points_for(self, kind: CertificateKind, level: Level) -> CertificatePoints | None:
        for row in self.certificates:
            if row.kind is kind and row.level is level:
                return row
        return None


@dataclass(frozen=True, slots=True)
class PointsLine:
    item: ScoringItem | None  # None: earns nothing, kept for its reason
    points: Decimal
    reason: str
    certificate: Certificate | None = None


@dataclass(frozen=True, slots=True)
class ItemPoints:
    item: ScoringItem
    earned: Decimal  # the lines added up
    cap: Decimal
    awarded: Decimal  # min(earned, cap)

    @property
    def capped(self) -> bool:
        return self.earned > self.cap


@dataclass(frozen=True, slots=True)
class AiPoints:
    agency_code: str
    year: int
    day: date
    lines: tuple[PointsLine, ...]
    items: tuple[ItemPoints, ...]

    @property
    def total(self) -> Decimal:
        return sum((i.awarded for i in self.items), _ZERO)

    def item(self, item: ScoringItem) -> ItemPoints:
        return next(i for i in self.items if i.item is item)


def _certificate_lines(
    table: PointsTable, certificates: Iterable[Certificate], day: date
) -> list[PointsLine]:
    lines: list[PointsLine] = []
    # A renewal sits beside the row it renews: the same entry counts once, at
    # its best points.
    best: dict[str, PointsLine] = {}
    for cert in certificates:
        name = cert.code or f"{cert.kind.value} level {int(cert.level)}"
        if not cert.valid_on(day):
            state = "expired" if cert.expires_on and day > cert.expires_on else "not yet verified"
            lines.append(PointsLine(None, _ZERO, f"{name}: {state} on {day.isoformat()}", cert))
            continue
        row = table.points_for(cert.kind, cert.level)
        if row is None:
            lines.append(
                PointsLine(
                    None,
                    _ZERO,
                    f"{name}: the table gives no points for {cert.kind.value} "
                    f"level {int(cert.level)}",
                    cert,
                )
            )
            continue
        line = PointsLine(
            row.item,
            row.points,
            f"{name}: {cert.kind.label_zh} level {int(cert.level)}, {row.points} points",
            cert,
        )
        if not cert.code:
            lines.append(line)
            continue
        held = best.get(cert.code)
        if held is None or line.points > held.points:
            if held is not None:
                lines.append(
                    PointsLine(
                        None, _ZERO, f"{name}: counted once, as its best row", held.certificate
                    )
                )
            best[cert.code] = line
        else:
            lines.append(PointsLine(None, _ZERO, f"{name}: counted once, as its best row", cert))
    return lines + list(best.values())


def _hours_line(table: PointsTable, ai_hours: Decimal) -> PointsLine:
    reached = [band for band in table.hour_bands if ai_hours >= band.min_hours]
    if not reached:
        lowest = table.hour_bands[0].min_hours if table.hour_bands else None
        why = "the table gives no points for AI hours" if lowest is None else f"below {lowest} h"
        return PointsLine(None, _ZERO, f"{ai_hours} AI hours in {table.year}: {why}")
    band = reached[-1]
    return PointsLine(
        band.item,
        band.points,
        f"{ai_hours} AI hours in {table.year}: at least {band.min_hours} h, {band.points} points",
    )


def ai_points(
    table: PointsTable,
    certificates: Iterable[Certificate],
    ai_hours: Decimal,
    day: date,
) -> AiPoints:
    """A person's AI points under `table`: certificates valid on `day` (the
    scoring day) and AI hours of `table.year`, each item cut to its cap."""
    if not isinstance(ai_hours, Decimal) or not ai_hours.is_finite() or ai_hours < 0:
        raise ValueError("ai_hours: must be a finite Decimal, not negative")
    lines = _certificate_lines(table, certificates, day)
    lines.append(_hours_line(table, ai_hours))
    items = []
    for item in ScoringItem:
        earned = sum((line.points for line in lines if line.item is item), _ZERO)
        cap = table.caps[item]
        items.append(ItemPoints(item, earned, cap, min(earned, cap)))
    return AiPoints(table.agency_code, table.year, day, tuple(lines), tuple(items))
