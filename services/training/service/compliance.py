"""Compliance as the service computes it: stored rows in, the pure domain rules
(`domain.policy`, `domain.evaluation`, `domain.rollup`, `domain.standing`) applied,
results out."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from operator import itemgetter
from typing import Any

from sqlmodel import Session

from services.common.audit import record_personal_data_read
from services.common.errors import Conflict, NotFound
from services.common.principal import Principal
from services.training.access import RECORDS_READ, check_person, reach
from services.training.domain.evaluation import Evaluation, LearningRecord, evaluate
from services.training.domain.policy import (
    AgencyOverride,
    RequirementPolicy,
    national_policy,
    resolve_policy,
)
from services.training.domain.rollup import UNIT_SEP, AgencyRollup
from services.training.domain.standing import PolicyThresholds, StandingRollup
from services.training.domain.topics import topic_mask
from services.training.models import personal_data_reads
from services.training.store import catalogue, policies, records, roster


def policy_for(session: Session, agency_code: str, year: int) -> RequirementPolicy:
    """The national row for `year` tightened by the agency's override in force.

    Overrides are looked up for the agency itself: the roster knows no agency tree,
    so a parent's override does not reach its subordinates unless set for each.
    """
    return policies_for(session, [agency_code], year)[agency_code]


def domain_records(rows: Iterable[records.EvaluationRow]) -> list[LearningRecord]:
    return [
        LearningRecord(
            hours=Decimal(row.hours),
            completed=row.completed_at or row.completed_on,
            topics=catalogue.decode_topics(row.topics),
            category=row.category_code,
            is_digital=row.is_digital,
            withdrawn=row.withdrawn,
        )
        for row in rows
    ]


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
    filed = records.latest_filing(session, person_id)
    return None if filed is None else roster.Placement(*filed)


def evaluate_person(
    session: Session, person_id: str, placement: roster.Placement, year: int, as_of: date
) -> PersonResult:
    policy = policy_for(session, placement.agency_code, year)
    rows = records.evaluation_rows(session, person_id, year)
    evaluation = evaluate(domain_records(rows), policy, as_of)
    return PersonResult(person_id, placement.agency_code, placement.unit_id, policy, evaluation)


def visible_placement(
    session: Session, who: Principal, person_id: str, purpose: str
) -> roster.Placement:
    """Where the person is placed, once `who` may read their records; the read is
    logged for `purpose`."""
    placement = person_placement(session, person_id)
    if placement is None:
        # Someone with only self access learns nothing from 404 vs 403 here.
        raise NotFound("no such person")
    check_person(
        reach(session, who, RECORDS_READ), person_id, placement.agency_code, placement.unit_id
    )
    record_personal_data_read(session, personal_data_reads, who, [person_id], purpose)
    return placement


def person_evaluation(
    session: Session, who: Principal, person_id: str, year: int, as_of: date
) -> PersonResult:
    """`GET /persons/{id}/evaluation`: one person's year, within the caller's reach."""
    placement = visible_placement(session, who, person_id, "evaluation")
    return evaluate_person(session, person_id, placement, year, as_of)


# --- agencies ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgencyReport:
    agencies: tuple[str, ...]
    year: int
    as_of: date
    rollup: AgencyRollup


def policies_for(
    session: Session, agencies: Sequence[str], year: int
) -> dict[str, RequirementPolicy]:
    """`policy_for` for many agencies, with one query for all their overrides."""
    table = policies.national_table(session)
    try:
        national_policy(year, table)
    except ValueError:
        raise NotFound(f"no national policy applies to {year}") from None
    by_agency: dict[str, list[AgencyOverride]] = defaultdict(list)
    for row in policies.overrides_of(session, agencies):
        by_agency[row.agency_code].append(policies.override_from_row(row))
    out = {}
    for agency in agencies:
        try:
            out[agency] = resolve_policy(year, [agency], by_agency.get(agency, ()), table)
        except ValueError as exc:
            raise Conflict(f"the requirement policy of {agency} cannot be applied: {exc}") from None
    return out


@dataclass(frozen=True)
class SumPlan:
    """What an agency report asks the database for: the distinct summed columns
    across the agencies' policies, and for each agency its thresholds and a getter
    picking its own columns out of a row of `records.report_sums`."""

    columns: list[records.SumColumn]
    rules: dict[str, PolicyThresholds]
    picks: dict[str, Callable[[Sequence[Any]], tuple[int, ...]]]


def sum_plan(session: Session, agencies: Sequence[str], year: int, as_of: date) -> SumPlan:
    rules_of = {
        agency: PolicyThresholds(policy)
        for agency, policy in policies_for(session, agencies, year).items()
    }
    # One summed column per distinct (topics, last day counted) across the policies.
    columns: dict[records.SumColumn, int] = {}
    picks: dict[str, Callable[[Sequence[Any]], tuple[int, ...]]] = {}
    for agency, rules in rules_of.items():
        cutoff = rules.policy.cutoff_date
        # Records after `as_of` are left out for every column; a column needs its
        # own limit only when the cut-off comes first.
        until = cutoff if cutoff < as_of else None
        indexes = []
        for threshold in rules.thresholds:
            req = threshold.requirement
            key = (
                records.SumColumn(None, 0, until)
                if req is None
                else records.SumColumn(topic_mask(req.topics), topic_mask(req.excluding), until)
            )
            indexes.append(columns.setdefault(key, len(columns)))
        # Rows start with person, agency and unit. A policy has at least the total
        # and three AI thresholds, so the getter always returns a tuple.
        picks[agency] = itemgetter(*(3 + i for i in indexes))
    return SumPlan(list(columns), rules_of, picks)


def agency_report(
    session: Session, agencies: Sequence[str], year: int, as_of: date
) -> AgencyReport:
    """Every roster person of `agencies`, with the records filed there, rolled up.

    The database sums each person's hours per requirement (one row per person);
    the domain's `StandingRollup` decides met/unmet from those sums exactly as
    `evaluate` would from the records.
    """
    agencies = sorted(set(agencies))
    plan = sum_plan(session, agencies, year, as_of)
    rules_of, picks = plan.rules, plan.picks
    rollup = StandingRollup()
    for row in records.report_sums(session, agencies, year, as_of, plan.columns):
        person_id, agency, unit = row[0], row[1], row[2]
        rollup.add(person_id, f"{agency}{UNIT_SEP}{unit}", rules_of[agency], picks[agency](row))
    return AgencyReport(tuple(agencies), year, as_of, rollup.result())
