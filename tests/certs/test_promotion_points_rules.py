"""AI promotion points (陞任評分) from an agency's table for a year: examples,
refused tables, and properties (caps never exceeded, monotone in hours, expired
certificates never counted after their last day, Feb 29)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.certs.domain.promotion_points import (
    CertificatePoints,
    HourBand,
    PointsTable,
    ScoringItem,
    ai_points,
)
from services.certs.domain.talent import Certificate, CertificateKind, Level

D = Decimal
KIND = CertificateKind
PRO = ScoringItem.PROFESSIONAL_ABILITY
TRAIN = ScoringItem.TRAINING
DAY = date(2026, 12, 2)

# An agency's 2026 table: certificates under professional ability (cap 2),
# AI hours under training and further study (cap 1).
TABLE = PointsTable(
    agency_code="A01",
    year=2026,
    certificates=(
        CertificatePoints(KIND.LITERACY, Level.BASIC, D("0.5"), PRO),
        CertificatePoints(KIND.TOOL, Level.BASIC, D("0.5"), PRO),
        CertificatePoints(KIND.PROJECT_PLANNING, Level.INTERMEDIATE, D("1"), PRO),
        CertificatePoints(KIND.PROJECT_TECHNICAL, Level.ADVANCED, D("1.5"), PRO),
        # Training and further study also rewards the planner certificate a little.
        CertificatePoints(KIND.PROJECT_PLANNING, Level.BASIC, D("0.25"), TRAIN),
    ),
    hour_bands=(
        HourBand(D(3), D("0.25"), TRAIN),
        HourBand(D(6), D("0.5"), TRAIN),
        HourBand(D(20), D("1.5"), TRAIN),
    ),
    caps={PRO: D(2), TRAIN: D(1)},
    version="A01-2026-1",
)


def cert(kind, level=Level.BASIC, verified=date(2026, 6, 1), expires=None, code=""):
    return Certificate(kind, level, verified, expires, code)


def test_no_certificate_and_few_hours_earn_nothing_and_say_why():
    result = ai_points(TABLE, [], D("2.5"), DAY)
    assert result.total == 0
    (line,) = result.lines
    assert line.item is None and "below 3 h" in line.reason


@pytest.mark.parametrize(
    ("hours", "points"),
    [(D("2.99"), D(0)), (D(3), D("0.25")), (D("5.99"), D("0.25")), (D(6), D("0.5"))],
)
def test_the_highest_band_reached_counts_once(hours, points):
    result = ai_points(TABLE, [], hours, DAY)
    assert result.item(TRAIN).awarded == points
    assert result.item(PRO).awarded == 0


def test_hours_beyond_the_cap_are_cut_to_it_and_it_says_so():
    result = ai_points(TABLE, [], D(25), DAY)
    training = result.item(TRAIN)
    assert (training.earned, training.cap, training.awarded, training.capped) == (
        D("1.5"),
        D(1),
        D(1),
        True,
    )


def test_certificates_add_up_within_their_item_and_its_cap():
    held = [
        cert(KIND.LITERACY, code="gov-ai-core"),
        cert(KIND.TOOL, code="iii-genai-office"),
        cert(KIND.PROJECT_PLANNING, Level.INTERMEDIATE, code="ipas-planner"),
    ]
    result = ai_points(TABLE, held, D(6), DAY)
    assert result.item(PRO).earned == D(2) and result.item(PRO).capped is False
    assert result.item(TRAIN).awarded == D("0.5")
    assert result.total == D("2.5")
    held.append(cert(KIND.PROJECT_TECHNICAL, Level.ADVANCED, code="gcp-pmle"))
    capped = ai_points(TABLE, held, D(6), DAY)
    assert capped.item(PRO).earned == D("3.5") and capped.item(PRO).awarded == D(2)
    assert {line.reason.split(":")[0] for line in capped.lines if line.item is PRO} == {
        "gov-ai-core",
        "iii-genai-office",
        "ipas-planner",
        "gcp-pmle",
    }


def test_a_kind_and_level_the_table_does_not_list_earns_nothing_with_a_reason():
    result = ai_points(TABLE, [cert(KIND.TOOL, Level.ADVANCED, code="aws-ml")], D(0), DAY)
    assert result.item(PRO).awarded == 0
    assert any("no points for tool level 3" in line.reason for line in result.lines)


def test_a_renewal_beside_its_old_row_counts_once():
    old = cert(KIND.LITERACY, verified=date(2024, 1, 10), code="gov-ai-core")
    renewed = cert(KIND.LITERACY, verified=date(2026, 1, 10), code="gov-ai-core")
    result = ai_points(TABLE, [old, renewed], D(0), DAY)
    assert result.item(PRO).awarded == D("0.5")
    assert sum(1 for line in result.lines if "counted once" in line.reason) == 1


def test_expiry_on_the_exact_day_feb_29_included():
    leap = cert(KIND.PROJECT_TECHNICAL, Level.ADVANCED, date(2024, 2, 29), date(2028, 2, 29))
    table = PointsTable("A01", 2028, TABLE.certificates, TABLE.hour_bands, TABLE.caps)
    assert ai_points(table, [leap], D(0), date(2028, 2, 29)).item(PRO).awarded == D("1.5")
    after = ai_points(table, [leap], D(0), date(2028, 3, 1))
    assert after.item(PRO).awarded == 0
    assert any("expired on 2028-03-01" in line.reason for line in after.lines)
    assert ai_points(table, [leap], D(0), date(2024, 2, 29)).item(PRO).awarded == D("1.5")
    assert ai_points(table, [leap], D(0), date(2024, 2, 28)).item(PRO).awarded == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"caps": {PRO: D(2)}}, "caps.training: required"),
        ({"caps": {PRO: D(-1), TRAIN: D(1)}}, "caps.professional_ability"),
        (
            {"hour_bands": (HourBand(D(6), D(1), TRAIN), HourBand(D(3), D(2), TRAIN))},
            r"hour_bands\[1\].min_hours",
        ),
        (
            {"hour_bands": (HourBand(D(3), D(1), TRAIN), HourBand(D(6), D("0.5"), TRAIN))},
            r"hour_bands\[1\].points: fewer",
        ),
        (
            {"hour_bands": (HourBand(D(3), D(1), TRAIN), HourBand(D(6), D(2), PRO))},
            r"hour_bands\[1\].item",
        ),
        ({"hour_bands": (HourBand(D(0), D(1), TRAIN),)}, r"hour_bands\[0\].min_hours"),
        (
            {
                "certificates": (
                    CertificatePoints(KIND.TOOL, Level.BASIC, D(1), PRO),
                    CertificatePoints(KIND.TOOL, Level.BASIC, D(2), TRAIN),
                )
            },
            r"certificates\[1\]: tool level 1 twice",
        ),
        (
            {"certificates": (CertificatePoints(KIND.TOOL, Level.BASIC, D(-1), PRO),)},
            r"certificates\[0\].points",
        ),
    ],
)
def test_a_table_that_breaks_a_rule_is_refused_naming_it(change, message):
    fields: dict[str, Any] = {
        "agency_code": "A01",
        "year": 2026,
        "certificates": TABLE.certificates,
        "hour_bands": TABLE.hour_bands,
        "caps": TABLE.caps,
    }
    fields.update(change)
    with pytest.raises(ValueError, match=message):
        PointsTable(**fields)


def test_negative_hours_are_refused():
    with pytest.raises(ValueError, match="ai_hours"):
        ai_points(TABLE, [], D(-1), DAY)


# --- properties ------------------------------------------------------------------------

points_st = st.decimals(min_value=0, max_value=10, places=2, allow_nan=False)
hours_st = st.decimals(min_value=0, max_value=200, places=2, allow_nan=False)
any_day = st.one_of(
    st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)),
    st.sampled_from([date(2024, 2, 29), date(2028, 2, 29), date(2026, 1, 1), date(2026, 12, 31)]),
)


@st.composite
def tables(draw: st.DrawFn) -> PointsTable:
    keys = draw(
        st.lists(
            st.tuples(st.sampled_from(list(CertificateKind)), st.sampled_from(list(Level))),
            unique=True,
            max_size=8,
        )
    )
    rows = tuple(
        CertificatePoints(kind, level, draw(points_st), draw(st.sampled_from(list(ScoringItem))))
        for kind, level in keys
    )
    minimums = sorted(
        draw(st.sets(st.decimals(min_value="0.5", max_value=60, places=1), max_size=4))
    )
    points = sorted(draw(points_st) for _ in minimums)
    item = draw(st.sampled_from(list(ScoringItem)))
    bands = tuple(HourBand(m, p, item) for m, p in zip(minimums, points, strict=True))
    caps = {i: draw(points_st) for i in ScoringItem}
    return PointsTable("A01", 2026, rows, bands, caps)


@st.composite
def certificates(draw: st.DrawFn) -> Certificate:
    verified = draw(any_day)
    expires = draw(st.one_of(st.none(), any_day.filter(lambda d: d >= verified)))
    return Certificate(
        draw(st.sampled_from(list(CertificateKind))),
        draw(st.sampled_from(list(Level))),
        verified,
        expires,
        draw(st.sampled_from(["", "a", "b", "c"])),
    )


held_st = st.lists(certificates(), max_size=6)


@given(tables(), held_st, hours_st, any_day)
def test_caps_are_never_exceeded(table, held, hours, day):
    result = ai_points(table, held, hours, day)
    for item in result.items:
        assert 0 <= item.awarded <= item.cap
        assert item.awarded == min(item.earned, item.cap)
        assert item.earned == sum(
            (line.points for line in result.lines if line.item is item.item), D(0)
        )
    assert result.total <= sum(table.caps.values(), D(0))


@given(tables(), held_st, hours_st, hours_st, any_day)
def test_more_hours_never_earn_fewer_points(table, held, hours, more, day):
    fewer = ai_points(table, held, hours, day)
    richer = ai_points(table, held, hours + more, day)
    for a, b in zip(fewer.items, richer.items, strict=True):
        assert b.awarded >= a.awarded
    assert richer.total >= fewer.total


@given(tables(), held_st, certificates(), hours_st, any_day)
def test_a_certificate_past_its_last_day_never_counts(table, held, extra, hours, day):
    if extra.expires_on is None or day <= extra.expires_on:
        return
    with_it = ai_points(table, [*held, extra], hours, day)
    without = ai_points(table, held, hours, day)
    assert with_it.items == without.items
    assert with_it.total == without.total


@given(tables(), held_st, hours_st)
def test_a_leap_day_expiry_counts_on_feb_29_and_not_on_mar_1(table, held, hours):
    leap = Certificate(KIND.TOOL, Level.BASIC, date(2027, 3, 1), date(2028, 2, 29), "leap")
    on = ai_points(table, [*held, leap], hours, date(2028, 2, 29))
    on_without = ai_points(table, held, hours, date(2028, 2, 29))
    after = ai_points(table, [*held, leap], hours, date(2028, 2, 29) + timedelta(days=1))
    after_without = ai_points(table, held, hours, date(2028, 3, 1))
    assert after.items == after_without.items
    assert on.total >= on_without.total
    row = table.points_for(KIND.TOOL, Level.BASIC)
    if row is not None and not any(c.code == "leap" for c in held):
        assert on.item(row.item).earned == on_without.item(row.item).earned + row.points
