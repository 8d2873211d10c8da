"""Bulk import: streamed, idempotent by (source, external id), every bad row reported,
good rows kept, resumable after a crash."""

from __future__ import annotations

from sqlalchemy import func, select

from services.training.models import LearningRecord, LearningRecordHistory
from tests.training.conftest import HR_A01, IMPORTER, NOBODY

HEADER = "external_id,person_id,course_id,course_title,category,topics,hours,completed_at,digital\n"
# The same with a national_id column after person_id: rows then pass `national=`.
NATIONAL_HEADER = HEADER.replace("person_id,", "person_id,national_id,")


def row(
    ext: str,
    person: str = "P001",
    hours: str = "2",
    day: str = "2026-03-02",
    course: str = "AI-101",
    title: str = "生成式AI入門",
    cat: str = "C01",
    topics: str = "ai_basic",
    digital: str = "Y",
    national: str | None = None,
) -> str:
    if national is not None:
        person = f"{person},{national}"
    return f"{ext},{person},{course},{title},{cat},{topics},{hours},{day},{digital}\n"


def post(call, body: bytes | str, *, params=None, headers=None, principal=IMPORTER):
    if isinstance(body, str):
        body = body.encode()
    query = {"source": "elearn", "format": "csv"}
    query.update(params or {})
    head = {"Content-Type": "text/csv; charset=utf-8"}
    head.update(headers or {})
    return call("POST", "/imports", principal, content=body, params=query, headers=head)


def records_count(apps) -> int:
    with apps["training"].state.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(LearningRecord)).scalar_one())


def test_mixed_file_keeps_good_rows_and_reports_every_bad_one(call, apps, ready):
    body = (
        HEADER
        + row("E1")  # row 1: good
        + row("E2", person="P002", hours="1.5")  # 2: good
        + row("E1")  # 3: same row again: unchanged
        + row("E3", day="2026-02-30")  # 4: bad date
        + row("E4", hours="-1")  # 5: negative hours
        + row("E5", hours="150")  # 6: absurd hours
        + row("E6", person="NOBODY")  # 7: unknown person
        + row("E7", course="X-1", cat="ZZ")  # 8: unknown category
        + "E8,P001,AI-101,,,,2,2026-03-02,Y\n"  # 9: good: the course is known by now
        + row("E1", hours="9")  # 10: repeats row 1 with different content
        + row("E9", day="115/03/05")  # 11: ROC date, good
        + "E10,P002,AI-101,t,C01,ai_basic,2,2026-0"  # 12: truncated last line
    )
    response = post(call, body)
    assert response.status_code == 201, response.text
    job = response.json()
    assert job["status"] == "completed"
    assert (job["inserted"], job["unchanged"]) == (4, 1)
    errors = {(e["row"], e["field"], e["code"]) for e in job["errors"]}
    assert errors == {
        (4, "completed_at", "date"),
        (5, "hours", "hours"),
        (6, "hours", "hours"),
        (7, "person_id", "unknown_person"),
        (8, "category", "unknown_category"),
        (10, "external_id", "duplicate"),
        (12, "line", "truncated"),
    }
    assert job["failed"] == 7
    assert records_count(apps) == 4

    again = post(call, body)
    assert (again.json()["inserted"], again.json()["unchanged"]) == (0, 5)
    assert records_count(apps) == 4


def test_wrong_encoding_rows_are_reported_and_big5_is_accepted(call, apps, ready):
    big5_row = row("B2", title="環境教育", course="ENV-1", topics="environmental_education")
    utf8 = (HEADER + row("U1")).encode() + big5_row.encode("big5") + row("U3").encode()
    job = post(call, utf8).json()
    assert job["inserted"] == 2
    assert [(e["row"], e["code"]) for e in job["errors"]] == [(2, "encoding")]

    declared = (HEADER + big5_row).encode("big5")
    job = post(call, declared, headers={"Content-Type": "text/csv; charset=big5"}).json()
    assert (job["inserted"], job["errors"]) == (1, [])
    assert (
        post(call, declared, headers={"Content-Type": "text/csv; charset=latin-9"}).status_code
        == 415
    )


def test_bom_and_jsonl(call, apps, ready):
    job = post(call, b"\xef\xbb\xbf" + (HEADER + row("E1")).encode()).json()
    assert job["inserted"] == 1
    lines = (
        '{"external_id": "J1", "person_id": "P001", "course_id": "AI-101", "hours": 2.5,'
        ' "completed_at": "2026-04-01T10:00:00+08:00", "course_title": "t", "category": "C01"}\n'
        '{"external_id": "J2", "person_id": "P001"}\n'
        "[1, 2]\n"
    )
    job = post(
        call, lines, params={"format": "jsonl"}, headers={"Content-Type": "application/x-ndjson"}
    ).json()
    assert job["inserted"] == 1
    assert {(e["row"], e["field"]) for e in job["errors"]} == {
        (2, "course_id"),
        (2, "hours"),
        (2, "completed_at"),
        (3, "line"),
    }


def test_changed_row_updates_with_history(call, apps, ready):
    post(call, HEADER + row("E1", hours="2"))
    job = post(call, HEADER + row("E1", hours="3")).json()
    assert (job["inserted"], job["updated"]) == (0, 1)
    with apps["training"].state.engine.connect() as conn:
        hist = conn.execute(select(LearningRecordHistory.__table__)).mappings().all()  # type: ignore[attr-defined]
    assert len(hist) == 1
    assert hist[0]["action"] == "reimported"
    assert hist[0]["before"]["hours"] == "2.00"
    assert hist[0]["after"]["hours"] == "3.00"
    assert hist[0]["actor"] == "importer.elearn"


def test_dry_run_writes_no_records_but_reports(call, apps, ready):
    job = post(call, HEADER + row("E1") + row("E2", hours="x"), params={"dry_run": "true"}).json()
    assert (job["dry_run"], job["inserted"], job["failed"]) == (True, 1, 1)
    assert records_count(apps) == 0


def test_errors_csv_download(call, apps, ready):
    job = post(call, HEADER + row("E1", hours="-2") + row("E2", day="tomorrow")).json()
    response = call("GET", f"/imports/{job['id']}/errors.csv", IMPORTER)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig").splitlines()
    assert text[0] == "row,field,reason,code"
    assert [line.split(",")[0] for line in text[1:]] == ["1", "2"]


def test_interrupted_import_resumes_without_duplicates(call, apps, ready, monkeypatch):
    from services.training.service import record_import as runner

    monkeypatch.setattr(runner, "BATCH_SIZE", 2)
    body = HEADER + "".join(row(f"E{i}", hours="1") for i in range(1, 8))
    real = runner.apply_batch
    calls = {"n": 0}

    def crash_on_third(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("power cut")
        return real(*args, **kwargs)

    monkeypatch.setattr(runner, "apply_batch", crash_on_third)
    key = {"Idempotency-Key": "nightly-2026-03-02"}
    assert post(call, body, headers=key).status_code == 500
    job = call("GET", "/imports/1", IMPORTER).json()
    assert (job["status"], job["committed_row"], job["inserted"]) == ("interrupted", 4, 4)
    assert records_count(apps) == 4

    monkeypatch.setattr(runner, "apply_batch", real)
    resumed = post(call, body, headers=key)
    assert resumed.status_code == 200
    job = resumed.json()
    assert (job["id"], job["status"], job["inserted"], job["unchanged"]) == (1, "completed", 7, 0)
    assert records_count(apps) == 7
    # Completed: the same key again does nothing.
    assert post(call, body, headers=key).json()["inserted"] == 7


def test_resume_with_a_different_file_is_409(call, apps, ready, monkeypatch):
    from services.training.service import record_import as runner

    monkeypatch.setattr(runner, "BATCH_SIZE", 1)
    real = runner.apply_batch

    seen = {"n": 0}

    def crash_second(*args, **kwargs):
        seen["n"] += 1
        if seen["n"] == 2:
            raise RuntimeError("crash")
        return real(*args, **kwargs)

    monkeypatch.setattr(runner, "apply_batch", crash_second)
    key = {"Idempotency-Key": "file-xyz-0001"}
    post(call, HEADER + row("E1") + row("E2"), headers=key)
    monkeypatch.setattr(runner, "apply_batch", real)
    assert post(call, HEADER + row("E9") + row("E2"), headers=key).status_code == 409


def test_running_job_is_not_resumed_twice(call, apps, ready):
    from services.training.models import ImportJob

    key = {"Idempotency-Key": "concurrent-0001"}
    post(call, HEADER + row("E1"), headers=key)
    with apps["training"].state.engine.begin() as conn:
        conn.execute(ImportJob.__table__.update().values(status="running"))  # type: ignore[attr-defined]
    assert post(call, HEADER + row("E1"), headers=key).status_code == 409


def test_only_importers_of_that_source(call, ready):
    assert post(call, HEADER, principal=None).status_code == 401
    assert post(call, HEADER, principal=HR_A01).status_code == 403
    assert post(call, HEADER, principal=NOBODY).status_code == 403
    other = {**IMPORTER, "permissions": ["training:imports:ecpa"]}
    assert post(call, HEADER + row("E1"), principal=other).status_code == 403
    job = post(call, HEADER + row("E1")).json()
    # Another platform's importer reads the job as missing: no job id is disclosed.
    assert call("GET", f"/imports/{job['id']}", other).status_code == 404
    assert call("GET", f"/imports/{job['id']}/errors.csv", other).status_code == 404
    assert call("GET", f"/imports/{job['id']}", NOBODY).status_code == 403


def test_bad_header_is_422_and_missing_job_404(call, ready):
    response = post(call, "id,who\n1,2\n")
    assert response.status_code == 422
    assert "external_id" in response.json()["detail"]
    assert post(call, "").status_code == 422
    assert call("GET", "/imports/999", IMPORTER).status_code == 404
    assert call("GET", "/imports/999/errors.csv", IMPORTER).status_code == 404
    assert call("GET", "/imports/1", None).status_code == 401


def test_directory_down_interrupts_the_import(call, apps, ready):
    from tests.training.conftest import Down

    ready.transports["directory"] = Down()
    response = post(call, HEADER + row("E1"), headers={"Idempotency-Key": "dir-down-0001"})
    assert response.status_code == 503
    assert records_count(apps) == 0
    job = call("GET", "/imports/1", IMPORTER).json()
    assert job["status"] == "interrupted"


def test_roster_is_filled_from_the_directory_once(call, ready):
    post(call, HEADER + row("E1") + row("E2"))
    first = ready.directory_calls
    post(call, HEADER + row("E3") + row("E4"))
    assert first == 1
    assert ready.directory_calls == 1
