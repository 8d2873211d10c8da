"""Classes name lecturers kept by the speakers service: checked and recorded over HTTP,
and nothing half-written when speakers fails."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from services.speakers.models import Engagement
from services.training.models import ClassSession, SessionLecturer, TrainingClass
from tests.training.builders import lecturer
from tests.training.conftest import EMPLOYEE, HR_B, NOBODY, TRAINER, Down, Flaky


def class_body(*lecturer_ids: int, code: str = "CLS-1", sessions: int = 1) -> dict:
    return {
        "code": code,
        "title": "AI實作班",
        "agency_code": "A01",
        "sessions": [
            {
                "number": n,
                "held_on": f"2026-03-0{n}",
                "hours": "3",
                "lecturer_ids": list(lecturer_ids),
            }
            for n in range(1, sessions + 1)
        ],
    }


def count(apps, service: str, model) -> int:
    with apps[service].state.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def test_class_records_one_engagement_per_session_and_lecturer(call, speakers_call, apps):
    a, b = lecturer(speakers_call, "甲"), lecturer(speakers_call, "乙")
    response = call("POST", "/classes", TRAINER, json=class_body(a, b, sessions=2))
    assert response.status_code == 201, response.text
    made = response.json()
    assert [len(s["lecturers"]) for s in made["sessions"]] == [2, 2]
    assert count(apps, "speakers", Engagement) == 4
    engagement_id = made["sessions"][0]["lecturers"][0]["engagement_id"]
    recorded = speakers_call("GET", f"/engagements/{engagement_id}", TRAINER).json()
    assert recorded["class_ref"] == "training:CLS-1"
    assert call("GET", f"/classes/{made['id']}", EMPLOYEE).json() == made


def test_unknown_lecturer_is_422_and_nothing_written(call, apps):
    response = call("POST", "/classes", TRAINER, json=class_body(4242))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.sessions.0.lecturer_ids.0"
    assert count(apps, "training", TrainingClass) == 0


def test_speakers_down_is_503_and_nothing_written(call, speakers_call, apps, wiring):
    a = lecturer(speakers_call)
    wiring.transports["speakers"] = Down()
    response = call("POST", "/classes", TRAINER, json=class_body(a))
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert "speakers" in response.json()["detail"]
    assert count(apps, "training", TrainingClass) == 0
    assert count(apps, "speakers", Engagement) == 0


def test_speakers_failing_midway_is_compensated(call, speakers_call, apps, wiring):
    a, b = lecturer(speakers_call, "甲"), lecturer(speakers_call, "乙")
    # Lookups pass; the first engagement is recorded, the second fails.
    wiring.transports["speakers"] = Flaky(wiring.transports["speakers"], allow=1)
    response = call("POST", "/classes", TRAINER, json=class_body(a, b))
    assert response.status_code == 503
    for model in (TrainingClass, ClassSession, SessionLecturer):
        assert count(apps, "training", model) == 0
    assert count(apps, "speakers", Engagement) == 0


def test_add_session_and_duplicate_number(call, speakers_call, apps):
    a = lecturer(speakers_call)
    made = call("POST", "/classes", TRAINER, json=class_body(a)).json()
    extra = {"number": 2, "held_on": "2026-03-09", "hours": "2", "lecturer_ids": [a]}
    response = call("POST", f"/classes/{made['id']}/sessions", TRAINER, json=extra)
    assert response.status_code == 201, response.text
    assert [s["number"] for s in response.json()["sessions"]] == [1, 2]
    again = call("POST", f"/classes/{made['id']}/sessions", TRAINER, json=extra)
    assert again.status_code == 409
    assert count(apps, "speakers", Engagement) == 2


def test_duplicate_class_code_is_409(call):
    assert call("POST", "/classes", TRAINER, json=class_body()).status_code == 201
    assert call("POST", "/classes", TRAINER, json=class_body()).status_code == 409


def test_class_for_another_agency_is_404(call):
    body = {**class_body(), "agency_code": "B01"}
    assert call("POST", "/classes", TRAINER, json=body).status_code == 404


def test_officer_of_another_agency_cannot_add_sessions(call):
    made = call("POST", "/classes", TRAINER, json=class_body()).json()
    extra = {"number": 2, "held_on": "2026-03-09", "hours": "2"}
    hr_b_trainer = {**HR_B, "permissions": ["training:classes:write:agency"]}
    assert (
        call("POST", f"/classes/{made['id']}/sessions", hr_b_trainer, json=extra).status_code == 404
    )


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/classes", class_body()),
        ("GET", "/classes", None),
        ("GET", "/classes/1", None),
        ("POST", "/classes/1/sessions", {"number": 2, "held_on": "2026-03-09", "hours": "2"}),
    ],
)
def test_no_token_401_wrong_role_403(call, method, path, body):
    assert call(method, path, None, json=body).status_code == 401
    assert call(method, path, NOBODY, json=body).status_code == 403


def test_missing_class_is_404(call):
    assert call("GET", "/classes/999", EMPLOYEE).status_code == 404
    extra = {"number": 2, "held_on": "2026-03-09", "hours": "2"}
    assert call("POST", "/classes/999/sessions", TRAINER, json=extra).status_code == 404
