"""Builders for training test data, through the API as a caller would."""

from __future__ import annotations

from typing import Any

from tests.training.conftest import TRAINER

LECTURER_WRITER = {"sub": "dgpa", "permissions": ["speakers:lecturers:write"]}


def category(call, code: str = "C01", name: str = "人文素養") -> str:
    response = call("PUT", f"/categories/{code}", TRAINER, json={"name": name})
    assert response.status_code in (200, 201), response.text
    return code


def course(call, external_id: str = "AI-101", topics: list[str] | None = None, **over: Any) -> int:
    body: dict[str, Any] = {
        "source": "elearn",
        "external_id": external_id,
        "title": "生成式AI入門",
        "category_code": "C01",
        "topics": topics if topics is not None else ["ai_basic"],
        "hours": "3",
        "is_digital": True,
    }
    body.update(over)
    response = call("POST", "/courses", TRAINER, json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def lecturer(speakers_call, name: str = "林講座") -> int:
    response = speakers_call("POST", "/lecturers", LECTURER_WRITER, json={"name": name})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


IMPORT_HEADER = "external_id,person_id,course_id,course_title,category,topics,hours,completed_at\n"


def import_rows(call, *rows: tuple[str, str, str, str, str, str]) -> dict:
    """rows: (external_id, person_id, course_id, topics, hours, completed_at)."""
    from tests.training.conftest import IMPORTER

    category(call)
    lines = "".join(
        f"{ext},{person},{course},{course} title,C01,{topics},{hours},{day}\n"
        for ext, person, course, topics, hours, day in rows
    )
    response = call(
        "POST",
        "/imports",
        IMPORTER,
        params={"source": "elearn"},
        content=(IMPORT_HEADER + lines).encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert response.status_code == 201, response.text
    job = response.json()
    assert job["errors"] == [], job["errors"]
    return job
