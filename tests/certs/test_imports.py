"""Certificates imported in bulk on the kernel's import pipeline: every bad row
reported and none of the good ones lost, a dry run that writes nothing, and a
re-import that changes nothing."""

from __future__ import annotations

import json
from typing import Any

from tests.certs.conftest import HOLDER, HR_A01, IMPORTER, add_entry

HEADER = "person_id,agency_code,catalogue_code,certificate_number,obtained_on\n"


def _post(call, body: str, who: dict[str, Any] = IMPORTER, **params: str) -> Any:
    return call(
        "POST",
        "/certificate-imports",
        who,
        content=body.encode(),
        params=params,
        headers={"Content-Type": "text/csv"},
    )


def _rows(*rows: str) -> str:
    return HEADER + "".join(row + "\n" for row in rows)


GOOD = (
    "P-HOLDER,A01,aws-ai-practitioner,AWS-1,2026-03-01",
    "P-OTHER,A01,aws-ai-practitioner,AWS-2,2026-04-01",
)
BAD = (
    "P-X,A02,aws-ai-practitioner,AWS-3,2026-03-01",  # agency outside the scope
    "P-X,A01,no-such-cert,N-1,2026-03-01",  # unknown catalogue entry
    "P-X,A01,aws-ai-practitioner,AWS-4,not a day",  # bad date
    "P-X,A01,aws-ai-practitioner,AWS-5,2019-12-31",  # before the entry is recognised
    ",A01,aws-ai-practitioner,AWS-6,2026-03-01",  # no person
)


def test_bad_rows_are_each_reported_and_the_good_ones_kept(call) -> None:
    add_entry(call)
    answer = _post(call, _rows(GOOD[0], *BAD, GOOD[1]))
    assert answer.status_code == 200, answer.text
    job = answer.json()
    assert (job["status"], job["rows_read"], job["inserted"], job["failed"]) == (
        "completed",
        7,
        2,
        5,
    )
    assert [(e["row"], e["field"], e["code"]) for e in job["errors"]] == [
        (2, "agency_code", "not_in_scope"),
        (3, "catalogue_code", "unknown"),
        (4, "obtained_on", "date_from_datetime_parsing"),
        (5, "obtained_on", "obtained_before_recognised"),
        (6, "person_id", "missing"),
    ]
    listed = call("GET", "/certificates", HR_A01).json()["items"]
    assert [(c["person_id"], c["certificate_number"], c["state"], c["source"]) for c in listed] == [
        ("P-HOLDER", "AWS-1", "submitted", "imported"),
        ("P-OTHER", "AWS-2", "submitted", "imported"),
    ]
    # Imported certificates are verified like any other, by the holder's HR officer.
    assert (
        call("POST", f"/certificates/{listed[0]['id']}/verify", HR_A01, json={}).status_code == 200
    )
    errors = call("GET", f"/certificate-imports/{job['id']}/errors.csv", IMPORTER)
    assert errors.status_code == 200
    assert errors.text.lstrip("\ufeff").splitlines()[0] == "row,field,reason,code"
    assert len(errors.text.strip().splitlines()) == 6


def test_a_dry_run_writes_nothing_and_counts_as_the_real_one(call) -> None:
    add_entry(call)
    dry = _post(call, _rows(*GOOD, BAD[0]), dry_run="true").json()
    assert (dry["dry_run"], dry["inserted"], dry["failed"]) == (True, 2, 1)
    assert call("GET", "/certificates", HR_A01).json()["items"] == []
    real = _post(call, _rows(*GOOD, BAD[0])).json()
    assert (real["inserted"], real["failed"]) == (dry["inserted"], dry["failed"])


def test_a_re_import_changes_nothing_and_a_number_of_another_holder_is_refused(call) -> None:
    add_entry(call)
    first = _post(call, _rows(*GOOD)).json()
    assert first["inserted"] == 2
    again = _post(call, _rows(*GOOD)).json()
    assert (again["inserted"], again["unchanged"], again["failed"]) == (0, 2, 0)
    clash = _post(call, _rows("P-SOMEONE,A01,aws-ai-practitioner,AWS-1,2026-03-01")).json()
    assert [(e["field"], e["code"]) for e in clash["errors"]] == [("certificate_number", "taken")]
    assert len(call("GET", "/certificates", HR_A01).json()["items"]) == 2


def test_roc_dates_are_read_as_personnel_offices_write_them(call) -> None:
    add_entry(call)
    job = _post(
        call,
        _rows(
            "P-HOLDER,A01,aws-ai-practitioner,ROC-1,115/03/01",
            "P-HOLDER,A01,aws-ai-practitioner,ROC-2,民國113年2月29日",
            "P-HOLDER,A01,aws-ai-practitioner,ROC-3,115/02/29",  # no such day in 2026
        ),
    ).json()
    assert (job["inserted"], job["failed"]) == (2, 1)
    assert [(e["row"], e["field"]) for e in job["errors"]] == [(3, "obtained_on")]
    listed = call("GET", "/certificates", HR_A01).json()["items"]
    assert [(c["obtained_on"], c["expires_on"]) for c in listed] == [
        ("2026-03-01", "2029-03-01"),
        ("2024-02-29", "2027-02-28"),
    ]


def test_json_lines_too(call) -> None:
    add_entry(call)
    body = "\n".join(
        json.dumps(
            {
                "person_id": "P-HOLDER",
                "agency_code": "A01",
                "catalogue_code": "aws-ai-practitioner",
                "certificate_number": f"J-{n}",
                "obtained_on": "2026-05-01",
            }
        )
        for n in range(3)
    )
    answer = call(
        "POST",
        "/certificate-imports",
        IMPORTER,
        content=body.encode(),
        params={"format": "jsonl"},
        headers={"Content-Type": "application/x-ndjson"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["inserted"] == 3


def test_only_importers_import_and_read_their_jobs(call) -> None:
    add_entry(call)
    assert _post(call, _rows(*GOOD), who=HR_A01).status_code == 403
    assert _post(call, _rows(*GOOD), who=HOLDER).status_code == 403
    job = _post(call, _rows(*GOOD)).json()
    other = {**IMPORTER, "sub": "importer.a02", "agency_scope": ["A02"], "agency_code": "A02"}
    assert call("GET", f"/certificate-imports/{job['id']}", other).status_code == 404
    assert call("GET", f"/certificate-imports/{job['id']}/errors.csv", other).status_code == 404
    assert call("GET", f"/certificate-imports/{job['id']}", IMPORTER).status_code == 200
    missing = _post(call, "person_id,agency_code\nP,A01\n")
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "body"
