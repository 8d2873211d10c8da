"""Imports answered 202 and run as jobs (services/common/importing/queue), on the
toy import: when a request is queued, the job listed and its progress exact, the
job run by a worker after the request has gone, failures with their reason, the
same job for a re-posted key, one worker per job, and a lease run out re-claimed.

Workers are driven by `run_once` (or `claim`), never by waiting on time.
"""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select, update

from services.common.importing.progress import percent
from services.common.importing.queue import (
    HeldImport,
    ImportQueue,
    PortableImport,
    portable_import,
    prefers_async,
)
from services.common.timeutil import now_utc
from tests.common.conftest import Toy
from tests.common.importing_toy import (
    TABLES,
    UNLUCKY,
    ThingImport,
    things,
)

HEADER = "key,value\n"
ASYNC = {"Prefer": "respond-async"}


def body_of(n: int, *, bad: set[int] | None = None) -> str:
    """A header and n data rows; rows in `bad` carry a value the store refuses."""
    rows = [f"k{i},{UNLUCKY if i in (bad or set()) else i}\n" for i in range(1, n + 1)]
    return HEADER + "".join(rows)


def run_worker(toy: Toy) -> int | None:
    return asyncio.run(toy.queue.run_once())


def listed(toy: Toy, **params: Any) -> list[dict[str, Any]]:
    response = toy.client.get("/things/imports", params=params)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    assert set(page) == {"items", "next_cursor", "limit"}
    items: list[dict[str, Any]] = page["items"]
    return items


def test_prefer_respond_async_answers_202_before_any_row_is_written(toy: Toy) -> None:
    body = body_of(5)
    response = toy.post(body, headers=ASYNC)
    assert response.status_code == 202, response.text
    job = response.json()
    assert response.headers["location"] == f"imports/{job['id']}"
    assert response.headers["preference-applied"] == "respond-async"
    assert (job["status"], job["spooled"]) == ("queued", True)
    assert job["progress"] == {
        "bytes_read": 0,
        "bytes_total": len(body),
        "rows_done": 0,
        "rows_failed": 0,
        "percent": "0.00",
    }
    # The request is over and nothing is written: the job runs without it.
    assert things(toy.engine) == {}
    assert toy.knobs.kinds_made == 0
    assert run_worker(toy) == job["id"]
    done = toy.job(job["id"])
    assert (done["status"], done["inserted"], done["rows_read"]) == ("completed", 5, 5)
    assert things(toy.engine) == {f"k{i}": i for i in range(1, 6)}
    assert run_worker(toy) is None  # nothing left to claim
    assert list(toy.queue.spool_dir.iterdir()) == []  # the spooled body is gone


def test_a_body_above_the_threshold_is_queued_and_one_at_it_runs_in_its_request(
    toy: Toy,
) -> None:
    body = body_of(3)
    toy.client.app.state.settings = SimpleNamespace(import_async_bytes=len(body))  # type: ignore[attr-defined]
    at = toy.post(body)
    assert at.status_code == 201, at.text
    assert at.json()["status"] == "completed"
    above = toy.post(body + "k9,9\n")
    assert above.status_code == 202, above.text
    # Queued by size, not asked for: no preference was applied.
    assert "preference-applied" not in above.headers
    assert above.json()["status"] == "queued"


@pytest.mark.parametrize(
    ("value", "wanted"),
    [
        ("respond-async", True),
        ("RESPOND-ASYNC", True),
        ("return=minimal, respond-async; wait=10", True),
        ("wait=10", False),
        ("respond-asynchronously", False),
        ("", False),
    ],
)
def test_the_prefer_header_is_read_as_rfc_7240_says(value: str, wanted: bool) -> None:
    request = SimpleNamespace(headers=_Headers({"prefer": [value]}))
    assert prefers_async(request) is wanted  # type: ignore[arg-type]


class _Headers:
    def __init__(self, values: dict[str, list[str]]) -> None:
        self.values = values

    def getlist(self, name: str) -> list[str]:
        return self.values.get(name, [])


def test_a_job_is_listed_queued_running_and_completed_with_exact_progress(toy: Toy) -> None:
    body = body_of(5, bad={4})
    toy.knobs.batch_size = 2
    job_id = toy.post(body, headers=ASYNC).json()["id"]
    assert [(j["id"], j["status"]) for j in listed(toy)] == [(job_id, "queued")]
    seen: list[tuple[list[int], str, dict[str, Any]]] = []

    def look(rows: list[int]) -> None:
        (job,) = listed(toy, status="running")
        seen.append((rows, job["status"], job["progress"]))

    toy.knobs.during_batch = look
    assert run_worker(toy) == job_id
    # Each batch sees the progress the batches before it committed; the whole
    # body (one read of the spooled file) was read before the first.
    total = len(body)
    assert [(rows, status, p["rows_done"], p["rows_failed"]) for rows, status, p in seen] == [
        ([1, 2], "running", 0, 0),
        ([3, 4], "running", 2, 0),
        ([5], "running", 4, 1),
    ]
    assert [p["bytes_read"] for _, _, p in seen] == [0, total, total]
    assert [p["bytes_total"] for _, _, p in seen] == [total] * 3
    assert listed(toy, status="running") == []
    (done,) = listed(toy, status="completed")
    assert done["progress"] == {
        "bytes_read": total,
        "bytes_total": total,
        "rows_done": 5,  # the header is no row
        "rows_failed": 1,
        "percent": "100.00",
    }
    assert done["finished_at"] is not None


def test_an_import_in_its_request_shows_its_progress_too(toy: Toy) -> None:
    body = body_of(4)
    job = toy.post(body).json()
    assert job["progress"] == {
        "bytes_read": len(body),
        "bytes_total": len(body),
        "rows_done": 4,
        "rows_failed": 0,
        "percent": "100.00",
    }


@pytest.mark.parametrize(
    ("done", "total", "shown"),
    [
        (0, None, None),
        (5, None, None),
        (0, 0, "100"),
        (0, 3, "0.00"),
        (1, 3, "33.33"),
        (2, 3, "66.66"),  # rounded down: 100 only once all is read
        (2999, 3000, "99.96"),
        (3000, 3000, "100.00"),
        (3001, 3000, "100.00"),
    ],
)
def test_the_percentage_of_bytes_read(done: int, total: int | None, shown: str | None) -> None:
    value = percent(done, total)
    assert (None if value is None else str(value)) == shown


def test_the_list_shows_only_the_callers_jobs_and_filters_by_status(toy: Toy) -> None:
    mine = toy.post(body_of(1), headers=ASYNC).json()["id"]
    other = toy.post(body_of(1), headers={**ASYNC, "X-Actor": "importer.b"}).json()["id"]
    # importer.b's job is kept for agency A01: another A01 importer reads it, an
    # A02 one does not (and reads none of A01's).
    assert [j["id"] for j in listed(toy)] == [other, mine]
    a02 = toy.client.get("/things/imports", headers={"X-Actor": "importer.c", "X-Agencies": "A02"})
    assert a02.json()["items"] == []
    assert listed(toy, status="completed") == []
    assert run_worker(toy) == mine
    assert [j["id"] for j in listed(toy, status="completed")] == [mine]
    assert [j["id"] for j in listed(toy, status="queued")] == [other]
    page = toy.client.get("/things/imports", params={"limit": 1}).json()
    assert [j["id"] for j in page["items"]] == [other]
    rest = toy.client.get("/things/imports", params={"limit": 1, "cursor": page["next_cursor"]})
    assert [j["id"] for j in rest.json()["items"]] == [mine]
    assert rest.json()["next_cursor"] is None


def test_a_header_the_import_refuses_is_422_at_once_and_queues_nothing(toy: Toy) -> None:
    response = toy.post("key,colour\nk1,red\n", headers=ASYNC)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["errors"][0]["field"] == "body"
    assert "value" in problem["detail"]  # the missing column is named
    assert toy.jobs() == 0
    assert list(toy.queue.spool_dir.iterdir()) == []


def test_a_job_that_stops_on_a_problem_shows_failed_with_its_reason(toy: Toy) -> None:
    toy.knobs.peer_down = True
    job_id = toy.post(body_of(2), headers=ASYNC).json()["id"]
    assert run_worker(toy) == job_id
    job = toy.job(job_id)
    assert (job["status"], job["failure"]) == (
        "failed",
        "the peer that knows the keys is unavailable",
    )
    assert job["finished_at"] is not None
    assert things(toy.engine) == {}
    (listed_job,) = listed(toy, status="failed")
    assert listed_job["failure"] == job["failure"]


def test_a_batch_that_breaks_fails_the_job_after_the_committed_batches(toy: Toy) -> None:
    toy.knobs.batch_size = 2
    toy.knobs.fail_on_batch = 2
    job_id = toy.post(body_of(5), headers=ASYNC).json()["id"]
    run_worker(toy)
    job = toy.job(job_id)
    assert job["status"] == "failed"
    assert job["failure"] == "the import stopped on an internal error (logged with the job's id)"
    assert (job["committed_row"], job["progress"]["rows_done"]) == (2, 2)
    assert things(toy.engine) == {"k1": 1, "k2": 2}


def test_a_failed_job_re_posted_with_its_key_resumes_after_its_committed_rows(toy: Toy) -> None:
    toy.knobs.batch_size = 2
    toy.knobs.fail_on_batch = 2
    key = {**ASYNC, "Idempotency-Key": "resume-0001"}
    body = body_of(5)
    job_id = toy.post(body, headers=key).json()["id"]
    run_worker(toy)
    toy.knobs.fail_on_batch = None
    again = toy.post(body, headers=key)
    assert again.status_code == 202, again.text
    assert again.json()["id"] == job_id
    assert again.json()["status"] == "queued"
    toy.knobs.applied.clear()
    assert run_worker(toy) == job_id
    # The committed rows 1–2 are skipped, not written again.
    assert [rows for _, rows in toy.knobs.applied] == [[3, 4], [5]]
    assert toy.job(job_id)["status"] == "completed"
    assert toy.jobs() == 1


def test_the_same_key_re_posted_answers_the_same_job(toy: Toy) -> None:
    key = {**ASYNC, "Idempotency-Key": "same-job-01"}
    first = toy.post(body_of(3), headers=key)
    again = toy.post(body_of(3), headers=key)
    # Without Prefer, and small: still the job a worker runs, not a second run.
    plain = toy.post(body_of(3), headers={"Idempotency-Key": "same-job-01"})
    assert [r.status_code for r in (first, again, plain)] == [202, 202, 202]
    assert {r.json()["id"] for r in (first, again, plain)} == {first.json()["id"]}
    assert {r.headers["location"] for r in (first, again, plain)} == {
        f"imports/{first.json()['id']}"
    }
    assert toy.jobs() == 1
    assert run_worker(toy) == first.json()["id"]
    assert run_worker(toy) is None
    done = toy.post(body_of(3), headers=key)
    assert (done.status_code, done.json()["status"]) == (202, "completed")
    assert toy.knobs.kinds_made == 1


def test_two_workers_never_claim_the_same_job(toy: Toy) -> None:
    ids = [toy.post(body_of(1), headers=ASYNC).json()["id"] for _ in range(6)]
    held = HeldImport(
        TABLES, lambda job: ThingImport(toy.engine, toy.knobs, job.dry_run), (), None, 10
    )
    workers = [ImportQueue(toy.engine, toy.queue.spool_dir, name=f"w{i}") for i in range(2)]
    for worker in workers:
        for job_id in ids:
            worker.hold(held, job_id)
    claimed: list[list[int]] = [[], []]
    start = threading.Barrier(2)

    def claim_all(i: int) -> None:
        start.wait()
        while (got := workers[i].claim()) is not None:
            claimed[i].append(got[1])

    threads = [threading.Thread(target=claim_all, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed[0] + claimed[1]) == ids
    assert not set(claimed[0]) & set(claimed[1])
    with toy.engine.connect() as conn:
        rows = conn.execute(select(TABLES.jobs.c.id, TABLES.jobs.c.worker)).all()
    assert {job_id: worker for job_id, worker in rows} == {
        **{job_id: "w0" for job_id in claimed[0]},
        **{job_id: "w1" for job_id in claimed[1]},
    }


def test_a_running_job_is_claimed_again_only_once_its_lease_ran_out(toy: Toy) -> None:
    job_id = toy.post(body_of(2), headers=ASYNC).json()["id"]
    claimed = toy.queue.claim()
    assert claimed is not None and claimed[1] == job_id
    # Its worker died: the job is running, and its heartbeat is not old yet.
    assert toy.queue.claim() is None
    jobs = TABLES.jobs
    old = now_utc() - timedelta(seconds=toy.queue.lease_seconds + 1)
    with toy.engine.begin() as conn:
        conn.execute(update(jobs).where(jobs.c.id == job_id).values(heartbeat_at=old))
    assert run_worker(toy) == job_id
    assert toy.job(job_id)["status"] == "completed"
    assert things(toy.engine) == {"k1": 1, "k2": 2}


# --- portable imports: any replica's worker ------------------------------------------

PORTABLE_SERVICE = "toy-replicas"


def _portable(toy: Toy) -> None:
    portable_import(
        PORTABLE_SERVICE,
        "toy",
        PortableImport(
            TABLES,
            lambda job, _settings: ThingImport(toy.engine, toy.knobs, job.dry_run),
            ThingImport.required,
            ThingImport.known,
            batch_size=2,
        ),
    )


def test_a_portable_import_is_run_by_a_replica_that_never_saw_the_request(toy: Toy) -> None:
    _portable(toy)
    job_id = toy.post(body_of(3), headers=ASYNC).json()["id"]
    # Another replica: its own queue, the same database and spool folder, no job held.
    replica = ImportQueue(toy.engine, toy.queue.spool_dir, name="r2", service=PORTABLE_SERVICE)
    assert replica.held_ids() == {}
    assert asyncio.run(replica.run_once()) == job_id
    assert toy.job(job_id)["status"] == "completed"
    assert things(toy.engine) == {"k1": 1, "k2": 2, "k3": 3}
    # The ended job still names the replica that ran it.
    with toy.engine.connect() as conn:
        ran_by = conn.execute(
            select(TABLES.jobs.c.worker).where(TABLES.jobs.c.id == job_id)
        ).scalar_one()
    assert ran_by == "r2"
    # The accepting process finds it ended and lets it go, running nothing.
    assert toy.queue.held_ids() == {"toy_import_jobs": [job_id]}
    assert run_worker(toy) is None
    assert toy.queue.held_ids() == {}


def test_two_replicas_never_claim_the_same_portable_job(toy: Toy) -> None:
    _portable(toy)
    ids = [toy.post(body_of(1), headers=ASYNC).json()["id"] for _ in range(6)]
    replicas = [
        ImportQueue(toy.engine, toy.queue.spool_dir, name=f"r{i}", service=PORTABLE_SERVICE)
        for i in range(2)
    ]
    claimed: list[list[int]] = [[], []]
    start = threading.Barrier(2)

    def claim_all(i: int) -> None:
        start.wait()
        while (got := replicas[i].claim()) is not None:
            claimed[i].append(got[1])

    threads = [threading.Thread(target=claim_all, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed[0] + claimed[1]) == ids
    assert not set(claimed[0]) & set(claimed[1])


# --- the lease and a stopping worker ------------------------------------------------


def _heartbeat_of(toy: Toy, job_id: int) -> Any:
    jobs = TABLES.jobs
    with toy.engine.connect() as conn:
        return conn.execute(select(jobs.c.heartbeat_at).where(jobs.c.id == job_id)).scalar_one()


def test_the_heartbeat_keeps_the_lease_of_a_long_batch(toy: Toy) -> None:
    """While one batch takes longer than the lease, the heartbeat renews it: no
    other worker claims the job."""
    toy.queue.lease_seconds = 0.2  # a beat every 0.05 s
    job_id = toy.post(body_of(1), headers=ASYNC).json()["id"]
    other = ImportQueue(toy.engine, toy.queue.spool_dir, name="other", lease_seconds=0.2)
    other.hold(
        HeldImport(TABLES, lambda job: ThingImport(toy.engine, toy.knobs, False), (), None, 10),
        job_id,
    )
    claims: list[object] = []

    def long_batch(rows: list[int]) -> None:
        started = _heartbeat_of(toy, job_id)
        deadline = time.monotonic() + 20
        # Several beats: the lease outlived, and renewed each time.
        while _heartbeat_of(toy, job_id) - started < timedelta(seconds=0.5):
            assert time.monotonic() < deadline, "no heartbeat renewed the lease"
            claims.append(other.claim())
            time.sleep(0.01)

    toy.knobs.during_batch = long_batch
    assert run_worker(toy) == job_id
    assert claims and all(c is None for c in claims)
    assert toy.job(job_id)["status"] == "completed"


def test_a_worker_stopped_mid_job_puts_it_back_and_it_resumes(toy: Toy) -> None:
    toy.knobs.batch_size = 1
    job_id = toy.post(body_of(3), headers=ASYNC).json()["id"]

    async def stop_during_second_batch() -> None:
        loop = asyncio.get_running_loop()
        second = asyncio.Event()
        release = threading.Event()

        def look(rows: list[int]) -> None:
            if rows == [2]:
                loop.call_soon_threadsafe(second.set)
                assert release.wait(20)

        toy.knobs.during_batch = look
        task = asyncio.create_task(toy.queue.run_once())
        await asyncio.wait_for(second.wait(), 20)
        task.cancel()
        release.set()  # the batch in flight ends; the job stops after it
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(stop_during_second_batch())
    stopped = toy.job(job_id)
    assert (stopped["status"], stopped["committed_row"]) == ("queued", 2)
    toy.knobs.during_batch = None
    toy.knobs.applied.clear()
    assert run_worker(toy) == job_id
    # Rows 1 and 2 were committed before the stop: only row 3 is written now.
    assert [rows for _, rows in toy.knobs.applied if rows] == [[3]]
    assert toy.job(job_id)["status"] == "completed"
    assert things(toy.engine) == {"k1": 1, "k2": 2, "k3": 3}


def test_a_worker_whose_lease_was_taken_over_writes_nothing_more(toy: Toy) -> None:
    """The lease is a fence: once another worker has claimed the job, the first
    one's next batch is rolled back, and the job goes on from the last commit."""
    toy.knobs.batch_size = 1
    job_id = toy.post(body_of(3), headers=ASYNC).json()["id"]
    held = HeldImport(
        TABLES,
        lambda job: ThingImport(toy.engine, toy.knobs, job.dry_run),
        ThingImport.required,
        ThingImport.known,
        1,
    )
    other = ImportQueue(toy.engine, toy.queue.spool_dir, name="other")
    other.hold(held, job_id)
    jobs = TABLES.jobs

    def make_stale() -> None:
        old = now_utc() - timedelta(seconds=toy.queue.lease_seconds + 1)
        with toy.engine.begin() as conn:
            conn.execute(update(jobs).where(jobs.c.id == job_id).values(heartbeat_at=old))

    def take_over(rows: list[int]) -> None:
        if rows == [2]:
            make_stale()
            assert other.claim() is not None

    toy.knobs.during_batch = take_over
    assert run_worker(toy) == job_id
    job = toy.job(job_id)
    assert (job["status"], job["committed_row"]) == ("running", 1)
    assert things(toy.engine) == {"k1": 1}  # row 2's batch was rolled back
    assert toy.queue.spool_path(TABLES, job_id).exists()  # the new worker reads it
    with toy.engine.connect() as conn:
        assert conn.execute(select(jobs.c.worker).where(jobs.c.id == job_id)).scalar() == "other"

    toy.knobs.during_batch = None
    make_stale()  # the new worker, too, stopped: a third run resumes
    assert asyncio.run(other.run_once()) == job_id
    assert toy.job(job_id)["status"] == "completed"
    assert things(toy.engine) == {"k1": 1, "k2": 2, "k3": 3}
