"""The default forwarder: HTTP/1.1 to the services on pooled keep-alive
connections, written directly on asyncio protocols and parsed by httptools.

The profile of the gateway under load put two fifths of its CPU in aiohttp's
client: per request it builds multidicts of headers, a URL object, a request
and a response object with their own timers and tasks. A proxy needs none of
that. This client writes the request head in one buffer (one system call for a
request without a body), lets httptools' C parser call back for the answer,
keeps a small answer whole and streams a large one with back-pressure both ways.

What it keeps from the general clients: connect and read timeouts (503 and 504
problems), the body cap while streaming (413), a bounded pool, no redirects
followed, no decompression, and a retry — only for a request without a body,
only when the pooled connection closed before a byte of the answer came —
because a service may close an idle keep-alive connection just as it is reused.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import AsyncIterator
from typing import cast
from urllib.parse import urlsplit

import httptools
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from gateway.proxy import (
    _NOT_COPIED,
    _SMALL_BODY,
    BodyTooLarge,
    _CappedBody,
    _declared_body,
    upstream_down,
    upstream_timeout,
)
from gateway.settings import GatewaySettings

# Request headers this client writes itself (or must not pass on): the
# framing of the body it re-encodes, the target host, and Expect, which the
# gateway's own server has already answered.
_REQUEST_OWN = frozenset({b"host", b"content-length", b"transfer-encoding", b"expect"})
# Past this many bytes of answer not yet sent on, the upstream socket is paused.
_HIGH_WATER = 256 * 1024
# No answer to these has a body, whatever their headers say.
_NO_BODY_STATUS = frozenset({204, 304})


class _Closed(Exception):
    """The connection ended; `answered` tells whether any of the answer had come."""

    def __init__(self, answered: bool) -> None:
        self.answered = answered


class _Deadlines:
    """The read timeout of every connection waiting for the service, checked by
    one sweep every `period` while any waits, in place of a timer made and
    cancelled for each wait: a wait past its deadline fails with TimeoutError
    at most `period` late."""

    def __init__(self, period: float) -> None:
        self.period = period
        self.waiting: set[_Connection] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def add(self, conn: _Connection, loop: asyncio.AbstractEventLoop) -> None:
        self.waiting.add(conn)
        if self._timer is None or self._loop is not loop:
            # (A forwarder used from a new loop: the old loop's sweep is gone.)
            self._loop = loop
            self._timer = loop.call_later(self.period, self._sweep, loop)

    def _sweep(self, loop: asyncio.AbstractEventLoop) -> None:
        if loop is not self._loop:
            return
        self._timer = None
        now = loop.time()
        for conn in [c for c in self.waiting if c.deadline <= now]:
            self.waiting.discard(conn)
            conn._wake(TimeoutError())
        if self.waiting:
            self._timer = loop.call_later(self.period, self._sweep, loop)


class _Connection(asyncio.Protocol):
    """One keep-alive connection, one exchange at a time."""

    def __init__(self, deadlines: _Deadlines) -> None:
        self._deadlines = deadlines
        self.deadline = 0.0
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.open = True
        self._reset()
        self._can_write = asyncio.Event()
        self._can_write.set()

    def _reset(self) -> None:
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.length: int | None = None
        self.chunks: collections.deque[bytes] = collections.deque()
        self.buffered = 0
        self.answered = False
        self.head_done = False
        self.complete = False
        self.keep_alive = False
        self.paused = False
        self.released = False
        self.waiter: asyncio.Future[None] | None = None

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not subclasses of asyncio's, only alike.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.answered = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.open = False
            self._wake(ConnectionError("malformed answer from the service"))
            if self.transport is not None:
                self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        self._can_write.set()
        if self.head_done and not self.complete and self._ends_at_close():
            # An answer without length or chunks ends where the connection does.
            self.complete = True
            self._wake(None)
        else:
            self._wake(_Closed(self.answered))

    def pause_writing(self) -> None:
        self._can_write.clear()

    def resume_writing(self) -> None:
        self._can_write.set()

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))
        if self.length is None and name.lower() == b"content-length":
            with contextlib.suppress(ValueError):
                self.length = int(value)

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()
        self.keep_alive = self.parser.should_keep_alive()
        self.head_done = True
        self._wake(None)

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)
        self.buffered += len(body)
        if self.buffered > _HIGH_WATER and not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()
        self._wake(None)

    def on_message_complete(self) -> None:
        self.complete = True
        self._wake(None)

    # the exchange
    def _ends_at_close(self) -> bool:
        names = {k.lower() for k, _ in self.headers}
        return b"content-length" not in names and b"transfer-encoding" not in names

    def _wake(self, error: BaseException | None) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            if error is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(error)

    async def wait(self, timeout: float) -> None:
        """Until the parser or the connection has something new; TimeoutError past `timeout`."""
        if not self.open:
            raise _Closed(self.answered)
        loop = asyncio.get_running_loop()
        waiter = self.waiter = loop.create_future()
        self.deadline = loop.time() + timeout
        deadlines = self._deadlines
        deadlines.add(self, loop)
        try:
            await waiter
        finally:
            deadlines.waiting.discard(self)

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        self.buffered = 0
        if self.paused and self.transport is not None and self.open:
            self.paused = False
            self.transport.resume_reading()
        return data

    def send(self, data: bytes) -> None:
        """Write on the connection; _Closed once it has been lost. (uvloop's
        transport raises RuntimeError for a write after the loss: a service that
        died while a request body was on its way was answered 500, not 503.)"""
        if not self.open or self.transport is None:
            raise _Closed(self.answered)
        self.transport.write(data)

    async def drain(self) -> None:
        await self._can_write.wait()
        if not self.open:
            raise _Closed(self.answered)

    def reusable(self) -> bool:
        return self.open and self.keep_alive and self.complete and not self.chunks

    def close(self) -> None:
        self.open = False
        if self.transport is not None:
            self.transport.close()


class _Pool:
    """Idle connections to one service, most recently used first; `limit`
    connections at most across the forwarder."""

    def __init__(
        self,
        host: str,
        port: int,
        slots: asyncio.Semaphore,
        connect: float,
        deadlines: _Deadlines,
    ) -> None:
        self.host, self.port = host, port
        self._deadlines = deadlines
        self.idle: list[_Connection] = []
        self._slots = slots
        self._connect_timeout = connect

    async def get(self, fresh: bool = False) -> tuple[_Connection, bool]:
        """A connection and whether it was pooled; holds one slot until `put`/`discard`."""
        await self._slots.acquire()
        while self.idle and not fresh:
            conn = self.idle.pop()
            if conn.open and conn.transport is not None and not conn.transport.is_closing():
                conn._reset()
                return conn, True
        try:
            async with asyncio.timeout(self._connect_timeout):
                _, conn = await asyncio.get_running_loop().create_connection(
                    lambda: _Connection(self._deadlines), self.host, self.port
                )
        except BaseException:
            self._slots.release()
            raise
        return conn, False

    def put(self, conn: _Connection) -> None:
        if conn.reusable():
            self.idle.append(conn)
        else:
            conn.close()
        self._slots.release()

    def discard(self, conn: _Connection) -> None:
        conn.close()
        self._slots.release()

    def close(self) -> None:
        for conn in self.idle:
            conn.close()
        self.idle.clear()


class _Answer(Response):
    """A whole answer with the headers already framed: Starlette's Response
    without building (and then discarding) headers of its own for each one."""

    def __init__(self, body: bytes, status: int, raw_headers: list[tuple[bytes, bytes]]) -> None:
        self.status_code = status
        self.background = None
        self.body = body
        self.raw_headers = raw_headers


def _chunked(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


class H1Forwarder:
    def __init__(self, settings: GatewaySettings) -> None:
        self._slots = asyncio.Semaphore(settings.max_connections)
        self._connect = settings.upstream_connect_timeout
        self._read = settings.upstream_read_timeout
        self._pools: dict[tuple[str, int], _Pool] = {}
        # A tenth of the read timeout late at most, and never more than a second.
        self._deadlines = _Deadlines(max(0.005, min(1.0, self._read / 10)))

    def _pool(self, host: str, port: int) -> _Pool:
        pool = self._pools.get((host, port))
        if pool is None:
            pool = self._pools[(host, port)] = _Pool(
                host, port, self._slots, self._connect, self._deadlines
            )
        return pool

    async def forward(
        self,
        request: Request,
        *,
        url: str,
        headers: list[tuple[bytes, bytes]],
        max_body_bytes: int,
    ) -> Response:
        has_body, declared = _declared_body(request, max_body_bytes)
        origin = _origin(url)
        if origin is None:
            # Services are reached over plain HTTP inside the cluster (mTLS, where
            # wanted, is the mesh's); anything else is a configuration error.
            raise upstream_down()
        hostname, port, host_line, target_at = origin
        target = url[target_at:] or "/"
        if not has_body:
            declared = None
        head = [
            request.method.encode("latin-1"),
            b" ",
            target.encode("latin-1"),
            host_line,
        ]
        own = _REQUEST_OWN
        for name, value in headers:
            if name.lower() not in own:
                head += (name, b": ", value, b"\r\n")
        if has_body:
            head.append(
                b"content-length: %s\r\n" % declared.encode()
                if declared is not None
                else b"transfer-encoding: chunked\r\n"
            )
        head.append(b"\r\n")
        payload = b"".join(head)
        pool = self._pool(hostname, port)
        body = _CappedBody(request, max_body_bytes) if has_body else None
        conn = await self._exchange(pool, payload, body, declared is None)
        try:
            status = conn.status
            raw = [(k, v) for k, v in conn.headers if not _not_copied(k)]
            if request.method == "HEAD" or status in _NO_BODY_STATUS:
                # No body follows, whatever the length says: this connection's
                # parser would wait for one, so it is not reused.
                _finish(pool, conn)
                return _Answer(b"", status, [*raw, *_length_of(conn.headers)])
            length = conn.length
            if conn.complete or (length is not None and length <= _SMALL_BODY):
                while not conn.complete:
                    await conn.wait(self._read)
                content = conn.take()
                pool.put(conn)
                return _Answer(
                    content, status, [*raw, (b"content-length", str(len(content)).encode())]
                )
        except BaseException as exc:
            pool.discard(conn)
            raise _as_problem(exc) from None
        streamed = StreamingResponse(
            self._stream(pool, conn),
            status_code=status,
            background=BackgroundTask(_finish, pool, conn),
        )
        streamed.raw_headers = raw
        return streamed

    async def _exchange(
        self, pool: _Pool, payload: bytes, body: _CappedBody | None, chunked: bool
    ) -> _Connection:
        """Write the request on a pooled connection (or a fresh one, once, when the
        pooled one had been closed by the service before answering)."""
        fresh = False
        while True:
            try:
                conn, pooled = await pool.get(fresh)
            except TimeoutError:
                raise upstream_down() from None
            except OSError:
                raise upstream_down() from None
            try:
                conn.send(payload)
                if body is not None:
                    async for chunk in body:
                        conn.send(_chunked(chunk) if chunked else chunk)
                        await conn.drain()
                    if chunked:
                        conn.send(b"0\r\n\r\n")
                while not conn.head_done:
                    await conn.wait(self._read)
                return conn
            except _Closed as closed:
                pool.discard(conn)
                if body is None and pooled and not closed.answered and not fresh:
                    fresh = True
                    continue
                raise upstream_down() from None
            except BodyTooLarge:
                pool.discard(conn)
                raise
            except BaseException as exc:
                pool.discard(conn)
                if body is not None and body.exceeded:
                    raise BodyTooLarge("request body exceeds the limit") from None
                raise _as_problem(exc) from None

    async def _stream(self, pool: _Pool, conn: _Connection) -> AsyncIterator[bytes]:
        try:
            while True:
                if conn.chunks:
                    yield conn.take()
                    continue
                if conn.complete:
                    return
                try:
                    await conn.wait(self._read)
                except (TimeoutError, _Closed):
                    # Mid-answer, the status line already sent: the client's
                    # connection must be cut too, not the answer ended as if whole.
                    conn.close()
                    raise ConnectionError("the service's answer was cut short") from None
        finally:
            # Also when the client went away and the generator is closed early.
            _finish(pool, conn)

    async def get_status(self, url: str, timeout: float) -> int | None:
        parts = urlsplit(url)
        if parts.hostname is None:
            return None
        pool = self._pool(parts.hostname, parts.port or 80)
        target = url[len(parts.scheme) + 3 + len(parts.netloc) :] or "/"
        payload = b"GET %s HTTP/1.1\r\nhost: %s\r\n\r\n" % (
            target.encode("latin-1"),
            parts.netloc.encode("latin-1"),
        )
        try:
            async with asyncio.timeout(timeout):
                conn = await self._exchange(pool, payload, None, False)
                try:
                    while not conn.complete:
                        await conn.wait(timeout)
                except BaseException:
                    pool.discard(conn)
                    raise
                conn.take()
                pool.put(conn)
                return int(conn.status)
        except Exception:
            return None

    async def aclose(self) -> None:
        for pool in self._pools.values():
            pool.close()


# A service's base URL → (host, port, the request head's end of request line
# and host line, where the target starts in a URL of it). Few distinct
# values (one a service); parsed once rather than for every request.
_Origin = tuple[str, int, bytes, int]
_ORIGINS: dict[str, _Origin | None] = {}


def _origin(url: str) -> _Origin | None:
    """None for anything but an absolute http:// URL."""
    start = url.find("//")
    end = len(url)
    if start >= 0:
        for stop in "/?#":
            found = url.find(stop, start + 2)
            if 0 <= found < end:
                end = found
    prefix = url[:end]
    if prefix in _ORIGINS:
        return _ORIGINS[prefix]
    parts = urlsplit(prefix)
    origin: _Origin | None = None
    if parts.scheme == "http" and parts.hostname is not None:
        host_line = b" HTTP/1.1\r\nhost: " + parts.netloc.encode("latin-1") + b"\r\n"
        origin = (parts.hostname, parts.port or 80, host_line, len(prefix))
    if len(_ORIGINS) > 256:
        _ORIGINS.clear()
    _ORIGINS[prefix] = origin
    return origin


# Answer header names as received → whether they are dropped (few distinct).
_DROPPED: dict[bytes, bool] = {}


def _not_copied(name: bytes) -> bool:
    dropped = _DROPPED.get(name)
    if dropped is None:
        if len(_DROPPED) > 1024:
            _DROPPED.clear()
        dropped = _DROPPED[name] = name.decode("latin-1").lower() in _NOT_COPIED
    return dropped


def _finish(pool: _Pool, conn: _Connection) -> None:
    """Give the connection back once, whichever of the stream's end and the
    response's background task comes first."""
    if conn.released:
        return
    conn.released = True
    if conn.complete and not conn.chunks:
        pool.put(conn)
    else:
        pool.discard(conn)


def _length_of(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    return [(b"content-length", v) for k, v in headers if k.lower() == b"content-length"][:1]


def _as_problem(exc: BaseException) -> BaseException:
    if isinstance(exc, TimeoutError):
        return upstream_timeout()
    if isinstance(exc, (_Closed, ConnectionError, OSError)):
        return upstream_down()
    return exc
