"""Gateway overhead: the same load sent straight to an upstream and through the gateway.

Workloads (one uvicorn worker each for the upstream and the gateway; load from a
separate process — wrk when installed, else a Python load generator):
  1. trivial authenticated GET, cached token: requests/s and p50/p99, ratio to direct
  2. the same GET where the upstream spends 10 ms in I/O: ratio to direct
  3. latency at half of the gateway's maximum rate: p50 difference. Measured with
     wrk paced to that rate (each connection waits 20 ms on average, exponentially
     distributed, after each answer), so
     the load generator costs as little CPU as in 1 and 2; a Python open loop at
     the same rate is printed for reference — on two cores its own CPU competes
     with three busy processes through the gateway but only two direct, which
     inflates the difference.

Run: uv run python benchmarks/gateway.py [--duration 10] [--connections 32]
Targets: ≥ 0.40× direct (1), ≥ 0.85× direct (2), ≤ +1 ms p50 (3).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gateway.internal_tokens import InternalSigner  # noqa: E402
from gateway.issuer import issue_token  # noqa: E402
from gateway.keyring import load_keyring  # noqa: E402
from gateway.settings import SERVICES, GatewaySettings  # noqa: E402
from services.common.migrate import upgrade  # noqa: E402
from services.common.principal import Principal  # noqa: E402

ROUTE = "/audit/personal-data-reads"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, deadline: float = 30) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def start(cmd: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    if match is None:
        raise ValueError(f"unexpected wrk latency {value!r}")
    number, unit = match.groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


# Paced load: each wrk connection waits on average this long after each answer,
# so that `connections` connections offer about connections × 1000 / PACE_MS
# requests/s. The waits are exponential (Poisson arrivals): equal waits would
# send every connection's request in the same instant, a burst every PACE_MS.
PACE_MS = 20
_PACE_SCRIPT = (
    "math.randomseed(os.time())\n"
    "function delay()\n"
    f"  return math.floor(-math.log(1 - math.random()) * {PACE_MS})\n"
    "end\n"
)


def wrk(
    url: str, token: str, duration: int, connections: int, *, paced: bool = False
) -> dict[str, float]:
    script: list[str] = []
    if paced:
        path = Path(tempfile.mkdtemp(prefix="renshi-wrk-")) / "pace.lua"
        path.write_text(_PACE_SCRIPT)
        script = ["-s", str(path)]
    proc = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{duration}s",
            "--latency",
            *script,
            "-H",
            f"Authorization: Bearer {token}",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    out = proc.stdout
    if "50%" not in out:
        raise RuntimeError(f"wrk printed no latency distribution:\n{out}\n{proc.stderr}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{errors.group(1)} failed responses from {url}")
    return {"rps": rps, "p50": p50, "p99": p99}


async def _closed_loop(url: str, token: str, duration: int, connections: int) -> dict[str, float]:
    latencies: list[float] = []
    end = time.perf_counter() + duration
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits, headers={"Authorization": f"Bearer {token}"}) as c:

        async def worker() -> None:
            while time.perf_counter() < end:
                t0 = time.perf_counter()
                r = await c.get(url)
                r.raise_for_status()
                latencies.append((time.perf_counter() - t0) * 1000)

        await asyncio.gather(*(worker() for _ in range(connections)))
    latencies.sort()
    return {
        "rps": len(latencies) / duration,
        "p50": latencies[len(latencies) // 2],
        "p99": latencies[int(len(latencies) * 0.99)],
    }


async def _open_loop(url: str, token: str, rate: float, duration: int) -> dict[str, float]:
    """Requests at a fixed rate whatever the answers' speed: latency without queueing
    artefacts of a closed loop."""
    latencies: list[float] = []
    connector = aiohttp.TCPConnector(limit=256)
    async with aiohttp.ClientSession(
        connector=connector, headers={"Authorization": f"Bearer {token}"}
    ) as c:

        async def one() -> None:
            t0 = time.perf_counter()
            async with c.get(url) as r:
                await r.read()
                r.raise_for_status()
            latencies.append((time.perf_counter() - t0) * 1000)

        tasks = []
        start_at = time.perf_counter()
        n = int(rate * duration)
        for i in range(n):
            delay = start_at + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one()))
        await asyncio.gather(*tasks)
    return {"p50": statistics.median(latencies), "rps": rate}


def load(url: str, token: str, duration: int, connections: int) -> dict[str, float]:
    if shutil.which("wrk"):
        return wrk(url, token, duration, connections)
    return asyncio.run(_closed_loop(url, token, duration, connections))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--forwarder", choices=("aiohttp", "httpx"), default="aiohttp")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="renshi-bench-"))
    up_port, gw_port = free_port(), free_port()
    upstream_url = f"http://127.0.0.1:{up_port}"
    env = dict(os.environ)
    env.update(
        {
            "RENSHI_VAR_DIR": str(workdir),
            "GATEWAY_KEYS_DIR": str(workdir / "keys"),
            "GATEWAY_SERVICE_URLS": json.dumps({s: upstream_url for s in SERVICES}),
            "GATEWAY_FORWARDER": args.forwarder,
            "GATEWAY_LOG_LEVEL": "INFO",
            "BENCH_INTERNAL_PUBLIC_KEY_FILE": str(workdir / "keys" / "internal.pub.pem"),
            "GATEWAY_DATABASE_URL": f"sqlite:///{workdir / 'gateway.db'}",
            # Limits high enough never to trigger: the limiter still runs on every
            # request, but all the load comes from one client, which a real limit stops.
            "GATEWAY_RATE_LIMIT_PER_IP": "100000000/minute",
            "GATEWAY_RATE_LIMIT_PER_PRINCIPAL": "100000000/minute",
        }
    )
    upgrade("gateway", env["GATEWAY_DATABASE_URL"])
    settings = GatewaySettings(keys_dir=workdir / "keys")
    keyring = load_keyring(settings)
    token = issue_token(
        keyring.issuer,
        account="bench",
        issuer=settings.issuer,
        audience=settings.audience,
        lifetime=3600,
    )
    procs = [
        start(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "benchmarks.bench_upstream:app",
                "--port",
                str(up_port),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            env,
        ),
        start([sys.executable, "-m", "renshi", "serve", "gateway", "--port", str(gw_port)], env),
    ]
    try:
        wait_ready(f"{upstream_url}/readyz")
        wait_ready(f"http://127.0.0.1:{gw_port}/healthz")
        direct = f"{upstream_url}{ROUTE}"
        # The direct baseline is authenticated the way a service is: with an
        # internal token (fresh for each run, as those tokens live 60 s).
        signer = InternalSigner(keyring.internal, settings.internal_issuer)
        bench_principal = Principal(sub="bench", kind="human", permissions=["training:audit:read"])

        def token_for(url: str) -> str:
            if url.startswith(upstream_url):
                return signer.sign(bench_principal, "training", lifetime=60)
            return token

        through = f"http://127.0.0.1:{gw_port}/api/training{ROUTE}"
        for url in (direct, through):  # warm-up: connections, caches
            load(url, token_for(url), 2, args.connections)
        tool = "wrk" if shutil.which("wrk") else "python closed loop"
        print(
            f"load: {tool}, {args.connections} connections, {args.duration} s each; "
            f"forwarder: {args.forwarder}\n"
        )
        print(f"{'workload':<38}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'ratio':>8}")
        results = {}
        for label, suffix in (("trivial GET", ""), ("GET, upstream 10 ms I/O", "?delay=10")):
            d = load(direct + suffix, token_for(direct), args.duration, args.connections)
            g = load(through + suffix, token, args.duration, args.connections)
            ratio = g["rps"] / d["rps"]
            results[label] = ratio
            print(f"{label + ' direct':<38}{d['rps']:>10.0f}{d['p50']:>9.2f}{d['p99']:>9.2f}")
            print(
                f"{label + ' via gateway':<38}{g['rps']:>10.0f}{g['p50']:>9.2f}"
                f"{g['p99']:>9.2f}{ratio:>7.2f}x"
            )
            if label == "trivial GET":
                gateway_max = g["rps"]
        rate = gateway_max / 2
        # Reference figure: a Python open loop, whose own CPU competes with the
        # gateway and the upstream for the two cores (three busy processes
        # through the gateway, two direct), so it overstates the added latency.
        d = asyncio.run(_open_loop(direct, token_for(direct), rate, args.duration))
        g = asyncio.run(_open_loop(through, token, rate, args.duration))
        added = g["p50"] - d["p50"]
        print(
            f"\nhalf load ({rate:.0f} req/s, python open loop): p50 direct {d['p50']:.2f} ms, "
            f"via gateway {g['p50']:.2f} ms, added {added:+.2f} ms"
        )
        if shutil.which("wrk"):
            # The measured figure: the same rate from wrk, paced (each connection
            # waits PACE_MS on average after each answer), a load generator as
            # light as the one the throughput figures use.
            conns = max(1, round(rate * PACE_MS / 1000))
            d = wrk(direct, token_for(direct), args.duration, conns, paced=True)
            g = wrk(through, token, args.duration, conns, paced=True)
            added = g["p50"] - d["p50"]
            print(
                f"half load ({d['rps']:.0f} / {g['rps']:.0f} req/s, wrk paced, {conns} "
                f"connections): p50 direct {d['p50']:.2f} ms, via gateway {g['p50']:.2f} ms, "
                f"added {added:+.2f} ms"
            )
        print(
            "\ntargets: trivial ≥ 0.40x: "
            f"{'met' if results['trivial GET'] >= 0.40 else 'MISSED'}; "
            f"10 ms I/O ≥ 0.85x: "
            f"{'met' if results['GET, upstream 10 ms I/O'] >= 0.85 else 'MISSED'}; "
            f"half-load p50 ≤ +1 ms: {'met' if added <= 1.0 else 'MISSED'}"
        )
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
