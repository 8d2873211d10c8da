"""Promotion points for AI knowledge: an agency's table per year as data, its
validation, and a person's points with each reason and the caps applied."""

from __future__ import annotations

from copy import deepcopy
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session

from services.certs.models import PersonAiHours, PromotionPointsTable, TalentPerson
from services.common.timeutil import now_utc, today_taipei
from services.common.transactions import batch_transaction
from tests.certs.conftest import (
    HOLDER,
    NOBODY,
    TALENT_HR_A01,
    TALENT_HR_A02,
    TALENT_OTHER_SELF,
    TALENT_SELF,
    Call,
    verified,
)

PERSON = HOLDER["person_id"]
YEAR = today_taipei().year
TABLE_PATH = f"/agencies/A01/promotion-points/{YEAR}"
TABLE: dict[str, Any] = {
    "certificates": [
        {"kind": "tool", "level": "basic", "points": "1", "item": "professional_ability"},
        {"kind": "tool", "level": "intermediate", "points": "2", "item": "professional_ability"},
        {
            "kind": "project_technical",
            "level": "advanced",
            "points": "3",
            "item": "professional_ability",
        },
    ],
    "hour_bands": [
        {"min_hours": "3", "points": "0.5", "item": "training"},
        {"min_hours": "6", "points": "1", "item": "training"},
        {"min_hours": "12", "points": "1.5", "item": "training"},
    ],
    "caps": {"professional_ability": "4", "training": "1.5"},
}


def put(call: Call, body: dict[str, Any], who: dict[str, Any] = TALENT_HR_A01) -> Any:
    return call("PUT", TABLE_PATH, who, json=body)


def with_change(path: str, value: Any) -> dict[str, Any]:
    body = deepcopy(TABLE)
    target: Any = body
    *parents, last = path.split(".")
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    target[int(last) if last.isdigit() else last] = value
    return body


def test_an_officer_sets_and_reads_the_table_and_each_change_counts(call, certs_app):
    first = put(call, TABLE)
    assert first.status_code == 200, first.text
    assert first.json()["version"] == 1 and first.json()["updated_by"] == "hr.a01"
    assert first.json()["caps"] == {"professional_ability": "4.00", "training": "1.50"}
    changed = put(call, with_change("caps.training", "2"))
    assert changed.json()["version"] == 2
    read = call("GET", TABLE_PATH, TALENT_HR_A01)
    assert read.status_code == 200 and read.json()["caps"]["training"] == "2.00"
    assert [b["min_hours"] for b in read.json()["hour_bands"]] == ["3.00", "6.00", "12.00"]


def test_no_table_is_404_saying_how_to_set_one(call, certs_app):
    response = call("GET", TABLE_PATH, TALENT_HR_A01)
    assert response.status_code == 404
    assert "PUT" in response.json()["detail"] and "no default" in response.json()["detail"]


@pytest.mark.parametrize(
    "body, field, code",
    [
        (with_change("certificates.0.points", "-1"), "body.certificates.0.points", None),
        (
            with_change("hour_bands.1.min_hours", "3"),
            "body.hour_bands.1.min_hours",
            "overlapping_bands",
        ),
        (
            with_change("hour_bands.1.min_hours", "2"),
            "body.hour_bands.1.min_hours",
            "overlapping_bands",
        ),
        (with_change("hour_bands.2.points", "0.25"), "body.hour_bands.2.points", "invalid_table"),
        (
            with_change("hour_bands.2.item", "professional_ability"),
            "body.hour_bands.2.item",
            "invalid_table",
        ),
        (with_change("certificates.1.level", "basic"), "body.certificates.1", "invalid_table"),
        (with_change("certificates.2.points", "5"), "body.certificates.2.points", "above_cap"),
        (with_change("hour_bands.0.min_hours", "0"), "body.hour_bands.0.min_hours", None),
        (with_change("caps", {"training": "1"}), "body.caps.professional_ability", None),
        (with_change("certificates.0.kind", "magic"), "body.certificates.0.kind", None),
    ],
    ids=[
        "negative-points",
        "same-band-twice",
        "bands-not-rising",
        "points-falling",
        "bands-across-items",
        "kind-level-twice",
        "above-its-cap",
        "zero-hours-band",
        "a-cap-missing",
        "unknown-kind",
    ],
)
def test_a_bad_table_is_refused_naming_the_field_and_nothing_is_stored(
    call, certs_app, body, field, code
):
    response = put(call, body)
    assert response.status_code == 422, response.text
    errors = {e["field"]: e["code"] for e in response.json()["errors"]}
    assert field in errors, errors
    if code is not None:
        assert errors[field] == code
    with Session(certs_app.state.engine) as session:
        assert session.scalars(select(PromotionPointsTable)).first() is None


def test_every_fault_is_named_at_once(call, certs_app):
    body = with_change("hour_bands.1.min_hours", "3")
    body["certificates"][2]["points"] = "9"
    response = put(call, body)
    fields = [e["field"] for e in response.json()["errors"]]
    assert "body.hour_bands.1.min_hours" in fields and "body.certificates.2.points" in fields


@pytest.mark.parametrize(
    "method, principal, status",
    [
        ("GET", None, 401),
        ("PUT", None, 401),
        ("GET", TALENT_SELF, 403),
        ("PUT", TALENT_SELF, 403),
        ("GET", NOBODY, 403),
        ("GET", TALENT_HR_A02, 404),
        ("PUT", TALENT_HR_A02, 404),
    ],
)
def test_table_access(call, certs_app, method, principal, status):
    put(call, TABLE)
    response = call(method, TABLE_PATH, principal, json=TABLE if method == "PUT" else None)
    assert response.status_code == status, response.text


# --------------------------------------------------------------- a person's points


def store_hours(certs_app: Any, hours_centi: int) -> None:
    with batch_transaction(certs_app.state.engine) as session:
        session.add(
            PersonAiHours(
                person_id=PERSON,
                year=YEAR,
                ai_centi=hours_centi,
                basic_centi=hours_centi,
                advanced_centi=0,
                changed_at=now_utc(),
            )
        )


def points(call: Call, principal: dict[str, Any] = TALENT_HR_A01, **params: Any) -> Any:
    return call("GET", f"/persons/{PERSON}/promotion-points", principal, params=params)


def test_a_persons_points_with_reasons_and_the_cap_applied(call, certs_app):
    put(call, TABLE)
    tool = verified(call, "N-1", code="iii-genai-office", kind="tool", level="intermediate (中級)")
    tech = verified(
        call,
        "N-2",
        code="gcp-professional-ml-engineer",
        kind="project_technical",
        level="professional",
    )
    store_hours(certs_app, 700)
    response = points(call)
    assert response.status_code == 200, response.text
    body = response.json()
    earned = {(line["certificate_id"], line["item"], line["points"]) for line in body["lines"]}
    assert (tool["id"], "professional_ability", "2.00") in earned
    assert (tech["id"], "professional_ability", "3.00") in earned
    assert (None, "training", "1.00") in earned
    items = {i["item"]: i for i in body["items"]}
    assert items["professional_ability"] == {
        "item": "professional_ability",
        "item_zh": "專業或技術能力",
        "earned": "5.00",
        "cap": "4.00",
        "awarded": "4.00",
        "capped": True,
    }
    assert items["training"]["awarded"] == "1.00" and items["training"]["capped"] is False
    assert body["total"] == "5.00" and body["table_version"] == 1
    # Self access reads the same.
    assert points(call, TALENT_SELF).json()["total"] == "5.00"


def test_a_kind_and_level_the_table_does_not_list_earns_nothing_and_says_why(call, certs_app):
    put(call, TABLE)
    verified(call, kind="literacy", level="core (no coding)")
    body = points(call).json()
    (line,) = [line for line in body["lines"] if line["certificate_id"] is not None]
    assert line["item"] is None and "no points for literacy" in line["reason"]
    assert body["total"] == "0.00"


def test_a_scoring_day_before_verification_counts_no_certificate(call, certs_app):
    put(call, TABLE)
    verified(call, kind="tool", level="basic")
    body = points(call, on=f"{YEAR}-01-01").json()
    assert body["items"][0]["earned"] == "0.00"
    assert any("not yet verified" in line["reason"] for line in body["lines"])


def test_no_table_for_the_year_is_404(call, certs_app):
    put(call, TABLE)
    verified(call)
    response = points(call, year=YEAR - 1)
    assert response.status_code == 404 and str(YEAR - 1) in response.json()["detail"]


@pytest.mark.parametrize(
    "principal, status",
    [
        (None, 401),
        (NOBODY, 403),
        (TALENT_HR_A02, 404),
        (TALENT_OTHER_SELF, 404),
        (TALENT_SELF, 200),
    ],
)
def test_person_points_access(call, certs_app, principal, status):
    put(call, TABLE)
    with batch_transaction(certs_app.state.engine) as session:
        session.add(TalentPerson(person_id=PERSON, agency_code="A01", unit_id=""))
    assert points(call, principal).status_code == status


@pytest.mark.parametrize("params", [{"year": "1900"}, {"on": "2026-13-01"}])
def test_bad_query_is_named(call, certs_app, params):
    response = points(call, **params)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [f"query.{next(iter(params))}"]
