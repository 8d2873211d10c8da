"""The gateway's own HTTP/1.1 forwarder against raw upstreams that misbehave in
the ways real ones do: keep-alive connections closed just as they are reused,
answers framed by chunks or by the end of the connection, large answers,
malformed ones, HEAD and 204, request bodies re-framed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
import uvloop
from starlette.requests import Request

from gateway import h1_forwarder
from gateway.h1_forwarder import H1Forwarder
from gateway.settings import GatewaySettings
from services.common.errors import Problem

# An upstream: given the raw request (head and body) and the number of the
# request on its connection, the bytes to answer, or None to close unanswered.
Answer = Callable[[bytes, int], bytes | None]


def _ok(body: bytes = b"hello", extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n%s\r\n%s" % (len(body), extra, body)


class Upstream:
    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.connections = 0
        self.requests: list[bytes] = []
        self.server: asyncio.Server | None = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        number = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                body = b""
                lowered = head.lower()
                if b"content-length:" in lowered:
                    length = int(lowered.split(b"content-length:")[1].split(b"\r\n")[0])
                    body = await reader.readexactly(length)
                elif b"transfer-encoding: chunked" in lowered:
                    body = await reader.readuntil(b"0\r\n\r\n")
                number += 1
                self.requests.append(head + body)
                answer = self.answer(head + body, number)
                if answer is None:
                    break
                writer.write(answer)
                await writer.drain()
                if b"connection: close" in answer:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()


def _request(method: str = "GET", body: list[bytes] | None = None, length: bool = True) -> Request:
    chunks = list(body or [])
    headers = [(b"host", b"gateway"), (b"x-request-id", b"r1")]
    if body is not None and length:
        headers.append((b"content-length", str(sum(map(len, chunks))).encode()))
    if body is not None and not length:
        headers.append((b"transfer-encoding", b"chunked"))
    scope: dict[str, Any] = {
        "type": "http",
        "method": method,
        "path": "/x",
        "query_string": b"",
        "headers": headers,
    }

    async def receive() -> dict[str, Any]:
        if chunks:
            return {"type": "http.request", "body": chunks.pop(0), "more_body": bool(chunks)}
        return {"type": "http.request", "body": b"", "more_body": False}

    return Request(scope, receive)


async def _body(response: Any) -> bytes:
    if hasattr(response, "body_iterator"):
        return b"".join([chunk async for chunk in response.body_iterator])
    return bytes(response.body)


def run(test: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(test())


def _forwarder(**settings: Any) -> H1Forwarder:
    return H1Forwarder(GatewaySettings(environment="test", **settings))


def _forwarded_headers() -> list[tuple[bytes, bytes]]:
    # What the proxy handler passes: the client's, less identity, with its own.
    return [(b"x-request-id", b"r1"), (b"authorization", b"Bearer internal")]


async def _forward(f: H1Forwarder, base: str, request: Request | None = None, **kw: Any) -> Any:
    return await f.forward(
        request or _request(),
        url=f"{base}/svc/path?q=1",
        headers=_forwarded_headers(),
        max_body_bytes=kw.get("max_body_bytes", 1_000_000),
    )


def test_requests_reuse_one_connection_and_carry_the_target_and_host() -> None:
    async def go() -> None:
        upstream = Upstream(lambda raw, n: _ok(b"n%d" % n))
        async with upstream as base:
            f = _forwarder()
            bodies = [await _body(await _forward(f, base)) for _ in range(3)]
            await f.aclose()
        assert bodies == [b"n1", b"n2", b"n3"]
        assert upstream.connections == 1
        first = upstream.requests[0]
        assert first.startswith(b"GET /svc/path?q=1 HTTP/1.1\r\n")
        assert b"\r\nhost: 127.0.0.1:" in first
        assert b"authorization: Bearer internal\r\n" in first
        # The client's Host is not forwarded (the target's is written instead).
        assert b"host: gateway" not in first

    run(go)


def test_a_pooled_connection_closed_before_answering_is_retried_once_for_a_get() -> None:
    async def go() -> None:
        # The second request on each connection finds it closed unanswered,
        # as when a service's keep-alive timeout ends just as it is reused.
        upstream = Upstream(lambda raw, n: _ok() if n == 1 else None)
        async with upstream as base:
            f = _forwarder()
            first = await _forward(f, base)
            second = await _forward(f, base)
            await f.aclose()
        assert (first.status_code, second.status_code) == (200, 200)
        assert upstream.connections == 2
        assert len(upstream.requests) == 3

    run(go)


def test_a_request_with_a_body_is_not_replayed_on_a_closed_connection() -> None:
    async def go() -> None:
        upstream = Upstream(lambda raw, n: _ok() if n == 1 else None)
        async with upstream as base:
            f = _forwarder()
            await _forward(f, base)
            with pytest.raises(Problem) as refused:
                await _forward(f, base, _request("POST", [b"once"]))
            await f.aclose()
        assert refused.value.status == 503
        assert sum(1 for r in upstream.requests if r.endswith(b"once")) == 1

    run(go)


def test_a_service_lost_while_the_body_streams_is_503_under_uvloop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The served gateway runs on uvloop, whose transports raise RuntimeError on a
    # write after the connection was lost (asyncio's ignore it): the rest of the
    # body, arriving once the service has died, must still give the 503.
    lost = asyncio.Event()
    original = h1_forwarder._Connection.connection_lost

    def noting(self: h1_forwarder._Connection, exc: Exception | None) -> None:
        original(self, exc)
        lost.set()

    monkeypatch.setattr(h1_forwarder._Connection, "connection_lost", noting)

    async def dies_after_the_head(reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        await reader.readuntil(b"\r\n\r\n")
        writer.close()

    async def go() -> None:
        server = await asyncio.start_server(dies_after_the_head, "127.0.0.1", 0)
        base = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        chunks = [b"first", b"second"]

        async def receive() -> dict[str, Any]:
            if len(chunks) == 1:
                await lost.wait()  # the rest comes only once the service is gone
            return {"type": "http.request", "body": chunks.pop(0), "more_body": bool(chunks)}

        request = _request("POST", [b"first", b"second"], length=False)
        f = _forwarder()
        with pytest.raises(Problem) as refused:
            await _forward(f, base, Request(request.scope, receive))
        await f.aclose()
        server.close()
        assert refused.value.status == 503

    uvloop.run(go())


def test_a_chunked_request_body_is_framed_again_in_chunks() -> None:
    async def go() -> None:
        upstream = Upstream(lambda raw, n: _ok())
        async with upstream as base:
            f = _forwarder()
            response = await _forward(f, base, _request("POST", [b"ab", b"cde"], length=False))
            await f.aclose()
        assert response.status_code == 200
        sent = upstream.requests[0]
        assert b"transfer-encoding: chunked\r\n" in sent
        assert sent.endswith(b"\r\n\r\n2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n")

    run(go)


def test_a_large_chunked_answer_streams_whole_and_the_connection_is_reused() -> None:
    big = bytes(range(256)) * 2048  # 512 KiB, beyond the small-answer size

    def answer(raw: bytes, n: int) -> bytes:
        if n == 1:
            pieces = [big[i : i + 65536] for i in range(0, len(big), 65536)]
            chunks = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces)
            return b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n"
        return _ok(b"after")

    async def go() -> None:
        upstream = Upstream(answer)
        async with upstream as base:
            f = _forwarder()
            streamed = await _body(await _forward(f, base))
            after = await _body(await _forward(f, base))
            await f.aclose()
        assert streamed == big
        assert after == b"after"
        assert upstream.connections == 1

    run(go)


def test_an_answer_ended_by_closing_the_connection_is_whole() -> None:
    async def go() -> None:
        upstream = Upstream(lambda raw, n: b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nuntil-eof")
        async with upstream as base:
            f = _forwarder()
            body = await _body(await _forward(f, base))
            await f.aclose()
        assert body == b"until-eof"

    run(go)


def test_a_malformed_answer_is_503() -> None:
    async def go() -> None:
        upstream = Upstream(lambda raw, n: b"NOT HTTP AT ALL\r\n\r\n")
        async with upstream as base:
            f = _forwarder()
            with pytest.raises(Problem) as refused:
                await _forward(f, base)
            await f.aclose()
        assert refused.value.status == 503

    run(go)


def test_head_and_204_have_no_body_and_keep_the_length_header() -> None:
    async def go() -> None:
        upstream = Upstream(
            lambda raw, n: (
                b"HTTP/1.1 200 OK\r\ncontent-length: 42\r\n\r\n"
                if raw.startswith(b"HEAD")
                else b"HTTP/1.1 204 No Content\r\n\r\n"
            )
        )
        async with upstream as base:
            f = _forwarder()
            head = await _forward(f, base, _request("HEAD"))
            empty = await _forward(f, base)
            await f.aclose()
        assert (head.status_code, head.body) == (200, b"")
        assert (b"content-length", b"42") in head.raw_headers
        assert (empty.status_code, empty.body) == (204, b"")

    run(go)


def test_the_upstreams_date_server_and_hop_by_hop_headers_are_not_copied() -> None:
    extra = (
        b"date: Mon, 01 Jan 2024 00:00:00 GMT\r\nserver: upstream\r\nkeep-alive: 5\r\nx-kept: 1\r\n"
    )

    async def go() -> None:
        upstream = Upstream(lambda raw, n: _ok(b"x", extra))
        async with upstream as base:
            f = _forwarder()
            response = await _forward(f, base)
            await f.aclose()
        names = [k.lower() for k, _v in response.raw_headers]
        assert b"x-kept" in names
        assert not {b"date", b"server", b"keep-alive"} & set(names)
        assert names.count(b"content-length") == 1

    run(go)


def test_an_answer_cut_short_mid_stream_is_an_error_not_a_shorter_body() -> None:
    async def go() -> None:
        head = b"HTTP/1.1 200 OK\r\ncontent-length: 200000\r\nconnection: close\r\n\r\n"
        upstream = Upstream(lambda raw, n: head + b"x" * 100_000)
        async with upstream as base:
            f = _forwarder()
            response = await _forward(f, base)
            with pytest.raises(ConnectionError):
                await _body(response)
            await f.aclose()

    run(go)


def test_a_silent_upstream_is_504_and_its_connection_is_not_reused() -> None:
    async def go() -> None:
        gate = asyncio.Event()

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            await gate.wait()
            writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        base = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        f = _forwarder(upstream_read_timeout=0.2)
        with pytest.raises(Problem) as refused:
            await _forward(f, base)
        gate.set()
        await f.aclose()
        server.close()
        assert refused.value.status == 504
        assert not any(pool.idle for pool in f._pools.values())

    run(go)


def test_answered_waits_leave_no_deadline_behind_and_a_late_one_still_times_out() -> None:
    """The read timeout is one sweep for every waiting connection, not a timer a
    wait: answered requests leave nothing registered; a silent one still gets
    its 504 within the timeout and one sweep period."""

    async def go() -> None:
        upstream = Upstream(lambda raw, n: _ok(b"n%d" % n) if n < 3 else b"")
        async with upstream as base:
            f = _forwarder(upstream_read_timeout=0.3)
            for _ in range(2):
                assert (await _body(await _forward(f, base))).startswith(b"n")
                assert f._deadlines.waiting == set()
            loop = asyncio.get_running_loop()
            t0 = loop.time()
            with pytest.raises(Problem) as refused:
                await _forward(f, base)
            waited = loop.time() - t0
            await f.aclose()
        assert refused.value.status == 504
        assert 0.3 <= waited < 0.3 + 5 * f._deadlines.period + 2
        assert f._deadlines.waiting == set()

    run(go)
