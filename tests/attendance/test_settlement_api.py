"""Expiry and settlement end to end: what the daily job settles, how, and the exportable queue."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.attendance.domain.comptime import expiry_date
from services.attendance.jobs import expire
from services.common.timeutil import today_taipei
from tests.attendance.builders import ROSTER, approved_grant, balance, import_roster, leave

# Refusals are dated today, so the grant must still be running today.
EARNED = today_taipei() - timedelta(days=300)
LAPSE = expiry_date(EARNED) + timedelta(days=1)
LEAVE_AT = f"{(today_taipei() + timedelta(days=7)).isoformat()}T09:00:00+08:00"


def _refuse(api, actors, reason: str = "business_necessity") -> None:
    request = leave(api, actors, LEAVE_AT, 60)
    response = api.post(
        f"/comp-leave/{request['id']}/refuse",
        headers=actors.supervisor(),
        json={"reason": reason, "note": "year-end closing"},
    )
    assert response.status_code == 200, response.text


def _status(api, actors, status: str) -> None:
    rows = [dict(r, status=status) if r["person_id"] == "E1" else r for r in ROSTER]
    import_roster(api, actors, rows)


def _budget_exhausted(api, actors) -> None:
    response = api.put("/agencies/A01/policy", headers=actors.hr, json={"budget_exhausted": True})
    assert response.status_code == 200


def _queue(api, actors) -> list[dict]:
    response = api.get("/settlements", params={"agency_code": "A01"}, headers=actors.hr)
    assert response.status_code == 200, response.text
    return response.json()["items"]


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("refused", ("pay", "refused_business_necessity", "200")),
        ("not_applied", None),
        ("refused_for_other_reason", None),
        ("left", ("pay", "left_service", "200")),
        ("deceased", ("pay", "deceased", "200")),
        ("budget_exhausted", ("commendation", "budget_exhausted", "0")),
        ("left_and_budget_exhausted", ("pay", "left_service", "200")),
        ("left_not_applied", None),
    ],
)
def test_settlement_eligibility(api, actors, roster, job_settings, case, expected):
    approved_grant(api, actors, EARNED, 120)
    if case not in ("not_applied", "left_not_applied"):
        _refuse(
            api, actors, "other" if case == "refused_for_other_reason" else "business_necessity"
        )
    if case.startswith("left"):
        _status(api, actors, "left")
    if case == "deceased":
        _status(api, actors, "deceased")
    if "budget_exhausted" in case:
        _budget_exhausted(api, actors)
    summary = expire(settings=job_settings, as_of=LAPSE)
    queue = _queue(api, actors)
    if expected is None:
        assert queue == []
        assert summary["expired_minutes"] == 120
    else:
        (row,) = queue
        assert (row["outcome"], row["reason"], str(int(float(row["amount"])))) == expected
        assert (row["minutes"], row["expired_on"]) == (60, LAPSE.isoformat())
        assert summary["expired_minutes"] == 60
    assert balance(api, actors)["balance_minutes"] == 0


def test_expiry_job_is_idempotent_and_claims_the_day(api, actors, roster, job_settings):
    approved_grant(api, actors, EARNED, 120)
    _refuse(api, actors)
    first = expire(settings=job_settings, as_of=LAPSE)
    assert (first["settlements"], first["expired_minutes"]) == (1, 60)
    assert expire(settings=job_settings, as_of=LAPSE)["skipped"] == "already ran today"
    forced = expire(settings=job_settings, as_of=LAPSE, force=True)
    assert (forced["settlements"], forced["expired_minutes"]) == (0, 0)
    assert len(_queue(api, actors)) == 1


def test_settlement_queue_exports_as_csv(api, actors, roster, job_settings):
    approved_grant(api, actors, EARNED, 120)
    _refuse(api, actors)
    expire(settings=job_settings, as_of=LAPSE)
    response = api.get("/settlements/export", params={"agency_code": "A01"}, headers=actors.hr)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("id,person_id,grant_id,expired_on,expired_on_roc,hours,outcome")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="settlements-A01-as-of-')
    assert lines[0].endswith(",amount_ntd,rule,leave_request_id")
    assert ",E1," in lines[1] and ",pay," in lines[1] and ",200,paid," in lines[1]
    assert lines[1].rsplit(",", 1)[1].isdigit()  # the refusal it rests on
