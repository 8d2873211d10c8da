"""Bulk import of persons: streamed, idempotent, per-row errors, never echoing national IDs."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import func, select

from services.common.importing.rows import RowError
from services.directory.domain import national_id
from services.directory.domain.person_rows import check_person
from services.directory.models import Person
from tests.directory.conftest import ADMIN, HR_A01, IMPORTER

ID1 = national_id.with_check_digit("K12000001")
ID2 = national_id.with_check_digit("L22000002")
ID8 = national_id.with_check_digit("M18000008")
BAD = ID1[:-1] + str((int(ID1[-1]) + 1) % 10)
CLEAR_IDS = [ID1, ID2, ID8, BAD]

MIXED = "\n".join(
    [
        "id,name,agency_code,unit_code,national_id,email,status",
        f"N001,甲一,A01,HR,{ID1},n1@example.gov.tw,active",  # 1 created
        f"N002,乙二,A02,OPS,{ID2},,active",  # 2 created
        "N001,甲一重複,A01,HR,,,active",  # 3 duplicate of row 1
        f"N003,丙三,A01,,{BAD},,active",  # 4 bad checksum
        "N004,丁四,ZZ9,,,,active",  # 5 unknown agency
        "N005,,A01,,,,active",  # 6 missing name
        "N006,戊六,A03,,,,active",  # 7 outside the importer's agencies
        "N007,己七,A01,NOPE,,,active",  # 8 unknown unit
        f'"N008","庚,八",A01,,{ID8},,active',  # 9 created (quoted comma)
        "P0007,吳俊傑改,A02,OPS,,,active",  # 10 updated (name)
        "P0008,蔡佩珊,A01,,,,active",  # 11 belongs to A03, outside scope
        "N009,辛九,A0",  # 12 truncated last line, no newline at the end
    ]
)
EXPECTED_ERRORS = [
    (3, "id"),
    (4, "national_id"),
    (5, "agency_code"),
    (6, "name"),
    (7, "agency_code"),
    (8, "unit_code"),
    (11, "id"),
    (12, "line"),
]


def _import(api, body, *, fmt="csv", dry_run=False, content_type="text/csv", as_=IMPORTER):
    return api.post(
        "/persons/import",
        as_=as_,
        params={"format": fmt, "dry_run": dry_run},
        content=body,
        headers={"Content-Type": content_type},
    )


def _count(db):
    try:
        return db.execute(select(func.count()).select_from(Person)).scalar_one()
    finally:
        db.rollback()


def _errors(report):
    return [(e["row"], e["field"]) for e in report["errors"]]


def _assert_no_clear_ids(*texts):
    for text in texts:
        for number in CLEAR_IDS:
            assert number not in text


# --- checking a row ------------------------------------------------------------


def test_a_row_reports_every_field_and_never_the_value():
    out = check_person(7, {"id": "", "name": "", "agency_code": "A01", "national_id": BAD})
    assert isinstance(out, list)
    assert {(e.row, e.field, e.code) for e in out} >= {(7, "id", "missing"), (7, "name", "missing")}
    assert any(e.field == "national_id" for e in out)
    assert all(BAD not in e.reason for e in out)


def test_a_row_keeps_the_columns_it_gives_even_empty():
    out = check_person(1, {"id": "X1", "name": " 王 ", "agency_code": "A01", "email": ""})
    assert not isinstance(out, list)
    assert out.present == {"id", "name", "agency_code", "email"}
    assert (out.data.name, out.data.email) == ("王", None)


def test_unknown_json_member_is_a_row_error():
    out = check_person(4, {"id": "X1", "name": "a", "agency_code": "A01", "zz": "2"})
    assert out == [RowError(4, "zz", "not a column of this import", "unknown_column")]


# --- the endpoint ---------------------------------------------------------------


def test_mixed_file_good_rows_land_once_and_bad_rows_are_reported(api, demo, db, caplog):
    caplog.set_level(logging.DEBUG)
    before = _count(db)
    response = _import(api, ("\ufeff" + MIXED).encode())
    assert response.status_code == 200, response.text
    report = response.json()
    assert (
        report["rows"],
        report["created"],
        report["updated"],
        report["unchanged"],
        report["failed"],
    ) == (12, 3, 1, 0, 8)
    assert _errors(report) == EXPECTED_ERRORS
    assert _count(db) == before + 3
    assert db.get(Person, "N008").name == "庚,八"
    stored = db.get(Person, "N001")
    assert stored.national_id_masked == national_id.mask(ID1)
    assert stored.source == "import:importer.elearn"
    assert db.get(Person, "P0007").name == "吳俊傑改"
    dump = json.dumps([p.model_dump(mode="json") for p in db.exec(select(Person)).scalars()])
    db.rollback()
    _assert_no_clear_ids(response.text, caplog.text, dump)


def test_reimporting_the_same_file_changes_nothing(api, demo, db):
    first = _import(api, MIXED.encode()).json()
    snapshot = {p.id: p.model_dump() for p in db.exec(select(Person)).scalars()}
    db.rollback()
    again = _import(api, MIXED.encode()).json()
    assert (again["created"], again["updated"], again["unchanged"], again["failed"]) == (0, 0, 4, 8)
    assert _errors(again) == _errors(first)
    db.expire_all()
    assert {p.id: p.model_dump() for p in db.exec(select(Person)).scalars()} == snapshot
    db.rollback()


def test_dry_run_writes_nothing_and_reports_the_same(api, demo, db):
    before = {p.id: p.model_dump() for p in db.exec(select(Person)).scalars()}
    db.rollback()
    report = _import(api, MIXED.encode(), dry_run=True).json()
    assert report["dry_run"] is True
    assert (report["created"], report["updated"], report["failed"]) == (3, 1, 8)
    assert _errors(report) == EXPECTED_ERRORS
    db.expire_all()
    assert {p.id: p.model_dump() for p in db.exec(select(Person)).scalars()} == before
    db.rollback()


def test_big5_when_declared(api, demo, db):
    body = "id,name,agency_code,unit_code\nB001,許功蓋,A01,HR\nB002,林淑惠,A02,\n".encode("cp950")
    report = _import(api, body, content_type="text/csv; charset=big5").json()
    assert (report["created"], report["failed"]) == (2, 0), report
    assert db.get(Person, "B001").name == "許功蓋"
    undeclared = _import(api, body.replace(b"B00", b"C00")).json()
    assert undeclared["created"] == 0 and undeclared["failed"] == 2
    assert undeclared["errors"][0]["reason"] == "not valid utf-8 text"


def test_unsupported_charset_is_415(api, demo):
    response = _import(api, b"id,name,agency_code\n", content_type="text/csv; charset=latin-1")
    assert response.status_code == 415


def test_bad_header_is_422_without_echo(api, demo):
    response = _import(api, f"{ID1},甲,A01\nN1,乙,A01\n".encode())
    assert response.status_code == 422
    _assert_no_clear_ids(response.text)


def test_jsonl_import(api, demo, db):
    lines = [
        {"id": "J001", "name": "甲", "agency_code": "A01", "national_id": ID1},
        {"id": "J002", "name": "乙", "agency_code": "A01", "national_id": ID1},
        {"id": "J003", "name": "丙", "agency_code": "A01", "status": "retired"},
    ]
    body = "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + '\n{"id": "J004", "na'
    report = _import(api, body.encode(), fmt="jsonl").json()
    assert report["created"] == 1
    assert _errors(report) == [(2, "national_id"), (3, "status"), (4, "line")]
    assert report["errors"][0]["reason"] == "same as row 1"
    _assert_no_clear_ids(json.dumps(report))


def test_jsonl_rows_may_give_different_fields(api, demo, db):
    lines = [
        {"id": "J1", "name": "甲", "agency_code": "A01", "email": "j1@example.gov.tw"},
        {"id": "J2", "name": "乙", "agency_code": "A02", "unit_code": "OPS", "phone": "0912345678"},
        {"id": "J3", "name": "丙", "agency_code": "A01", "national_id": ID2},
    ]
    body = "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines)
    report = _import(api, body.encode(), fmt="jsonl").json()
    assert (report["created"], report["failed"]) == (3, 0), report
    assert db.get(Person, "J2").phone == "0912345678" and db.get(Person, "J2").unit_id
    assert db.get(Person, "J1").email == "j1@example.gov.tw"
    db.rollback()


def test_national_id_of_another_stored_person_is_refused(api, demo, db):
    _import(api, f"id,name,agency_code,national_id\nN1,甲,A01,{ID1}\n".encode())
    report = _import(api, f"id,name,agency_code,national_id\nN2,乙,A01,{ID1}\n".encode()).json()
    assert report["errors"] == [
        {
            "row": 1,
            "field": "national_id",
            "reason": "registered to another person",
            "code": "taken",
        }
    ]


def test_supervisors_must_come_first(api, demo, db):
    body = (
        "id,name,agency_code,supervisor_id\nS2,乙,A01,S1\nS1,甲,A01,\nS3,丙,A01,S1\nS4,丁,A01,S4\n"
    )
    report = _import(api, body.encode()).json()
    assert report["created"] == 2
    assert _errors(report) == [(1, "supervisor_id"), (4, "supervisor_id")]
    assert db.get(Person, "S3").supervisor_id == "S1"


def test_status_change_records_the_day(api, demo, db):
    _import(api, b"id,name,agency_code,status\nP0007,x,A02,left\n")
    person = db.get(Person, "P0007")
    assert person.status == "left" and person.status_changed_on is not None


def test_absent_columns_are_left_untouched(api, demo, db):
    masked = db.get(Person, "P0007").national_id_masked
    db.rollback()
    report = _import(api, "id,name,agency_code\nP0007,吳俊傑,A02\n".encode()).json()
    assert report["unchanged"] == 1
    assert db.get(Person, "P0007").national_id_masked == masked


def test_many_rows_over_several_batches_streamed_in_chunks(api, demo, db):
    rows = ["id,name,agency_code,supervisor_id"] + [
        f"M{i:04d},人員{i},A01,{'M0000' if i else ''}" for i in range(1203)
    ]
    data = ("\n".join(rows) + "\n").encode()

    def chunks():
        for start in range(0, len(data), 777):
            yield data[start : start + 777]

    report = _import(api, chunks()).json()
    assert (report["rows"], report["created"], report["failed"]) == (1203, 1203, 0)
    again = _import(api, chunks()).json()
    assert (again["created"], again["unchanged"]) == (0, 1203)


def test_import_needs_the_import_permission(api, demo):
    assert _import(api, MIXED.encode(), as_=HR_A01).status_code == 403
    assert _import(api, MIXED.encode(), as_=ADMIN).status_code == 403
    assert api.post("/persons/import", content=b"").status_code == 401


def test_importer_without_agencies_imports_nothing(api, demo):
    lonely = {**IMPORTER, "agency_scope": []}
    report = _import(api, b"id,name,agency_code\nZ1,x,A01\n", as_=lonely).json()
    assert report["created"] == 0 and _errors(report) == [(1, "agency_code")]


@pytest.mark.parametrize(
    "header", [b"", b"name,agency_code\n", b"id,name,agency_code,id\n", b"A123456789,x,y\n"]
)
def test_csv_header_problems_refuse_the_file_without_echo(api, demo, header):
    response = _import(api, header + b"X1,a,A01\n")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body"
    assert "A123456789" not in response.text and "a123456789" not in response.text


def test_a_quoted_line_break_is_a_row_error_and_the_rows_after_it_land(api, demo, db):
    body = 'id,name,agency_code\r\nX1,"王\n大明",A01\r\n\r\nX2,李,A02'.encode()
    report = _import(api, body).json()
    # One line, one row: a cell may not hold a line break. Both halves are reported.
    assert _errors(report) == [(1, "line"), (2, "line")]
    assert (report["created"], report["failed"]) == (1, 2)
    assert db.get(Person, "X2").name == "李"


def test_interrupted_import_resumes_with_its_idempotency_key(api, demo, db, monkeypatch):
    from services.directory.service import person_import

    monkeypatch.setattr(person_import, "BATCH_SIZE", 2)
    rows = "".join(f"R{i},人員{i},A01\n" for i in range(1, 8))
    body = ("id,name,agency_code\n" + rows).encode()
    real = person_import.PersonImport.apply_batch
    calls = {"n": 0}

    def crash_on_third(self, session, batch):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("power cut")
        return real(self, session, batch)

    monkeypatch.setattr(person_import.PersonImport, "apply_batch", crash_on_third)
    key = {"Content-Type": "text/csv", "Idempotency-Key": "persons-2026-12-02"}
    crashed = api.post("/persons/import", as_=IMPORTER, content=body, headers=key)
    assert crashed.status_code == 500
    job = api.get("/persons/imports/1", as_=IMPORTER).json()
    assert (job["status"], job["rows"], job["created"]) == ("interrupted", 4, 4)
    monkeypatch.setattr(person_import.PersonImport, "apply_batch", real)
    resumed = api.post("/persons/import", as_=IMPORTER, content=body, headers=key).json()
    assert (resumed["job_id"], resumed["status"], resumed["created"]) == (1, "completed", 7)
    assert _count(db) >= 7
    errors_csv = api.get("/persons/imports/1/errors.csv", as_=IMPORTER)
    assert errors_csv.status_code == 200
    assert errors_csv.content.decode("utf-8-sig").splitlines() == ["row,field,reason,code"]


def test_a_job_is_read_by_its_importer_only(api, demo):
    job = _import(api, b"id,name,agency_code\nZ1,x,A01\n").json()
    assert api.get(f"/persons/imports/{job['job_id']}", as_=IMPORTER).status_code == 200
    other = {**IMPORTER, "sub": "importer.other", "agency_scope": ["A02"]}
    assert api.get(f"/persons/imports/{job['job_id']}", as_=other).status_code == 404
    assert api.get(f"/persons/imports/{job['job_id']}", as_=HR_A01).status_code == 403


def test_a_job_kept_for_no_agency_is_its_starters_alone(api, demo):
    lonely = {**IMPORTER, "sub": "importer.lonely", "agency_scope": []}
    job = _import(api, b"id,name,agency_code\nZ1,x,A01\n", as_=lonely).json()
    assert api.get(f"/persons/imports/{job['job_id']}", as_=lonely).status_code == 200
    assert api.get(f"/persons/imports/{job['job_id']}", as_=IMPORTER).status_code == 404
