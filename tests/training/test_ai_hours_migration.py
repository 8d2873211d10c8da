"""Revision b2d0c0000006 fills the AI-hours feed from the records already stored,
counted as the service counts them; going back down drops it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Numeric, bindparam, insert, inspect, select, text

from services.common.db import make_engine
from services.common.migrate import downgrade, upgrade
from services.common.timestamps import UtcDateTime
from services.training.models import AiHours, Category, Course
from tests.databases import fresh_database

BEFORE = "b2d0c0000005"
COURSES = {
    "basic": "ai_basic",
    "advanced": "ai_advanced",
    "both": "ai_advanced,ai_basic",
    "env": "environmental_education",
}
# (external id, person, course, hours, Taipei day, withdrawn)
RECORDS = (
    ("R1", "P1", "basic", "3", date(2026, 3, 2), False),
    ("R2", "P1", "advanced", "2.5", date(2026, 4, 2), False),
    ("R3", "P1", "both", "1", date(2026, 5, 2), False),
    ("R4", "P1", "env", "4", date(2026, 5, 3), False),
    ("R5", "P1", "basic", "9", date(2026, 5, 4), True),
    ("R6", "P1", "basic", "0.5", date(2024, 2, 29), False),
    ("R7", "P2", "env", "8", date(2026, 5, 3), False),
)


def test_stored_records_fill_the_feed_and_downgrade_drops_it(tmp_path):
    with fresh_database("training", tmp_path, migrate=False) as url:
        upgrade("training", url, BEFORE)
        engine = make_engine(url)
        now = datetime.now(UTC)
        try:
            with engine.begin() as conn:
                conn.execute(insert(Category.__table__), [{"code": "C01", "name": "x"}])  # type: ignore[attr-defined]
                for ext, topics in COURSES.items():
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
                masks = {"basic": 1, "advanced": 2, "both": 3, "env": 4}
                for ext, person, course, hours, day, withdrawn in RECORDS:
                    conn.execute(
                        text(
                            "INSERT INTO learning_records (source, external_id, person_id, "
                            "agency_code, unit_id, course_id, topic_mask, hours, completed_on, "
                            "year, withdrawn, digest, version, created_at, updated_at) VALUES "
                            "('elearn', :ext, :person, 'A01', '', :course, :mask, :hours, :day, "
                            ":year, :withdrawn, '', 1, :now, :now)"
                        ).bindparams(
                            bindparam("hours", type_=Numeric(7, 2)),
                            bindparam("withdrawn", type_=Boolean()),
                            bindparam("now", type_=UtcDateTime()),
                        ),
                        {
                            "ext": ext,
                            "person": person,
                            "course": ids[course],
                            "mask": masks[course],
                            "hours": Decimal(hours),
                            "day": day,
                            "year": day.year,
                            "withdrawn": withdrawn,
                            "now": now,
                        },
                    )
            engine.dispose()
            upgrade("training", url)
            engine = make_engine(url)
            table = AiHours.__table__  # type: ignore[attr-defined]
            with engine.connect() as conn:
                rows = conn.execute(
                    select(
                        table.c.person_id,
                        table.c.year,
                        table.c.basic_centi,
                        table.c.advanced_centi,
                        table.c.changed_at,
                    ).order_by(table.c.person_id, table.c.year)
                ).all()
            engine.dispose()
            # Basic 3, advanced 2.5 + the both-tagged 1 (as advanced); not the
            # withdrawn 9, nor the environmental hours; P2 has no AI records.
            assert [tuple(r[:4]) for r in rows] == [("P1", 2024, 50, 0), ("P1", 2026, 300, 350)]
            stamps = {r[4] for r in rows}
            assert len(stamps) == 1 and stamps.pop() >= now
            downgrade("training", url, BEFORE)
            engine = make_engine(url)
            assert "ai_hours" not in inspect(engine).get_table_names()
        finally:
            engine.dispose()
