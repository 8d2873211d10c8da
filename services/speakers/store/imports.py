"""Queries of the import jobs, and the look-ups an import batch makes: the
lecturers and engagement records a source gave before, by its own keys."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlmodel import Session, col

from services.common.importing.jobs_store import JobTables
from services.speakers.models import Engagement, ImportJob, ImportRowError, Lecturer

TABLES = JobTables(ImportJob, ImportRowError)
# Keys per IN list: inside both databases' bound-parameter limits.
CHUNK = 500


def lecturers_by_source(session: Session, source: str, keys: Iterable[str]) -> dict[str, Lecturer]:
    wanted = sorted(set(keys))
    found: dict[str, Lecturer] = {}
    for start in range(0, len(wanted), CHUNK):
        rows = session.scalars(
            select(Lecturer).where(
                col(Lecturer.source) == source,
                col(Lecturer.external_id).in_(wanted[start : start + CHUNK]),
            )
        )
        found.update({row.external_id: row for row in rows if row.external_id is not None})
    return found


def lecturer_ids_by_source(session: Session, source: str, keys: Iterable[str]) -> dict[str, int]:
    wanted = sorted(set(keys))
    found: dict[str, int] = {}
    for start in range(0, len(wanted), CHUNK):
        rows = session.execute(
            select(col(Lecturer.external_id), col(Lecturer.id)).where(
                col(Lecturer.source) == source,
                col(Lecturer.external_id).in_(wanted[start : start + CHUNK]),
            )
        )
        found.update({key: lecturer_id for key, lecturer_id in rows if key is not None})
    return found


def persons_linked(session: Session, person_ids: Iterable[str]) -> dict[str, int]:
    """Which lecturer each person id is linked to, of those linked at all."""
    wanted = sorted(set(person_ids))
    found: dict[str, int] = {}
    for start in range(0, len(wanted), CHUNK):
        rows = session.execute(
            select(col(Lecturer.person_id), col(Lecturer.id)).where(
                col(Lecturer.person_id).in_(wanted[start : start + CHUNK])
            )
        )
        found.update({person: lecturer_id for person, lecturer_id in rows if person is not None})
    return found


def engagements_by_source(
    session: Session, source: str, keys: Iterable[str]
) -> dict[str, Engagement]:
    wanted = sorted(set(keys))
    found: dict[str, Engagement] = {}
    for start in range(0, len(wanted), CHUNK):
        rows = session.scalars(
            select(Engagement).where(
                col(Engagement.source) == source,
                col(Engagement.external_id).in_(wanted[start : start + CHUNK]),
            )
        )
        found.update({row.external_id: row for row in rows if row.external_id is not None})
    return found
