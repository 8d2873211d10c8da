"""A certificate obtained after the day is not valid on it, whatever the
database's planner knows of the tables.

SQLite 3.40 gives a wrong answer to `person = ? AND version = ? AND state IN
(a, b) AND obtained_on <= ?` along (version, person, state, obtained_on, ...)
once `sqlite_stat1` says (version, person) is nearly unique, as ANALYZE says of
a registry at national size: the row obtained after the day is found. It needs
an equality on every column before the IN (an IN of one value is one), an IN
of two or more values, then an upper bound alone on a NOT NULL column. The
search's and the recount's certificate conditions must not be written in the
form it mis-seeks.
"""

# ruff: noqa: F811
from __future__ import annotations

from datetime import date

from sqlalchemy import select, text
from sqlmodel import Session, col

from services.certs.domain.staffing import SearchFilter, SortKey
from services.certs.models import TalentPerson
from services.certs.store import person_certificates
from services.certs.store import staffing as store
from tests.certs.staffing_data import Data, data  # noqa: F401

DAY = date(2026, 12, 1)
# What ANALYZE wrote of the registry's indexes at 500,000 certificates.
NATIONAL_STAT = {
    "ix_certificates_version_person_valid": "500000 41667 1 1 1 1",
    "ix_certificates_person_version_valid": "500000 2 1 1 1 1",
}


def _planner_told_national_statistics(data: Data) -> None:
    session = data.session
    bind = session.get_bind()
    if bind.dialect.name == "sqlite":
        session.execute(text("ANALYZE"))
        for index, stat in NATIONAL_STAT.items():
            session.execute(text("DELETE FROM sqlite_stat1 WHERE idx = :i"), {"i": index})
            session.execute(
                text("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('certificates', :i, :s)"),
                {"i": index, "s": stat},
            )
    else:
        session.execute(text("ANALYZE certificates"))
    session.commit()
    # SQLite reads the statistics when a connection opens.
    bind.dispose()  # type: ignore[union-attr]


def test_a_certificate_obtained_after_the_day_is_not_held_on_it(data: Data) -> None:
    tool = data.version("tool-a", kind="tool")
    other = data.version("tool-b", kind="tool")
    early = data.person("P-EARLY")
    late = data.person("P-LATE")
    both = data.person("P-BOTH")
    data.certificate(early, tool, obtained_on=date(2026, 3, 1))
    data.certificate(late, tool, obtained_on=date(2026, 12, 9))
    data.certificate(both, tool, obtained_on=date(2026, 12, 2))
    data.certificate(both, other, obtained_on=date(2025, 1, 1), state="expired")
    data.certificate(both, tool, obtained_on=date(2020, 1, 1), state="revoked")
    data.commit()
    _planner_told_national_statistics(data)

    with Session(data.session.get_bind()) as session:
        for versions, held in (
            (frozenset({tool}), {"P-EARLY"}),
            (frozenset({tool, other}), {"P-EARLY", "P-BOTH"}),
            (frozenset({other}), {"P-BOTH"}),
        ):
            f = SearchFilter(
                day=DAY, year=DAY.year, agencies=frozenset({"A01"}), version_ids=versions
            )
            found, _ = store.search_page(session, f, SortKey.PERSON_ID, 50, None)
            assert {p.person_id for p in found} == held, versions
            assert store.counts_per_agency(session, f) == [("A01", len(held))]
        on_the_day = store.valid_certificates(session, ["P-EARLY", "P-LATE", "P-BOTH"], DAY)
        assert sorted(on_the_day) == ["P-BOTH", "P-EARLY"]


def test_a_recount_as_of_a_day_counts_no_role_certificate_obtained_after_it(data: Data) -> None:
    """The per-role count of the recount asks `version IN (the role's)`, an
    equality when one version supports the role: the shape SQLite 3.40 mis-seeks."""
    solo = data.version("solo-research", kind="tool", roles=("research",))
    data.version("two-roles", kind="tool", roles=("application", "policy"))
    late = data.person("P-LATE")
    early = data.person("P-EARLY")
    data.role(late, "research")
    data.role(early, "research")
    data.certificate(late, solo, obtained_on=date(2026, 12, 9))
    data.certificate(early, solo, obtained_on=date(2026, 3, 1))
    data.commit()
    _planner_told_national_statistics(data)

    with Session(data.session.get_bind()) as session:
        person_certificates.recount(session, [late, early], DAY)
        session.commit()
        rows = {
            r.person_id: r
            for r in session.scalars(
                select(TalentPerson).where(col(TalentPerson.person_id).in_([late, early]))
            )
        }
    assert (rows[late].valid_for_research, rows[late].valid_certificates) == (0, 0)
    assert rows[late].slot_rank_research == 0  # plays the role, holds nothing for it
    assert (rows[early].valid_for_research, rows[early].valid_certificates) == (1, 1)
