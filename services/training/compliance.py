"""Compliance as the service computes it: stored rows in, the pure domain rules
(`domain.policy`, `domain.evaluation`, `domain.rollup`) applied, results out."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, literal, select
from sqlmodel import Session, col

from services.common.errors import Conflict, NotFound
from services.training.domain.evaluation import Evaluation, LearningRecord, evaluate
from services.training.domain.policy import RequirementPolicy, national_policy, resolve_policy
from services.training.domain.rollup import AgencyRollup, PersonEvaluation, roll_up
from services.training.domain.topics import Topic
from services.training.models import Course
from services.training.models import LearningRecord as RecordRow
from services.training.store import catalogue, policies, records, roster

# Separates agency and unit in the roll-up's unit key; codes never contain it.
UNIT_SEP = "/"


def policy_for(
    session: Session,
    agency_code: str,
    year: int,
    table: dict[int, RequirementPolicy] | None = None,
) -> RequirementPolicy:
    """The national row for `year` tightened by the agency's override in force.

    Overrides are looked up for the agency itself: the roster knows no agency tree,
    so a parent's override does not reach its subordinates unless set for each.
    """
    table = table if table is not None else policies.national_table(session)
    try:
        national_policy(year, table)
    except ValueError:
        raise NotFound(f"no national policy applies to {year}") from None
    overrides = [
        policies.override_from_row(r) for r in policies.overrides_of(session, [agency_code])
    ]
    try:
        return resolve_policy(year, [agency_code], overrides, table)
    except ValueError as exc:
        raise Conflict(
            f"the requirement policy of {agency_code} cannot be applied: {exc}"
        ) from None


def domain_record(row: RecordRow, course: Course) -> LearningRecord:
    return LearningRecord(
        hours=Decimal(row.hours),
        completed=row.completed_at or row.completed_on,
        topics=catalogue.decode_topics(course.topics),
        category=course.category_code,
        is_digital=course.is_digital,
        withdrawn=row.withdrawn,
    )


@dataclass(frozen=True)
class PersonResult:
    person_id: str
    agency_code: str
    unit_id: str
    policy: RequirementPolicy
    evaluation: Evaluation


def person_placement(session: Session, person_id: str) -> roster.Placement | None:
    """Where the roster puts a person, else where their latest record was filed."""
    placed = roster.get(session, person_id)
    if placed is not None:
        return placed
    latest = session.execute(
        select(col(RecordRow.agency_code), col(RecordRow.unit_id))
        .where(col(RecordRow.person_id) == person_id)
        .order_by(col(RecordRow.completed_on).desc(), col(RecordRow.id).desc())
        .limit(1)
    ).first()
    return None if latest is None else roster.Placement(latest[0], latest[1])


def evaluate_person(
    session: Session, person_id: str, placement: roster.Placement, year: int, as_of: date
) -> PersonResult:
    policy = policy_for(session, placement.agency_code, year)
    rows = records.for_person_year(session, person_id, year)
    evaluation = evaluate((domain_record(r, c) for r, c in rows), policy, as_of)
    return PersonResult(person_id, placement.agency_code, placement.unit_id, policy, evaluation)


# --- agencies ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgencyReport:
    agencies: tuple[str, ...]
    year: int
    as_of: date
    rollup: AgencyRollup
    placements: dict[str, roster.Placement]


def _sums(
    session: Session,
    agencies: Sequence[str],
    year: int,
    as_of: date,
    cutoff: date,
) -> Iterable[tuple[str, str, bool, bool, Decimal]]:
    """Hours per (person, tag set, digital, after cut-off): the database adds, so a
    report over millions of records moves thousands of rows, not millions."""
    late = col(RecordRow.completed_on) > cutoff
    stmt = (
        select(
            col(RecordRow.person_id),
            col(Course.topics),
            col(Course.is_digital),
            late.label("late"),
            func.sum(col(RecordRow.hours)),
        )
        .join(Course, col(Course.id) == col(RecordRow.course_id))
        .where(
            col(RecordRow.agency_code).in_(agencies),
            col(RecordRow.year) == year,
            col(RecordRow.withdrawn) == literal(False),
            col(RecordRow.completed_on) <= as_of,
        )
        .group_by(col(RecordRow.person_id), col(Course.topics), col(Course.is_digital), late)
    )
    for person_id, topics, digital, is_late, hours in session.execute(stmt):
        yield person_id, topics, bool(digital), bool(is_late), Decimal(hours)


def agency_report(
    session: Session, agencies: Sequence[str], year: int, as_of: date
) -> AgencyReport:
    agencies = sorted(set(agencies))
    # Every record was filed for a person on the roster (imports match persons
    # there), so the roster alone gives the headcount, people without records included.
    placements = roster.persons_in(session, agencies)

    table = policies.national_table(session)
    policy_of = {agency: policy_for(session, agency, year, table) for agency in agencies}
    by_cutoff: dict[date, list[str]] = defaultdict(list)
    for agency, policy in policy_of.items():
        by_cutoff[policy.cutoff_date].append(agency)

    grouped: dict[str, list[LearningRecord]] = defaultdict(list)
    end_of_year = date(year, 12, 31)
    for cutoff, group in by_cutoff.items():
        in_time = min(cutoff, as_of)
        late_day = min(as_of, end_of_year)
        topic_sets: dict[str, frozenset[Topic]] = {}
        for person_id, topics, digital, is_late, hours in _sums(
            session, group, year, as_of, cutoff
        ):
            tags = topic_sets.get(topics)
            if tags is None:
                tags = topic_sets[topics] = catalogue.decode_topics(topics)
            grouped[person_id].append(
                LearningRecord(
                    hours=hours,
                    completed=late_day if is_late else in_time,
                    topics=tags,
                    is_digital=digital,
                )
            )

    items = []
    for person_id, place in placements.items():
        policy = policy_of.get(place.agency_code) or policy_for(
            session, place.agency_code, year, table
        )
        evaluation = evaluate(grouped.get(person_id, ()), policy, as_of)
        items.append(
            PersonEvaluation(person_id, f"{place.agency_code}{UNIT_SEP}{place.unit_id}", evaluation)
        )
    return AgencyReport(tuple(agencies), year, as_of, roll_up(items), placements)


def split_unit(key: str) -> tuple[str, str]:
    agency, _, unit = key.partition(UNIT_SEP)
    return agency, unit
