"""Agency roll-up: headcount, shares, AI completion rate, who is short, per unit."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.training.domain.evaluation import Evaluation, LearningRecord, evaluate
from services.training.domain.policy import (
    INFORMATION_SECURITY_REQUIREMENT,
    AgencyOverride,
    national_policy,
    resolve_policy,
)
from services.training.domain.rollup import PersonEvaluation, roll_up, share
from services.training.domain.topics import Topic

D = Decimal
T = Topic
P2026 = national_policy(2026)
AS_OF = date(2026, 12, 31)


def rec(hours: str, *topics: Topic) -> LearningRecord:
    return LearningRecord(D(hours), date(2026, 5, 1), frozenset(topics))


def complete() -> list[LearningRecord]:
    return [
        rec("1", T.MAJOR_POLICY),
        rec("4", T.ENVIRONMENTAL_EDUCATION),
        rec("3", T.DEMOCRATIC_VALUES),
        rec("1", T.GENDER_MAINSTREAMING),
        rec("1", T.SEXUAL_HARASSMENT_PREVENTION),
        rec("3", T.AI_BASIC),
        rec("3", T.AI_ADVANCED),
        rec("4"),
    ]


def person(pid: str, unit: str, records: list[LearningRecord], policy=P2026) -> PersonEvaluation:
    return PersonEvaluation(pid, unit, evaluate(records, policy, AS_OF))


def test_empty_input_gives_zero_headcount_and_zero_rates() -> None:
    result = roll_up([])
    assert result.tally.headcount == 0
    assert result.tally.compliant_share == 0
    assert result.tally.ai_completion_rate == 0
    assert result.tally.requirements == ()
    assert result.shortfalls == ()
    assert result.units == ()


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [
        (0, 0, "0.0000"),
        (0, 5, "0.0000"),
        (1, 3, "0.3333"),
        (2, 3, "0.6667"),
        (1, 8, "0.1250"),
        (1, 20000, "0.0001"),
        (1, 20001, "0.0000"),
        (7, 7, "1.0000"),
    ],
)
def test_shares_are_rounded_half_up_to_four_places(part: int, whole: int, expected: str) -> None:
    assert share(part, whole) == D(expected)
    assert str(share(part, whole)) == expected


def test_counts_shares_and_ai_completion_rate() -> None:
    no_ai_target = [r for r in complete() if T.AI_ADVANCED not in r.topics] + [rec("3")]
    items = [
        person("p1", "u1", complete()),
        person("p2", "u1", no_ai_target),  # compliant (3 basic AI) but no advanced hours
        person("p3", "u2", [rec("19.99", T.AI_BASIC)]),
    ]
    result = roll_up(items)
    tally = result.tally
    assert tally.headcount == 3
    assert tally.compliant_count == 2
    assert tally.compliant_share == D("0.6667")
    assert tally.ai_target_met_count == 1
    assert tally.ai_completion_rate == D("0.3333")
    rates = {r.code: r for r in tally.requirements}
    assert rates["total"].met_count == 2
    assert rates["ai_minimum"].met_count == 3
    assert rates["ai_minimum"].share == D(1)
    assert rates["ai_advanced_target"].met_count == 1
    assert rates["environmental_education"].met_count == 2
    assert tally.requirements[0].code == "total"


def test_shortfalls_list_who_is_short_by_most_missing_first() -> None:
    items = [
        person("ok", "u1", complete()),
        person("b-small", "u1", complete()[1:]),  # 1 h major policy and 1 h total short
        person("a-small", "u2", complete()[1:]),
        person("big", "u2", []),  # 20 h short
        person(
            "env",
            "u1",
            [r for r in complete() if T.ENVIRONMENTAL_EDUCATION not in r.topics] + [rec("4")],
        ),  # total met, environmental education 4 h short
    ]
    result = roll_up(items)
    assert [s.person_id for s in result.shortfalls] == ["big", "env", "a-small", "b-small"]
    by_id = {s.person_id: s for s in result.shortfalls}
    assert by_id["big"].hours_short == D(20)
    assert by_id["env"].hours_short == D(4)
    assert by_id["env"].gaps == (("environmental_education", D(4)),)
    assert dict(by_id["a-small"].gaps) == {"total": D(1), "major_policy": D(1)}
    assert by_id["big"].unit_id == "u2"
    # Missing AI target alone does not make anyone short of compliance.
    assert "ok" not in by_id


def test_unit_breakdown_is_sorted_and_adds_up() -> None:
    items = [
        person("p1", "u2", complete()),
        person("p2", "u1", []),
        person("p3", "u2", []),
        person("p4", "u3", complete()),
    ]
    result = roll_up(items)
    assert [u.unit_id for u in result.units] == ["u1", "u2", "u3"]
    units = {u.unit_id: u.tally for u in result.units}
    assert (units["u1"].headcount, units["u1"].compliant_count) == (1, 0)
    assert (units["u2"].headcount, units["u2"].compliant_share) == (2, D("0.5000"))
    assert units["u3"].ai_completion_rate == D(1)
    assert sum(u.tally.headcount for u in result.units) == result.tally.headcount


def test_agency_only_requirement_share_is_over_those_it_applies_to() -> None:
    strict = resolve_policy(
        2026,
        ["SUB"],
        [
            AgencyOverride(
                "SUB", 2026, "sec", extra_requirements=(INFORMATION_SECURITY_REQUIREMENT,)
            )
        ],
    )
    items = [
        person("p1", "u1", complete()),
        person("p2", "u1", [*complete(), rec("3", T.INFORMATION_SECURITY)], strict),
        person("p3", "u2", complete(), strict),
    ]
    rates = {r.code: r for r in roll_up(items).tally.requirements}
    assert rates["information_security"].applies_to == 2
    assert rates["information_security"].met_count == 1
    assert rates["information_security"].share == D("0.5000")
    assert rates["total"].applies_to == 3


def test_duplicate_person_or_mixed_years_are_refused() -> None:
    with pytest.raises(ValueError, match="person_id"):
        roll_up([person("p1", "u1", []), person("p1", "u2", [])])
    other_year = PersonEvaluation("p2", "u1", evaluate([], national_policy(2025), AS_OF))
    with pytest.raises(ValueError, match="years"):
        roll_up([person("p1", "u1", []), other_year])


# --- properties --------------------------------------------------------------------

RECORDS = st.lists(
    st.builds(
        LearningRecord,
        hours=st.decimals(min_value=0, max_value=8, places=2),
        completed=st.dates(date(2026, 1, 1), date(2026, 12, 31)),
        topics=st.frozensets(st.sampled_from(list(Topic)), max_size=2),
    ),
    max_size=12,
)
PEOPLE = st.lists(st.tuples(st.sampled_from(["u1", "u2", "u3"]), RECORDS), max_size=12)


def manual_share(part: int, whole: int) -> Decimal:
    if whole == 0:
        return D(0)
    return (D(part) / D(whole)).quantize(D("0.0001"), ROUND_HALF_UP)


@settings(max_examples=100)
@given(PEOPLE)
def test_rollup_counts_are_consistent_with_the_inputs(people) -> None:
    items = [
        PersonEvaluation(f"p{i}", unit, evaluate(records, P2026, AS_OF))
        for i, (unit, records) in enumerate(people)
    ]
    evaluations: list[Evaluation] = [i.evaluation for i in items]
    result = roll_up(items)
    tally = result.tally
    n = len(items)
    compliant = sum(e.compliant for e in evaluations)
    assert tally.headcount == n
    assert tally.compliant_count == compliant
    assert tally.ai_target_met_count == sum(e.ai_target_met for e in evaluations)
    assert tally.compliant_share == manual_share(compliant, n)
    assert len(result.shortfalls) == n - compliant
    assert all(s.hours_short > 0 for s in result.shortfalls)
    assert [s.hours_short for s in result.shortfalls] == sorted(
        (s.hours_short for s in result.shortfalls), reverse=True
    )
    for rate in tally.requirements:
        assert 0 <= rate.share <= 1
        assert 0 <= rate.met_count <= rate.applies_to == n
        assert rate.met_count == sum(e.result(rate.code).met for e in evaluations)
    for value in (tally.compliant_share, tally.ai_completion_rate):
        assert 0 <= value <= 1
    assert sum(u.tally.headcount for u in result.units) == n
    assert sum(u.tally.compliant_count for u in result.units) == compliant
    assert {u.unit_id for u in result.units} == {i.unit_id for i in items}
