"""Object-level access on every operation of the certs service, read from its
OpenAPI document so that an operation added later must be added here: no
token → 401; a caller without the permission → 403; a caller with it whose
scope does not reach the object (another agency's person, another importer's
job) → 404, as for an object that does not exist; and the caller it does
reach succeeds."""

from __future__ import annotations

from typing import Any

import pytest

from services.common.timeutil import today_taipei
from tests.certs.conftest import (
    CATALOGUER,
    HOLDER,
    HOLDER_A02,
    HR_A01,
    HR_A02,
    IMPORTER,
    NOBODY,
    TALENT_HR_A01,
    TALENT_HR_A02,
    TALENT_OTHER_SELF,
    TALENT_SELF,
    DirectoryStub,
    add_entry,
    entry_body,
    submit,
)
from tests.certs.staffing_data import STAFF_A01, STAFF_A02

PDF = b"%PDF-1.4\n%%EOF\n"
CSV = (
    b"person_id,agency_code,catalogue_code,certificate_number,obtained_on\n"
    b"P-HOLDER,A01,aws-ai-practitioner,I-1,2026-03-01\n"
)
OTHER_IMPORTER = {**IMPORTER, "sub": "importer.a02", "agency_code": "A02", "agency_scope": ["A02"]}
CHANGE = {k: v for k, v in entry_body().items() if k != "code"}


YEAR = today_taipei().year
POINTS_TABLE = {
    "certificates": [{"kind": "tool", "level": "basic", "points": "1", "item": "training"}],
    "hour_bands": [],
    "caps": {"professional_ability": "2", "training": "2"},
}


@pytest.fixture
def scene(call, directory: DirectoryStub) -> dict[str, int]:
    entry = add_entry(call)
    version_id = entry["current"]["id"]
    certificate = submit(call, version_id)
    verified = submit(call, version_id, number="V")
    assert (
        call("POST", f"/certificates/{verified['id']}/verify", HR_A01, json={}).status_code == 200
    )
    put = call("PUT", f"/certificates/{certificate['id']}/evidence", HOLDER, content=PDF)
    assert put.status_code == 200, put.text
    job = call(
        "POST", "/certificate-imports", IMPORTER, content=CSV, headers={"Content-Type": "text/csv"}
    )
    assert job.status_code == 200, job.text
    directory.persons[HOLDER["person_id"]] = ("A01", 11)
    role = call(
        "POST",
        f"/persons/{HOLDER['person_id']}/talent-roles",
        TALENT_HR_A01,
        json={"role": "application", "reason": "uses AI tools"},
    )
    assert role.status_code == 201, role.text
    table = call("PUT", f"/agencies/A01/promotion-points/{YEAR}", TALENT_HR_A01, json=POINTS_TABLE)
    assert table.status_code == 200, table.text
    return {
        "assignment": role.json()["id"],
        "entry": entry["id"],
        "version": version_id,
        "certificate": certificate["id"],
        "verified": verified["id"],
        "job": job.json()["id"],
    }


# (method, path): (who may, request kwargs, who is refused, refusal, expected success)
def _cases(ids: dict[str, int]) -> dict[tuple[str, str], tuple[Any, ...]]:
    reason = {"json": {"reason": "checked"}}
    return {
        ("GET", "/catalogue"): (HOLDER, {}, NOBODY, 403, 200),
        ("POST", "/catalogue"): (CATALOGUER, {"json": entry_body("new-one")}, HR_A01, 403, 201),
        ("GET", "/catalogue/{entry_id}"): (HOLDER, {}, NOBODY, 403, 200),
        ("PUT", "/catalogue/{entry_id}"): (CATALOGUER, {"json": CHANGE}, HR_A01, 403, 200),
        ("POST", "/catalogue/{entry_id}/retire"): (CATALOGUER, {}, HR_A01, 403, 200),
        ("GET", "/catalogue/{entry_id}/versions"): (HOLDER, {}, NOBODY, 403, 200),
        ("GET", "/catalogue-versions/{version_id}"): (HOLDER, {}, NOBODY, 403, 200),
        ("POST", "/certificates"): (
            HOLDER,
            {
                "json": {
                    "catalogue_version_id": ids["version"],
                    "certificate_number": "Z",
                    "obtained_on": "2026-03-01",
                }
            },
            IMPORTER,
            403,
            201,
        ),
        ("GET", "/certificates"): (HR_A01, {}, NOBODY, 403, 200),
        ("GET", "/certificates/{certificate_id}"): (HR_A01, {}, HR_A02, 404, 200),
        ("GET", "/certificates/{certificate_id}/events"): (HR_A01, {}, HOLDER_A02, 404, 200),
        ("POST", "/certificates/{certificate_id}/verify"): (HR_A01, {"json": {}}, HR_A02, 404, 200),
        ("POST", "/certificates/{certificate_id}/reject"): (HR_A01, reason, HR_A02, 404, 200),
        ("POST", "/certificates/{certificate_id}/revoke"): (HR_A01, reason, HR_A02, 404, 200),
        ("POST", "/certificates/{certificate_id}/renewals"): (
            HOLDER,
            {"json": {"certificate_number": "R", "obtained_on": "2026-05-01"}},
            HOLDER_A02,
            404,
            201,
        ),
        ("PUT", "/certificates/{certificate_id}/evidence"): (
            HOLDER,
            {"content": PDF},
            HOLDER_A02,
            404,
            200,
        ),
        ("GET", "/certificates/{certificate_id}/evidence"): (HR_A01, {}, HR_A02, 404, 200),
        ("POST", "/certificate-imports"): (
            IMPORTER,
            {"content": CSV, "headers": {"Content-Type": "text/csv"}},
            HR_A01,
            403,
            200,
        ),
        ("GET", "/certificate-imports"): (IMPORTER, {}, HR_A01, 403, 200),
        ("GET", "/certificate-imports/{job_id}"): (IMPORTER, {}, OTHER_IMPORTER, 404, 200),
        ("GET", "/certificate-imports/{job_id}/errors.csv"): (
            IMPORTER,
            {},
            OTHER_IMPORTER,
            404,
            200,
        ),
        ("GET", "/agencies/{agency_code}/warning-lead-times"): (HR_A01, {}, HR_A02, 404, 200),
        ("PUT", "/agencies/{agency_code}/warning-lead-times"): (
            HR_A01,
            {"json": {"lead_days": [30]}},
            HR_A02,
            404,
            200,
        ),
        ("GET", "/me/notices"): (HOLDER, {}, NOBODY, 403, 200),
        ("GET", "/persons/{person_id}/talent-roles"): (TALENT_HR_A01, {}, TALENT_HR_A02, 404, 200),
        ("POST", "/persons/{person_id}/talent-roles"): (
            TALENT_HR_A01,
            {"json": {"role": "research", "reason": "drafts the AI guidelines"}},
            TALENT_HR_A02,
            404,
            201,
        ),
        ("POST", "/persons/{person_id}/talent-roles/{assignment_id}/end"): (
            TALENT_HR_A01,
            reason,
            TALENT_HR_A02,
            404,
            200,
        ),
        ("GET", "/persons/{person_id}/talent-stage"): (TALENT_SELF, {}, TALENT_HR_A02, 404, 200),
        ("GET", "/persons/{person_id}/readiness"): (
            TALENT_HR_A01,
            {},
            TALENT_OTHER_SELF,
            404,
            200,
        ),
        ("GET", "/persons/{person_id}/promotion-points"): (
            TALENT_SELF,
            {},
            TALENT_HR_A02,
            404,
            200,
        ),
        ("GET", "/agencies/{agency_code}/talent-stage-rules"): (
            TALENT_HR_A01,
            {},
            TALENT_HR_A02,
            404,
            200,
        ),
        ("PUT", "/agencies/{agency_code}/talent-stage-rules"): (
            TALENT_HR_A01,
            {"json": {"rules": [{"stage": "entry", "reason": "everyone"}]}},
            TALENT_HR_A02,
            404,
            200,
        ),
        ("GET", "/agencies/{agency_code}/promotion-points/{year}"): (
            TALENT_HR_A01,
            {},
            TALENT_HR_A02,
            404,
            200,
        ),
        ("PUT", "/agencies/{agency_code}/promotion-points/{year}"): (
            TALENT_HR_A01,
            {"json": POINTS_TABLE},
            TALENT_HR_A02,
            404,
            200,
        ),
        ("GET", "/staffing/persons"): (
            STAFF_A01,
            {"params": {"agency_code": "A01"}},
            STAFF_A02,
            404,
            200,
        ),
        ("POST", "/staffing/team-proposals"): (
            STAFF_A01,
            {"json": {"slots": [{"role": "policy", "count": 1}], "agency_codes": ["A01"]}},
            STAFF_A02,
            404,
            200,
        ),
        ("GET", "/agencies/{agency_code}/staffing-summary"): (STAFF_A01, {}, STAFF_A02, 404, 200),
        ("GET", "/agencies/{agency_code}/staffing-summary.csv"): (
            STAFF_A01,
            {},
            STAFF_A02,
            404,
            200,
        ),
        ("GET", "/agencies/{agency_code}/staffing-summary.xlsx"): (
            STAFF_A01,
            {},
            STAFF_A02,
            404,
            200,
        ),
        ("GET", "/agencies/{agency_code}/webhr-table51.csv"): (
            STAFF_A01,
            {},
            STAFF_A02,
            404,
            200,
        ),
        ("GET", "/audit/personal-data-reads"): (
            {"sub": "auditor", "permissions": ["certs:audit:read"]},
            {},
            HR_A01,
            403,
            200,
        ),
    }


def _url(path: str, method: str, ids: dict[str, int]) -> str:
    certificate = ids["verified"] if path.endswith(("/revoke", "/renewals")) else ids["certificate"]
    return (
        path.replace("{certificate_id}", str(certificate))
        .replace("{entry_id}", str(ids["entry"]))
        .replace("{version_id}", str(ids["version"]))
        .replace("{job_id}", str(ids["job"]))
        .replace("{agency_code}", "A01")
        .replace("{person_id}", str(HOLDER["person_id"]))
        .replace("{assignment_id}", str(ids["assignment"]))
        .replace("{year}", str(YEAR))
    )


OPERATIONS = sorted(_cases({"version": 1, "assignment": 1}))


def test_the_table_covers_every_operation(certs_app) -> None:
    document = certs_app.openapi()
    operations = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if "probes" not in op.get("tags", [])
    }
    assert operations == set(OPERATIONS), sorted(operations ^ set(OPERATIONS))


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_anonymous_wrong_role_and_out_of_reach_are_refused(
    call, scene, method: str, path: str
) -> None:
    allowed, kwargs, refused, refusal, success = _cases(scene)[(method, path)]
    url = _url(path, method, scene)
    assert call(method, url, None, **kwargs).status_code == 401
    answer = call(method, url, refused, **kwargs)
    assert answer.status_code == refusal, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    ok = call(method, url, allowed, **kwargs)
    assert ok.status_code == success, ok.text


def test_a_missing_certificate_and_one_out_of_reach_answer_alike(call, scene) -> None:
    missing = call("GET", "/certificates/999999", HR_A02)
    outside = call("GET", f"/certificates/{scene['certificate']}", HR_A02)
    assert missing.status_code == outside.status_code == 404
    assert missing.json()["detail"] == outside.json()["detail"]
