"""Statuses the attendance routes answer are declared in the OpenAPI document
as problem+json, so generated clients know them."""

from __future__ import annotations

from typing import Any

import pytest

PROBLEM_SCHEMA = {"$ref": "#/components/schemas/ProblemDetails"}

# (method, path, status): each is answered by the route in some case.
DECLARED = [
    # Cancelling a request already refused or cancelled.
    ("post", "/comp-leave/{request_id}/cancel", "409"),
    # Not enough comp time for the request.
    ("post", "/comp-leave", "409"),
    # Deciding on a request or on overtime already decided.
    ("post", "/comp-leave/{request_id}/approve", "409"),
    ("post", "/comp-leave/{request_id}/refuse", "409"),
    ("post", "/overtime/{overtime_id}/approve", "409"),
    ("post", "/overtime/{overtime_id}/reject", "409"),
    # The directory, asked whether a destination agency exists, is unavailable.
    ("post", "/persons/{person_id}/comp-time/transfer", "503"),
]


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    from renshi.service_documents import build_document

    return build_document("attendance")


@pytest.mark.parametrize(("method", "path", "status"), DECLARED)
def test_status_is_declared_as_problem_json(document, method, path, status):
    responses = document["paths"][path][method]["responses"]
    assert status in responses
    # The same shape as the statuses every route declares (PROBLEM_RESPONSES).
    assert responses[status]["content"]["application/problem+json"] == {"schema": PROBLEM_SCHEMA}


def test_cancelling_twice_answers_the_declared_409(api, actors, roster):
    from tests.attendance.builders import approved_grant, leave

    approved_grant(api, actors, "2025-03-01", 120)
    request = leave(api, actors, "2025-04-01T09:00:00+08:00", 60)
    first = api.post(f"/comp-leave/{request['id']}/cancel", headers=actors.employee())
    assert first.status_code == 200, first.text
    again = api.post(f"/comp-leave/{request['id']}/cancel", headers=actors.employee())
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
