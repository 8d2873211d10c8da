"""Promotion points for AI knowledge (陞任評分): each agency's table per year,
set by its HR officer, and a person's AI points under it.

The table is data (`promotion_points_tables`); the rules that check it and
apply it are the pure `domain.promotion_points`. There is no default table: the
guidance leaves points and their place under the caps to each agency (seed 001
Q5), so an agency without one for the year is told to set it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlmodel import Session

from services.certs import access
from services.certs.domain.promotion_points import (
    CertificatePoints,
    HourBand,
    PointsTable,
    ScoringItem,
    ai_points,
)
from services.certs.domain.talent import CertificateKind, Level
from services.certs.models import PromotionPointsTable, personal_data_reads
from services.certs.service import talent_inputs
from services.certs.service.talent_reach import reached_person
from services.certs.store import points_tables as store
from services.certs.talent_schemas import (
    CertificatePointsIn,
    CertificatePointsOut,
    HourBandIn,
    HourBandOut,
    ItemPointsOut,
    PersonPointsOut,
    PointsCapsOut,
    PointsLineOut,
    PointsTableIn,
    PointsTableOut,
)
from services.common.audit import record_personal_data_read
from services.common.errors import FieldError, Invalid, NotFound
from services.common.principal import Principal
from services.common.reach import check_agency
from services.common.timeutil import now_utc

RESOURCE = "promotion-points"
HUNDREDTH = Decimal("0.01")


def _q(value: Decimal) -> Decimal:
    """Points as the API writes them: two places."""
    return value.quantize(HUNDREDTH)


def _missing(agency_code: str, year: int) -> NotFound:
    return NotFound(
        f"agency {agency_code} has no promotion points table for {year}: its HR officer sets "
        f"one with PUT /agencies/{agency_code}/promotion-points/{year} (there is no default; "
        "each agency sets its points within the caps)"
    )


def _domain_table(agency_code: str, year: int, body: PointsTableIn, version: int) -> PointsTable:
    """The pure table; raises ValueError naming each fault (`field: reason`)."""
    return PointsTable(
        agency_code=agency_code,
        year=year,
        certificates=tuple(
            CertificatePoints(
                CertificateKind(row.kind.value), Level[row.level.name], row.points, row.item
            )
            for row in body.certificates
        ),
        hour_bands=tuple(HourBand(b.min_hours, b.points, b.item) for b in body.hour_bands),
        caps={
            ScoringItem.PROFESSIONAL_ABILITY: body.caps.professional_ability,
            ScoringItem.TRAINING: body.caps.training,
        },
        version=str(version),
    )


def _over_caps(body: PointsTableIn) -> list[FieldError]:
    """A row worth more than its item's cap could never be awarded in full: a
    table mistyped, refused rather than silently cut."""
    caps = {
        ScoringItem.PROFESSIONAL_ABILITY: body.caps.professional_ability,
        ScoringItem.TRAINING: body.caps.training,
    }
    faults = []
    rows: list[tuple[str, CertificatePointsIn | HourBandIn]] = [
        *((f"body.certificates.{i}.points", r) for i, r in enumerate(body.certificates)),
        *((f"body.hour_bands.{i}.points", b) for i, b in enumerate(body.hour_bands)),
    ]
    for field, row in rows:
        if row.points > caps[row.item]:
            faults.append(
                FieldError(
                    field=field,
                    reason=f"more than the cap of {row.item.value} ({caps[row.item]})",
                    code="above_cap",
                )
            )
    return faults


def _faults(message: str) -> list[FieldError]:
    """The domain's `path: reason; …` as one field error each."""
    faults = []
    for part in message.split("; "):
        path, _, reason = part.partition(": ")
        # certificates[1].points -> body.certificates.1.points
        field = "body." + path.replace("[", ".").replace("]", "")
        code = "overlapping_bands" if "not above the band before" in reason else "invalid_table"
        faults.append(FieldError(field=field, reason=reason or part, code=code))
    return faults


def _out(row: PromotionPointsTable) -> PointsTableOut:
    return PointsTableOut(
        agency_code=row.agency_code,
        year=row.year,
        certificates=[CertificatePointsOut.model_validate(r) for r in row.certificates],
        hour_bands=[HourBandOut.model_validate(b) for b in row.hour_bands],
        caps=PointsCapsOut.model_validate(row.caps),
        version=row.version,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )


def read_table(session: Session, who: Principal, agency_code: str, year: int) -> PointsTableOut:
    check_agency(who, access.TALENT_READ, agency_code)
    row = store.get(session, agency_code, year)
    if row is None:
        raise _missing(agency_code, year)
    return _out(row)


def put_table(
    session: Session, who: Principal, agency_code: str, year: int, body: PointsTableIn
) -> PointsTableOut:
    check_agency(who, access.POINTS_WRITE, agency_code)
    faults = _over_caps(body)
    try:
        _domain_table(agency_code, year, body, 0)
    except ValueError as exc:
        faults = _faults(str(exc)) + faults
    if faults:
        raise Invalid(
            "the points table is refused: " + "; ".join(f"{f.field}: {f.reason}" for f in faults),
            errors=faults,
        )
    data = body.model_dump(mode="json")
    row = store.get(session, agency_code, year, for_update=True)
    if row is None:
        row = PromotionPointsTable(agency_code=agency_code, year=year, updated_by=who.sub)
    else:
        row.version += 1
        row.updated_by = who.sub
        row.updated_at = now_utc()
    row.certificates = data["certificates"]
    row.hour_bands = data["hour_bands"]
    row.caps = data["caps"]
    session.add(row)
    session.flush()
    return _out(row)


def person_points(
    session: Session, who: Principal, person_id: str, year: int, on: date
) -> PersonPointsOut:
    agency = reached_person(session, who, access.TALENT_READ, person_id)
    row = store.get(session, agency, year)
    if row is None:
        raise _missing(agency, year)
    record_personal_data_read(session, personal_data_reads, who, [person_id], RESOURCE)
    stored = PointsTableIn.model_validate(
        {"certificates": row.certificates, "hour_bands": row.hour_bands, "caps": row.caps}
    )
    table = _domain_table(agency, year, stored, row.version)
    held = talent_inputs.held_certificates(session, person_id)
    ids = {id(h.rule): h.row.id for h in held}
    hours = talent_inputs.stored_hours(session, person_id, year)
    result = ai_points(table, [h.rule for h in held], hours.total, on)
    return PersonPointsOut(
        person_id=person_id,
        agency_code=agency,
        year=year,
        on=on,
        table_version=row.version,
        ai_hours=hours.figures(),
        ai_hours_pulled_at=hours.pulled_at,
        lines=[
            PointsLineOut(
                item=line.item,
                points=_q(line.points),
                reason=line.reason,
                certificate_id=None if line.certificate is None else ids.get(id(line.certificate)),
            )
            for line in result.lines
        ],
        items=[
            ItemPointsOut(
                item=i.item,
                item_zh=i.item.label_zh,
                earned=_q(i.earned),
                cap=_q(i.cap),
                awarded=_q(i.awarded),
                capped=i.capped,
            )
            for i in result.items
        ],
        total=_q(result.total),
    )
