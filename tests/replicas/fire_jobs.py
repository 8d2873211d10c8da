"""`python -m tests.replicas.fire_jobs DAY JOB...`: a replica's job runner that
fires when told. It imports every service's jobs, prints `ready`, waits for a
line on stdin, then runs each job for DAY as `renshi jobs run JOB --as-of DAY`
does (`renshi.jobs.run_one`) and prints the summaries as one JSON list. Two of
them told at once fire the same jobs at the same moment, their imports done."""

from __future__ import annotations

import json
import sys

from renshi.jobs import parse_as_of, registry, run_one


def main(argv: list[str]) -> int:
    day, names = parse_as_of(argv[0]), argv[1:]
    jobs = registry()
    print("ready", flush=True)
    sys.stdin.readline()
    summaries = [run_one(name, as_of=day, jobs=jobs) for name in names]
    print(json.dumps(summaries, ensure_ascii=False, default=str), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
