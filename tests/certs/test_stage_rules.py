"""An agency's own learning-path stage rules: set by its HR officer, checked as
the pure rules check them, and used for its persons' stage instead of the
default rows."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session

from services.certs.domain.talent import STAGE_RULES
from services.certs.models import StageRuleTable, TalentPerson
from services.common.transactions import batch_transaction
from tests.certs.conftest import (
    HOLDER,
    NOBODY,
    TALENT_HR_A01,
    TALENT_HR_A02,
    TALENT_SELF,
    verified,
)

PATH = "/agencies/A01/talent-stage-rules"
# A stricter agency: advanced only with 10 hours, or any certificate for
# application staff; hands-on only with a project-technical one.
OWN: dict[str, Any] = {
    "rules": [
        {
            "stage": "hands_on",
            "reason": "a project-technical certificate",
            "certificate_kinds": ["project_technical"],
        },
        {"stage": "advanced", "reason": "10 AI hours", "min_ai_hours": "10"},
        {
            "stage": "advanced",
            "reason": "application staff with a tool certificate",
            "certificate_kinds": ["tool"],
            "roles": ["application"],
        },
        {"stage": "entry", "reason": "everyone starts here"},
    ]
}


def test_the_default_rules_are_shown_until_the_agency_sets_its_own(call, certs_app):
    body = call("GET", PATH, TALENT_HR_A01).json()
    assert body["default"] is True and body["version"] == 0
    assert len(body["rules"]) == len(STAGE_RULES)
    assert body["rules"][0]["certificate_kinds"] == ["project_technical"]
    put = call("PUT", PATH, TALENT_HR_A01, json=OWN)
    assert put.status_code == 200, put.text
    assert put.json()["default"] is False and put.json()["version"] == 1
    assert put.json()["rules"][1]["min_ai_hours"] == "10.00"
    assert call("PUT", PATH, TALENT_HR_A01, json=OWN).json()["version"] == 2


def test_the_agencys_rules_rank_its_persons(call, certs_app):
    # A tool certificate is advanced by default; not under these rules without the role.
    verified(call, kind="tool", level="basic")
    stage = f"/persons/{HOLDER['person_id']}/talent-stage"
    assert call("GET", stage, TALENT_HR_A01).json()["stage"] == "advanced"
    call("PUT", PATH, TALENT_HR_A01, json=OWN)
    body = call("GET", stage, TALENT_HR_A01).json()
    assert (body["stage"], body["rules"]) == ("entry", "agency")
    # Another agency's persons keep the default rules.
    with batch_transaction(certs_app.state.engine) as session:
        session.add(TalentPerson(person_id="P-A02", agency_code="A02", unit_id=""))
    other = call("GET", "/persons/P-A02/talent-stage", TALENT_HR_A02).json()
    assert other["rules"] == "default"


@pytest.mark.parametrize(
    "rules, field",
    [
        ([{"stage": "advanced", "reason": "x", "min_ai_hours": "6"}], "body.rules.0"),
        (
            [{"stage": "entry", "reason": "x"}, {"stage": "hands_on", "reason": "y"}],
            "body.rules.1",
        ),
        (
            [
                {
                    "stage": "advanced",
                    "reason": "x",
                    "min_ai_hours": "3",
                    "min_advanced_hours": "6",
                },
                {"stage": "entry", "reason": "y"},
            ],
            "body.rules.0.min_advanced_hours",
        ),
        ([{"stage": "entry", "reason": "x", "min_ai_hours": "-1"}], "body.rules.0.min_ai_hours"),
        ([{"stage": "expert", "reason": "x"}], "body.rules.0.stage"),
        ([], "body.rules"),
    ],
    ids=[
        "last-row-asks",
        "rising-stage",
        "advanced-above-total",
        "negative",
        "unknown-stage",
        "empty",
    ],
)
def test_bad_rules_are_refused_naming_the_row_and_nothing_is_stored(call, certs_app, rules, field):
    response = call("PUT", PATH, TALENT_HR_A01, json={"rules": rules})
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
    with Session(certs_app.state.engine) as session:
        assert session.scalars(select(StageRuleTable)).first() is None


@pytest.mark.parametrize(
    "method, principal, status",
    [
        ("GET", None, 401),
        ("PUT", None, 401),
        ("GET", NOBODY, 403),
        ("GET", TALENT_SELF, 403),
        ("PUT", TALENT_SELF, 403),
        ("GET", TALENT_HR_A02, 404),
        ("PUT", TALENT_HR_A02, 404),
        ("GET", TALENT_HR_A01, 200),
        ("PUT", TALENT_HR_A01, 200),
    ],
)
def test_access(call, certs_app, method, principal, status):
    response = call(method, PATH, principal, json=OWN if method == "PUT" else None)
    assert response.status_code == status, response.text
