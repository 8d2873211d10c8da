"""One person's yearly evaluation as a pure rule (`evaluate`), timed in process.

Workload: a person with 100 learning records of 2026 spread over every topic and
month, evaluated against the 2026 national policy at the year's end. Baseline, in
the same run: a plain Python pass over the same records adding up their hours per
topic (what any evaluation must at least do). Prints the best per-call time of each
over `--repeat` rounds of `--number` calls and the ratio. Target: well under a
millisecond a person (the evaluation endpoint's p95 ≤ 20 ms leaves the rule a small
share), judged on the best round so that a busy machine's pauses do not count.

Run: uv run python benchmarks/evaluation_rules.py [--records 100] [--number 200] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import timeit
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal

from services.training.domain.evaluation import LearningRecord, evaluate
from services.training.domain.policy import national_policy
from services.training.domain.topics import Topic

YEAR_END = date(2026, 12, 31)
TARGET_S = 0.001


def records(n: int) -> list[LearningRecord]:
    topics = list(Topic)
    return [
        LearningRecord(
            Decimal(("0.5", "1", "1.5", "2.25")[i % 4]),
            datetime(2026, 1 + i % 12, 1 + i % 28, 9, tzinfo=UTC),
            frozenset({topics[i % len(topics)], topics[(i * 3) % len(topics)]}),
            category="x",
            is_digital=i % 5 == 0,
            withdrawn=False,
        )
        for i in range(n)
    ]


def per_topic(rows: list[LearningRecord]) -> dict[Topic, Decimal]:
    out: dict[Topic, Decimal] = defaultdict(Decimal)
    for r in rows:
        for t in r.topics:
            out[t] += r.hours
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100)
    parser.add_argument("--number", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rows = records(args.records)
    policy = national_policy(2026)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    rule = min(
        timeit.repeat(
            lambda: evaluate(rows, policy, YEAR_END), number=args.number, repeat=args.repeat
        )
    )
    base = min(timeit.repeat(lambda: per_topic(rows), number=args.number, repeat=args.repeat))
    rule_s, base_s = rule / args.number, base / args.number
    print(f"evaluate, {args.records} records: {rule_s * 1e6:,.1f} µs a person")
    print(f"baseline, hours summed per topic: {base_s * 1e6:,.1f} µs a person")
    print(f"ratio evaluate / baseline: {rule_s / base_s:.1f}x")
    verdict = "met" if rule_s < TARGET_S else "MISSED"
    print(f"target < {TARGET_S * 1e3:.0f} ms a person: {verdict}")


if __name__ == "__main__":
    main()
