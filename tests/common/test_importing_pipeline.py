"""The kernel's import pipeline end to end, on a toy import (tests/common/importing_toy):
rows numbered as the schema says, bad rows reported without losing good ones,
dry runs, batches committed with the job's progress and resumed by idempotency
key, `prepare` outside the batch's transaction, Big5, the error CSV, and header
problems as 422s.

The toy's tables live in a throwaway database built with create_all (they belong
to no service, so there is no migration to run), on SQLite or PostgreSQL as
RENSHI_TEST_DATABASE says.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from services.common.timeutil import now_utc
from tests.common.conftest import Toy
from tests.common.importing_toy import (
    TABLES,
    UNLUCKY,
    ToyImportError,
    things,
)

HEADER = "key,value\n"
CSV = {"Content-Type": "text/csv; charset=utf-8"}
JSONL = {"Content-Type": "application/x-ndjson"}


def errors_of(job: dict[str, Any]) -> list[tuple[int, str, str]]:
    return [(e["row"], e["field"], e["code"]) for e in job["errors"]]


def lines(n: int, *, start: int = 1, value: int = 1) -> str:
    return "".join(f"k{i},{value}\n" for i in range(start, start + n))


# --- (a) row numbers -------------------------------------------------------------


def test_csv_rows_count_from_1_after_the_header_blank_lines_included(toy) -> None:
    body = HEADER + "k1,1\n" + "\n" + "k3,x\n" + "  \n" + "k5,-1\n" + "k6,6\n"
    response = toy.post(body)
    assert response.status_code == 201, response.text
    job = response.json()
    assert errors_of(job) == [(3, "value", "int_parsing"), (5, "value", "greater_than_equal")]
    assert (job["status"], job["inserted"], job["failed"]) == ("completed", 2, 2)
    assert (job["rows_read"], job["committed_row"]) == (6, 6)
    assert things(toy.engine) == {"k1": 1, "k6": 6}


def test_blank_lines_before_the_header_do_not_shift_row_numbers(toy) -> None:
    job = toy.post("\n\r\n" + HEADER + "k1,1\nk2,x\n").json()
    assert errors_of(job) == [(2, "value", "int_parsing")]
    assert job["rows_read"] == 2


def test_crlf_lines_and_a_bom_number_the_same(toy) -> None:
    body = ("\ufeff" + HEADER + "k1,1\nk2,x\nk3,3\n").replace("\n", "\r\n")
    job = toy.post(body).json()
    assert errors_of(job) == [(2, "value", "int_parsing")]
    assert things(toy.engine) == {"k1": 1, "k3": 3}


def test_json_lines_count_from_1(toy) -> None:
    body = (
        '{"key": "k1", "value": 1}\n'
        '{"key": "k2"}\n'
        "\n"
        "[1, 2]\n"
        '{"key": "k5", "value": 5, "colour": "red"}\n'
        '{"KEY": "k6", "Value": 6, "gone": null}\n'
    )
    response = toy.post(body, headers=JSONL)
    assert response.status_code == 201, response.text
    job = response.json()
    assert job["format"] == "jsonl"
    assert errors_of(job) == [
        (2, "value", "missing"),
        (4, "line", "json"),
        (5, "colour", "unknown_column"),
    ]
    assert things(toy.engine) == {"k1": 1, "k6": 6}


def test_a_last_line_without_a_break_is_kept_or_reported_as_truncated(toy) -> None:
    job = toy.post(HEADER + "k1,1\nk2,2").json()
    assert (job["inserted"], job["errors"]) == (2, [])
    job = toy.post(HEADER + "k3,3\nk4,").json()
    assert errors_of(job) == [(2, "value", "truncated")]
    assert "truncated" in job["errors"][0]["reason"]


# --- (b) bad rows never lose good ones ---------------------------------------------


def test_every_bad_row_is_reported_and_every_good_one_lands(toy) -> None:
    toy.knobs.batch_size = 2
    body = (
        HEADER
        + "k1,1\n"  # 1
        + "k2,1,extra\n"  # 2: field count
        + '"k3,1\n'  # 3: unclosed quote
        + "k4,4\n"  # 4
        + ("k5," + "9" * 70_000 + "\n")  # 5: longer than a line may be
        + "k6,6\n"  # 6
        + ",x\n"  # 7: no key, and a value that is no number
        + "k8,8\n"  # 8
        + f"k9,{UNLUCKY}\n"  # 9: refused by the store
        + "k10,10\n"  # 10
    )
    job = toy.post(body).json()
    assert job["status"] == "completed"
    assert errors_of(job) == [
        (2, "line", "field_count"),
        (3, "line", "csv"),
        (5, "line", "too_long"),
        (7, "key", "missing"),
        (7, "value", "int_parsing"),
        (9, "value", "unlucky"),
    ]
    assert job["failed"] == 5  # rows, not errors
    assert job["inserted"] == 5
    assert things(toy.engine) == {"k1": 1, "k4": 4, "k6": 6, "k8": 8, "k10": 10}


def test_a_second_import_updates_and_counts_unchanged(toy) -> None:
    toy.post(HEADER + "k1,1\nk2,2\n")
    job = toy.post(HEADER + "k1,1\nk2,5\nk3,3\n").json()
    assert (job["inserted"], job["updated"], job["unchanged"]) == (1, 1, 1)
    assert things(toy.engine) == {"k1": 1, "k2": 5, "k3": 3}


# --- (c) dry run -------------------------------------------------------------------


def test_a_dry_run_writes_no_rows_but_counts_and_reports_them(toy) -> None:
    toy.post(HEADER + "k1,1\n")
    toy.knobs.batch_size = 2
    response = toy.post(HEADER + "k1,1\nk2,2\nk3,x\nk1,7\nk5,5\n", params={"dry_run": "true"})
    assert response.status_code == 201, response.text
    job = response.json()
    assert (job["dry_run"], job["status"]) == (True, "completed")
    assert (job["inserted"], job["updated"], job["unchanged"], job["failed"]) == (2, 1, 1, 1)
    assert errors_of(job) == [(3, "value", "int_parsing")]
    assert things(toy.engine) == {"k1": 1}


# --- (d) batches, interruption and resume -----------------------------------------


BODY = HEADER + "k1,1\nk2,x\n" + lines(5, start=3)  # rows 1..7, row 2 bad
KEY = {"Idempotency-Key": "nightly-0001"}


def interrupted(toy: Toy) -> dict[str, Any]:
    """BODY posted in batches of 2 with the third batch failing."""
    toy.knobs.batch_size = 2
    toy.knobs.fail_on_batch = 3
    assert toy.post(BODY, headers=KEY).status_code == 500
    toy.knobs.fail_on_batch = None
    assert toy.jobs() == 1
    with toy.engine.connect() as conn:
        job_id = conn.execute(select(TABLES.jobs.c.id)).scalar_one()
    return toy.job(job_id)


def test_a_failed_batch_interrupts_the_job_after_the_committed_ones(toy) -> None:
    job = interrupted(toy)
    assert (job["status"], job["committed_row"], job["rows_read"]) == ("interrupted", 4, 4)
    assert (job["inserted"], job["failed"]) == (3, 1)
    assert errors_of(job) == [(2, "value", "int_parsing")]
    assert job["finished_at"] is None
    assert things(toy.engine) == {"k1": 1, "k3": 1, "k4": 1}


def test_the_same_file_and_key_resume_where_the_job_stopped(toy) -> None:
    first = interrupted(toy)
    before = len(toy.knobs.applied)
    response = toy.post(BODY, headers=KEY)
    assert response.status_code == 200, response.text
    job = response.json()
    assert job["id"] == first["id"]
    assert (job["status"], job["committed_row"], job["rows_read"]) == ("completed", 7, 7)
    assert (job["inserted"], job["updated"], job["unchanged"], job["failed"]) == (6, 0, 0, 1)
    assert errors_of(job) == [(2, "value", "int_parsing")]  # once
    assert job["finished_at"] is not None
    # Only the rows after the committed ones were written again.
    resumed = [rows for _, rows in toy.knobs.applied[before:] if rows]
    assert resumed == [[5, 6], [7]]
    assert things(toy.engine) == {f"k{i}": 1 for i in (1, 3, 4, 5, 6, 7)}
    with toy.engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(ToyImportError)).scalar_one()
    assert stored == 1


def test_a_completed_key_again_runs_nothing(toy) -> None:
    interrupted(toy)
    assert toy.post(BODY, headers=KEY).status_code == 200
    made, applied = toy.knobs.kinds_made, list(toy.knobs.applied)
    again = toy.post(BODY, headers=KEY)
    assert again.status_code == 200
    assert (again.json()["status"], again.json()["inserted"]) == ("completed", 6)
    assert (toy.knobs.kinds_made, toy.knobs.applied) == (made, applied)
    assert toy.jobs() == 1


def test_a_different_file_with_the_key_is_409_and_the_job_still_resumes(toy) -> None:
    interrupted(toy)
    changed = BODY.replace("k3,1", "k3,2")  # a committed line differs
    response = toy.post(changed, headers=KEY)
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    shorter = HEADER + "k1,1\nk2,x\nk3,1\n"  # ends before the committed lines do
    assert toy.post(shorter, headers=KEY).status_code == 409
    job = toy.job(toy_job_id(toy))
    assert (job["status"], job["committed_row"]) == ("interrupted", 4)
    # A refused resume wrote nothing, and left the job resumable.
    assert things(toy.engine) == {"k1": 1, "k3": 1, "k4": 1}
    resumed = toy.post(BODY, headers=KEY)
    assert (resumed.status_code, resumed.json()["status"]) == (200, "completed")


def toy_job_id(toy: Toy) -> int:
    with toy.engine.connect() as conn:
        return int(conn.execute(select(TABLES.jobs.c.id)).scalar_one())


def test_the_key_of_another_account_or_other_parameters_is_409(toy) -> None:
    interrupted(toy)
    other = toy.post(BODY, headers={**KEY, "X-Actor": "importer.b"})
    assert other.status_code == 409
    assert "another account" in other.json()["detail"]
    dry = toy.post(BODY, headers=KEY, params={"dry_run": "true"})
    assert dry.status_code == 409
    jsonl = toy.post('{"key": "k1", "value": 1}\n', headers={**KEY, **JSONL})
    assert jsonl.status_code == 409
    assert toy.jobs() == 1
    assert toy.job(toy_job_id(toy))["status"] == "interrupted"
    # After completion too.
    assert toy.post(BODY, headers=KEY).status_code == 200
    assert toy.post(BODY, headers={**KEY, "X-Actor": "importer.b"}).status_code == 409


def test_a_running_job_is_not_resumed_until_its_heartbeat_is_old(toy) -> None:
    interrupted(toy)
    jobs = TABLES.jobs
    with toy.engine.begin() as conn:
        conn.execute(update(jobs).values(status="running", heartbeat_at=now_utc()))
    assert toy.post(BODY, headers=KEY).status_code == 409
    with toy.engine.begin() as conn:
        conn.execute(update(jobs).values(heartbeat_at=now_utc() - timedelta(minutes=10)))
    resumed = toy.post(BODY, headers=KEY)
    assert (resumed.status_code, resumed.json()["status"]) == (200, "completed")
    assert resumed.json()["inserted"] == 6


# --- (e) prepare --------------------------------------------------------------------


def test_prepare_runs_outside_the_batch_transaction_and_its_errors_keep_their_rows(toy) -> None:
    toy.knobs.batch_size = 3
    toy.knobs.refused = {"k2", "k5", "k7"}
    job = toy.post(HEADER + lines(4) + "k5,x\n" + lines(3, start=6)).json()
    assert errors_of(job) == [
        (2, "key", "refused"),
        (5, "value", "int_parsing"),  # never reached prepare
        (7, "key", "refused"),
    ]
    assert things(toy.engine) == {f"k{i}": 1 for i in (1, 3, 4, 6, 8)}
    prepared = toy.knobs.prepared
    assert [rows for _, rows in prepared] == [[1, 2, 3], [4, 6], [7, 8]]
    # No connection was out while prepare ran: no transaction open, no lock held.
    assert [out for out, _ in prepared] == [0, 0, 0]
    # apply_batch ran in the batch's transaction, on what prepare kept.
    assert [rows for _, rows in toy.knobs.applied] == [[1, 3], [4, 6], [8]]
    assert all(out >= 1 for out, _ in toy.knobs.applied)


# --- (f) charsets --------------------------------------------------------------------


def test_a_big5_body_declared_as_big5_is_read(toy) -> None:
    body = (HEADER + "中文,1\n碁銹,2\n人事,x\n").encode("cp950")
    response = toy.post(body, headers={"Content-Type": 'text/csv; charset="big5"'})
    assert response.status_code == 201, response.text
    job = response.json()
    assert job["encoding"] == "cp950"
    assert errors_of(job) == [(3, "value", "int_parsing")]
    assert things(toy.engine) == {"中文": 1, "碁銹": 2}


def test_a_big5_line_in_a_utf8_file_is_an_encoding_error(toy) -> None:
    body = (HEADER + "k1,1\n").encode() + "中文,2\n".encode("cp950") + b"k3,3\n"
    job = toy.post(body).json()
    assert job["encoding"] == "utf-8"
    assert errors_of(job) == [(2, "line", "encoding")]
    assert things(toy.engine) == {"k1": 1, "k3": 3}


def test_a_charset_not_accepted_is_415_and_opens_no_job(toy) -> None:
    response = toy.post(HEADER + "k1,1\n", headers={"Content-Type": "text/csv; charset=latin-1"})
    assert response.status_code == 415
    assert "latin-1" in response.json()["detail"]
    assert toy.post(HEADER, headers={"Content-Type": "application/xml"}).status_code == 415
    assert toy.jobs() == 0


# --- (g) the error CSV ---------------------------------------------------------------


def test_the_error_csv_has_a_bom_a_header_and_every_error_in_row_order(toy) -> None:
    toy.knobs.batch_size = 250
    body, expected = [HEADER], []
    for i in range(1, 1402):
        kind = i % 4
        if kind == 0:
            body.append(f"k{i},1\n")
        elif kind == 1:
            body.append(f"k{i},x\n")
            expected.append((i, "value", "int_parsing"))
        elif kind == 2:
            body.append(f"r{i},1\n")
            toy.knobs.refused.add(f"r{i}")
            expected.append((i, "key", "refused"))
        else:
            body.append(f"k{i},{UNLUCKY}\n")
            expected.append((i, "value", "unlucky"))
    job = toy.post("".join(body)).json()
    assert len(expected) > 1000  # more than one page of errors
    assert job["failed"] == len(expected)
    assert job["errors_truncated"] is True
    assert errors_of(job) == expected[:100]

    response = toy.client.get(f"/things/imports/{job['id']}/errors.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert f"import-{job['id']}-errors.csv" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["row", "field", "reason", "code"]
    assert [(int(r), f, c) for r, f, _, c in rows[1:]] == expected
    assert all(reason for _, _, reason, _ in rows[1:])


def test_a_job_without_errors_has_a_header_only_error_csv(toy) -> None:
    job = toy.post(HEADER + "k1,1\n").json()
    response = toy.client.get(f"/things/imports/{job['id']}/errors.csv")
    assert response.content == b"\xef\xbb\xbfrow,field,reason,code\r\n"


# --- (h) header problems ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("", "empty"),
        ("\n\n \n", "empty"),
        ("key,other\nk1,1\n", "value"),
        ("value\n1\n", "key"),
        ("key,value,colour\nk1,1,red\n", "at position 3"),
        ("key,value,Key\nk1,1,k1\n", "twice"),
        ('key,"value\n', "CSV"),
    ],
)
def test_header_problems_are_422_on_the_body_and_open_no_job(toy, body, says) -> None:
    response = toy.post(body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["errors"][0]["field"] == "body"
    assert problem["errors"][0]["code"] == "header"
    assert says in problem["detail"]
    assert toy.jobs() == 0


def test_a_header_that_is_not_the_declared_charset_is_422(toy) -> None:
    response = toy.post("鍵,value\n".encode("cp950"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body"


# --- a body in pieces ---------------------------------------------------------------------


def test_a_body_streamed_in_pieces_reads_as_one(toy) -> None:
    pieces = [b"\xef", b"\xbb\xbfke", b"y,value\nk1,", b"1\nk2,x\n", b"k3,3"]
    response = toy.post_pieces(pieces)
    assert response.status_code == 201, response.text
    assert errors_of(response.json()) == [(2, "value", "int_parsing")]
    assert things(toy.engine) == {"k1": 1, "k3": 3}


def test_blank_lines_in_a_piece_before_the_header_are_skipped(toy) -> None:
    response = toy.post_pieces([b"\r\n\n", b"key,value\nk1,1\n"])
    assert response.status_code == 201, response.text
    assert things(toy.engine) == {"k1": 1}
