"""The revision that adds topic bits and hundredths to learning records fills them
in for the records already stored."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Numeric, bindparam, insert, select, text

from services.common.db import make_engine
from services.common.migrate import upgrade
from services.common.timestamps import UtcDateTime
from services.training.domain.topics import Topic, topic_mask
from services.training.models import Category, Course, LearningRecord
from tests.databases import fresh_database

BEFORE = "b2d0c0000002"
COURSE_TOPICS = {
    "plain": "",
    "ai": "ai_basic",
    "both_ai": "ai_advanced,ai_basic",
    "mixed": "democratic_values,gender_mainstreaming,sexual_harassment_prevention",
    "every": ",".join(sorted(t.value for t in Topic)),
}


def test_existing_records_get_their_course_topics_and_hundredths(tmp_path):
    with fresh_database("training", tmp_path, migrate=False) as url:
        upgrade("training", url, BEFORE)
        engine = make_engine(url)
        now = datetime.now(UTC)
        try:
            with engine.begin() as conn:
                conn.execute(insert(Category.__table__), [{"code": "C01", "name": "x"}])  # type: ignore[attr-defined]
                for ext, topics in COURSE_TOPICS.items():
                    conn.execute(
                        insert(Course.__table__),  # type: ignore[attr-defined]
                        {
                            "source": "elearn",
                            "external_id": ext,
                            "title": ext,
                            "category_code": "C01",
                            "topics": topics,
                            "is_digital": False,
                            "created_at": now,
                        },
                    )
                ids: dict[str, int] = dict(
                    conn.execute(text("SELECT external_id, id FROM courses")).all()
                )
                # Written as the previous revision's table stands: no new columns.
                for n, (ext, hours) in enumerate(
                    zip(COURSE_TOPICS, ("1.15", "0.29", "3", "12.34", "0.01"), strict=True)
                ):
                    conn.execute(
                        text(
                            "INSERT INTO learning_records (source, external_id, person_id, "
                            "agency_code, unit_id, course_id, hours, completed_on, year, "
                            "withdrawn, digest, version, created_at, updated_at) VALUES "
                            "('elearn', :ext, 'P1', 'A01', '', :course, :hours, :day, 2026, "
                            ":withdrawn, '', 1, :now, :now)"
                        ).bindparams(
                            bindparam("hours", type_=Numeric(7, 2)),
                            bindparam("withdrawn", type_=Boolean()),
                            bindparam("now", type_=UtcDateTime()),
                        ),
                        {
                            "ext": f"R{n}",
                            "course": ids[ext],
                            "hours": Decimal(hours),
                            "day": date(2026, 3, 2),
                            "withdrawn": False,
                            "now": now,
                        },
                    )
            engine.dispose()
            upgrade("training", url)
            engine = make_engine(url)
            records = LearningRecord.__table__  # type: ignore[attr-defined]
            courses = Course.__table__  # type: ignore[attr-defined]
            with engine.connect() as conn:
                got = conn.execute(
                    select(courses.c.topics, records.c.topic_mask, records.c.hours_centi)
                    .join(courses, courses.c.id == records.c.course_id)
                    .order_by(records.c.external_id)
                ).all()
        finally:
            engine.dispose()
    expected = [
        (topics, topic_mask(Topic(t) for t in topics.split(",") if t), centi)
        for topics, centi in zip(COURSE_TOPICS.values(), (115, 29, 300, 1234, 1), strict=True)
    ]
    assert [tuple(row) for row in got] == expected
