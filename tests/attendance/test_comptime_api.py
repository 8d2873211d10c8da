"""The comp-time ledger through the API: per-grant clocks in Asia/Taipei, FIFO,
exact restores, transfers with dates kept, and balances equal to ledger sums."""

from __future__ import annotations

from datetime import date

from services.attendance.jobs import expire
from tests.attendance.builders import approved_grant, balance, leave


def _entries(api, actors, person_id: str = "E1") -> list[dict]:
    response = api.get(
        f"/persons/{person_id}/comp-time/entries", params={"limit": 500}, headers=actors.hr
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_overtime_on_2023_01_01_is_usable_on_2024_12_31_and_expired_on_2025_01_01(
    api, actors, roster, job_settings
):
    grant = approved_grant(api, actors, "2023-01-01", 120)
    assert balance(api, actors, as_of="2024-12-31")["usable_minutes"] == 120
    assert balance(api, actors, as_of="2025-01-01")["usable_minutes"] == 0
    (g,) = balance(api, actors)["grants"]
    assert (g["grant_id"], g["earned_on"], g["expires_on"]) == (
        grant["grant_id"],
        "2023-01-01",
        "2024-12-31",
    )
    # The expiry job on the last usable day changes nothing; the next day it expires.
    assert expire(settings=job_settings, as_of=date(2024, 12, 31))["expired_minutes"] == 0
    assert expire(settings=job_settings, as_of=date(2025, 1, 1))["expired_minutes"] == 120
    after = balance(api, actors)
    assert (after["balance_minutes"], after["grants"]) == (0, [])
    kinds = [(e["kind"], e["minutes"], e["on_day"]) for e in _entries(api, actors)]
    assert kinds == [("grant", 120, "2023-01-01"), ("expire", -120, "2025-01-01")]


def test_a_request_at_2359_taipei_on_the_last_day_is_granted(api, actors, roster):
    approved_grant(api, actors, "2023-01-01", 120)
    taken = leave(api, actors, "2024-12-31T23:59:00+08:00", 60)
    assert taken["leave_day"] == "2024-12-31"
    assert [a["minutes"] for a in taken["allocations"]] == [60]


def test_midnight_taipei_is_already_the_next_day_even_when_sent_in_utc(api, actors, roster):
    approved_grant(api, actors, "2023-01-01", 120)
    # 16:00 UTC on 31 Dec is 00:00 on 1 Jan in Taipei: the grant has lapsed.
    response = api.post(
        "/comp-leave",
        headers=actors.employee(),
        json={"starts_at": "2024-12-31T16:00:00Z", "minutes": 60},
    )
    assert response.status_code == 409
    problem = response.json()
    assert problem["type"].endswith("/insufficient-comp-time")
    assert (problem["available_minutes"], problem["requested_minutes"]) == (0, 60)


def test_overtime_on_29_february_runs_to_the_last_day_of_february(api, actors, roster):
    approved_grant(api, actors, "2024-02-29", 60)
    (g,) = balance(api, actors)["grants"]
    assert g["expires_on"] == "2026-02-28"
    assert balance(api, actors, as_of="2026-02-28")["usable_minutes"] == 60
    assert balance(api, actors, as_of="2026-03-01")["usable_minutes"] == 0


def test_a_timestamp_in_another_zone_earns_on_its_taipei_day(api, actors, roster):
    from tests.attendance.builders import overtime

    record = overtime(
        api, actors, "2023-01-01", 60, starts_at="2022-12-31T17:00:00Z", is_rest_day=True
    )
    assert record["day"] == "2023-01-01"


def test_agency_validity_shorter_than_two_years(api, actors, roster):
    response = api.put("/agencies/A01/policy", headers=actors.hr, json={"validity_months": 12})
    assert response.status_code == 200, response.text
    approved_grant(api, actors, "2025-03-03", 60)
    assert balance(api, actors)["grants"][0]["expires_on"] == "2026-03-02"
    too_long = api.put("/agencies/A01/policy", headers=actors.hr, json={"validity_months": 25})
    assert too_long.status_code == 422


def test_leave_takes_the_earliest_expiring_grants_first_and_combines_remainders(
    api, actors, roster
):
    later = approved_grant(api, actors, "2023-03-01", 60)
    earlier = approved_grant(api, actors, "2023-02-01", 90)
    taken = leave(api, actors, "2023-06-01T09:00:00+08:00", 120)
    assert [(a["grant_id"], a["minutes"]) for a in taken["allocations"]] == [
        (earlier["grant_id"], 90),
        (later["grant_id"], 30),
    ]
    assert balance(api, actors, as_of="2023-06-01")["usable_minutes"] == 30


def test_partial_hours_are_requested_in_whole_hours(api, actors, roster):
    approved_grant(api, actors, "2023-02-01", 90)
    response = api.post(
        "/comp-leave",
        headers=actors.employee(),
        json={"starts_at": "2023-06-01T09:00:00+08:00", "minutes": 30},
    )
    assert response.status_code == 422


def test_refusal_and_cancellation_restore_exactly_into_the_same_grants(api, actors, roster):
    first = approved_grant(api, actors, "2023-02-01", 90)
    second = approved_grant(api, actors, "2023-03-01", 60)
    before = {g["grant_id"]: g["remaining"] for g in balance(api, actors)["grants"]}
    refused = leave(api, actors, "2023-06-01T09:00:00+08:00", 120)
    response = api.post(
        f"/comp-leave/{refused['id']}/refuse",
        headers=actors.supervisor(),
        json={"reason": "business_necessity", "note": "budget hearing week"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["refusal_reason"] == "business_necessity"
    assert {g["grant_id"]: g["remaining"] for g in balance(api, actors)["grants"]} == before
    cancelled = leave(api, actors, "2023-06-02T09:00:00+08:00", 120)
    assert (
        api.post(f"/comp-leave/{cancelled['id']}/cancel", headers=actors.employee()).status_code
        == 200
    )
    # A second cancel is refused and moves nothing.
    assert (
        api.post(f"/comp-leave/{cancelled['id']}/cancel", headers=actors.employee()).status_code
        == 409
    )
    assert {g["grant_id"]: g["remaining"] for g in balance(api, actors)["grants"]} == before
    restores = [e for e in _entries(api, actors) if e["kind"] == "restore"]
    assert sorted((e["grant_id"], e["minutes"]) for e in restores) == sorted(
        [(first["grant_id"], 90), (second["grant_id"], 30)] * 2
    )


def test_balance_always_equals_the_ledger_sum(api, actors, roster):
    approved_grant(api, actors, "2023-02-01", 180)
    taken = leave(api, actors, "2023-06-01T09:00:00+08:00", 60)
    api.post(f"/comp-leave/{taken['id']}/approve", headers=actors.supervisor())
    leave(api, actors, "2023-06-02T09:00:00+08:00", 60)
    entries = _entries(api, actors)
    state = balance(api, actors)
    assert state["balance_minutes"] == sum(e["minutes"] for e in entries) == 60
    assert state["balance_minutes"] == sum(g["remaining"] for g in state["grants"])


def test_pay_overtime_earns_no_grant_and_rejected_overtime_neither(api, actors, roster):
    from tests.attendance.builders import overtime

    paid = overtime(api, actors, "2023-02-01", 60, compensation="pay")
    approved = api.post(f"/overtime/{paid['id']}/approve", headers=actors.supervisor()).json()
    assert approved["grant_id"] is None
    comp = overtime(api, actors, "2023-02-02", 60)
    rejected = api.post(f"/overtime/{comp['id']}/reject", headers=actors.supervisor())
    assert rejected.json()["status"] == "rejected"
    assert (
        api.post(f"/overtime/{comp['id']}/approve", headers=actors.supervisor()).status_code == 409
    )
    assert balance(api, actors)["balance_minutes"] == 0


def test_a_supervisor_cannot_approve_their_own_overtime(api, actors, roster):
    from tests.attendance.builders import overtime

    own = overtime(api, actors, "2023-02-01", 60, person_id="S1", assigned_by="E1")
    response = api.post(f"/overtime/{own['id']}/approve", headers=actors.supervisor())
    assert response.status_code in (403, 404)


def test_self_assigned_overtime_is_refused(api, actors, roster):
    response = api.post(
        "/overtime",
        headers=actors.employee(),
        json={
            "day": "2023-02-01",
            "minutes": 60,
            "assigned_by": "E1",
            "reason": "x",
            "compensation": "comp",
        },
    )
    assert response.status_code == 422


def test_transfer_carries_grants_with_their_dates(api, actors, roster):
    grant = approved_grant(api, actors, "2023-02-01", 120)
    leave(api, actors, "2023-06-01T09:00:00+08:00", 60)
    # The authority's HR reaches both agencies: a move stays within the caller's scope.
    response = api.post(
        "/persons/E1/comp-time/transfer",
        headers=actors.hr_authority,
        json={"to_agency": "A02", "on": "2023-07-01"},
    )
    assert response.status_code == 200, response.text
    moved = response.json()
    assert moved["agency_code"] == "A02"
    assert [(g["grant_id"], g["expires_on"], g["remaining"]) for g in moved["grants"]] == [
        (grant["grant_id"], "2025-01-31", 60)
    ]
    # The old agency no longer reaches the person; the new one does, with the same clock.
    assert api.get("/persons/E1/comp-time", headers=actors.hr).status_code == 404
    seen = api.get("/persons/E1/comp-time", headers=actors.hr_a02).json()
    assert seen["grants"][0]["expires_on"] == "2025-01-31"
    kinds = [
        (e["kind"], e["agency_code"], e["minutes"])
        for e in api.get("/persons/E1/comp-time/entries", headers=actors.hr_a02).json()["items"]
        if e["kind"].startswith("transfer")
    ]
    assert kinds == [("transfer_out", "A01", -60), ("transfer_in", "A02", 60)]


def test_balance_response_is_exactly_the_documented_model(api, actors, roster):
    from services.attendance.schemas import ComptimeBalanceOut

    approved_grant(api, actors, "2023-05-01", 90)
    approved_grant(api, actors, "2023-03-01", 120)
    leave(api, actors, "2024-06-03T09:00:00+08:00", 60)
    body = balance(api, actors, as_of="2024-06-03")
    # The balance is serialised without the framework's response model; it
    # must still be exactly what the model documents.
    assert ComptimeBalanceOut.model_validate(body).model_dump(mode="json") == body
    assert [(g["earned_on"], g["remaining"]) for g in body["grants"]] == [
        ("2023-03-01", 60),
        ("2023-05-01", 90),
    ]
    assert (body["balance_minutes"], body["usable_minutes"]) == (150, 150)


def test_a_leave_cancelled_after_approval_says_who_cancelled_it(api, actors, roster):
    approved_grant(api, actors, "2023-02-01", 120)
    taken = leave(api, actors, "2023-06-01T09:00:00+08:00", 60)
    approved = api.post(f"/comp-leave/{taken['id']}/approve", headers=actors.supervisor()).json()
    assert approved["decided_by"] is not None
    cancelled = api.post(f"/comp-leave/{taken['id']}/cancel", headers=actors.employee())
    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    assert body["status"] == "cancelled"
    assert body["decided_on"] is not None
    assert body["decided_by"] not in (None, approved["decided_by"])


def test_nobody_approves_their_own_overtime_or_leave(api, actors):
    from tests.attendance.builders import ROSTER, import_roster, overtime

    # S1 is recorded as their own supervisor: the reach alone would let them decide.
    rows = [{**r, "supervisor_id": "S1"} if r["person_id"] == "S1" else r for r in ROSTER]
    import_roster(api, actors, rows)
    own = overtime(api, actors, "2023-02-01", 60, person_id="S1", assigned_by="E1")
    for action in ("approve", "reject"):
        refused = api.post(f"/overtime/{own['id']}/{action}", headers=actors.supervisor())
        assert refused.status_code == 403, refused.text
        assert "their own request" in refused.json()["detail"]
    # Someone else's they still decide.
    assert approved_grant(api, actors, "2023-02-02", 60)["grant_id"] is not None
