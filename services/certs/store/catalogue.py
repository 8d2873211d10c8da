"""Queries of the catalogue: entries and their versions."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlmodel import Session, col

from services.certs.domain.levels import rank_of
from services.certs.domain.staffing import VersionFacts, entry_bit
from services.certs.models import CatalogueEntry, CatalogueVersion
from services.common.pagination import PageParams, paginate


def entry(session: Session, entry_id: int, *, for_update: bool = False) -> CatalogueEntry | None:
    stmt = select(CatalogueEntry).where(col(CatalogueEntry.id) == entry_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).first()


def entry_by_code(session: Session, code: str) -> CatalogueEntry | None:
    return session.scalars(select(CatalogueEntry).where(col(CatalogueEntry.code) == code)).first()


def version(session: Session, version_id: int) -> CatalogueVersion | None:
    return session.get(CatalogueVersion, version_id)


def current(session: Session, entry_id: int) -> CatalogueVersion | None:
    """The entry's latest version: the one in force."""
    return session.scalars(
        select(CatalogueVersion)
        .where(col(CatalogueVersion.entry_id) == entry_id)
        .order_by(col(CatalogueVersion.version).desc())
        .limit(1)
    ).first()


def current_of(session: Session, entry_ids: Sequence[int]) -> dict[int, CatalogueVersion]:
    if not entry_ids:
        return {}
    latest = (
        select(
            col(CatalogueVersion.entry_id),
            func.max(col(CatalogueVersion.version)).label("version"),
        )
        .where(col(CatalogueVersion.entry_id).in_(list(entry_ids)))
        .group_by(col(CatalogueVersion.entry_id))
        .subquery()
    )
    rows = session.scalars(
        select(CatalogueVersion).join(
            latest,
            (col(CatalogueVersion.entry_id) == latest.c.entry_id)
            & (col(CatalogueVersion.version) == latest.c.version),
        )
    )
    return {row.entry_id: row for row in rows}


def versions(session: Session, entry_id: int) -> list[CatalogueVersion]:
    return list(
        session.scalars(
            select(CatalogueVersion)
            .where(col(CatalogueVersion.entry_id) == entry_id)
            .order_by(col(CatalogueVersion.version))
        )
    )


def page(
    session: Session, params: PageParams, *, include_retired: bool
) -> tuple[list[CatalogueEntry], str | None]:
    stmt = select(CatalogueEntry)
    if not include_retired:
        stmt = stmt.where(col(CatalogueEntry.retired_at).is_(None))
    return paginate(session, stmt, col(CatalogueEntry.id), params)


def current_by_codes(
    session: Session, codes: Sequence[str]
) -> dict[str, tuple[CatalogueEntry, CatalogueVersion]]:
    """The named entries with their current versions, by code."""
    found = {
        e.code: e
        for e in session.scalars(
            select(CatalogueEntry).where(col(CatalogueEntry.code).in_(sorted(set(codes))))
        )
    }
    currents = current_of(session, [e.id for e in found.values() if e.id is not None])
    return {code: (e, currents[e.id]) for code, e in found.items() if e.id in currents}


def version_facts(session: Session) -> list[VersionFacts]:
    """Every catalogue version with what staffing reads of it (its stored rank,
    not its words), retired or superseded ones too (a certificate keeps the
    version it was registered against)."""
    rows = session.execute(
        select(
            col(CatalogueVersion.id),
            col(CatalogueEntry.code),
            col(CatalogueVersion.kind),
            col(CatalogueVersion.level_rank),
            col(CatalogueVersion.roles),
            col(CatalogueEntry.id),
        ).join(CatalogueEntry, col(CatalogueEntry.id) == col(CatalogueVersion.entry_id))
    ).all()
    return [
        VersionFacts(
            id=int(i),
            code=str(c),
            kind=str(k),
            rank=rank_of(str(rk)),
            roles=tuple(r or ()),
            entry_bit=entry_bit(int(e)),
        )
        for i, c, k, rk, r, e in rows
    ]
