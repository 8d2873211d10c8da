"""The verification workflow through the service's API: every move allowed and
refused, by whom, with every refusal naming the rules it breaks; renewals keep
the old row; every read by someone else is in the personal-data read log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from services.certs.models import personal_data_reads
from tests.certs.conftest import (
    CATALOGUER,
    HOLDER,
    HOLDER_A02,
    HR_A01,
    HR_A02,
    OTHER_HOLDER,
    add_entry,
    entry_body,
    submit,
    verified,
    verify,
)


def _codes(answer: Any) -> list[str]:
    return [e["code"] for e in answer.json()["errors"]]


def test_submitted_then_verified_with_its_events(call) -> None:
    version = add_entry(call)["current"]
    certificate = submit(call, version["id"], obtained_on="2024-02-29")
    assert certificate["state"] == "submitted"
    assert certificate["person_id"] == HOLDER["person_id"] and certificate["agency_code"] == "A01"
    assert certificate["issuer"] == version["issuer"]
    assert certificate["expires_on"] == "2027-02-28"  # 36 months from a leap day, clamped
    done = verify(call, certificate["id"])
    assert (done["state"], done["decided_by"]) == ("verified", HR_A01["sub"])
    events = call("GET", f"/certificates/{certificate['id']}/events", HOLDER).json()["items"]
    assert [(e["from_state"], e["to_state"], e["actor"]) for e in events] == [
        (None, "submitted", HOLDER["sub"]),
        ("submitted", "verified", HR_A01["sub"]),
    ]


def test_rejection_needs_a_reason_and_frees_the_number(call) -> None:
    version_id = add_entry(call)["current"]["id"]
    certificate = submit(call, version_id)
    path = f"/certificates/{certificate['id']}/reject"
    for body in ({}, {"reason": "  "}):
        answer = call("POST", path, HR_A01, json=body)
        assert answer.status_code == 422
        assert answer.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in answer.json()["errors"]] == ["body.reason"]
    assert call("GET", f"/certificates/{certificate['id']}", HOLDER).json()["state"] == "submitted"
    rejected = call("POST", path, HR_A01, json={"reason": "the scan shows another number"})
    assert rejected.status_code == 200
    assert rejected.json()["reason"] == "the scan shows another number"
    # The same number may be submitted again, corrected; the rejected row stays.
    again = submit(call, version_id)
    assert again["id"] != certificate["id"]
    assert call("GET", f"/certificates/{certificate['id']}", HOLDER).json()["state"] == "rejected"


def test_one_number_per_issuer(call) -> None:
    version_id = add_entry(call)["current"]["id"]
    submit(call, version_id)
    taken = call(
        "POST",
        "/certificates",
        OTHER_HOLDER,
        json={
            "catalogue_version_id": version_id,
            "certificate_number": "N-0001",
            "obtained_on": "2026-03-01",
        },
    )
    assert taken.status_code == 409 and _codes(taken) == ["taken"]


def test_nobody_verifies_their_own_certificate(call) -> None:
    version_id = add_entry(call)["current"]["id"]
    own = submit(call, version_id, holder=HR_A01)
    for action, body in (("verify", {}), ("reject", {"reason": "x"})):
        answer = call("POST", f"/certificates/{own['id']}/{action}", HR_A01, json=body)
        assert answer.status_code == 403, answer.text
    # The holder without the HR grant cannot either.
    mine = submit(call, version_id, number="N-2")
    assert call("POST", f"/certificates/{mine['id']}/verify", HOLDER, json={}).status_code == 403
    assert call("GET", f"/certificates/{own['id']}", HR_A01).json()["state"] == "submitted"


def test_another_agencys_officer_finds_no_such_certificate(call) -> None:
    version_id = add_entry(call)["current"]["id"]
    certificate = submit(call, version_id)
    for action in ("verify", "reject", "revoke"):
        answer = call(
            "POST", f"/certificates/{certificate['id']}/{action}", HR_A02, json={"reason": "r"}
        )
        assert answer.status_code == 404, (action, answer.text)
    assert call("GET", f"/certificates/{certificate['id']}", HR_A02).status_code == 404
    assert call("GET", f"/certificates/{certificate['id']}", HOLDER_A02).status_code == 404
    assert call("GET", f"/certificates/{certificate['id']}", OTHER_HOLDER).status_code == 404
    assert call("GET", "/certificates", HR_A02).json()["items"] == []


MOVES = {
    ("submitted", "verify"): "verified",
    ("submitted", "reject"): "rejected",
    ("verified", "revoke"): "revoked",
}


def _in_state(call, version_id: int, state: str, number: str) -> dict[str, Any]:
    certificate = submit(call, version_id, number=number)
    steps = {
        "submitted": [],
        "verified": ["verify"],
        "rejected": ["reject"],
        "revoked": ["verify", "revoke"],
    }
    for step in steps[state]:
        answer = call(
            "POST", f"/certificates/{certificate['id']}/{step}", HR_A01, json={"reason": "r"}
        )
        assert answer.status_code == 200, answer.text
    return certificate


def test_every_move_out_of_each_state(call) -> None:
    """Each (state, action) on a certificate of its own: allowed moves land in
    their state with an event; refused ones are 409 and change nothing."""
    version_id = add_entry(call)["current"]["id"]
    for state in ("submitted", "verified", "rejected", "revoked"):
        for action in ("verify", "reject", "revoke"):
            certificate = _in_state(call, version_id, state, f"{state}-{action}")
            path = f"/certificates/{certificate['id']}"
            events_before = len(call("GET", f"{path}/events", HOLDER).json()["items"])
            answer = call("POST", f"{path}/{action}", HR_A01, json={"reason": "because"})
            after = call("GET", path, HOLDER).json()
            events = call("GET", f"{path}/events", HOLDER).json()["items"]
            target = MOVES.get((state, action))
            if target is None:
                assert answer.status_code == 409, (state, action)
                assert _codes(answer) == ["transition_not_allowed"]
                assert after["state"] == state and len(events) == events_before
            else:
                assert answer.status_code == 200, (state, action, answer.text)
                assert after["state"] == target
                assert (events[-1]["from_state"], events[-1]["to_state"]) == (state, target)


def test_a_wrong_state_and_a_missing_reason_are_both_named(call) -> None:
    version_id = add_entry(call)["current"]["id"]
    certificate = submit(call, version_id)
    answer = call("POST", f"/certificates/{certificate['id']}/revoke", HR_A01, json={})
    assert answer.status_code == 409
    assert _codes(answer) == ["transition_not_allowed", "reason_required"]


def test_verifying_against_a_retired_or_superseded_version_is_refused(call) -> None:
    entry = add_entry(call)
    first = submit(call, entry["current"]["id"], number="A")
    body = entry_body()
    body.pop("code")
    call("PUT", f"/catalogue/{entry['id']}", CATALOGUER, json={**body, "level": "associate"})
    answer = call("POST", f"/certificates/{first['id']}/verify", HR_A01, json={})
    assert answer.status_code == 409 and _codes(answer) == ["catalogue_version_superseded"]
    second = submit(
        call, call("GET", f"/catalogue/{entry['id']}", HOLDER).json()["current"]["id"], number="B"
    )
    call("POST", f"/catalogue/{entry['id']}/retire", CATALOGUER)
    answer = call("POST", f"/certificates/{second['id']}/verify", HR_A01, json={})
    assert answer.status_code == 409 and _codes(answer) == ["catalogue_retired"]
    answer = call("POST", f"/certificates/{first['id']}/verify", HR_A01, json={})
    assert _codes(answer) == ["catalogue_retired", "catalogue_version_superseded"]
    # Rejecting them still works: the holder learns why.
    assert (
        call(
            "POST", f"/certificates/{second['id']}/reject", HR_A01, json={"reason": "retired"}
        ).status_code
        == 200
    )


def test_submissions_the_catalogue_does_not_take_name_each_field(call) -> None:
    version_id = add_entry(call, recognised_from="2026-07-01")["current"]["id"]
    answer = call(
        "POST",
        "/certificates",
        HOLDER,
        json={
            "catalogue_version_id": version_id,
            "certificate_number": "N",
            "obtained_on": "2026-06-30",
            "issuer": "Someone else",
        },
    )
    assert answer.status_code == 422
    assert {(e["field"], e["code"]) for e in answer.json()["errors"]} == {
        ("body.obtained_on", "obtained_before_recognised"),
        ("body.issuer", "issuer_mismatch"),
    }
    unknown = call(
        "POST",
        "/certificates",
        HOLDER,
        json={"catalogue_version_id": 999, "certificate_number": "N", "obtained_on": "2026-07-02"},
    )
    assert unknown.status_code == 422
    assert [e["field"] for e in unknown.json()["errors"]] == ["body.catalogue_version_id"]
    planned = add_entry(call, code="planned-one", recognised_from=None)["current"]["id"]
    answer = call(
        "POST",
        "/certificates",
        HOLDER,
        json={
            "catalogue_version_id": planned,
            "certificate_number": "N",
            "obtained_on": "2026-07-02",
        },
    )
    assert answer.status_code == 422 and _codes(answer) == ["not_yet_recognised"]
    assert call("GET", "/certificates", HOLDER).json()["items"] == []


def test_renewal_adds_a_linked_row_and_keeps_the_old_one(call) -> None:
    old = verified(call, number="OLD", obtained_on="2023-05-01")
    renewal = call(
        "POST",
        f"/certificates/{old['id']}/renewals",
        HOLDER,
        json={"certificate_number": "NEW", "obtained_on": "2026-04-30"},
    )
    assert renewal.status_code == 201, renewal.text
    new = renewal.json()
    assert (new["previous_id"], new["state"], new["catalogue_version_id"]) == (
        old["id"],
        "submitted",
        old["catalogue_version_id"],
    )
    kept = call("GET", f"/certificates/{old['id']}", HOLDER).json()
    assert kept == {**old, "evidence": None}
    twice = call(
        "POST",
        f"/certificates/{old['id']}/renewals",
        HOLDER,
        json={"certificate_number": "NEW2", "obtained_on": "2026-05-01"},
    )
    assert twice.status_code == 409
    earlier = call(
        "POST",
        f"/certificates/{new['id']}/renewals",
        HOLDER,
        json={"certificate_number": "N3", "obtained_on": "2026-05-01"},
    )
    assert earlier.status_code == 409  # a submitted certificate is not renewed


def test_a_renewal_must_come_after_the_renewed_certificate(call) -> None:
    old = verified(call, number="OLD", obtained_on="2026-05-01")
    answer = call(
        "POST",
        f"/certificates/{old['id']}/renewals",
        HOLDER,
        json={"certificate_number": "N", "obtained_on": "2026-05-01"},
    )
    assert answer.status_code == 422 and _codes(answer) == ["not_after_previous"]
    stranger = call(
        "POST",
        f"/certificates/{old['id']}/renewals",
        OTHER_HOLDER,
        json={"certificate_number": "N", "obtained_on": "2026-06-01"},
    )
    assert stranger.status_code == 404


def test_reads_by_others_are_audited_and_own_reads_are_not(call, certs_app) -> None:
    certificate = submit(call, add_entry(call)["current"]["id"])
    call("GET", f"/certificates/{certificate['id']}", HOLDER)
    call("GET", "/certificates", HOLDER)
    with Session(certs_app.state.engine) as session:
        assert session.execute(select(personal_data_reads)).all() == []
    call("GET", f"/certificates/{certificate['id']}", HR_A01)
    call("GET", "/certificates", HR_A01, params={"state": "submitted"})
    call("GET", f"/certificates/{certificate['id']}/events", HR_A01)
    with Session(certs_app.state.engine) as session:
        rows = session.execute(select(personal_data_reads)).mappings().all()
    assert [(r["reader"], r["subject_person_id"], r["resource"]) for r in rows] == [
        (HR_A01["sub"], HOLDER["person_id"], "certificate"),
        (HR_A01["sub"], HOLDER["person_id"], "certificates"),
        (HR_A01["sub"], HOLDER["person_id"], "certificate-events"),
    ]


def test_lists_filter_within_reach(call) -> None:
    version_id = add_entry(call)["current"]["id"]
    mine = submit(call, version_id, number="1")
    theirs = submit(call, version_id, number="2", holder=OTHER_HOLDER)
    submit(call, version_id, number="3", holder=HOLDER_A02)
    verify(call, theirs["id"])

    def ids(who: dict[str, Any], **params: str) -> list[int]:
        answer = call("GET", "/certificates", who, params=params)
        assert answer.status_code == 200, answer.text
        return [c["id"] for c in answer.json()["items"]]

    assert ids(HOLDER) == [mine["id"]]
    assert ids(HR_A01) == [mine["id"], theirs["id"]]
    assert ids(HR_A01, state="verified") == [theirs["id"]]
    assert ids(HR_A01, person_id=HOLDER["person_id"]) == [mine["id"]]
    assert ids(HR_A01, agency_code="A02") == []
    assert len(ids(HR_A02)) == 1


def test_a_certificate_verified_after_its_validity_ended_is_expired_at_once(call) -> None:
    """Registered for the record (WebHR keeps past expertise too): verified by
    the officer, then expired in the same step, both in its history."""
    version_id = add_entry(call, validity_months=12)["current"]["id"]
    old = submit(call, version_id, obtained_on="2021-02-28")
    done = verify(call, old["id"])
    assert (done["state"], done["expires_on"], done["decided_by"]) == (
        "expired",
        "2022-02-28",
        HR_A01["sub"],
    )
    events = call("GET", f"/certificates/{old['id']}/events", HOLDER).json()["items"]
    assert [(e["to_state"], e["actor"]) for e in events] == [
        ("submitted", HOLDER["sub"]),
        ("verified", HR_A01["sub"]),
        ("expired", "svc.certs"),
    ]
