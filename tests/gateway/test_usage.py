"""The gateway notes which permission family each account used, per Taipei day,
and reports it to the directory in one batched call (for the account review)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import httpx

from gateway.usage import MAX_ENTRIES, UsageRecorder
from services.common.timeutil import today_taipei
from services.directory.schemas import MAX_USAGE_ENTRIES, UsageReport
from tests.gateway.harness import account, build

TRAINING_AUDIT = "/api/training/audit/personal-data-reads"
DIRECTORY_AUDIT = "/api/directory/audit/personal-data-reads"


def get(gw, path: str, who: str | None = "alice"):
    headers = {"Authorization": f"Bearer {gw.token(who)}"} if who else {}
    return gw.client.get(path, headers=headers)


def flush(gw) -> bool:
    """Flush on the loop the gateway runs on."""
    return gw.client.portal.call(gw.runtime().usage.flush)


def test_allowed_requests_are_sent_in_one_call_each_entry_once(gw):
    gw.accounts["bob"] = account(
        "bob", permissions=["training:audit:read:agency", "gateway:audit:read"]
    )
    for _ in range(3):
        assert get(gw, TRAINING_AUDIT).status_code == 200
    assert get(gw, DIRECTORY_AUDIT).status_code == 200
    assert get(gw, TRAINING_AUDIT, "bob").status_code == 200
    assert get(gw, TRAINING_AUDIT, "bob").status_code == 200
    # The gateway's own audit query is a use of a permission too.
    assert get(gw, "/audit/decisions", "bob").status_code == 200
    assert gw.usage.calls == []  # nothing is sent per request

    assert flush(gw) is True
    today = today_taipei().isoformat()
    assert len(gw.usage.calls) == 1
    assert gw.usage.entries() == [
        ("alice", "directory:audit:read", today),
        ("alice", "training:audit:read", today),
        ("bob", "gateway:audit:read", today),
        ("bob", "training:audit:read", today),
    ]
    # On the gateway's own identity, which the fake directory checks for
    # directory:principals:resolve; in the shape the directory takes.
    assert gw.usage.callers == ["gateway"]
    UsageReport.model_validate(gw.usage.calls[0])
    assert gw.runtime().usage.pending == set()
    assert flush(gw) is True
    assert len(gw.usage.calls) == 1  # nothing new: no call


def test_denied_requests_record_nothing(gw):
    gw.accounts["carol"] = account("carol", status="disabled")
    assert get(gw, TRAINING_AUDIT, None).status_code == 401  # no token
    assert get(gw, "/api/training/records").status_code == 403  # not granted
    assert get(gw, "/api/training/nothing").status_code == 404  # no such route
    assert get(gw, TRAINING_AUDIT, "carol").status_code in (401, 403)  # disabled
    assert get(gw, "/audit/decisions").status_code == 403
    assert gw.runtime().usage.pending == set()
    assert flush(gw) is True
    assert gw.usage.calls == []


def test_a_request_the_service_never_got_is_not_a_use(tmp_path):
    urls = {s: f"http://{s}.internal" for s in ("directory", "training", "certs", "speakers")}
    urls["attendance"] = "http://unreachable.internal"
    client, gw = build(tmp_path, service_urls=urls)
    with client:
        response = get(gw, "/api/attendance/audit/personal-data-reads")
        assert response.status_code == 503
        assert gw.runtime().usage.pending == set()


def test_a_failed_flush_keeps_the_entries_for_the_next(gw):
    assert get(gw, TRAINING_AUDIT).status_code == 200
    today = today_taipei()
    for failure in (503, 401, "raise"):
        gw.usage.fail_with = failure
        assert flush(gw) is False
        assert ("alice", "training:audit:read", today) in gw.runtime().usage.pending
        # Requests are not held up or failed meanwhile.
        assert get(gw, DIRECTORY_AUDIT).status_code == 200
    assert len(gw.runtime().usage.pending) == 2
    gw.usage.fail_with = None
    assert flush(gw) is True
    assert len(gw.usage.calls) == 1
    day = today.isoformat()
    assert gw.usage.entries() == [
        ("alice", "directory:audit:read", day),
        ("alice", "training:audit:read", day),
    ]


def test_a_batch_the_directory_refuses_is_dropped(gw):
    assert get(gw, TRAINING_AUDIT).status_code == 200
    gw.usage.fail_with = 422
    assert flush(gw) is False
    assert gw.runtime().usage.pending == set()


def test_what_is_left_is_sent_at_shutdown(tmp_path):
    client, gw = build(tmp_path)
    with client:
        assert get(gw, TRAINING_AUDIT).status_code == 200
        assert gw.usage.calls == []
    assert gw.usage.entries() == [("alice", "training:audit:read", today_taipei().isoformat())]


# --- the recorder on its own ---------------------------------------------------


def test_what_the_gateway_holds_fits_one_call():
    assert MAX_ENTRIES == MAX_USAGE_ENTRIES


class Directory:
    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.bodies: list[dict] = []
        self.during: list[object] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        for action in self.during:
            action()  # type: ignore[operator]
        if self.status != 200:
            return httpx.Response(self.status)
        self.bodies.append(json.loads(request.content))
        return httpx.Response(200, json={})


def _recorder(directory: Directory, **kwargs) -> tuple[UsageRecorder, httpx.AsyncClient]:
    client = httpx.AsyncClient(transport=httpx.MockTransport(directory.handle))
    return UsageRecorder(client, "http://directory", lambda: "token", **kwargs), client


def test_the_set_is_bounded_and_wakes_the_flusher_when_full():
    async def run() -> None:
        directory = Directory()
        recorder, client = _recorder(directory, max_entries=2)
        recorder.note("a", "training:records:read")
        recorder.note("a", "training:records:read")  # again: no new entry
        recorder.note("b", "training:records:read")
        assert not recorder._full.is_set()
        recorder.note("c", "training:records:read")  # full: dropped
        assert recorder._full.is_set() and recorder.dropped == 1
        assert {e[0] for e in recorder.pending} == {"a", "b"}
        assert await recorder.flush() is True
        assert [e["account"] for e in directory.bodies[0]["entries"]] == ["a", "b"]
        assert recorder.dropped == 0  # logged and reset
        await client.aclose()

    asyncio.run(run())


def test_a_failed_batch_goes_back_within_the_bound():
    async def run() -> None:
        directory = Directory(status=503)
        recorder, client = _recorder(directory, max_entries=3)
        recorder.note("a", "x:y")
        recorder.note("b", "x:y")
        # Noted while the failing call is in flight: these take the room first.
        directory.during = [lambda: recorder.note("c", "x:y"), lambda: recorder.note("d", "x:y")]
        assert await recorder.flush() is False
        assert sorted(e[0] for e in recorder.pending) == ["a", "c", "d"]
        assert recorder.dropped == 1
        await client.aclose()

    asyncio.run(run())


def test_the_day_is_the_taipei_day():
    # 15:59:59 UTC is 23:59:59 in Taipei; two seconds later it is the next day there.
    now = [datetime(2026, 11, 29, 15, 59, 59, tzinfo=UTC).timestamp()]

    async def run() -> None:
        directory = Directory()
        recorder, client = _recorder(directory, clock=lambda: now[0])
        recorder.note("a", "x:y")
        now[0] += 2
        recorder.note("a", "x:y")
        recorder.note("a", "x:y")
        assert await recorder.flush() is True
        assert [e["used_on"] for e in directory.bodies[0]["entries"]] == [
            "2026-11-29",
            "2026-11-30",
        ]
        await client.aclose()

    asyncio.run(run())


def test_the_background_task_flushes_every_interval():
    async def run() -> None:
        directory = Directory()
        recorder, client = _recorder(directory, interval_seconds=0.05)
        recorder.start()
        recorder.note("a", "x:y")
        for _ in range(100):
            if directory.bodies:
                break
            await asyncio.sleep(0.02)
        assert len(directory.bodies) == 1
        recorder.note("b", "x:y")
        await recorder.aclose()
        assert [e["account"] for b in directory.bodies for e in b["entries"]] == ["a", "b"]
        await client.aclose()

    asyncio.run(run())


def test_a_full_set_is_flushed_before_the_interval():
    async def run() -> None:
        directory = Directory()
        recorder, client = _recorder(directory, max_entries=1, interval_seconds=3600)
        recorder.start()
        await asyncio.sleep(0)  # let the flusher start waiting
        recorder.note("a", "x:y")
        recorder.note("b", "x:y")  # full: wakes the flusher
        for _ in range(100):
            if directory.bodies:
                break
            await asyncio.sleep(0.02)
        assert [e["account"] for e in directory.bodies[0]["entries"]] == ["a"]
        await recorder.aclose()
        await client.aclose()

    asyncio.run(run())
