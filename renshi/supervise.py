"""The process runner of `renshi up`: keeps every process of deploy/Procfile running.

A process that ends is started again after a back-off (first `first` seconds,
doubling up to `cap`; a process that had stayed up for `stable` seconds starts
again from `first`), and the others keep serving meanwhile: the gateway answers
503 for a service it cannot reach. The runner never gives up on a process,
since under `renshi up` the one waiting is a developer who can read the log
and press Ctrl-C.

Ctrl-C, SIGTERM or SIGHUP stops the processes stage by stage, in the order
given (the gateway first, so that its last usage flush still reaches the
directory); each gets SIGTERM and `STOP_TIMEOUT` seconds before SIGKILL. A
second signal kills whatever is left at once.

Every line a process writes is printed prefixed by the time and its name, and
the runner's own messages by `system`, as honcho (the runner before this one)
printed them. The state of each process (pid, running or in back-off, restarts,
last exit) is kept in a JSON file, for a developer asking what is running and
for tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import re
import shlex
import signal
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

State = Literal["starting", "running", "backoff", "stopping", "stopped"]

# uvicorn's graceful shutdown is 5 s (cli.SERVER_OPTIONS) and the gateway's
# final usage flush up to 5 s more; past that a process is stuck.
STOP_TIMEOUT = 10.0
# A process that has exited but whose output pipe a leftover child still holds
# open gets this long for its last lines.
_DRAIN_TIMEOUT = 2.0
_PR_SET_PDEATHSIG = 1
# SIGHUP too: a closed terminal is a request to stop, and deserves the order.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@dataclass(frozen=True)
class Program:
    name: str
    argv: tuple[str, ...]
    env: Mapping[str, str]


@dataclass(frozen=True)
class Backoff:
    """Seconds before a restart: `first`, doubled at each restart up to `cap`,
    and `first` again once a process had stayed up `stable` seconds."""

    # A service killed by accident is back at once; one that cannot start
    # (a port taken, a bad setting) is tried twice a minute, not in a loop.
    first: float = 1.0
    cap: float = 30.0
    stable: float = 60.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Backoff:
        """RENSHI_UP_RESTART_DELAY, RENSHI_UP_RESTART_MAX_DELAY, RENSHI_UP_STABLE_SECONDS."""

        def seconds(variable: str, default: float) -> float:
            try:
                return float(env.get(variable, default))
            except ValueError:
                raise ValueError(f"{variable} must be a number of seconds") from None

        defaults = cls()
        first = seconds("RENSHI_UP_RESTART_DELAY", defaults.first)
        cap = seconds("RENSHI_UP_RESTART_MAX_DELAY", defaults.cap)
        stable = seconds("RENSHI_UP_STABLE_SECONDS", defaults.stable)
        if not (0 < first <= cap and stable > 0):
            raise ValueError(
                "restart back-off: need 0 < RENSHI_UP_RESTART_DELAY <= "
                "RENSHI_UP_RESTART_MAX_DELAY and RENSHI_UP_STABLE_SECONDS > 0"
            )
        return cls(first=first, cap=cap, stable=stable)


_VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


def parse_procfile(text: str, env: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """`name: command` lines, in order, with `$VAR`/`${VAR}` taken from `env`.

    The command is split as a shell would but run without one, so that the pid
    the runner signals is the process itself."""

    def expand(match: re.Match[str]) -> str:
        variable = match.group(1) or match.group(2)
        if variable not in env:
            raise ValueError(f"Procfile uses ${variable}, which is not set")
        return env[variable]

    programs: dict[str, tuple[str, ...]] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, command = line.partition(":")
        name = name.strip()
        if not sep or not re.fullmatch(r"[\w-]+", name) or not command.strip():
            raise ValueError(f"Procfile line {number}: expected `name: command`")
        if name in programs:
            raise ValueError(f"Procfile line {number}: {name} is defined twice")
        programs[name] = tuple(shlex.split(_VARIABLE.sub(expand, command)))
    return programs


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"ended by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"ended by signal {-returncode}"
    return f"exit status {returncode}"


class Output:
    """Prefixed lines on one stream; written whole from the event loop, so that
    lines of different processes never interleave."""

    def __init__(self, names: Sequence[str], stream: BinaryIO) -> None:
        self._width = max(len(n) for n in (*names, "system"))
        self._stream = stream

    def line(self, name: str, data: bytes) -> None:
        prefix = f"{time.strftime('%H:%M:%S')} {name:<{self._width}} | ".encode()
        # A reader that went away must not stop the runner, which has to go on
        # draining the pipes of its processes.
        with contextlib.suppress(OSError, ValueError):
            self._stream.write(prefix + data.rstrip(b"\r") + b"\n")
            self._stream.flush()

    def system(self, message: str) -> None:
        self.line("system", message.encode())


def _die_with_parent() -> None:  # pragma: no cover - runs in the child, before exec
    # Linux: should the runner itself be killed outright (SIGKILL, a crash), its
    # processes get SIGTERM rather than live on holding the ports and databases.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class Supervised:
    """One program: started, restarted after its back-off, stopped on request."""

    def __init__(
        self,
        program: Program,
        backoff: Backoff,
        output: Output,
        changed: Callable[[], None],
        shutting_down: asyncio.Event,
        stop_timeout: float = STOP_TIMEOUT,
    ) -> None:
        self.program = program
        self.state: State = "starting"
        self.pid: int | None = None
        self.restarts = 0
        self.last_exit: str | None = None
        # Whether it ended as asked: status 0, or the SIGTERM it was sent.
        self.stopped_cleanly = True
        self._backoff = backoff
        self._stop_timeout = stop_timeout
        self._output = output
        self._changed = changed
        # Set for every process when the runner begins to stop: from then on
        # nothing is restarted, while processes of later stages go on serving.
        self._shutting_down = shutting_down
        # Set when this process's own stage comes: end it now.
        self._stop = asyncio.Event()
        self._process: asyncio.subprocess.Process | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def name(self) -> str:
        return self.program.name

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"supervise-{self.name}")

    def snapshot(self) -> dict[str, object]:
        return {
            "state": self.state,
            "pid": self.pid,
            "restarts": self.restarts,
            "last_exit": self.last_exit,
        }

    def _set(self, state: State) -> None:
        self.state = state
        self._changed()

    def _ending(self) -> bool:
        return self._stop.is_set() or self._shutting_down.is_set()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        delay = self._backoff.first
        while not self._ending():
            started = loop.time()
            outcome = await self._run_once()
            self.last_exit = outcome
            if self._ending():
                if not self._stop.is_set():
                    # It ended by itself while earlier stages were stopping.
                    self._output.system(f"{self.name} {outcome}; not restarted: stopping")
                break
            up_for = loop.time() - started
            if up_for >= self._backoff.stable:
                delay = self._backoff.first
            self.restarts += 1
            self._set("backoff")
            self._output.system(
                f"{self.name} {outcome} after {up_for:.1f} s; "
                f"restarting in {delay:g} s (restart {self.restarts})"
            )
            await _first_of(self._stop, self._shutting_down, timeout=delay)
            delay = min(delay * 2, self._backoff.cap)
        self._set("stopped")

    async def _run_once(self) -> str:
        """Run the program once, until it ends or is stopped; say how it ended."""
        self._set("starting")
        try:
            process = await asyncio.create_subprocess_exec(
                *self.program.argv,
                env=dict(self.program.env),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                # A group of its own: Ctrl-C in the terminal reaches the runner
                # only, which then stops the processes in order.
                process_group=0,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        except OSError as exc:
            return f"could not start ({type(exc).__name__}: {exc.strerror})"
        self._process, self.pid = process, process.pid
        self._set("running")
        self._output.system(f"{self.name} started (pid {process.pid})")
        assert process.stdout is not None
        pump = asyncio.create_task(self._pump(process.stdout))
        exited = asyncio.ensure_future(process.wait())
        asked = asyncio.ensure_future(self._stop.wait())
        await asyncio.wait({exited, asked}, return_when=asyncio.FIRST_COMPLETED)
        asked.cancel()
        if not exited.done():
            self._set("stopping")
            self._output.system(f"stopping {self.name} (pid {process.pid})")
            self._signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(asyncio.shield(exited), self._stop_timeout)
            except TimeoutError:
                self._output.system(
                    f"{self.name} did not stop in {self._stop_timeout:g} s: SIGKILL"
                )
                self._signal(signal.SIGKILL)
                await exited
        returncode = exited.result()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(pump), _DRAIN_TIMEOUT)
        pump.cancel()
        self._process, self.pid = None, None
        outcome = describe_exit(returncode)
        if self._stop.is_set():
            self.stopped_cleanly = returncode in (0, -signal.SIGTERM)
            self._output.system(f"{self.name} stopped ({outcome})")
        return outcome

    async def _pump(self, stream: asyncio.StreamReader) -> None:
        # Read in chunks, not readline(): a line longer than the reader's limit
        # would otherwise raise and stop the copying.
        pending = b""
        while chunk := await stream.read(65536):
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                self._output.line(self.name, line)
        if pending:
            self._output.line(self.name, pending)

    def _signal(self, signum: signal.Signals) -> None:
        process = self._process
        if process is None or process.returncode is not None:
            return
        # The whole group, so that nothing the program started is left behind.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signum)

    async def stop(self) -> None:
        """End it (SIGTERM, SIGKILL after the stop timeout); do not start it again."""
        self._stop.set()
        if self._task is not None:
            await self._task

    def kill(self) -> None:
        self._stop.set()
        self._signal(signal.SIGKILL)


async def _first_of(*events: asyncio.Event, timeout: float) -> None:
    """Wait until one of `events` is set, or `timeout` seconds."""
    waits = [asyncio.ensure_future(e.wait()) for e in events]
    await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    for wait in waits:
        wait.cancel()


class Supervisor:
    def __init__(
        self,
        programs: Sequence[Program],
        *,
        stop_order: Sequence[Sequence[str]],
        backoff: Backoff,
        status_file: Path,
        stream: BinaryIO,
        stop_timeout: float = STOP_TIMEOUT,
    ) -> None:
        names = [p.name for p in programs]
        staged = [name for stage in stop_order for name in stage]
        if sorted(staged) != sorted(names):
            raise ValueError("the stop order must name every program once")
        self._output = Output(names, stream)
        self._status_file = status_file
        self._shutting_down = asyncio.Event()
        self._processes = {
            p.name: Supervised(
                p, backoff, self._output, self._write_status, self._shutting_down, stop_timeout
            )
            for p in programs
        }
        self._stop_order = stop_order
        self._forced = False

    def _write_status(self) -> None:
        status = {
            "pid": os.getpid(),
            "processes": {name: p.snapshot() for name, p in self._processes.items()},
        }
        # Written whole and renamed, so that a reader never sees half a file.
        partial = self._status_file.with_suffix(".tmp")
        partial.write_text(json.dumps(status, indent=2) + "\n")
        partial.replace(self._status_file)

    def request_stop(self) -> None:
        """Stop every process, stage by stage; asked a second time, kill them now."""
        if not self._shutting_down.is_set():
            self._shutting_down.set()
            return
        self._output.system("asked again: killing what is left")
        self._forced = True
        for process in self._processes.values():
            process.kill()

    def _on_signal(self, signum: signal.Signals) -> None:
        self._output.system(f"{signum.name} received: stopping")
        self.request_stop()

    async def run(self, stop_signals: Sequence[signal.Signals] = STOP_SIGNALS) -> int:
        """Run until a stop signal (or `request_stop`); 0 when every process then
        stopped as asked."""
        loop = asyncio.get_running_loop()
        for signum in stop_signals:
            loop.add_signal_handler(signum, self._on_signal, signum)
        try:
            for process in self._processes.values():
                process.start()
            await self._shutting_down.wait()
            for stage in self._stop_order:
                await asyncio.gather(*(self._processes[name].stop() for name in stage))
        finally:
            for signum in stop_signals:
                loop.remove_signal_handler(signum)
        clean = not self._forced and all(p.stopped_cleanly for p in self._processes.values())
        self._output.system("all processes stopped" if clean else "stopped, not all cleanly")
        return 0 if clean else 1
