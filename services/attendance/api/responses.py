"""Statuses a route answers beyond the ones every route declares
(`PROBLEM_RESPONSES`), in the same problem+json shape."""

from __future__ import annotations

from typing import Any

from services.common.errors import PROBLEM_RESPONSES


def problem(description: str) -> dict[str, Any]:
    return {**PROBLEM_RESPONSES[500], "description": description}


ALREADY_DECIDED: dict[int | str, dict[str, Any]] = {
    409: problem("The request or record is no longer in a state that allows this")
}
NOT_ENOUGH_COMP_TIME: dict[int | str, dict[str, Any]] = {
    409: problem(
        "Not enough comp time usable on the leave day; "
        "`available_minutes` and `requested_minutes` say how much"
    )
}
DIRECTORY_UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: problem("The directory was needed to confirm the agency and is unavailable")
}
