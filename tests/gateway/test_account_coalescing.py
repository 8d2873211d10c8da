"""Concurrent look-ups of one account share one call to the directory: a cold
cache under a burst of requests must not send the directory a burst too."""

from __future__ import annotations

import asyncio

import httpx

from gateway.accounts import AccountResolver, ResolvedAccount
from services.common.errors import ServiceUnavailable
from tests.gateway.harness import account

WAITERS = 20


class Directory:
    """Answers /principals/<name> once `release` is set; counts the calls."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.release = asyncio.Event()
        self.called = asyncio.Event()
        self.status = 200

    async def handle(self, request: httpx.Request) -> httpx.Response:
        name = request.url.path.rsplit("/", 1)[-1]
        self.calls.append(name)
        self.called.set()
        await self.release.wait()
        if self.status != 200:
            return httpx.Response(self.status, json={"status": self.status})
        return httpx.Response(200, json=account(name))


def _resolver(directory: Directory) -> AccountResolver:
    client = httpx.AsyncClient(transport=httpx.MockTransport(directory.handle))
    return AccountResolver(client, "http://directory", lambda: "t", ttl_seconds=30)


async def _all_waiting(
    resolver: AccountResolver, name: str
) -> list[asyncio.Task[ResolvedAccount | None]]:
    """WAITERS look-ups of `name`, each suspended inside `resolve` on return: the
    last one to start sets the event, and the test runs on only once it is
    suspended too (the ones before it already were)."""
    started = 0
    everyone = asyncio.Event()

    async def one() -> ResolvedAccount | None:
        nonlocal started
        started += 1
        if started == WAITERS:
            everyone.set()
        return await resolver.resolve(name)

    tasks = [asyncio.create_task(one()) for _ in range(WAITERS)]
    await everyone.wait()
    return tasks


def test_concurrent_look_ups_of_one_account_make_one_directory_call() -> None:
    async def run() -> None:
        directory = Directory()
        resolver = _resolver(directory)
        tasks = await _all_waiting(resolver, "alice")
        directory.release.set()
        results = await asyncio.gather(*tasks)
        assert directory.calls == ["alice"]
        assert all(r is not None and r.account == "alice" for r in results)
        # And the answer is cached for the next request.
        assert await resolver.resolve("alice") is results[0]
        assert directory.calls == ["alice"]

    asyncio.run(run())


def test_look_ups_of_different_accounts_are_not_merged() -> None:
    async def run() -> None:
        directory = Directory()
        resolver = _resolver(directory)
        directory.release.set()
        results = await asyncio.gather(resolver.resolve("alice"), resolver.resolve("bob"))
        assert sorted(directory.calls) == ["alice", "bob"]
        assert [r.account for r in results if r is not None] == ["alice", "bob"]

    asyncio.run(run())


def test_a_failed_look_up_fails_every_waiter_and_is_not_cached() -> None:
    async def run() -> None:
        directory = Directory()
        directory.status = 500
        resolver = _resolver(directory)
        tasks = await _all_waiting(resolver, "alice")
        directory.release.set()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert directory.calls == ["alice"]
        assert all(isinstance(r, ServiceUnavailable) for r in results)
        # The failure is not remembered: the next request asks again.
        directory.status = 200
        found = await resolver.resolve("alice")
        assert found is not None and found.account == "alice"
        assert directory.calls == ["alice", "alice"]

    asyncio.run(run())


def test_a_waiter_that_goes_away_does_not_cancel_the_others() -> None:
    async def run() -> None:
        directory = Directory()
        resolver = _resolver(directory)
        tasks = await _all_waiting(resolver, "alice")
        # The first caller (whose request started the look-up) disconnects.
        tasks[0].cancel()
        directory.release.set()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert isinstance(results[0], asyncio.CancelledError)
        assert all(isinstance(r, ResolvedAccount) and r.account == "alice" for r in results[1:])
        assert directory.calls == ["alice"]

    asyncio.run(run())


def test_forgetting_an_account_during_its_look_up_asks_again() -> None:
    # An account disabled while its look-up is under way: the answer in flight
    # may predate the change, so it is not cached and the next request asks anew.
    async def run() -> None:
        directory = Directory()
        resolver = _resolver(directory)
        first = asyncio.create_task(resolver.resolve("alice"))
        await directory.called.wait()  # the look-up has reached the directory
        resolver.forget("alice")
        directory.release.set()
        await first
        await resolver.resolve("alice")
        assert directory.calls == ["alice", "alice"]

    asyncio.run(run())


def test_an_unregistered_account_is_one_call_too() -> None:
    async def run() -> None:
        directory = Directory()
        directory.status = 404
        resolver = _resolver(directory)
        tasks = await _all_waiting(resolver, "nobody")
        directory.release.set()
        assert await asyncio.gather(*tasks) == [None] * WAITERS
        assert directory.calls == ["nobody"]

    asyncio.run(run())
