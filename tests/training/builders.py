"""Builders for training test data, through the API as a caller would."""

from __future__ import annotations

from typing import Any

from tests.training.conftest import HR_A01, TRAINER

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


def report_data(call, wiring):
    """Five persons in A01, its subordinate A0101 and B01: two compliant with the
    AI target met, one with the AI minimum only, one with no record at all."""
    wiring.persons.update(
        {
            "P001": ("A01", 11),
            "P002": ("A01", 11),
            "P003": ("A01", 12),
            "P004": ("A0101", 21),
            "P009": ("B01", 90),
        }
    )
    wiring.subtrees.update({"A01": ["A01", "A0101"]})
    full = [
        ("ai_basic", "3"),
        ("ai_advanced", "3"),
        ("environmental_education", "4"),
        ("major_policy", "1"),
        ("democratic_values", "3"),
        ("gender_mainstreaming", "1"),
        ("sexual_harassment_prevention", "1"),
        ("", "4"),
    ]
    rows = []
    for person in ("P001", "P004"):  # fully compliant, AI target met
        rows += [
            (f"{person}-{i}", person, f"C-{topic or 'general'}", topic, hours, "2026-05-01")
            for i, (topic, hours) in enumerate(full)
        ]
    rows.append(("P002-1", "P002", "C-ai_basic", "ai_basic", "3", "2026-05-01"))  # AI min only
    rows.append(("P009-1", "P009", "C-ai_basic", "ai_basic", "3", "2026-05-01"))
    import_rows(call, *rows)
    # P003 has no records: the staff list puts them in the headcount all the same.
    staff = {
        "persons": [
            {"person_id": p, "unit_id": u}
            for p, u in (("P001", "11"), ("P002", "11"), ("P003", "12"))
        ]
    }
    assert call("PUT", "/roster/agencies/A01", HR_A01, json=staff).status_code == 200
    return wiring
