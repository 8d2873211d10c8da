"""Lecturer-directory search on its n-gram index, beside a brute-force scan of the same data.

Workload (issue 11, item 6), on PostgreSQL and then on SQLite: N lecturers and
10 N engagement records (full size: 100,000 and 1,000,000, `--scale 1`) with
class and course names, expertise fields and course categories drawn from a
vocabulary of civil-service training topics; the index built by
`store.search_index.rebuild_all`; then the search query (`store.search.search`,
first page of 20, what `GET /api/speakers/search` runs) timed over R runs each:

  1. course name, two characters (資安)        target p95 <= 50 ms
  2. course name, four characters (人工智慧)    target p95 <= 50 ms
  3. expertise, two characters (倫理)           target p95 <= 50 ms
  4. expertise, four characters (資通安全)      target p95 <= 50 ms
  5. combined: course 資安 AND expertise 治理    target p95 <= 100 ms

Each is printed beside its brute force: `LIKE '%term%'` over every engagement's
course name (joined to the lecturers, ranked the same way), and a scan of every
lecturer's expertise list (the JSON column cannot be LIKE-searched portably:
PostgreSQL keeps the escaped text). The query runs in-process on one connection,
so the figures leave out HTTP and the gateway (a few ms each).

Run: uv run python benchmarks/speakers.py [--scale 0.1] [--runs 30]
     [--skip-sqlite] [--skip-postgresql] [--keep]
     [--pg-database NAME] [--sqlite-file PATH]
--keep leaves the loaded databases in place (a full-size load takes minutes) and
prints where; --pg-database / --sqlite-file time such a loaded one again.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.common.migrate import upgrade  # noqa: E402
from services.speakers.domain.consent import Audience  # noqa: E402
from services.speakers.domain.text import fold  # noqa: E402
from services.speakers.models import Engagement, Lecturer, LecturerCategory  # noqa: E402
from services.speakers.store.search import Criterion, search  # noqa: E402
from services.speakers.store.search_index import rebuild_all  # noqa: E402

PG_ADMIN = os.environ.get(
    "RENSHI_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
TOPICS = (
    "資安",
    "資通安全",
    "人工智慧",
    "生成式AI",
    "公務倫理",
    "廉政倫理",
    "性別平等",
    "人權",
    "行政程序法",
    "政府採購",
    "國家賠償",
    "數位治理",
    "資料治理",
    "開放資料",
    "個人資料保護",
    "危機管理",
    "溝通協調",
    "領導統御",
    "績效管理",
    "專案管理",
    "財務管理",
    "預算編列",
    "環境教育",
    "氣候變遷",
    "淨零排放",
    "災害防救",
    "職場安全",
    "心理健康",
    "壓力調適",
    "英語簡報",
    "公文寫作",
    "法制作業",
    "政策規劃",
    "政策行銷",
    "媒體識讀",
    "創新服務",
    "跨域協力",
    "國際事務",
    "兩岸事務",
    "人事法規",
    "考績制度",
    "退休撫卹",
    "組織調整",
    "客家文化",
    "原住民族",
    "長期照顧",
    "社會福利",
    "食品安全",
    "智慧城市",
    "區塊鏈",
)
PREFIXES = ("", "基礎", "進階", "實務", "導論", "案例研析", "新知", "工作坊")
SUFFIXES = ("", "概論", "實作", "與應用", "專題", "研討")
CLASSES = ("研習班", "訓練班", "專班", "講習會", "工作坊")
ORGS = ("數位發展部", "行政院人事行政總處", "國立臺灣大學", "國家發展委員會", "法務部", "內政部")
NAMES = "王李張劉陳楊黃趙吳周徐孫馬朱胡郭何高林羅鄭梁謝宋唐許韓馮鄧曹彭曾蕭田董"
GIVEN = "志明淑芬家豪怡君俊傑雅婷冠宇佩珊宗翰美玲建宏惠雯承恩"


def lecturers(n: int, rng: random.Random) -> Iterator[dict[str, Any]]:
    now = datetime.now(UTC)
    for i in range(1, n + 1):
        yield {
            "id": i,
            "name": rng.choice(NAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
            "organisation": rng.choice(ORGS),
            "agency_code": "",
            "title": "",
            "expertise": [
                rng.choice(TOPICS) + rng.choice(SUFFIXES) for _ in range(rng.randint(1, 4))
            ],
            "biography": "",
            "email": "",
            "phone": "",
            "email_disclosure": "hidden",
            "phone_disclosure": "hidden",
            "biography_disclosure": "training_officers",
            "engagements_disclosure": rng.choice(("searchers", "training_officers")),
            "active": True,
            "created_by": "bench",
            "created_at": now,
        }


def engagements(n: int, lecturers_n: int, rng: random.Random) -> Iterator[dict[str, Any]]:
    start = date(2015, 1, 1)
    now = datetime.now(UTC)
    for i in range(1, n + 1):
        topic = rng.choice(TOPICS)
        yield {
            "class_ref": f"bench:C{i // 20}",
            "session_number": i % 20 + 1,
            "lecturer_id": rng.randint(1, lecturers_n),
            "agency_code": "A01",
            "held_on": start + timedelta(days=rng.randint(0, 4000)),
            "hours": Decimal(rng.choice((1, 2, 3))),
            "topic": "",
            "class_name": f"{rng.randint(104, 115)}年{rng.choice(TOPICS)}{rng.choice(CLASSES)}",
            "course_name": rng.choice(PREFIXES) + topic + rng.choice(SUFFIXES),
            "hosting_agency": rng.choice(ORGS),
            "hidden": rng.random() < 0.02,
            "recorded_by": "bench",
            "recorded_at": now,
        }


def batches(rows: Iterator[dict[str, Any]], size: int = 5000) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def load(engine: Engine, n: int) -> dict[str, float]:
    rng = random.Random(11)
    began = time.perf_counter()
    with engine.begin() as conn:
        for batch in batches(lecturers(n, rng)):
            conn.execute(insert(Lecturer), batch)
        for batch in batches(engagements(10 * n, n, rng)):
            conn.execute(insert(Engagement), batch)
        cats = conn.execute(text("SELECT id FROM course_categories")).scalars().all()
        links = {(rng.randint(1, n), rng.choice(cats)) for _ in range(n)}
        for batch in batches(iter({"lecturer_id": a, "category_id": b} for a, b in links)):
            conn.execute(insert(LecturerCategory), batch)
        if engine.dialect.name == "postgresql":
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence('lecturers','id'), :n)"), {"n": n}
            )
    loaded = time.perf_counter() - began
    began = time.perf_counter()
    with Session(engine) as session:
        count = rebuild_all(session)
        session.commit()
    indexed = time.perf_counter() - began
    # As autovacuum leaves a table some time after a bulk load: statistics, and
    # (PostgreSQL) the visibility map, without which no index-only scan of the
    # links pays and each link read visits the table (for 資安 in course names,
    # 28,843 heap pages).
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
    return {"load_s": loaded, "index_s": indexed, "links": float(count)}


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18] * 1000 if len(samples) > 1 else samples[0] * 1000


def timed(fn: Callable[[], int], runs: int) -> tuple[float, int]:
    fn()  # warm the caches once
    samples, found = [], 0
    for _ in range(runs):
        began = time.perf_counter()
        found = fn()
        samples.append(time.perf_counter() - began)
    return p95(samples), found


def like_course(session: Session, term: str, expertise: str | None = None) -> int:
    sql = (
        "SELECT l.id FROM lecturers l WHERE l.active AND EXISTS (SELECT 1 FROM engagements e "
        "WHERE e.lecturer_id = l.id AND NOT e.hidden AND e.course_name LIKE :t) "
        "ORDER BY l.last_engaged_on DESC, l.id LIMIT 21"
    )
    ids = session.execute(text(sql), {"t": f"%{term}%"}).scalars().all()
    if expertise is not None:
        rows = (
            session.execute(text(sql.replace("LIMIT 21", "")), {"t": f"%{term}%"}).scalars().all()
        )
        experts = set(scan_expertise(session, expertise, limit=None))
        ids = [i for i in rows if i in experts][:21]
    return len(ids)


def scan_expertise(session: Session, term: str, limit: int | None = 21) -> list[int]:
    folded = fold(term)
    found = [
        i
        for i, items in session.execute(text("SELECT id, expertise FROM lecturers WHERE active"))
        if any(
            folded in fold(x)
            for x in (items if isinstance(items, list) else __import__("json").loads(items))
        )
    ]
    return found if limit is None else found[:limit]


def count_hits(session: Session, wanted: list[Criterion], audience: Audience) -> int:
    return len(search(session, wanted, audience, 21, None))


def count_scanned(session: Session, term: str) -> int:
    return len(scan_expertise(session, term))


# As a training officer searches: the records disclosed to training officers match too.
AUDIENCE = Audience.TRAINING_OFFICER
QUERIES: list[tuple[str, list[tuple[str, str]], float]] = [
    ("course 2 chars 資安", [("course", "資安")], 50),
    ("course 4 chars 人工智慧", [("course", "人工智慧")], 50),
    ("expertise 2 chars 倫理", [("expertise", "倫理")], 50),
    ("expertise 4 chars 資通安全", [("expertise", "資通安全")], 50),
    ("combined course 資安 + expertise 治理", [("course", "資安"), ("expertise", "治理")], 100),
]


def run(backend: str, engine: Engine, n: int, runs: int, loaded: bool = False) -> None:
    if loaded:
        with engine.connect() as conn:
            n = conn.execute(text("SELECT count(*) FROM lecturers")).scalar_one()
            records = conn.execute(text("SELECT count(*) FROM engagements")).scalar_one()
            links = conn.execute(text("SELECT count(*) FROM search_links")).scalar_one()
        print(
            f"\n{backend}: {n:,} lecturers, {records:,} engagements "
            f"(loaded before; {links:,} links)"
        )
    else:
        figures = load(engine, n)
        print(
            f"\n{backend}: {n:,} lecturers, {10 * n:,} engagements; "
            f"load {figures['load_s']:.1f} s, index {figures['index_s']:.1f} s "
            f"({int(figures['links']):,} links)"
        )
    print(f"{'query':42} {'index p95':>10} {'brute p95':>10} {'ratio':>7} {'hits':>5}  target")
    with Session(engine) as session:
        for label, asked, target in QUERIES:
            wanted = [Criterion(f, fold(t)) for f, t in asked]
            fast, hits = timed(partial(count_hits, session, wanted, AUDIENCE), runs)
            if asked[0][0] == "course":
                expertise = asked[1][1] if len(asked) > 1 else None
                brute, _ = timed(
                    partial(like_course, session, asked[0][1], expertise), max(3, runs // 5)
                )
            else:
                brute, _ = timed(partial(count_scanned, session, asked[0][1]), max(3, runs // 5))
            verdict = "met" if fast <= target else "MISSED"
            print(
                f"{label:42} {fast:8.1f}ms {brute:8.1f}ms {brute / fast:6.1f}x {hits:5}  "
                f"<= {target:.0f} ms {verdict}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 100,000 lecturers")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgresql", action="store_true")
    parser.add_argument(
        "--keep", action="store_true", help="keep the loaded databases and print where they are"
    )
    parser.add_argument("--pg-database", help="time this loaded PostgreSQL database (from --keep)")
    parser.add_argument("--sqlite-file", help="time this loaded SQLite file (from --keep)")
    args = parser.parse_args()
    n = max(100, int(100_000 * args.scale))
    print(f"load average {load_average()} on {os.cpu_count()} cores")
    if not args.skip_postgresql:
        name = args.pg_database or f"bench_speakers_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        if not args.pg_database:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
        try:
            if not args.pg_database:
                upgrade("speakers", url)
            engine = create_engine(url)
            run("PostgreSQL", engine, n, args.runs, loaded=bool(args.pg_database))
            engine.dispose()
        finally:
            if args.keep or args.pg_database:
                print(f"kept PostgreSQL database {name}")
            else:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            admin.dispose()
        print(f"load average {load_average()}")
    if not args.skip_sqlite:
        tmp = None if args.sqlite_file else tempfile.mkdtemp(prefix="bench_speakers_")
        path = Path(args.sqlite_file) if tmp is None else Path(tmp) / "speakers.db"
        url = f"sqlite:///{path}"
        try:
            if not args.sqlite_file:
                upgrade("speakers", url)
            engine = create_engine(url)
            run("SQLite", engine, n, args.runs, loaded=bool(args.sqlite_file))
            engine.dispose()
        finally:
            if args.keep or args.sqlite_file:
                print(f"kept SQLite file {path}")
            elif tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
        print(f"load average {load_average()}")


def load_average() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg()) + " (1, 5, 15 min)"


if __name__ == "__main__":
    main()
