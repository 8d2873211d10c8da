"""Lecturers and engagement records imported through the kernel's pipeline:
good rows kept beside bad ones (each error naming its field, never its value),
a dry run that writes nothing, re-imports that change nothing or update in
place, the search index following every imported value, and an interrupted job
resumed by its Idempotency-Key."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import Session, col

from services.speakers.models import Engagement, ImportJob, Lecturer, SearchValue
from services.speakers.service import engagement_import, lecturer_import
from tests.speakers.conftest import OFFICER, Call

IMPORTER: dict[str, Any] = {
    "sub": "academy.importer",
    "kind": "machine",
    "permissions": ["speakers:import"],
}
EMAIL = "secret.lecturer@example.gov.tw"
LECTURERS = (
    "source_id,name,organisation,expertise,category_codes,email,phone\n"
    f"T001,王大明,數位發展部,資通安全;人工智慧,P05,{EMAIL},02-2345-6789\n"
    "T002,李小華,法務部,公務倫理,,,\n"
    "T003,,內政部,資安,,not-an-address,\n"  # no name, a bad e-mail
    "T004,張三,內政部,資安,P99,,\n"  # an unknown category
    "T005,陳四,國家發展委員會,政策規劃,,,\n"
)
ENGAGEMENTS: list[dict[str, Any]] = [
    {
        "lecturer_source_id": "T001",
        "class_name": "115年資訊安全研習班",
        "course_name": "資安治理",
        "held_on": "115/03/02",
        "hosting_agency": "行政院人事行政總處",
        "hours": "3",
        "agency_code": "A01",
    },
    {
        "lecturer_source_id": "T002",
        "class_name": "廉政研習班",
        "course_name": "公務倫理案例",
        "held_on": "2025-02-28",
        "hosting_agency": "法務部",
        "hours": 2,
    },
    # Unknown lecturer; then a bad date and zero hours.
    {
        "lecturer_source_id": "T999",
        "class_name": "x",
        "course_name": "y",
        "held_on": "2025-01-01",
        "hosting_agency": "z",
        "hours": 1,
    },
    {
        "lecturer_source_id": "T001",
        "class_name": "x",
        "course_name": "y",
        "held_on": "2025-02-30",
        "hosting_agency": "z",
        "hours": 0,
    },
]


def jsonl(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def post_lecturers(call: Call, body: str, query: str = "", **headers: str) -> Any:
    return call(
        "POST",
        f"/imports/lecturers?source=academy{query}",
        IMPORTER,
        content=body.encode(),
        headers={"Content-Type": "text/csv", **headers},
    )


def post_engagements(call: Call, body: str, query: str = "", **headers: str) -> Any:
    return call(
        "POST",
        f"/imports/engagements?source=academy{query}",
        IMPORTER,
        content=body.encode(),
        headers={"Content-Type": "application/x-ndjson", **headers},
    )


def search(call: Call, **terms: str) -> list[str]:
    response = call("GET", "/search", OFFICER, params=terms)
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


def counts(job: dict[str, Any]) -> tuple[int, int, int, int]:
    return (job["inserted"], job["updated"], job["unchanged"], job["failed"])


def test_good_rows_are_kept_and_each_bad_one_names_its_fields(call, categories, apps):
    job = post_lecturers(call, LECTURERS)
    assert job.status_code == 201, job.text
    body = job.json()
    assert (body["status"], body["rows_read"]) == ("completed", 5)
    assert counts(body) == (3, 0, 0, 2)
    assert {(e["row"], e["field"], e["code"]) for e in body["errors"]} == {
        (3, "name", "missing"),
        (3, "email", "string_pattern_mismatch"),
        (4, "category_codes.0", "unknown_category"),
    }
    # Never a value in an error: not the address, not the code.
    assert EMAIL not in job.text and "not-an-address" not in job.text and "P99" not in job.text
    errors = call("GET", f"/imports/{body['id']}/errors.csv", IMPORTER)
    assert errors.status_code == 200 and errors.text.count("\n") == 4
    with Session(apps["speakers"].state.engine) as session:
        stored = session.scalars(select(Lecturer).order_by(col(Lecturer.external_id))).all()
        assert [(x.source, x.external_id, x.name) for x in stored] == [
            ("academy", "T001", "王大明"),
            ("academy", "T002", "李小華"),
            ("academy", "T005", "陳四"),
        ]
        # Consent is the lecturer's: an import leaves the most private defaults.
        assert (stored[0].email, stored[0].email_disclosure) == (EMAIL, "hidden")
    assert search(call, expertise="資通") == ["王大明"]
    assert search(call, category="人工智慧") == ["王大明"]

    engagements = post_engagements(call, jsonl(ENGAGEMENTS))
    assert engagements.status_code == 201, engagements.text
    result = engagements.json()
    assert counts(result) == (2, 0, 0, 2)
    assert {(e["row"], e["field"], e["code"]) for e in result["errors"]} == {
        (3, "lecturer_source_id", "unknown_lecturer"),
        (4, "held_on", "value_error"),
        (4, "hours", "greater_than"),
    }
    assert search(call, course_name="資安") == ["王大明"]
    assert search(call, class_name="廉政") == ["李小華"]
    with Session(apps["speakers"].state.engine) as session:
        held = session.scalar(
            select(col(Lecturer.last_engaged_on)).where(col(Lecturer.external_id) == "T002")
        )
        assert held is not None and held.isoformat() == "2025-02-28"


def test_a_dry_run_counts_and_writes_nothing(call, categories, apps):
    dry = post_lecturers(call, LECTURERS, "&dry_run=true")
    assert dry.status_code == 201
    assert (dry.json()["dry_run"], counts(dry.json())) == (True, (3, 0, 0, 2))
    engine = apps["speakers"].state.engine
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Lecturer)) == 0
        assert session.scalar(select(func.count()).select_from(SearchValue)) == 0
    post_lecturers(call, LECTURERS)
    dry_records = post_engagements(call, jsonl(ENGAGEMENTS[:2]), "&dry_run=true").json()
    assert counts(dry_records) == (2, 0, 0, 0)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Engagement)) == 0
    assert search(call, course_name="資安") == []


def test_a_reimport_changes_nothing_and_a_changed_value_moves_the_index(call, categories, apps):
    post_lecturers(call, LECTURERS)
    post_engagements(call, jsonl(ENGAGEMENTS[:2]))
    again = post_lecturers(call, LECTURERS).json()
    assert counts(again) == (0, 0, 3, 2)
    records = post_engagements(call, jsonl(ENGAGEMENTS[:2])).json()
    assert counts(records) == (0, 0, 2, 0)

    changed = LECTURERS.replace("資通安全;人工智慧,P05", "區塊鏈,P06").replace("李小華", "李曉華")
    result = post_lecturers(call, changed).json()
    assert counts(result) == (0, 2, 1, 2)
    assert search(call, expertise="資通") == []
    assert search(call, category="人工智慧") == []
    assert search(call, expertise="區塊") == ["王大明"]
    assert search(call, name="曉華") == ["李曉華"]
    assert search(call, name="小華") == []
    # The class and course names stay: they are the engagement records'.
    assert search(call, course_name="資安治理") == ["王大明"]

    more_hours = [{**ENGAGEMENTS[0], "hours": "3.5"}]
    assert counts(post_engagements(call, jsonl(more_hours)).json()) == (0, 1, 0, 0)
    with Session(apps["speakers"].state.engine) as session:
        hours = session.scalars(select(col(Engagement.hours))).all()
        assert sorted(str(h) for h in hours) == ["2.00", "3.50"]
        # The values no lecturer holds any more left the index.
        values = {
            tuple(r) for r in session.execute(select(col(SearchValue.field), col(SearchValue.norm)))
        }
        assert ("expertise", "資通安全") not in values and ("name", "李小華") not in values
        assert ("expertise", "區塊鏈") in values


def test_a_file_repeating_a_lecturer_keeps_the_first(call, categories):
    twice = "source_id,name\nT1,甲\nT1,乙\n"
    body = post_lecturers(call, twice).json()
    assert counts(body) == (1, 0, 0, 1)
    assert [(e["row"], e["field"], e["code"]) for e in body["errors"]] == [
        (2, "source_id", "duplicate")
    ]
    assert search(call, name="甲") == ["甲"]


def test_an_interrupted_import_resumes_with_its_idempotency_key(call, categories, monkeypatch):
    monkeypatch.setattr(lecturer_import, "BATCH_SIZE", 2)
    rows = "source_id,name\n" + "".join(f"T{i},講座{i}\n" for i in range(1, 8))
    real = lecturer_import.LecturerImport.apply_batch
    calls = {"n": 0}

    def crash_on_third(self: Any, session: Any, batch: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("power cut")
        return real(self, session, batch)

    monkeypatch.setattr(lecturer_import.LecturerImport, "apply_batch", crash_on_third)
    key = {"Idempotency-Key": "academy-2026-12-02"}
    crashed = post_lecturers(call, rows, **key)
    assert crashed.status_code == 500
    monkeypatch.setattr(lecturer_import.LecturerImport, "apply_batch", real)
    resumed = post_lecturers(call, rows, **key)
    assert resumed.status_code == 200
    body = resumed.json()
    assert (body["status"], body["inserted"], body["failed"]) == ("completed", 7, 0)
    assert len(search(call, name="講座")) == 7


def test_imports_need_the_import_permission_and_read_back_only_to_their_importer(call, categories):
    refused = call(
        "POST",
        "/imports/lecturers?source=academy",
        OFFICER,
        content="source_id,name\nT1,甲\n".encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert refused.status_code == 403
    assert call("POST", "/imports/lecturers?source=academy").status_code == 401
    job = post_lecturers(call, "source_id,name\nT1,甲\n").json()
    other = {**IMPORTER, "sub": "other.importer"}
    assert call("GET", f"/imports/{job['id']}", other).status_code == 404
    assert call("GET", f"/imports/{job['id']}", IMPORTER).json()["inserted"] == 1
    assert call("GET", "/imports/999", IMPORTER).status_code == 404


@pytest.mark.parametrize(
    ("body", "reason"),
    [("", "empty"), ("name\n甲\n", "source_id"), ("source_id,name,salary\nT1,甲,1\n", "unknown")],
)
def test_a_file_without_a_usable_header_is_refused_whole(call, categories, apps, body, reason):
    response = post_lecturers(call, body)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert reason in response.text
    with Session(apps["speakers"].state.engine) as session:
        assert session.scalar(select(func.count()).select_from(Lecturer)) == 0


def test_engagement_batches_keep_the_first_of_a_repeated_record(
    call, categories, apps, monkeypatch
):
    monkeypatch.setattr(engagement_import, "BATCH_SIZE", 2)
    post_lecturers(call, LECTURERS)
    rows = [ENGAGEMENTS[0], ENGAGEMENTS[0], {**ENGAGEMENTS[0], "hours": 4}, ENGAGEMENTS[1]]
    body = post_engagements(call, jsonl(rows)).json()
    # Rows 1 and 2 share a batch (the twin counts unchanged); row 3, in the next
    # batch, finds the stored record and updates its hours.
    assert counts(body) == (2, 1, 1, 0)
    with Session(apps["speakers"].state.engine) as session:
        assert session.scalar(select(func.count()).select_from(Engagement)) == 2


def test_import_jobs_are_kept_per_kind_and_source(call, categories, apps):
    post_lecturers(call, "source_id,name\nT1,甲\n")
    post_engagements(call, jsonl([{**ENGAGEMENTS[0], "lecturer_source_id": "T1"}]))
    with Session(apps["speakers"].state.engine) as session:
        jobs = session.execute(
            select(col(ImportJob.source), col(ImportJob.record_source)).order_by(col(ImportJob.id))
        ).all()
    assert [tuple(j) for j in jobs] == [("lecturers", "academy"), ("engagements", "academy")]


def test_an_idempotency_key_is_refused_with_another_source(call, categories):
    key = {"Idempotency-Key": "academy-2026-12-03"}
    assert post_lecturers(call, "source_id,name\nT1,甲\n", **key).status_code == 201
    other = call(
        "POST",
        "/imports/lecturers?source=moe",
        IMPORTER,
        content="source_id,name\nT1,甲\n".encode(),
        headers={"Content-Type": "text/csv", **key},
    )
    assert other.status_code == 409, other.text
    assert other.headers["content-type"].startswith("application/problem+json")
