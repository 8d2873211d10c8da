"""Queries of AI-talent role assignments (`talent_roles`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from services.certs.models import TalentPerson, TalentRoleAssignment


def get(
    session: Session, assignment_id: int, *, for_update: bool = False
) -> TalentRoleAssignment | None:
    stmt = select(TalentRoleAssignment).where(col(TalentRoleAssignment.id) == assignment_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).first()


def live(session: Session, person_id: str, role: str) -> TalentRoleAssignment | None:
    return session.scalars(
        select(TalentRoleAssignment).where(
            col(TalentRoleAssignment.person_id) == person_id,
            col(TalentRoleAssignment.role) == role,
            col(TalentRoleAssignment.ended_at).is_(None),
        )
    ).first()


def live_roles(session: Session, person_id: str) -> list[str]:
    return sorted(
        session.scalars(
            select(col(TalentRoleAssignment.role)).where(
                col(TalentRoleAssignment.person_id) == person_id,
                col(TalentRoleAssignment.ended_at).is_(None),
            )
        )
    )


def history(session: Session, person_id: str) -> list[TalentRoleAssignment]:
    """Every assignment of the person, ended ones included, oldest first."""
    return list(
        session.scalars(
            select(TalentRoleAssignment)
            .where(col(TalentRoleAssignment.person_id) == person_id)
            .order_by(col(TalentRoleAssignment.id))
        )
    )


def lock_person(session: Session, person_id: str) -> None:
    """Hold the person's `talent_persons` row until commit: two role writes of
    one person then recount one after the other, the second seeing the first's
    role (its live-roles bits would otherwise miss it)."""
    session.execute(
        select(col(TalentPerson.person_id))
        .where(col(TalentPerson.person_id) == person_id)
        .with_for_update()
    )
