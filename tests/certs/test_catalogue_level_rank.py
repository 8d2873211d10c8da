"""A catalogue version's level rank is data: a catalogue officer sets it (or the
words give it when the officer does not), the version shows it, and the staffing
search, the team proposal and the promotion points compare it, never the words.

"Specialist" names no word of the keyword table: read from the words it would be
basic, so each reader below treats it as advanced only if it reads the stored
rank."""

# The fixtures imported from staffing_data are redefined as parameters.
# ruff: noqa: F811

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from services.certs.store.person_certificates import counts_cover, recount_uncovered
from services.common.timeutil import today_taipei
from tests.certs.conftest import (
    CATALOGUER,
    HOLDER,
    TALENT_HR_A01,
    Call,
    add_entry,
    entry_body,
    submit,
    verify,
)
from tests.certs.staffing_data import STAFF_A01, Data, data  # noqa: F401  (fixture)
from tests.certs.test_promotion_points import TABLE, points, put

PERSON = HOLDER["person_id"]
DAY = date(2026, 6, 1)


def _change(call: Call, entry: dict[str, Any], **fields: Any) -> Any:
    body = {**entry_body(entry["code"]), **fields}
    body.pop("code")
    return call("PUT", f"/catalogue/{entry['id']}", CATALOGUER, json=body)


@pytest.mark.parametrize(
    ("level", "rank"),
    [
        ("foundational", "basic"),
        ("intermediate (中級)", "intermediate"),
        ("Professional (TQC+)", "advanced"),
        ("planning and supervision", "intermediate"),
        ("Specialist", "basic"),  # no word of the table: basic, as before
    ],
)
def test_without_a_rank_the_words_give_it(call, level, rank) -> None:
    entry = add_entry(call, level=level)
    assert (entry["current"]["level"], entry["current"]["level_rank"]) == (level, rank)
    shown = call("GET", f"/catalogue-versions/{entry['current']['id']}", HOLDER).json()
    assert shown["level_rank"] == rank


def test_an_officers_rank_is_kept_whatever_the_words_say(call) -> None:
    entry = add_entry(call, level="Specialist", level_rank="advanced")
    assert entry["current"]["level_rank"] == "advanced"
    # Words that would say otherwise do not override it.
    other = add_entry(call, "other-cert", level="professional", level_rank="basic")
    assert other["current"]["level_rank"] == "basic"
    listed = call("GET", "/catalogue", HOLDER).json()["items"]
    assert {e["code"]: e["current"]["level_rank"] for e in listed} == {
        "aws-ai-practitioner": "advanced",
        "other-cert": "basic",
    }


def test_a_change_of_the_rank_alone_is_a_new_version(call) -> None:
    entry = add_entry(call, level="Specialist", level_rank="intermediate")
    changed = _change(call, entry, level="Specialist", level_rank="advanced")
    assert changed.status_code == 200, changed.text
    assert (changed.json()["current"]["version"], changed.json()["current"]["level_rank"]) == (
        2,
        "advanced",
    )
    versions = call("GET", f"/catalogue/{entry['id']}/versions", HOLDER).json()["items"]
    assert [(v["version"], v["level"], v["level_rank"]) for v in versions] == [
        (1, "Specialist", "intermediate"),
        (2, "Specialist", "advanced"),
    ]
    # A change without a rank reads it from the words again: a whole version.
    again = _change(call, entry, level="Specialist")
    assert again.json()["current"]["level_rank"] == "basic"


@pytest.mark.parametrize("rank", ["expert", "Advanced", "", 3])
def test_a_rank_not_of_the_three_is_422_naming_the_field(call, rank) -> None:
    added = call(
        "POST", "/catalogue", CATALOGUER, json=entry_body(level="Specialist", level_rank=rank)
    )
    assert added.status_code == 422, added.text
    assert added.headers["content-type"] == "application/problem+json"
    assert "body.level_rank" in [e["field"] for e in added.json()["errors"]]
    assert call("GET", "/catalogue", HOLDER).json()["items"] == []
    entry = add_entry(call)
    changed = _change(call, entry, level_rank=rank)
    assert changed.status_code == 422, changed.text
    assert "body.level_rank" in [e["field"] for e in changed.json()["errors"]]
    versions = call("GET", f"/catalogue/{entry['id']}/versions", HOLDER).json()["items"]
    assert len(versions) == 1


# ------------------------------------------------ the readers use the rank


def _specialist(call: Call, data: Data, rank: str | None, *, uncounted: bool) -> int:
    """HOLDER with the development role and a verified "Specialist" certificate
    (project technical, supporting development) registered through the API, and
    D-OTHER holding an intermediate one with more AI hours, written without a
    count. Counted (as the daily job does): the search and the proposal read
    the persons' masks; `uncounted`: they read the certificates."""
    data.person(PERSON, "A01")
    data.role(PERSON, "development")
    data.hours(PERSON, 2026, 100)
    other = data.version("mid-dev", "project_technical", "associate", ("development",))
    data.person("D-OTHER", "A01")
    data.role("D-OTHER", "development")
    data.hours("D-OTHER", 2026, 5000)
    data.certificate("D-OTHER", other)
    data.commit()
    fields: dict[str, Any] = {"level_rank": rank} if rank else {}
    version = add_entry(
        call,
        "specialist",
        level="Specialist",
        kind="project_technical",
        roles=["development"],
        validity_months=None,
        **fields,
    )["current"]["id"]
    certificate = verify(call, submit(call, version)["id"])
    if not uncounted:
        recount_uncovered(data.session, today_taipei())
        data.commit()
    assert counts_cover(data.session, DAY) is not uncounted
    return int(certificate["id"])


def _found(call: Call, **params: Any) -> list[str]:
    answer = call(
        "GET", "/staffing/persons", STAFF_A01, params={"valid_on": DAY.isoformat(), **params}
    )
    assert answer.status_code == 200, answer.text
    return [row["person_id"] for row in answer.json()["items"]]


@pytest.mark.parametrize("uncounted", [False, True], ids=["masks", "certificates"])
def test_the_staffing_level_filter_reads_the_rank(call, data: Data, uncounted) -> None:
    _specialist(call, data, "advanced", uncounted=uncounted)
    assert _found(call, min_level="advanced") == [PERSON]
    assert sorted(_found(call, min_level="intermediate")) == ["D-OTHER", PERSON]
    answer = call(
        "GET", "/staffing/persons", STAFF_A01, params={"valid_on": DAY.isoformat()}
    ).json()
    held = {r["person_id"]: r["certificates"] for r in answer["items"]}[PERSON]
    assert [(h["level"], h["level_order"]) for h in held] == [("Specialist", "advanced")]


@pytest.mark.parametrize("uncounted", [False, True], ids=["masks", "certificates"])
def test_without_the_rank_the_same_words_are_basic(call, data: Data, uncounted) -> None:
    _specialist(call, data, None, uncounted=uncounted)
    assert _found(call, min_level="advanced") == []
    assert _found(call, min_level="intermediate") == ["D-OTHER"]


@pytest.mark.parametrize("uncounted", [False, True], ids=["masks", "certificates"])
def test_the_team_proposal_ranks_by_the_rank(call, data: Data, uncounted) -> None:
    _specialist(call, data, "advanced", uncounted=uncounted)
    for kinds in ([], ["project_technical"]):
        answer = call(
            "POST",
            "/staffing/team-proposals",
            STAFF_A01,
            json={
                "valid_on": DAY.isoformat(),
                "slots": [{"role": "development", "count": 1}],
                "kinds": kinds,
            },
        )
        assert answer.status_code == 200, answer.text
        (slot,) = answer.json()["slots"]
        # Fewer hours, but the better level: the rank, not the words.
        (first,) = slot["placed"]
        assert (first["person_id"], first["best_level"]) == (PERSON, "advanced")
        assert slot["alternates"][0]["person_id"] == "D-OTHER"


def test_promotion_points_read_the_rank(call, data: Data) -> None:
    certificate = _specialist(call, data, "advanced", uncounted=True)
    put(call, TABLE)
    body = points(call).json()
    earned = {(line["certificate_id"], line["item"], line["points"]) for line in body["lines"]}
    # The table gives project technical + advanced 3 points.
    assert (certificate, "professional_ability", "3.00") in earned
    # The learning-path stage lists it at the rank too.
    stage = call("GET", f"/persons/{PERSON}/talent-stage", TALENT_HR_A01)
    assert stage.status_code == 200, stage.text
    counted = stage.json()["valid_certificates"]
    assert [(c["level"], c["rules_level"]) for c in counted] == [("Specialist", "advanced")]
