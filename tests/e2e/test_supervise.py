"""The process runner of `renshi up` (renshi/supervise.py), on small programs."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from renshi.supervise import Backoff, Program, Supervisor, describe_exit, parse_procfile

# Each waits for SIGTERM (printing on the way out) unless told otherwise.
SERVES = (
    "import signal, sys\n"
    "def bye(*_):\n"
    "    print('bye', flush=True)\n"
    "    sys.exit(0)\n"
    "signal.signal(signal.SIGTERM, bye)\n"
    "print('up', flush=True)\n"
    "while True:\n"
    "    signal.pause()\n"
)
IGNORES_SIGTERM = (
    "import signal\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "print('up', flush=True)\n"
    "while True:\n"
    "    signal.pause()\n"
)


def program(name: str, code: str) -> Program:
    return Program(name, (sys.executable, "-c", code), {})


States = dict[str, dict[str, object]]


def supervise(
    tmp_path: Path,
    programs: list[Program],
    until: Callable[[States, list[str]], bool],
    *,
    stop_order: list[list[str]] | None = None,
    backoff: Backoff | None = None,
    stop_timeout: float = 5.0,
) -> tuple[int, list[str], dict[str, dict[str, object]]]:
    """Run `programs` until `until(states, lines)` holds, then stop them; return
    the exit code, the lines written and the last states."""
    status_file = tmp_path / "up.json"
    out = io.BytesIO()

    def states() -> States:
        if not status_file.exists():
            return {}
        processes: States = json.loads(status_file.read_text())["processes"]
        return processes

    def lines() -> list[str]:
        return out.getvalue().decode().splitlines()

    async def main() -> int:
        supervisor = Supervisor(
            programs,
            stop_order=stop_order or [[p.name for p in programs]],
            backoff=backoff or Backoff(),
            status_file=status_file,
            stream=out,
            stop_timeout=stop_timeout,
        )
        running = asyncio.create_task(supervisor.run(stop_signals=()))
        deadline = time.monotonic() + 20
        while not until(states(), lines()):
            assert time.monotonic() < deadline, f"never reached: {states()}"
            assert not running.done(), "the runner ended by itself"
            await asyncio.sleep(0.02)  # polling the state file, bounded by the deadline
        supervisor.request_stop()
        return await asyncio.wait_for(running, 30)

    code = asyncio.run(main())
    return code, lines(), states()


def said_up(lines: list[str], *names: str) -> bool:
    """Each program printed `up`: it is past installing its signal handler."""
    return all(any(re.search(rf" {n} +\| up$", line) for line in lines) for n in names)


def restarts(states: States, name: str) -> int:
    count = states.get(name, {}).get("restarts", 0)
    assert isinstance(count, int)
    return count


def restart_delays(lines: list[str], name: str) -> list[float]:
    pattern = re.compile(rf"\| {name} .* restarting in ([\d.]+) s \(restart \d+\)$")
    return [float(m.group(1)) for line in lines if (m := pattern.search(line))]


def test_a_crashing_program_is_restarted_after_a_doubling_backoff_up_to_the_cap(tmp_path):
    crashes = program("crashes", "raise SystemExit(3)")
    backoff = Backoff(first=0.05, cap=0.2, stable=60)

    code, lines, states = supervise(
        tmp_path,
        [crashes],
        lambda s, _lines: restarts(s, "crashes") >= 5,
        backoff=backoff,
    )
    assert restart_delays(lines, "crashes")[:5] == [0.05, 0.1, 0.2, 0.2, 0.2]
    # Each restart is logged with the exit status.
    assert any("crashes exit status 3 after" in line for line in lines)
    assert states["crashes"]["last_exit"] == "exit status 3"
    assert states["crashes"]["state"] == "stopped"
    # Stopped while waiting to restart: nothing to stop, a clean stop.
    assert code == 0, "\n".join(lines)


def test_a_program_that_stayed_up_starts_again_from_the_first_delay(tmp_path):
    # Up for longer than `stable` each time, so the back-off never grows.
    flaky = program("flaky", "import time; time.sleep(0.3); raise SystemExit(1)")
    backoff = Backoff(first=0.05, cap=10, stable=0.2)

    _code, lines, _states = supervise(
        tmp_path,
        [flaky],
        lambda s, _lines: restarts(s, "flaky") >= 3,
        backoff=backoff,
    )
    assert restart_delays(lines, "flaky")[:3] == [0.05, 0.05, 0.05]


def test_a_killed_program_is_restarted_and_the_others_keep_running(tmp_path):
    killed: list[int] = []

    def ups(lines: list[str], name: str) -> int:
        return sum(bool(re.search(rf" {name} +\| up$", line)) for line in lines)

    def until(states: States, lines: list[str]) -> bool:
        if not killed and said_up(lines, "victim", "other"):
            pid = states["victim"]["pid"]
            assert isinstance(pid, int)
            killed.append(pid)
            os.kill(pid, signal.SIGKILL)
        # Back: started again, and serving.
        return ups(lines, "victim") == 2

    code, lines, states = supervise(
        tmp_path,
        [program("victim", SERVES), program("other", SERVES)],
        until,
        backoff=Backoff(first=0.05, cap=1, stable=60),
    )
    assert any(
        re.search(r"\| victim ended by SIGKILL after [\d.]+ s; restarting in 0.05 s", line)
        for line in lines
    )
    started = [line for line in lines if re.search(r"\| victim started \(pid \d+\)$", line)]
    assert len(started) == 2 and f"(pid {killed[0]})" in started[0]
    assert (restarts(states, "victim"), restarts(states, "other")) == (1, 0)
    assert ups(lines, "other") == 1
    assert code == 0, "\n".join(lines)


def test_stages_stop_in_order_each_after_the_one_before(tmp_path):
    names = ["gateway", "scheduler", "a", "b"]

    code, lines, states = supervise(
        tmp_path,
        [program(n, SERVES) for n in names],
        lambda _s, lines: said_up(lines, *names),
        stop_order=[["gateway"], ["scheduler"], ["a", "b"]],
    )

    def at(pattern: str) -> int:
        """Index of the first line (after its prefix) matching `pattern`."""
        return next(
            i for i, line in enumerate(lines) if re.fullmatch(pattern, line.split("| ", 1)[1])
        )

    # A stage is signalled only once the one before has ended: the gateway's
    # own last line comes before the scheduler is asked to stop.
    assert (
        at(r"stopping gateway \(pid \d+\)")
        < at("bye")  # the gateway's
        < at(r"gateway stopped \(exit status 0\)")
        < at(r"stopping scheduler \(pid \d+\)")
        < at(r"scheduler stopped \(exit status 0\)")
        < min(at(rf"stopping {n} \(pid \d+\)") for n in ("a", "b"))
    )
    assert [line.split(" ")[1] for line in lines if line.endswith("| bye")][:2] == [
        "gateway",
        "scheduler",
    ]
    assert at(r"a stopped \(exit status 0\)") and at(r"b stopped \(exit status 0\)")
    assert lines[-1].endswith("| all processes stopped")
    assert all(p["state"] == "stopped" for p in states.values())
    assert code == 0, "\n".join(lines)


def test_each_line_is_prefixed_by_the_time_and_the_program_name(tmp_path):
    code, lines, _states = supervise(
        tmp_path,
        [program("speakers", SERVES), program("a", "print('one'); print('two')")],
        lambda s, lines: restarts(s, "a") == 1 and said_up(lines, "speakers"),
        backoff=Backoff(first=10, cap=10, stable=60),
    )
    assert re.fullmatch(r"\d\d:\d\d:\d\d a        \| one", next(x for x in lines if "one" in x))
    assert any(re.fullmatch(r"\d\d:\d\d:\d\d a        \| two", x) for x in lines)
    assert code == 0, "\n".join(lines)


def test_a_program_that_will_not_stop_is_killed_and_the_exit_code_says_so(tmp_path):
    code, lines, _states = supervise(
        tmp_path,
        [program("stubborn", IGNORES_SIGTERM)],
        lambda _s, lines: said_up(lines, "stubborn"),
        stop_timeout=0.5,
    )
    assert any(line.endswith("| stubborn did not stop in 0.5 s: SIGKILL") for line in lines)
    assert any(line.endswith("| stubborn stopped (ended by SIGKILL)") for line in lines)
    assert lines[-1].endswith("| stopped, not all cleanly")
    assert code == 1


def test_procfile_commands_take_variables_from_the_environment():
    parsed = parse_procfile(
        "# comment\n\nweb: renshi serve web --port $WEB_PORT\njobs: run ${WHAT} 'a b'\n",
        {"WEB_PORT": "8001", "WHAT": "all"},
    )
    assert parsed == {
        "web": ("renshi", "serve", "web", "--port", "8001"),
        "jobs": ("run", "all", "a b"),
    }
    with pytest.raises(ValueError, match=r"\$MISSING"):
        parse_procfile("web: serve $MISSING\n", {})
    with pytest.raises(ValueError, match="line 1"):
        parse_procfile("no command here\n", {})


def test_exits_are_described_by_status_or_signal():
    assert describe_exit(0) == "exit status 0"
    assert describe_exit(3) == "exit status 3"
    assert describe_exit(-9) == "ended by SIGKILL"
    assert describe_exit(-15) == "ended by SIGTERM"


def test_the_backoff_comes_from_the_environment():
    assert Backoff.from_env({}) == Backoff(first=1.0, cap=30.0, stable=60.0)
    assert Backoff.from_env({"RENSHI_UP_RESTART_DELAY": "0.5"}).first == 0.5
    with pytest.raises(ValueError, match="RENSHI_UP_RESTART_DELAY"):
        Backoff.from_env({"RENSHI_UP_RESTART_DELAY": "soon"})
    with pytest.raises(ValueError):
        Backoff.from_env({"RENSHI_UP_RESTART_DELAY": "60", "RENSHI_UP_RESTART_MAX_DELAY": "30"})
