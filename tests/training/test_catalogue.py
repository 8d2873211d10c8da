"""Categories and courses: reference data as rows, not code."""

from __future__ import annotations

import pytest

from tests.training.builders import category, course
from tests.training.conftest import EMPLOYEE, NOBODY, TRAINER


def test_category_put_creates_then_renames(call):
    assert call("PUT", "/categories/C01", TRAINER, json={"name": "a"}).status_code == 201
    assert call("PUT", "/categories/C01", TRAINER, json={"name": "b"}).status_code == 200
    assert call("GET", "/categories", EMPLOYEE).json()["items"] == [{"code": "C01", "name": "b"}]


def test_course_round_trip_and_filters(call):
    category(call)
    ai = course(call, "AI-101", ["ai_basic", "gender_mainstreaming"])
    course(call, "ENV-1", ["environmental_education"], is_digital=False)
    got = call("GET", f"/courses/{ai}", EMPLOYEE).json()
    assert got["topics"] == ["ai_basic", "gender_mainstreaming"]
    assert got["hours"] == "3.00" or float(got["hours"]) == 3
    listed = call("GET", "/courses", EMPLOYEE, params={"topic": "environmental_education"}).json()
    assert [c["external_id"] for c in listed["items"]] == ["ENV-1"]


def test_course_with_unknown_category_or_topic_is_422(call):
    category(call)
    body: dict[str, object] = {
        "source": "elearn",
        "external_id": "X",
        "title": "t",
        "category_code": "NOPE",
    }
    response = call("POST", "/courses", TRAINER, json=body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.category_code"
    body = {**body, "category_code": "C01", "topics": ["astrology"]}
    assert call("POST", "/courses", TRAINER, json=body).status_code == 422


def test_duplicate_course_is_409(call):
    category(call)
    course(call, "AI-101")
    body = {"source": "elearn", "external_id": "AI-101", "title": "t", "category_code": "C01"}
    assert call("POST", "/courses", TRAINER, json=body).status_code == 409


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/categories", None),
        ("PUT", "/categories/C01", {"name": "x"}),
        (
            "POST",
            "/courses",
            {"source": "elearn", "external_id": "X", "title": "t", "category_code": "C01"},
        ),
        ("GET", "/courses", None),
        ("GET", "/courses/1", None),
    ],
)
def test_no_token_401_wrong_role_403(call, method, path, body):
    assert call(method, path, None, json=body).status_code == 401
    assert call(method, path, NOBODY, json=body).status_code == 403


def test_employee_cannot_write_catalogue(call):
    assert call("PUT", "/categories/C01", EMPLOYEE, json={"name": "x"}).status_code == 403


def test_missing_course_is_404(call):
    assert call("GET", "/courses/999", EMPLOYEE).status_code == 404
