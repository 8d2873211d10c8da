"""The catalogue as data: seeded by its migration, kept by catalogue officers,
every change a new version that leaves registered certificates pointing at the
version they were registered against."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from services.common.db import make_engine
from tests.certs.conftest import CATALOGUER, HOLDER, HR_A01, add_entry, entry_body, submit
from tests.databases import fresh_database

SEEDED = {
    "gov-ai-core",
    "gov-ai-application-planning",
    "ipas-ai-planner-intermediate",
    "iii-genai-office",
    "microsoft-ai-900",
    "aws-ai-practitioner",
    "aws-ml-engineer-associate",
    "gcp-professional-ml-engineer",
    "csf-tqc-plus-ai",
}


def test_the_migration_seeds_the_certificates_the_guidance_names(tmp_path: Path) -> None:
    with fresh_database("certs", tmp_path) as url:
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                rows = conn.execute(
                    text(
                        "SELECT e.code, v.kind, v.sector, v.validity_months, v.validity_note,"
                        " v.recognised_from FROM catalogue_entries e"
                        " JOIN catalogue_versions v ON v.entry_id = e.id"
                    )
                ).all()
                leads = conn.execute(
                    text("SELECT agency_code, lead_days FROM warning_lead_times")
                ).all()
        finally:
            engine.dispose()
    by_code = {row[0]: row for row in rows}
    assert set(by_code) == SEEDED
    assert by_code["gov-ai-core"][1:3] == ("literacy", "government")
    assert str(by_code["gov-ai-core"][5]) == "2026-07-01"  # pilot from 2026 H2
    assert by_code["gov-ai-application-planning"][5] is None  # planned, not recognised yet
    # Every row without a validity says why.
    assert all(row[4] for row in rows if row[3] is None)
    assert by_code["aws-ai-practitioner"][3] == 36
    assert [(a, list(d) if isinstance(d, list) else d) for a, d in leads] in (
        [("*", [90, 30, 7])],
        [("*", "[90, 30, 7]")],
    )


def test_an_officer_adds_changes_and_retires_an_entry(call) -> None:
    entry = add_entry(call)
    assert entry["current"]["version"] == 1
    assert entry["current"]["roles"] == ["application", "development"]
    changed = call(
        "PUT",
        f"/catalogue/{entry['id']}",
        CATALOGUER,
        json={**entry_body(), "validity_months": 24, "code": None},
    )
    assert changed.status_code == 422  # `code` is not a field of a change
    body = entry_body()
    body.pop("code")
    changed = call(
        "PUT", f"/catalogue/{entry['id']}", CATALOGUER, json={**body, "validity_months": 24}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["current"]["version"] == 2
    versions = call("GET", f"/catalogue/{entry['id']}/versions", HOLDER).json()["items"]
    assert [(v["version"], v["validity_months"], v["superseded_at"] is None) for v in versions] == [
        (1, 36, False),
        (2, 24, True),
    ]
    retired = call("POST", f"/catalogue/{entry['id']}/retire", CATALOGUER)
    assert retired.status_code == 200 and retired.json()["retired_by"] == CATALOGUER["sub"]
    assert call("POST", f"/catalogue/{entry['id']}/retire", CATALOGUER).status_code == 409
    assert call("PUT", f"/catalogue/{entry['id']}", CATALOGUER, json=body).status_code == 409
    listed = call("GET", "/catalogue", HOLDER).json()["items"]
    assert listed == []
    listed = call("GET", "/catalogue", HOLDER, params={"include_retired": "true"}).json()["items"]
    assert [e["id"] for e in listed] == [entry["id"]]


def test_a_change_never_rewrites_what_a_certificate_points_at(call) -> None:
    entry = add_entry(call)
    first = entry["current"]["id"]
    certificate = submit(call, first)
    body = entry_body()
    body.pop("code")
    call("PUT", f"/catalogue/{entry['id']}", CATALOGUER, json={**body, "validity_months": 12})
    again = call("GET", f"/certificates/{certificate['id']}", HOLDER).json()
    assert again["catalogue_version_id"] == first
    assert again["expires_on"] == "2029-03-01"  # still the 36 months it was registered with
    version = call("GET", f"/catalogue-versions/{first}", HR_A01).json()
    assert version["validity_months"] == 36 and version["superseded_at"] is not None


def test_bad_catalogue_input_names_each_field(call) -> None:
    answer = call(
        "POST",
        "/catalogue",
        CATALOGUER,
        json=entry_body(
            kind="hobby", roles=["policy", "policy"], validity_months=0, code="Bad Code"
        ),
    )
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    fields = {e["field"] for e in answer.json()["errors"]}
    assert {"body.kind", "body.roles", "body.validity_months", "body.code"} <= fields
    window = call(
        "POST",
        "/catalogue",
        CATALOGUER,
        json=entry_body(recognised_from="2026-07-01", recognised_until="2026-06-30"),
    )
    assert window.status_code == 422
    assert [e["field"] for e in window.json()["errors"]] == ["body.recognised_until"]
    add_entry(call)
    taken = call("POST", "/catalogue", CATALOGUER, json=entry_body())
    assert taken.status_code == 409 and taken.json()["errors"][0]["field"] == "body.code"


def test_only_catalogue_officers_keep_the_catalogue(call) -> None:
    assert call("POST", "/catalogue", HR_A01, json=entry_body()).status_code == 403
    assert call("POST", "/catalogue", None, json=entry_body()).status_code == 401
    assert call("GET", "/catalogue/999").status_code == 401
    assert call("GET", "/catalogue/999", HOLDER).status_code == 404
    assert (
        call(
            "PUT",
            "/catalogue/999",
            CATALOGUER,
            json={k: v for k, v in entry_body().items() if k != "code"},
        ).status_code
        == 404
    )
