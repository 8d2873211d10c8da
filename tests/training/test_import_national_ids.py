"""Import rows that name their person by national ID: matched by the directory with
one call per batch, every bad number reported without echoing it, and no number
kept anywhere in training."""

from __future__ import annotations

import json
import logging
from datetime import date

import httpx
from sqlalchemy import select
from sqlmodel import Session, col

from services.directory.domain import national_id
from services.directory.schemas import MAX_MATCHED_NATIONAL_IDS
from services.training.domain.record_rows import check
from services.training.models import LearningRecord, metadata
from services.training.service import record_import as runner
from tests.training.builders import category
from tests.training.conftest import IMPORTER, Down, Flaky
from tests.training.test_imports import HEADER, NATIONAL_HEADER, post, records_count, row

N1 = national_id.with_check_digit("K12000001")  # held by P001
N2 = national_id.with_check_digit("L22000002")  # held by P002
UNKNOWN = national_id.with_check_digit("M18000008")  # held by no one
BAD = N1[:-1] + str((int(N1[-1]) + 1) % 10)  # wrong check digit
NUMBERS = (N1, N2, UNKNOWN, BAD)


def _holders(ready):
    ready.holders.update({N1: "P001", N2: "P002"})
    return ready


def _records(apps) -> dict[str, str]:
    with apps["training"].state.engine.connect() as conn:
        rows = conn.execute(select(col(LearningRecord.external_id), col(LearningRecord.person_id)))
        return {external_id: person_id for external_id, person_id in rows}


def _training_dump(apps) -> str:
    """Every row of every training table, as text."""
    with apps["training"].state.engine.connect() as conn:
        return json.dumps(
            [[list(r) for r in conn.execute(t.select())] for t in metadata.sorted_tables],
            default=str,
        )


def assert_no_numbers(*texts: str) -> None:
    for text in texts:
        for number in NUMBERS:
            assert number not in text.upper()
            assert number[1:] not in text


def _match_calls(ready) -> int:
    return len(ready.matched)


def _small_batches(ready, monkeypatch, rows: int) -> str:
    """Batches of two rows, and a file of `rows` rows naming P001 and P002 by number."""
    _holders(ready)
    monkeypatch.setattr(runner, "BATCH_SIZE", 2)
    return NATIONAL_HEADER + "".join(
        row(f"E{i}", person="", national=(N1, N2)[i % 2]) for i in range(rows)
    )


def test_mixed_file_matches_by_national_id_and_reports_every_bad_row(call, apps, ready, caplog):
    _holders(ready)
    caplog.set_level(logging.DEBUG)
    body = (
        NATIONAL_HEADER
        + row("E1", person="P001", national="")  # 1: by personnel id
        + row("E2", person="", national=N2)  # 2: by national ID -> P002
        + row("E3", person="", national=f" {N1.lower()} ")  # 3: loosely written -> P001
        + row("E4", person="", national=BAD)  # 4: invalid
        + row("E5", person="", national=UNKNOWN)  # 5: held by no one
        + row("E6", person="P001", national=N2)  # 6: both, naming two persons
        + row("E7", person="P002", national=N2, hours="3")  # 7: both, agreeing
        + row("E2", person="P002", national="")  # 8: row 2 again, by personnel id
        + row("E2", person="", national=N2, hours="9")  # 9: row 2 with other hours
        + row("E8", person="", national="")  # 10: no person at all
        + row("E9", person="", national=N1 * 4)  # 11: too long to be one
    )
    response = post(call, body)
    assert response.status_code == 201, response.text
    job = response.json()
    assert (job["status"], job["inserted"], job["unchanged"], job["failed"]) == (
        "completed",
        4,
        1,
        6,
    )
    assert {(e["row"], e["field"], e["code"], e["reason"]) for e in job["errors"]} == {
        (4, "national_id", "invalid_national_id", "invalid checksum"),
        (5, "national_id", "unknown_national_id", "no person with this national ID"),
        (6, "national_id", "person_mismatch", "belongs to another person than person_id"),
        (9, "external_id", "duplicate", "repeats row 2 with different content"),
        (10, "person_id", "missing", "missing"),
        (11, "national_id", "too_long", "longer than 32 characters"),
    }
    # Good rows landed once, each with the person its number names.
    assert _records(apps) == {"E1": "P001", "E2": "P002", "E3": "P001", "E7": "P002"}
    # One call for the batch, each distinct number once; the overlong one never sent.
    assert ready.matched == [sorted({N2, N1.lower(), BAD, UNKNOWN})]

    errors_csv = call("GET", f"/imports/{job['id']}/errors.csv", IMPORTER)
    assert errors_csv.status_code == 200
    assert len(errors_csv.text.splitlines()) == 7
    formatted = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert_no_numbers(response.text, errors_csv.text, _training_dump(apps), caplog.text, formatted)

    # Again: nothing new, and the same single call.
    again = post(call, body).json()
    assert (again["inserted"], again["unchanged"], again["failed"]) == (0, 5, 6)
    assert _match_calls(ready) == 2


def test_one_directory_call_per_batch(call, apps, ready, monkeypatch):
    body = _small_batches(ready, monkeypatch, 5)
    job = post(call, body).json()
    assert (job["inserted"], job["failed"]) == (5, 0)
    assert [len(numbers) for numbers in ready.matched] == [2, 2, 1]
    # A file naming persons by personnel id only never asks for a match.
    post(call, HEADER + row("F1") + row("F2", person="P002"))
    assert _match_calls(ready) == 3


def test_a_national_id_only_file_needs_no_person_id_column(call, apps, ready):
    _holders(ready)
    header = NATIONAL_HEADER.replace("person_id,", "")
    body = header + row("E1", person=N1) + row("E2", person=UNKNOWN)  # 2nd column: national_id
    job = post(call, body).json()
    assert (job["inserted"], [(e["row"], e["code"]) for e in job["errors"]]) == (
        1,
        [(2, "unknown_national_id")],
    )
    bad = post(call, header.replace("national_id,", "") + "E1,AI-101,t,C01,,1,2026-03-02,Y\n")
    assert bad.status_code == 422
    assert "person_id or national_id" in bad.json()["detail"]


def test_dry_run_matches_and_reports_but_writes_nothing(call, apps, ready):
    _holders(ready)
    body = NATIONAL_HEADER + row("E1", person="", national=N1) + row("E2", person="", national=BAD)
    job = post(call, body, params={"dry_run": "true"}).json()
    assert (job["dry_run"], job["inserted"], job["failed"]) == (True, 1, 1)
    assert [(e["row"], e["code"]) for e in job["errors"]] == [(2, "invalid_national_id")]
    assert _match_calls(ready) == 1
    assert records_count(apps) == 0


def test_directory_down_leaves_the_job_resumable_with_whole_batches(call, apps, ready, monkeypatch):
    body = _small_batches(ready, monkeypatch, 4)
    key = {"Idempotency-Key": "match-down-0001"}
    healthy = ready.transports["directory"]
    # The first batch's match goes through; the directory dies before the second's.
    ready.transports["directory"] = Flaky(healthy, allow=1)
    response = post(call, body, headers=key)
    assert response.status_code == 503
    assert "directory" in response.json()["detail"]
    job = call("GET", "/imports/1", IMPORTER).json()
    assert (job["status"], job["committed_row"], job["inserted"]) == ("interrupted", 2, 2)
    assert sorted(_records(apps)) == ["E0", "E1"]

    ready.transports["directory"] = healthy
    resumed = post(call, body, headers=key).json()
    assert (resumed["status"], resumed["inserted"], resumed["failed"]) == ("completed", 4, 0)
    assert sorted(_records(apps)) == ["E0", "E1", "E2", "E3"]

    ready.transports["directory"] = Down()
    lone = post(call, NATIONAL_HEADER + row("X1", person="", national=N1))
    assert lone.status_code == 503
    assert "X1" not in _records(apps)


def test_real_directory_matches_within_the_importers_scope(call, apps, client, wiring):
    """The whole way: training's client against the directory app itself, as the
    catalogue's importer_elearn role (A01 and A02 in scope, not A03)."""
    from services.directory.demo import PERSONS, seed_demo
    from services.directory.models import personal_data_reads
    from tests.directory.conftest import ELEARN

    with Session(apps["directory"].state.engine) as session:
        seed_demo(session)
        session.commit()
    category(call)
    wiring.transports["directory"] = client("directory")._transport
    number = {pid: national_id.with_check_digit(stem) for pid, *_, stem in PERSONS}
    bad = number["P0003"][:-1] + str((int(number["P0003"][-1]) + 1) % 10)
    body = (
        NATIONAL_HEADER
        + row("E1", person="", national=number["P0003"])  # A01
        + row("E2", person="", national=number["P0007"])  # A02
        + row("E3", person="", national=number["P0008"])  # A03: outside the scope
        + row("E4", person="", national=bad)
        + row("E5", person="P0005", national=number["P0003"])  # someone else's number
    )
    job = post(call, body, principal=ELEARN).json()
    assert job["inserted"] == 2, job
    assert [(e["row"], e["code"]) for e in job["errors"]] == [
        (3, "unknown_national_id"),
        (4, "invalid_national_id"),
        (5, "person_mismatch"),
    ]
    assert _records(apps) == {"E1": "P0003", "E2": "P0007"}
    with apps["directory"].state.engine.connect() as conn:
        reads = [dict(r) for r in conn.execute(select(personal_data_reads)).mappings()]
    matches = [r for r in reads if r["resource"] == "directory:persons:match"]
    assert [(r["reader"], r["subject_person_id"], r["fields"]) for r in matches] == [
        (
            "importer.elearn",
            "*",
            "person_id;count=4;found=2;invalid=1;purpose=training import elearn #1",
        )
    ]
    dump = json.dumps(reads, default=str) + json.dumps(job) + _training_dump(apps)
    for value in [*number.values(), bad]:
        assert value not in dump


def test_parsed_rows_hide_the_number_and_batches_fit_the_directory_cap():
    parsed = check(
        2,
        {
            "external_id": "E1",
            "national_id": N1,
            "course_id": "C",
            "hours": "1",
            "completed_at": "2026-03-02",
        },
        date(2026, 3, 3),
    )
    assert not isinstance(parsed, list)
    assert parsed.national_id is not None and parsed.national_id.value == N1
    assert N1 not in repr(parsed) and N1[1:] not in str(parsed)
    assert runner.BATCH_SIZE <= MAX_MATCHED_NATIONAL_IDS


def test_an_importer_without_the_match_grant_gets_403_and_nothing_written(call, apps, ready):
    ready.transports["directory"] = httpx.MockTransport(
        lambda request: httpx.Response(403, json={"detail": "requires directory:persons:match"})
    )
    response = post(call, NATIONAL_HEADER + row("X1", person="", national=N1))
    assert response.status_code == 403
    assert "directory:persons:match" in response.json()["detail"]
    assert _records(apps) == {}
