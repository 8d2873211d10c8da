"""The three attendance imports on the kernel's import pipeline: Big5, resume by
Idempotency-Key, the job read back with its errors, warnings across batches."""

from __future__ import annotations

from tests.attendance.builders import import_roster, jsonl

OVERTIME_CSV_HEADER = "source_id,person_id,day,minutes,assigned_by,reason,compensation\n"


def _other_agency_importer(actors):
    return actors.headers(
        sub="importer.a02",
        kind="machine",
        agency_scope=["A02"],
        permissions=["attendance:roster:import", "attendance:records:import"],
    )


def test_big5_overtime_file_when_declared(api, actors, roster):
    body = (OVERTIME_CSV_HEADER + "b1,E1,2025-03-03,60,S1,防汛搶修,pay\n").encode("cp950")
    headers = {**actors.importer, "Content-Type": "text/csv; charset=big5"}
    result = api.post("/overtime/import?source=webitr", content=body, headers=headers).json()
    assert (result["created"], result["failed"], result["status"]) == (1, 0, "completed"), result
    (record,) = api.get("/overtime", params={"person_id": "E1"}, headers=actors.hr).json()["items"]
    assert record["reason"] == "防汛搶修"
    undeclared = api.post(
        "/overtime/import?source=webitr",
        content=body.replace(b"b1,", b"b2,"),
        headers={**actors.importer, "Content-Type": "text/csv"},
    ).json()
    assert undeclared["failed"] == 1
    assert [(e["row"], e["code"]) for e in undeclared["errors"]] == [(1, "encoding")]


def test_csv_rows_count_from_one_after_the_header_with_codes(api, actors, roster):
    body = (
        OVERTIME_CSV_HEADER + "c1,E1,2025-03-03,60,S1,r,pay\n"
        "c2,NOBODY,2025-03-03,60,S1,r,pay\n"
        "c3,E1,2025-03-03,0,S1,r,pay\n"
    ).encode()
    headers = {**actors.importer, "Content-Type": "text/csv"}
    result = api.post("/overtime/import?source=s", content=body, headers=headers).json()
    assert [(e["row"], e["field"], e["code"]) for e in result["errors"]] == [
        (2, "person_id", "not_in_scope"),
        (3, "minutes", "greater_than"),
    ]


def test_interrupted_roster_import_resumes_with_its_idempotency_key(api, actors, monkeypatch):
    from services.attendance.service import roster_import

    monkeypatch.setattr(roster_import, "BATCH_SIZE", 2)
    rows = [{"person_id": f"R{i}", "agency_code": "A01"} for i in range(1, 8)]
    real = roster_import.RosterImport.apply_batch
    calls = {"n": 0}

    def crash_on_third(self, session, batch):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("power cut")
        return real(self, session, batch)

    monkeypatch.setattr(roster_import.RosterImport, "apply_batch", crash_on_third)
    headers = {
        **actors.importer,
        "Content-Type": "application/x-ndjson",
        "Idempotency-Key": "roster-2026-12-02",
    }
    crashed = api.post("/roster/import", content=jsonl(rows), headers=headers)
    assert crashed.status_code == 500
    job = api.get("/roster/imports/1", headers=actors.importer).json()
    assert (job["status"], job["rows"], job["created"]) == ("interrupted", 4, 4)
    assert api.get("/roster/R5", headers=actors.hr).status_code == 404
    monkeypatch.setattr(roster_import.RosterImport, "apply_batch", real)
    resumed = api.post("/roster/import", content=jsonl(rows), headers=headers).json()
    assert (resumed["job_id"], resumed["status"], resumed["created"]) == (1, "completed", 7)
    assert api.get("/roster/R7", headers=actors.hr).status_code == 200
    again = api.post("/roster/import", content=jsonl(rows), headers=headers).json()
    assert (again["job_id"], again["created"]) == (1, 7)
    changed = api.post("/roster/import", content=jsonl(rows[:3]), headers=headers)
    assert changed.status_code == 200  # completed: the same key answers the same job


def test_a_record_import_resumes_only_with_its_source(api, actors, roster, monkeypatch):
    from services.attendance.service import record_import

    monkeypatch.setattr(record_import, "BATCH_SIZE", 1)
    real = record_import.AttendanceImport.apply_batch

    def crash(self, session, batch):
        raise RuntimeError("power cut")

    monkeypatch.setattr(record_import.AttendanceImport, "apply_batch", crash)
    rows = [{"source_id": "a1", "person_id": "E1", "day": "2025-03-03"}]
    headers = {
        **actors.importer,
        "Content-Type": "application/x-ndjson",
        "Idempotency-Key": "clock-2026-12-02",
    }
    assert (
        api.post("/attendance-records/import?source=clock", content=jsonl(rows), headers=headers)
    ).status_code == 500
    monkeypatch.setattr(record_import.AttendanceImport, "apply_batch", real)
    other = api.post(
        "/attendance-records/import?source=other", content=jsonl(rows), headers=headers
    )
    assert other.status_code == 409
    same = api.post("/attendance-records/import?source=clock", content=jsonl(rows), headers=headers)
    assert (same.json()["status"], same.json()["created"]) == ("completed", 1)


def test_a_job_is_read_by_its_importer_or_one_covering_its_agencies(api, actors, roster):
    body = jsonl([{"person_id": "BAD", "agency_code": "A01", "hourly_rate": "-5"}])
    headers = {**actors.importer, "Content-Type": "application/x-ndjson"}
    job = api.post("/roster/import", content=body, headers=headers).json()
    path = f"/roster/imports/{job['job_id']}"
    assert api.get(path, headers=actors.importer).json()["failed"] == 1
    colleague = actors.headers(
        sub="importer.two",
        kind="machine",
        agency_scope=["A01", "A02"],
        permissions=["attendance:roster:import"],
    )
    assert api.get(path, headers=colleague).status_code == 200
    assert api.get(path, headers=_other_agency_importer(actors)).status_code == 404
    assert api.get(f"{path}/errors.csv", headers=_other_agency_importer(actors)).status_code == 404
    assert api.get(path, headers=actors.hr).status_code == 403
    # A roster job is no overtime import.
    assert api.get(f"/overtime/imports/{job['job_id']}", headers=actors.importer).status_code == 404
    assert api.get("/roster/imports/999", headers=actors.importer).status_code == 404


def test_errors_csv_lists_every_row_error(api, actors, roster):
    body = (
        b"person_id,agency_code,hourly_rate,status\n"
        b"E1,A01,210,active\nBAD,A01,-5,active\nE9,A01,100,retired\nE2,A09,1,active\n"
    )
    headers = {**actors.importer, "Content-Type": "text/csv"}
    job = api.post("/roster/import", content=body, headers=headers).json()
    response = api.get(f"/roster/imports/{job['job_id']}/errors.csv", headers=actors.importer)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "row,field,reason,code"
    assert [line.split(",")[0] for line in lines[1:]] == ["2", "3", "4"]
    assert lines[-1].endswith(",not_in_scope")


def test_warnings_are_kept_across_batches(api, actors, monkeypatch):
    from services.attendance.service import record_import

    monkeypatch.setattr(record_import, "BATCH_SIZE", 2)
    workers = [
        {"person_id": "S1", "agency_code": "A01", "unit_code": "U1"},
        *(
            {
                "person_id": person,
                "agency_code": "A01",
                "unit_code": "U1",
                "supervisor_id": "S1",
                "regime": "shift",
            }
            for person in ("W1", "W2")
        ),
    ]
    import_roster(api, actors, workers)
    rows = []
    for person in ("W1", "W2"):
        rows += [
            {
                "source_id": f"{person}-0",
                "person_id": person,
                "day": "2025-03-03",
                "clock_in": "2025-03-03T08:00:00+08:00",
                "clock_out": "2025-03-03T16:00:00+08:00",
            },
            {
                "source_id": f"{person}-1",
                "person_id": person,
                "day": "2025-03-04",
                "clock_in": "2025-03-04T02:00:00+08:00",
                "clock_out": "2025-03-04T10:00:00+08:00",
            },
        ]
    headers = {**actors.importer, "Content-Type": "application/x-ndjson"}
    result = api.post(
        "/attendance-records/import?source=clock", content=jsonl(rows), headers=headers
    ).json()
    assert (result["created"], result["failed"]) == (4, 0), result
    assert [(w["row"], w["limit"]) for w in result["warnings"]] == [
        (2, "shift_rest"),
        (4, "shift_rest"),
    ]
    job = api.get(f"/attendance-records/imports/{result['job_id']}", headers=actors.importer)
    assert job.json()["warnings"] == result["warnings"]


def test_dry_run_counts_and_keeps_nothing(api, actors, roster):
    rows = [{"source_id": "d1", "person_id": "E1", "day": "2025-03-03"}]
    headers = {**actors.importer, "Content-Type": "application/x-ndjson"}
    dry = api.post(
        "/attendance-records/import?source=clock&dry_run=true", content=jsonl(rows), headers=headers
    ).json()
    assert (dry["dry_run"], dry["created"]) == (True, 1)
    real = api.post(
        "/attendance-records/import?source=clock", content=jsonl(rows), headers=headers
    ).json()
    assert (real["created"], real["unchanged"]) == (1, 0)
