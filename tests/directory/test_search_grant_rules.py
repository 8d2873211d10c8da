"""The pure rules of delegated lecturer search: status, term, quotas, grantees."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.common.timeutil import taipei_date
from services.directory.domain.search_grants import (
    POLICY_QUOTAS,
    Grantee,
    end_errors,
    grantee_errors,
    is_active,
    latest_end,
    quota_errors,
    quota_for,
    status,
)

NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Stored:
    ends_on: date
    revoked_at: datetime | None = None


@pytest.mark.parametrize(
    ("ends_on", "revoked", "today", "expected"),
    [
        (date(2026, 12, 31), False, date(2026, 12, 31), "active"),  # its last day
        (date(2026, 12, 31), False, date(2027, 1, 1), "expired"),  # across the year
        (date(2028, 2, 29), False, date(2028, 2, 29), "active"),
        (date(2028, 2, 29), False, date(2028, 3, 1), "expired"),
        (date(2026, 12, 31), True, date(2026, 12, 1), "revoked"),
        (date(2026, 11, 30), True, date(2026, 12, 1), "revoked"),  # revoked wins
    ],
)
def test_status(ends_on, revoked, today, expected):
    grant = Stored(ends_on, NOW if revoked else None)
    assert status(grant, today) == expected
    assert is_active(grant, today) == (expected == "active")


def test_a_grant_ends_at_midnight_in_taipei_not_utc():
    grant = Stored(date(2026, 12, 31))
    # 15:59:59 UTC on 31 Dec is 23:59:59 in Taipei; a second later it is 1 Jan (ROC 116).
    assert is_active(grant, taipei_date(datetime(2026, 12, 31, 15, 59, 59, tzinfo=UTC)))
    assert not is_active(grant, taipei_date(datetime(2026, 12, 31, 16, 0, 0, tzinfo=UTC)))


@pytest.mark.parametrize(
    ("today", "latest"),
    [
        (date(2026, 12, 2), date(2027, 12, 2)),
        (date(2028, 2, 29), date(2029, 2, 28)),
        (date(2027, 2, 28), date(2028, 2, 28)),
        (date(2026, 12, 31), date(2027, 12, 31)),
    ],
)
def test_latest_end(today, latest):
    assert latest_end(today) == latest


@pytest.mark.parametrize(
    ("offset", "codes"),
    [(-1, ["in_the_past"]), (0, []), (1, []), ("latest", []), ("after", ["too_far"])],
)
def test_end_errors(offset, codes):
    today = date(2028, 2, 29)
    if offset == "latest":
        ends_on = latest_end(today)
    elif offset == "after":
        ends_on = latest_end(today) + timedelta(days=1)
    else:
        assert isinstance(offset, int)
        ends_on = today + timedelta(days=offset)
    assert [b.code for b in end_errors(ends_on, today)] == codes


@given(st.dates(date(1912, 1, 1), date(9000, 12, 31)), st.integers(-800, 800))
def test_an_end_is_fine_exactly_within_a_year(today, offset):
    ends_on = today + timedelta(days=offset)
    fine = today <= ends_on <= latest_end(today)
    assert (end_errors(ends_on, today) == []) == fine
    assert 365 <= (latest_end(today) - today).days <= 366


def test_policy_quotas_and_unknown_types():
    assert POLICY_QUOTAS == {
        "competent_authority": 20,
        "subordinate": 10,
        "training_institution": 10,
        "school": 0,
    }
    assert quota_for("competent_authority", POLICY_QUOTAS) == 20
    assert quota_for("embassy", POLICY_QUOTAS) == 0
    assert quota_for("school", {"school": -3}) == 0


@pytest.mark.parametrize(
    ("quota", "in_use", "fits"),
    [
        (20, 19, True),
        (20, 20, False),
        (20, 21, False),
        (10, 9, True),
        (10, 10, False),
        (0, 0, False),
    ],
)
def test_quota_errors_at_the_boundary(quota, in_use, fits):
    errors = quota_errors(quota, in_use)
    assert (errors == []) == fits
    if not fits:
        assert errors[0].code == "quota_reached" and f"{in_use} of {quota}" in errors[0].reason


@given(st.integers(0, 100), st.integers(0, 100))
def test_one_more_fits_only_below_the_quota(quota, in_use):
    assert (quota_errors(quota, in_use) == []) == (in_use < quota)


FINE = Grantee(
    account="staff.c01.01",
    kind="human",
    account_status="active",
    person_agency="C01",
    person_status="active",
    searches_by_role=False,
    has_active_grant=False,
)


@pytest.mark.parametrize(
    ("changes", "codes"),
    [
        ({}, []),
        ({"kind": "machine"}, ["not_human"]),
        ({"account_status": "disabled"}, ["account_disabled"]),
        ({"person_agency": "S01"}, ["other_agency"]),
        ({"person_status": "left"}, ["not_in_service"]),
        ({"searches_by_role": True}, ["searches_by_role"]),
        ({"has_active_grant": True}, ["already_granted"]),
        (
            {"kind": "service", "person_status": "deceased", "has_active_grant": True},
            ["not_human", "not_in_service", "already_granted"],
        ),
    ],
)
def test_grantee_errors(changes, codes):
    assert [b.code for b in grantee_errors(replace(FINE, **changes), "C01")] == codes
    assert all(b.field == "body.account" for b in grantee_errors(replace(FINE, **changes), "C01"))


def test_an_unknown_account():
    assert [b.code for b in grantee_errors(None, "C01")] == ["unknown_account"]
