"""Callers and builders shared by the lecturer-directory tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from services.speakers.domain.categories import PORTAL_CATEGORIES
from services.speakers.models import CourseCategory

OFFICER: dict[str, Any] = {
    "sub": "officer.a01",
    "permissions": [
        "speakers:lecturers:write",
        "speakers:search",
        "speakers:engagements:write:agency",
    ],
    "agency_scope": ["A01"],
    "agency_code": "A01",
    "person_id": "P-OFFICER",
}
SEARCHER: dict[str, Any] = {
    "sub": "searcher.a01",
    "permissions": ["speakers:search"],
    "agency_code": "A01",
    "person_id": "P-SEARCHER",
}
NOBODY: dict[str, Any] = {"sub": "employee", "permissions": ["training:records:read:self"]}


def lecturer_account(person_id: str) -> dict[str, Any]:
    return {
        "sub": f"lecturer.{person_id}",
        "permissions": ["speakers:profile:read:self", "speakers:profile:write:self"],
        "person_id": person_id,
    }


Call = Callable[..., Any]


def seed_categories(session: Session) -> None:
    """The migration's categories again: the suite empties every table between tests."""
    if session.scalar(select(func.count()).select_from(CourseCategory)):
        return
    for code, name in PORTAL_CATEGORIES:
        session.add(CourseCategory(code=code, name=name))
    session.flush()


@pytest.fixture
def categories(apps: Any) -> None:
    with Session(apps["speakers"].state.engine) as session:
        seed_categories(session)
        session.commit()


@pytest.fixture
def call(client: Callable[[str], Any], internal_token: Callable[..., str]) -> Call:
    """call(method, path, principal, **request kwargs) on the speakers service."""

    def run(method: str, path: str, principal: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", {}))
        if principal is not None:
            headers["Authorization"] = f"Bearer {internal_token('speakers', **principal)}"
        return client("speakers").request(method, path, headers=headers, **kwargs)

    return run


def add_lecturer(call: Call, **fields: Any) -> int:
    body = {"name": "王大明", "expertise": ["人工智慧"], **fields}
    response = call("POST", "/lecturers", OFFICER, json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def add_engagement(call: Call, lecturer_id: int, session_number: int = 1, **fields: Any) -> int:
    body = {
        "class_ref": "training:CLS-1",
        "session_number": session_number,
        "lecturer_id": lecturer_id,
        "agency_code": "A01",
        "held_on": "2026-03-02",
        "hours": "3",
        "class_name": "資訊安全研習班",
        "course_name": "資安治理",
        "hosting_agency": "行政院人事行政總處",
        **fields,
    }
    response = call("POST", "/engagements", OFFICER, json=body)
    assert response.status_code in (200, 201), response.text
    return int(response.json()["id"])


def set_consent(call: Call, person_id: str, **choices: str) -> None:
    response = call("PATCH", "/me/consent", lecturer_account(person_id), json=choices)
    assert response.status_code == 200, response.text
