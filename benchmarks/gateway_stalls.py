"""Where the gateway's tail at saturation comes from: stalls of its event loop,
and whether the process was working during them.

Serves the gateway (`renshi serve`'s app and server options) in a child
process with a monitor task that sleeps 2 ms again and again and notes how late
it wakes; for each wake-up more than 20 ms late it also notes how much CPU the
process spent meanwhile, and it counts the garbage collections of each
generation. wrk saturates it (32 connections) through to the fast upstream of
`benchmarks/gateway.py` (nginx `return 200`; the directory's account look-up
from that benchmark's FastAPI upstream).

A stall in which the process spent about as much CPU as the stall lasted is
the gateway's own work (a collection, a long callback, the audit writer holding
the GIL); one in which it spent next to nothing is the process waiting for a
core — the machine, not the gateway.

Run: uv run python benchmarks/gateway_stalls.py [--duration 10]
(needs nginx and wrk: apt-get install -y nginx wrk)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.gateway import (  # noqa: E402
    ROUTE,
    free_port,
    gateway_setup,
    start_nginx,
    start_upstream,
    wait_ready,
    wrk,
)
from gateway.settings import SERVICES  # noqa: E402

# The child: the served gateway with the monitor; it prints one JSON line of
# figures when it receives SIGTERM.
CHILD = r"""
import asyncio, gc, json, signal, sys, time
import uvicorn
from renshi.cli import SERVER_OPTIONS, served_gateway_app

late, stalls, collections = [], [], {0: 0, 1: 0, 2: 0}
def counted(phase, info):
    if phase == "start":
        collections[info["generation"]] += 1

gc.callbacks.append(counted)

async def monitor():
    while True:
        wall, cpu = time.perf_counter(), time.process_time()
        await asyncio.sleep(0.002)
        lag = (time.perf_counter() - wall) * 1000 - 2
        late.append(lag)
        if lag > 20:
            stalls.append((lag, (time.process_time() - cpu) * 1000))

class Server(uvicorn.Server):
    async def startup(self, sockets=None):
        await super().startup(sockets)
        asyncio.get_running_loop().create_task(monitor())

    async def shutdown(self, sockets=None):
        # Here rather than after run(): the server re-raises SIGTERM once stopped.
        done()
        await super().shutdown(sockets)

def measuring(_signum, _frame):
    # Between the warm-up and the measured window.
    late.clear(); stalls.clear()
    for g in collections: collections[g] = 0

def done():
    late.sort()
    print(json.dumps({
        "wakeups": len(late),
        "late_p50": late[len(late) // 2] if late else 0,
        "late_p99": late[int(len(late) * 0.99)] if late else 0,
        "stalls": stalls,
        "collections": collections,
    }), flush=True)

signal.signal(signal.SIGUSR1, measuring)
server = Server(uvicorn.Config(served_gateway_app, factory=True, host="127.0.0.1",
                               port=int(sys.argv[1]), **SERVER_OPTIONS))
server.run()
"""


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=10, help="seconds measured")
    args = parser.parse_args()
    if not (shutil.which("nginx") and shutil.which("wrk")):
        print("notice: needs nginx and wrk (apt-get install -y nginx wrk)")
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="renshi-stalls-"))
    up_port, fast_port, gw_port = free_port(), free_port(), free_port()
    urls = {s: f"http://127.0.0.1:{fast_port}" for s in SERVICES}
    urls["directory"] = f"http://127.0.0.1:{up_port}"
    setup = gateway_setup(workdir, urls)
    env, token = setup.env, setup.token
    procs = []
    gateway: subprocess.Popen[str] | None = None
    try:
        procs.append(start_upstream(env, up_port))
        procs.append(start_nginx(workdir, {fast_port: None}))
        gateway = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(gw_port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # As long as `gateway_proc` allows: a loaded machine takes its time.
        wait_ready(f"http://127.0.0.1:{gw_port}/healthz", deadline=120)
        url = f"http://127.0.0.1:{gw_port}/api/certs{ROUTE}"
        wrk(url, token, 2, 32)
        gateway.send_signal(signal.SIGUSR1)
        load_before = os.getloadavg()[0]
        result = wrk(url, token, args.duration, 32)
        load_after = os.getloadavg()[0]
        gateway.terminate()
        out, err = gateway.communicate(timeout=30)
        if not out.strip():
            raise RuntimeError(f"the monitored gateway printed no figures:\n{err[-3000:]}")
    finally:
        if gateway is not None and gateway.poll() is None:
            gateway.kill()
            gateway.wait()
        for p in reversed(procs):
            p.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    figures = json.loads(out.strip().splitlines()[-1])
    stalls = figures["stalls"]
    print(
        f"wrk -t1, 32 connections, {args.duration:g} s; load average {load_before:.2f} → "
        f"{load_after:.2f}\n"
        f"renshi: {result['rps']:.0f} req/s, p50 {result['p50']:.2f} ms, p99 "
        f"{result['p99']:.2f} ms (p99 / p50 {result['p99'] / result['p50']:.1f})\n"
        f"event loop: {figures['wakeups']} wake-ups, late by p50 {figures['late_p50']:.2f} ms, "
        f"p99 {figures['late_p99']:.2f} ms\n"
        f"collections in the window: {figures['collections']}"
    )
    if not stalls:
        print("stalls over 20 ms: none")
        return 0
    stalled = sum(s[0] for s in stalls)
    working = sum(min(s[1], s[0]) for s in stalls)
    print(
        f"stalls over 20 ms: {len(stalls)}, {stalled:.0f} ms in all, the longest "
        f"{max(s[0] for s in stalls):.0f} ms; the process worked {working:.0f} ms of them "
        f"({working / stalled:.0%}): the rest it waited for a core"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
