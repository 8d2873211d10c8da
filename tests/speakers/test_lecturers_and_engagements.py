"""The minimal lecturer directory and engagement records the training service uses."""

from __future__ import annotations

import pytest

WRITER = {"permissions": ["speakers:lecturers:write", "speakers:search"]}
OFFICER = {
    "permissions": ["speakers:search", "speakers:engagements:write:agency"],
    "agency_scope": ["A01"],
}


@pytest.fixture
def speakers(client, internal_token):
    def call(method: str, path: str, principal: dict | None = None, **kwargs):
        headers = {}
        if principal is not None:
            headers["Authorization"] = f"Bearer {internal_token('speakers', **principal)}"
        return client("speakers").request(method, path, headers=headers, **kwargs)

    return call


def make_lecturer(speakers, name: str = "王大明") -> int:
    response = speakers("POST", "/lecturers", WRITER, json={"name": name, "expertise": ["AI"]})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def engagement(lecturer_id: int, **over):
    body = {
        "class_ref": "training:CLS-1",
        "session_number": 1,
        "lecturer_id": lecturer_id,
        "agency_code": "A01",
        "held_on": "2026-03-02",
        "hours": "3",
    }
    body.update(over)
    return body


def test_lecturer_create_get_list(speakers):
    lecturer_id = make_lecturer(speakers)
    got = speakers("GET", f"/lecturers/{lecturer_id}", OFFICER)
    assert got.status_code == 200
    assert got.json()["name"] == "王大明"
    listed = speakers("GET", "/lecturers", OFFICER, params={"name": "大明"})
    assert [item["id"] for item in listed.json()["items"]] == [lecturer_id]


def test_reading_a_lecturer_is_audited(speakers):
    lecturer_id = make_lecturer(speakers)
    speakers("GET", f"/lecturers/{lecturer_id}", OFFICER)
    audit = speakers(
        "GET", "/audit/personal-data-reads", {"permissions": ["speakers:audit:read"]}
    ).json()
    assert [row["subject_person_id"] for row in audit["items"]] == [f"lecturer:{lecturer_id}"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/lecturers", {"name": "x"}),
        ("GET", "/lecturers", None),
        ("GET", "/lecturers/1", None),
        ("POST", "/engagements", engagement(1)),
        ("GET", "/engagements/1", None),
        ("DELETE", "/engagements/1", None),
    ],
)
def test_no_token_401_and_wrong_role_403(speakers, method, path, body):
    assert speakers(method, path, None, json=body).status_code == 401
    wrong = {"permissions": ["training:records:read:self"]}
    assert speakers(method, path, wrong, json=body).status_code == 403


@pytest.mark.parametrize(
    ("method", "path", "principal"),
    [
        ("GET", "/lecturers/999", OFFICER),
        ("GET", "/engagements/999", OFFICER),
        ("DELETE", "/engagements/999", OFFICER),
    ],
)
def test_missing_is_404(speakers, method, path, principal):
    response = speakers(method, path, principal)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_engagement_is_idempotent_by_class_session_lecturer(speakers):
    lecturer_id = make_lecturer(speakers)
    first = speakers("POST", "/engagements", OFFICER, json=engagement(lecturer_id))
    again = speakers("POST", "/engagements", OFFICER, json=engagement(lecturer_id))
    other = speakers(
        "POST", "/engagements", OFFICER, json=engagement(lecturer_id, session_number=2)
    )
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 201)
    assert first.json()["id"] == again.json()["id"] != other.json()["id"]


def test_engagement_needs_an_existing_lecturer(speakers):
    response = speakers("POST", "/engagements", OFFICER, json=engagement(12345))
    assert response.status_code == 404


def test_engagement_outside_agency_scope_is_404(speakers):
    lecturer_id = make_lecturer(speakers)
    body = engagement(lecturer_id, agency_code="B09")
    assert speakers("POST", "/engagements", OFFICER, json=body).status_code == 404


def test_engagement_can_be_withdrawn(speakers):
    lecturer_id = make_lecturer(speakers)
    made = speakers("POST", "/engagements", OFFICER, json=engagement(lecturer_id)).json()
    assert speakers("DELETE", f"/engagements/{made['id']}", OFFICER).status_code == 204
    assert speakers("GET", f"/engagements/{made['id']}", OFFICER).status_code == 404


def test_engagement_hours_are_validated(speakers):
    lecturer_id = make_lecturer(speakers)
    response = speakers("POST", "/engagements", OFFICER, json=engagement(lecturer_id, hours="-1"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.hours"


def test_course_categories_are_one_page_of_the_list_envelope(speakers, categories):
    # The portal's categories as the migration seeds them; a searcher reads them whole.
    response = speakers("GET", "/course-categories", {"permissions": ["speakers:search"]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["next_cursor"] is None
    codes = [item["code"] for item in body["items"]]
    assert codes and len(codes) == len(set(codes))
    assert all(set(item) == {"code", "name"} and item["name"] for item in body["items"])
    assert speakers("GET", "/course-categories", {"permissions": []}).status_code == 403
