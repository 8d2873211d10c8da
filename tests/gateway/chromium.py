"""Headless Chromium driven over the DevTools protocol on a pipe
(`--remote-debugging-pipe`: commands in on fd 3, answers and events out on
fd 4, each a JSON message ended by NUL), so a test needs no port and no
WebSocket client, and waits on what the page shows, not on time."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty, Queue
from typing import Any

# No sign-in, sync, updates or field trials: nothing is fetched but what the
# page itself asks for (checked by the tests through the Network events).
FLAGS = (
    "--headless",
    "--no-sandbox",  # the test may run as root in a container
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-features=Translate,MediaRouter,OptimizationHints",
    "--remote-debugging-pipe",
)


def executable() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class Page:
    """One tab; `requests`: every URL it asked for, by request id, and
    `blocked`: the ids of those the page's own policy stopped before they left
    (`Network.loadingFailed` with a `blockedReason`)."""

    browser: Browser
    session: str
    requests: dict[str, str] = field(default_factory=dict)
    blocked: set[str] = field(default_factory=set)
    ended: set[str] = field(default_factory=set)
    changed: threading.Condition = field(default_factory=threading.Condition)
    loaded: threading.Event = field(default_factory=threading.Event)

    def call(self, method: str, timeout: float, **params: Any) -> dict[str, Any]:
        return self.browser.call(method, timeout, session=self.session, **params)

    def sent(self, timeout: float) -> set[str]:
        """The URLs asked for that were not blocked (what went out), once every
        request that could leave the browser has ended (data: and blob: URLs
        are made in the page; a worker's blob: load reports no end)."""

        def open_requests() -> set[str]:
            return {
                url
                for ident, url in self.requests.items()
                if ident not in self.ended and not url.startswith(("data:", "blob:"))
            }

        with self.changed:
            if not self.changed.wait_for(lambda: not open_requests(), timeout):
                pending = open_requests()
                raise AssertionError(f"requests still open after {timeout} s: {pending}")
            return {url for ident, url in self.requests.items() if ident not in self.blocked}

    def evaluate(self, expression: str, timeout: float) -> Any:
        """The value of `expression` (a promise is awaited), or the page's error."""
        answer = self.call(
            "Runtime.evaluate",
            timeout,
            expression=expression,
            awaitPromise=True,
            returnByValue=True,
        )
        if "exceptionDetails" in answer:
            raise AssertionError(f"the page raised: {answer['exceptionDetails']}")
        return answer["result"].get("value")


class Browser:
    def __init__(self, process: subprocess.Popen[bytes], commands: Any, events: Any) -> None:
        self._process = process
        self._commands = commands
        self._next_id = 0
        self._lock = threading.Lock()
        self._answers: dict[int, Queue[dict[str, Any]]] = {}
        self._pages: dict[str, Page] = {}
        self._reader = threading.Thread(target=self._read, args=(events,), daemon=True)
        self._reader.start()

    def _read(self, events: Any) -> None:
        buffer = b""
        while chunk := events.read1(65536):
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for raw in messages:
                self._dispatch(json.loads(raw))

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "id" in message:
            with self._lock:
                waiting = self._answers.get(message["id"])
            if waiting is not None:
                waiting.put(message)
            return
        page = self._pages.get(message.get("sessionId", ""))
        if page is None:
            return
        params = message.get("params", {})
        method = message.get("method")
        with page.changed:
            if method == "Network.requestWillBeSent":
                page.requests[params["requestId"]] = params["request"]["url"]
            elif method in {"Network.loadingFinished", "Network.loadingFailed"}:
                page.ended.add(params["requestId"])
                if params.get("blockedReason"):
                    page.blocked.add(params["requestId"])
            page.changed.notify_all()
        if method == "Page.loadEventFired":
            page.loaded.set()

    def call(
        self, method: str, timeout: float, session: str | None = None, **params: Any
    ) -> dict[str, Any]:
        with self._lock:
            self._next_id += 1
            ident = self._next_id
            answer: Queue[dict[str, Any]] = Queue()
            self._answers[ident] = answer
        message: dict[str, Any] = {"id": ident, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        self._commands.write(json.dumps(message).encode() + b"\0")
        self._commands.flush()
        try:
            reply = answer.get(timeout=timeout)
        except Empty:
            raise AssertionError(f"Chromium did not answer {method} within {timeout} s") from None
        finally:
            with self._lock:
                del self._answers[ident]
        if "error" in reply:
            raise AssertionError(f"{method}: {reply['error']}")
        result: dict[str, Any] = reply.get("result", {})
        return result

    def open(self, url: str, timeout: float) -> Page:
        """A new tab attached, its network watched from before it loads `url`;
        returned once the page's load event has fired (its scripts have run)."""
        target = self.call("Target.createTarget", timeout, url="about:blank")["targetId"]
        session = self.call("Target.attachToTarget", timeout, targetId=target, flatten=True)[
            "sessionId"
        ]
        page = Page(self, session)
        self._pages[session] = page
        page.call("Network.enable", timeout)
        page.call("Page.enable", timeout)
        page.loaded.clear()  # about:blank's own load is not this one
        navigated = page.call("Page.navigate", timeout, url=url)
        if navigated.get("errorText"):
            raise AssertionError(f"{url}: {navigated['errorText']}")
        if not page.loaded.wait(timeout):
            raise AssertionError(f"{url} did not load within {timeout} s")
        return page


@contextmanager
def browser(timeout: float = 60) -> Iterator[Browser]:
    path = executable()
    assert path, "Debian's chromium is needed: apt-get install -y --no-install-recommends chromium"
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        to_browser_r, to_browser_w = os.pipe()
        from_browser_r, from_browser_w = os.pipe()

        def child_pipes() -> None:
            # fd 3 and 4 in the child, as Chromium expects; copied above 10
            # first, so that neither end is overwritten by the other.
            commands_in = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10)
            events_out = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)
            os.dup2(commands_in, 3)
            os.dup2(events_out, 4)

        process = subprocess.Popen(
            [path, *FLAGS, f"--user-data-dir={Path(profile)}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=child_pipes,
            # (close_fds would close 3 and 4 after `child_pipes`; every other
            # descriptor of this process is close-on-exec.)
            close_fds=False,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        commands = os.fdopen(to_browser_w, "wb")
        events = os.fdopen(from_browser_r, "rb")
        try:
            chrome = Browser(process, commands, events)
            chrome.call("Browser.getVersion", timeout)  # up and listening
            yield chrome
        finally:
            try:
                chrome_close(commands)
            finally:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
                events.close()


def chrome_close(commands: Any) -> None:
    """Ask the browser to quit; closing its command pipe makes it quit too."""
    try:
        with suppress(BrokenPipeError, ValueError):
            commands.write(json.dumps({"id": 0, "method": "Browser.close"}).encode() + b"\0")
            commands.flush()
    finally:
        with suppress(BrokenPipeError):
            commands.close()
