"""The agency report's path (hours summed per requirement, then `StandingRollup`)
gives exactly the roll-up that `evaluate` and `roll_up` give from the records:
the same counts, shares, orderings, and gaps down to their Decimal form."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from services.training.domain.evaluation import LearningRecord, evaluate
from services.training.domain.policy import (
    INFORMATION_SECURITY_REQUIREMENT,
    AgencyOverride,
    RequirementPolicy,
    national_policy,
    resolve_policy,
)
from services.training.domain.rollup import AgencyRollup, PersonEvaluation, roll_up
from services.training.domain.standing import PolicyThresholds, StandingRollup
from services.training.domain.topics import Topic

D = Decimal
AS_OF = date(2026, 11, 1)
P2026 = national_policy(2026)
STRICT = resolve_policy(
    2026,
    ["A02"],
    [
        AgencyOverride(
            agency_id="A02",
            from_year=2026,
            version="v1",
            total_hours=D("24.5"),
            topic_minimums={"environmental_education": D(6)},
            extra_requirements=(INFORMATION_SECURITY_REQUIREMENT,),
            cutoff_month_day=(9, 30),
        )
    ],
)
POLICIES = {"A01": P2026, "A02": STRICT}


def summed(records: list[LearningRecord], rules: PolicyThresholds, as_of: date) -> list[int]:
    """What the report's query gives for one person: hours in hundredths per
    threshold, over the records of the year counted by the cut-off and `as_of`."""
    last = min(rules.policy.cutoff_date, as_of)
    counted = [
        r for r in records if not r.withdrawn and r.day.year == rules.policy.year and r.day <= last
    ]
    out = []
    for threshold in rules.thresholds:
        req = threshold.requirement
        hours = sum((r.hours for r in counted if req is None or req.counts(r.topics)), start=D(0))
        out.append(int(hours * 100))
    return out


def both_ways(people: list[tuple[str, str, list[LearningRecord]]]) -> tuple[AgencyRollup, ...]:
    rules_of = {agency: PolicyThresholds(policy) for agency, policy in POLICIES.items()}
    fast = StandingRollup()
    reference = []
    # `roll_up` lists requirements in order of first appearance over its input; the
    # report's path, over units in order. The same order when units come in order.
    ordered = sorted(enumerate(people), key=lambda item: (item[1][0], item[1][1]))
    for i, (agency, unit, records) in ordered:
        person = f"p{i:03d}"
        key = f"{agency}/{unit}"
        fast.add(person, key, rules_of[agency], summed(records, rules_of[agency], AS_OF))
        reference.append(PersonEvaluation(person, key, evaluate(records, POLICIES[agency], AS_OF)))
    return fast.result(), roll_up(reference)


def same(fast: AgencyRollup, reference: AgencyRollup) -> None:
    assert fast.tally == reference.tally
    assert fast.units == reference.units
    assert fast.shortfalls == reference.shortfalls
    # Equal Decimals can print differently ("20" and "20.00"): the JSON shows them.
    assert [(str(s.hours_short), [(c, str(m)) for c, m in s.gaps]) for s in fast.shortfalls] == [
        (str(s.hours_short), [(c, str(m)) for c, m in s.gaps]) for s in reference.shortfalls
    ]


RECORDS = st.lists(
    st.builds(
        LearningRecord,
        # Stored records always have more than 0 hours (imports and corrections refuse
        # less), which the report's path relies on.
        hours=st.decimals(min_value=D("0.01"), max_value=8, places=2),
        completed=st.dates(date(2025, 12, 20), date(2026, 12, 31)),
        topics=st.frozensets(st.sampled_from(list(Topic)), max_size=3),
        withdrawn=st.booleans(),
    ),
    max_size=14,
)
PEOPLE = st.lists(
    st.tuples(st.sampled_from(["A01", "A02"]), st.sampled_from(["1", "2", "3"]), RECORDS),
    max_size=16,
)


@settings(max_examples=300, deadline=None)
@given(PEOPLE)
def test_the_report_path_rolls_up_like_evaluate(people) -> None:
    same(*both_ways(people))


def rec(hours: str, day: date, *topics: Topic) -> LearningRecord:
    return LearningRecord(D(hours), day, frozenset(topics))


def test_thresholds_exactly_met_and_a_hundredth_short() -> None:
    full = [
        rec("1", date(2026, 3, 1), Topic.MAJOR_POLICY),
        rec("4", date(2026, 3, 1), Topic.ENVIRONMENTAL_EDUCATION),
        rec("3", date(2026, 3, 1), Topic.DEMOCRATIC_VALUES),
        rec("1", date(2026, 3, 1), Topic.GENDER_MAINSTREAMING),
        rec("1", date(2026, 3, 1), Topic.SEXUAL_HARASSMENT_PREVENTION),
        rec("3", date(2026, 3, 1), Topic.AI_BASIC),
        rec("7", date(2026, 3, 1)),
    ]
    short = [*full[:-1], rec("6.99", date(2026, 3, 1))]
    fast, reference = both_ways([("A01", "1", full), ("A01", "1", short), ("A01", "2", [])])
    same(fast, reference)
    assert fast.tally.compliant_count == 1
    assert [(s.person_id, str(s.hours_short)) for s in fast.shortfalls] == [
        ("p002", "20"),
        ("p001", "0.01"),
    ]


def test_an_override_cutoff_and_extra_requirement() -> None:
    # 1 Oct is after A02's 30 Sep cut-off: those hours count for A01 only.
    records = [
        rec("30", date(2026, 3, 1), Topic.ENVIRONMENTAL_EDUCATION, Topic.INFORMATION_SECURITY),
        rec("5", date(2026, 10, 1), Topic.MAJOR_POLICY),
    ]
    fast, reference = both_ways([("A01", "1", records), ("A02", "1", records)])
    same(fast, reference)
    codes = [r.code for r in fast.tally.requirements]
    assert "information_security" in codes


def test_a_threshold_finer_than_a_hundredth() -> None:
    policy = RequirementPolicy(2026, "odd", (), total_hours=D("1.005"))
    rules = PolicyThresholds(policy)
    assert rules.flags([100, 0, 300, 300]) == (False, True, True, True)
    assert rules.flags([101, 0, 0, 0])[0] is True
