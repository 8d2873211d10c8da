"""AI-talent roles by duties: an HR officer of the person's agency assigns and
ends them with reasons, the history keeps every assignment, the directory says
who the person is, and nobody outside reaches them."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session

from services.certs.models import TalentPerson, TalentRoleAssignment, personal_data_reads
from tests.certs.conftest import (
    HOLDER,
    NOBODY,
    TALENT_HR_A01,
    TALENT_HR_A02,
    TALENT_OTHER_SELF,
    TALENT_SELF,
    Call,
    DirectoryStub,
)

PERSON = HOLDER["person_id"]
ROLES = f"/persons/{PERSON}/talent-roles"


@pytest.fixture
def known(directory: DirectoryStub) -> DirectoryStub:
    directory.persons.update({PERSON: ("A01", 11), "P-A02": ("A02", None)})
    return directory


def assign(call: Call, role: str = "application", who: dict[str, Any] = TALENT_HR_A01) -> Any:
    return call("POST", ROLES, who, json={"role": role, "reason": "drafts with AI tools daily"})


def rows(certs_app: Any) -> list[TalentRoleAssignment]:
    with Session(certs_app.state.engine) as session:
        return list(session.scalars(select(TalentRoleAssignment)))


def test_an_officer_assigns_roles_and_the_person_is_placed_from_the_directory(
    call, known, certs_app
):
    response = assign(call)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["role"] == "application" and body["live"] is True
    assert body["assigned_by"] == "hr.a01" and body["agency_code"] == "A01"
    assert body["reason"] == "drafts with AI tools daily"
    # Several roles at once are allowed.
    assert assign(call, "policy").status_code == 201
    with Session(certs_app.state.engine) as session:
        placed = session.get(TalentPerson, PERSON)
    assert placed is not None and (placed.agency_code, placed.unit_id) == ("A01", "11")


def test_a_live_role_twice_is_refused_naming_the_rule(call, known, certs_app):
    assert assign(call).status_code == 201
    again = assign(call)
    assert again.status_code == 409
    assert [(e["field"], e["code"]) for e in again.json()["errors"]] == [
        ("body.role", "role_already_live")
    ]
    assert len(rows(certs_app)) == 1


def test_ending_keeps_the_history_and_frees_the_role(call, known):
    first = assign(call).json()
    ended = call(
        "POST",
        f"{ROLES}/{first['id']}/end",
        TALENT_HR_A01,
        json={"reason": "moved to the legal unit"},
    )
    assert ended.status_code == 200, ended.text
    assert ended.json()["live"] is False and ended.json()["end_reason"] == "moved to the legal unit"
    assert ended.json()["ended_by"] == "hr.a01" and ended.json()["ended_at"]
    twice = call("POST", f"{ROLES}/{first['id']}/end", TALENT_HR_A01, json={"reason": "again"})
    assert twice.status_code == 409 and twice.json()["errors"][0]["code"] == "role_already_ended"
    assert assign(call).status_code == 201
    history = call("GET", ROLES, TALENT_HR_A01).json()["items"]
    assert [(h["role"], h["live"]) for h in history] == [
        ("application", False),
        ("application", True),
    ]
    assert history[0]["reason"] == "drafts with AI tools daily"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"role": "application"}, "body.reason"),
        ({"role": "application", "reason": "   "}, "body.reason"),
        ({"role": "wizard", "reason": "x"}, "body.role"),
        ({"role": "application", "reason": "x" * 501}, "body.reason"),
    ],
    ids=["no-reason", "blank-reason", "unknown-role", "long-reason"],
)
def test_bad_input_is_named_and_nothing_is_stored(call, known, certs_app, body, field):
    response = call("POST", ROLES, TALENT_HR_A01, json=body)
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]
    assert rows(certs_app) == []


def test_ending_needs_a_reason(call, known):
    first = assign(call).json()
    response = call("POST", f"{ROLES}/{first['id']}/end", TALENT_HR_A01, json={})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["body.reason"]


def test_a_person_the_directory_does_not_know_gets_no_role(call, known, certs_app):
    response = call(
        "POST",
        "/persons/P-GHOST/talent-roles",
        TALENT_HR_A01,
        json={"role": "policy", "reason": "x"},
    )
    assert response.status_code == 404
    assert rows(certs_app) == []


def test_another_agencys_person_is_not_found(call, known, certs_app):
    response = call(
        "POST", "/persons/P-A02/talent-roles", TALENT_HR_A01, json={"role": "policy", "reason": "x"}
    )
    assert response.status_code == 404
    assert call("GET", "/persons/P-A02/talent-roles", TALENT_HR_A01).status_code == 404
    mine = assign(call).json()
    assert call("GET", ROLES, TALENT_HR_A02).status_code == 404
    ended = call("POST", f"{ROLES}/{mine['id']}/end", TALENT_HR_A02, json={"reason": "x"})
    assert ended.status_code == 404
    # The assignment id under another person is no way in either.
    other = call(
        "POST", f"/persons/P-A02/talent-roles/{mine['id']}/end", TALENT_HR_A01, json={"reason": "x"}
    )
    assert other.status_code == 404
    assert all(r.ended_at is None for r in rows(certs_app))


def test_the_directory_down_is_a_503_and_nothing_stored(call, known, certs_app):
    known.down = True
    response = assign(call)
    assert response.status_code == 503
    assert rows(certs_app) == []


def test_an_employee_reads_their_own_roles_and_no_one_elses(call, known):
    assign(call)
    own = call("GET", ROLES, TALENT_SELF)
    assert own.status_code == 200 and [r["role"] for r in own.json()["items"]] == ["application"]
    assert call("GET", ROLES, TALENT_OTHER_SELF).status_code == 404


@pytest.mark.parametrize(
    "method, path, principal, status",
    [
        ("GET", ROLES, None, 401),
        ("POST", ROLES, None, 401),
        ("GET", ROLES, NOBODY, 403),
        ("POST", ROLES, TALENT_SELF, 403),
        ("POST", f"{ROLES}/1/end", TALENT_SELF, 403),
        ("POST", f"{ROLES}/999/end", TALENT_HR_A01, 404),
        ("GET", "/persons/P-NOBODY/talent-roles", TALENT_HR_A01, 404),
    ],
)
def test_access(call, known, method, path, principal, status):
    body = {"reason": "x"} if path.endswith("/end") else {"role": "policy", "reason": "x"}
    response = call(method, path, principal, json=body if method == "POST" else None)
    assert response.status_code == status, response.text


def test_an_employee_asking_for_a_role_never_reaches_the_directory(call, known):
    assert (
        call("POST", ROLES, TALENT_SELF, json={"role": "policy", "reason": "x"}).status_code == 403
    )
    assert known.calls == 0


def test_an_officers_read_is_audited_the_persons_own_is_not(call, known, certs_app):
    assign(call)
    call("GET", ROLES, TALENT_HR_A01)
    call("GET", ROLES, TALENT_SELF)
    with Session(certs_app.state.engine) as session:
        reads = session.execute(
            select(personal_data_reads.c.reader, personal_data_reads.c.resource)
        ).all()
    assert [tuple(r) for r in reads] == [("hr.a01", "talent-roles")]
