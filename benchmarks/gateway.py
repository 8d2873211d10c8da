"""Gateway cost: the same load straight at an upstream, through nginx, through
HAProxy verifying an ES256 JWT on every request, and through renshi's gateway.

Everything runs in one sitting on the same two upstreams:
  - fast: nginx answering `return 200` (what a proxy costs when the upstream
    costs nothing),
  - FastAPI: `benchmarks/bench_upstream.py` under one uvicorn worker,
    authenticating every request with the internal token as the services do.

Peers (Debian packages: `apt-get install -y nginx haproxy wrk`; a missing one
is named and its rows are skipped):
  - nginx as a plain proxy (no authentication), one worker process;
  - HAProxy (2.5 or later for `jwt_verify`), one thread, checking alg, `iss`,
    `aud`, `exp` and the ES256 signature of a bearer token on every request,
    then putting the upstream's internal token in its place.

renshi's gateway runs as `renshi serve gateway` (one process unless
`--workers`), verifying a cached token as in production. Each row prints
requests/s, p50, p99, and the CPU per request of the proxy and of the
upstream: utime + stime from /proc/<pid>/stat of every process of each, over
the measured window, divided by the requests wrk counted. The upstream's
figure tells whether a proxy makes the upstream work more per request, and
with the rate how much of a core the upstream had: where a FastAPI row's
requests went. Ratios compare rows of the same run. The machine's load
average is printed before and after: figures from a busy machine are not
comparable with a quiet one's, ratios mostly are.

The 10 ms rows run on `--io-connections` (8) connections, so that the upstream
mostly waits; the half-load rows offer every peer the same paced rate, half of
renshi's saturated one, so that each peer's added p50 is a figure beside
renshi's.

`--repeat N` runs the whole set of rows N times, one pass after another, and
prints each row's median (min–max) and each target's per-pass figure as a
median (min–max), judging the target on that median: on a shared 2-core
machine a single 5 s row moves by a factor of three. Beside the two-worker
row, HAProxy with as many threads against its one-thread row: what a second
core gives on this machine at all; and for both, what the cores allow at
that row's CPU a request of everything that ran (proxy, upstream and wrk,
whose own CPU a request each row prints) and the share of the cores that was
busy: the measured ratio is the one times the other. `--instructions N` adds the instructions a
request of HAProxy and of renshi under `valgrind --tool=callgrind` for N
requests on the fast upstream: a figure that does not move with the load.

Run: uv run python benchmarks/gateway.py [--duration 3] [--connections 32]
     [--repeat 3] [--instructions 1000]
Targets: renshi's CPU per request ≤ 1.5× HAProxy's on the fast upstream;
through renshi ≥ 0.90× direct (trivial GET) and ≥ 0.95× (10 ms I/O) on the
FastAPI upstream; added p50 at half load ≤ +0.5 ms; p99 ≤ 3× p50 at the
proxy's saturation, on the fast upstream (in front of the FastAPI upstream the
upstream saturates first: its own p99 / p50 is printed beside); two workers ≥
1.6× one on the fast upstream.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gateway.internal_tokens import InternalSigner  # noqa: E402
from gateway.issuer import issue_token  # noqa: E402
from gateway.keyring import Keyring, load_keyring  # noqa: E402
from gateway.settings import SERVICES, GatewaySettings  # noqa: E402
from services.common.migrate import upgrade  # noqa: E402
from services.common.principal import Principal  # noqa: E402

ROUTE = "/audit/personal-data-reads"
# The gateway sends certs' route to the fast upstream, training's to FastAPI.
FAST_SERVICE, FASTAPI_SERVICE = "certs", "training"
BODY = '{"items":[],"next_cursor":null,"limit":50}'
HAPROXY_ISSUER, HAPROXY_AUDIENCE = "renshi-bench", "renshi-api"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# The cores this process may run on: wrk, the upstreams and the proxies share them.
CORES = len(os.sched_getaffinity(0))


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


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _cpu_of(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def worker_cpu(root: int) -> dict[int, float]:
    """CPU seconds of each process under `root` (a supervisor's workers; their
    own children included in each)."""
    return {pid: cpu_seconds(pid) for pid in _children().get(root, [])}


def cpu_seconds(root: int) -> float:
    """utime + stime of `root` and every process under it (workers included)."""
    tree = _children()
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(tree.get(pid, ()))
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # Fields 14 and 15 of stat(5), counted after the `(comm)` field.
        total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]

    def stop(self) -> None:
        self.popen.terminate()
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()


def start(name: str, cmd: list[str], env: dict[str, str] | None = None) -> Proc:
    return Proc(
        name,
        subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        ),
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
    url: str, token: str, duration: float, connections: int, *, paced: bool = False
) -> dict[str, float]:
    script: list[str] = []
    if paced:
        path = Path(tempfile.mkdtemp(prefix="renshi-wrk-")) / "pace.lua"
        path.write_text(_PACE_SCRIPT)
        script = ["-s", str(path)]
    # wrk is the only child waited for in between: the rusage of reaped children
    # grows by its CPU alone.
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{max(1, round(duration))}s",
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
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    spent = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    out = proc.stdout
    if "50%" not in out:
        raise RuntimeError(f"wrk printed no latency distribution:\n{out}\n{proc.stderr}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{errors.group(1)} failed responses from {url}")
    found = {
        "rps": re.search(r"Requests/sec:\s+([\d.]+)", out),
        "n": re.search(r"(\d+) requests in", out),
        "p50": re.search(r"^\s+50%\s+(\S+)", out, re.M),
        "p99": re.search(r"^\s+99%\s+(\S+)", out, re.M),
    }
    if any(m is None for m in found.values()):
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    groups = {k: m.group(1) for k, m in found.items() if m is not None}
    return {
        "rps": float(groups["rps"]),
        "n": float(groups["n"]),
        "p50": _ms(groups["p50"]),
        "p99": _ms(groups["p99"]),
        "load_cpu_us": spent / max(float(groups["n"]), 1) * 1e6,
    }


async def _closed_loop(
    url: str, token: str, duration: float, connections: int, pause: float = 0.0
) -> dict[str, float]:
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
                if pause:
                    await asyncio.sleep(pause)

        await asyncio.gather(*(worker() for _ in range(connections)))
    latencies.sort()
    return {
        "rps": len(latencies) / duration,
        "n": float(len(latencies)),
        "p50": latencies[len(latencies) // 2],
        "p99": latencies[int(len(latencies) * 0.99)],
    }


def load(
    url: str, token: str, duration: float, connections: int, *, paced: bool = False
) -> dict[str, float]:
    if shutil.which("wrk"):
        return wrk(url, token, duration, connections, paced=paced)
    pause = PACE_MS / 1000 if paced else 0.0
    return asyncio.run(_closed_loop(url, token, duration, connections, pause))


def measure(
    url: str,
    token: str,
    duration: float,
    connections: int,
    proxy: Proc | None,
    upstream: Proc,
    *,
    paced: bool = False,
) -> dict[str, float]:
    """One row: a short warm-up, then the measured window with the CPU the proxy
    and the upstream each spent in it, per request counted."""
    load(url, token, 1, connections)
    proxy_before = cpu_seconds(proxy.popen.pid) if proxy else 0.0
    upstream_before = cpu_seconds(upstream.popen.pid)
    result = load(url, token, duration, connections, paced=paced)
    requests = max(result["n"], 1)
    result["up_cpu_us"] = (cpu_seconds(upstream.popen.pid) - upstream_before) / requests * 1e6
    if proxy is not None:
        result["cpu_us"] = (cpu_seconds(proxy.popen.pid) - proxy_before) / requests * 1e6
    return result


# --- the peers' configurations ------------------------------------------------


def nginx_config(workdir: Path, listen: dict[int, str | None]) -> Path:
    """One worker; each port either answers `return 200` (None) or proxies to a URL
    over pooled keep-alive connections."""
    servers, upstreams = [], []
    for port, target in listen.items():
        if target is None:
            body = f"default_type application/json; return 200 '{BODY}';"
        else:
            name = f"up{port}"
            upstreams.append(f"upstream {name} {{ server {target}; keepalive 64; }}")
            body = (
                f'proxy_pass http://{name}; proxy_http_version 1.1; proxy_set_header Connection "";'
            )
        servers.append(f"server {{ listen 127.0.0.1:{port}; location / {{ {body} }} }}")
    prefix = workdir / f"nginx-{min(listen)}"
    (prefix / "logs").mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(
        "worker_processes 1;\ndaemon off;\n"
        f"pid {prefix}/nginx.pid;\nerror_log {prefix}/error.log warn;\n"
        "events { worker_connections 4096; }\n"
        "http { access_log off; keepalive_requests 1000000;\n"
        + "\n".join(upstreams + servers)
        + "\n}\n"
    )
    return conf


def start_nginx(workdir: Path, listen: dict[int, str | None]) -> Proc:
    conf = nginx_config(workdir, listen)
    proc = start("nginx", ["nginx", "-p", str(conf.parent), "-c", str(conf), "-e", "stderr"])
    for port in listen:
        wait_ready(f"http://127.0.0.1:{port}/readyz")
    return proc


def haproxy_supports_jwt() -> bool:
    if not shutil.which("haproxy"):
        return False
    out = subprocess.run(["haproxy", "-v"], capture_output=True, text=True).stdout
    match = re.search(r"version (\d+)\.(\d+)", out)
    if match is None:
        return False
    return (int(match.group(1)), int(match.group(2))) >= (2, 5)


def haproxy_config(
    workdir: Path, port: int, upstream: str, pub: Path, internal: str, threads: int = 1
) -> Path:
    """`threads` threads (one for the peer rows); every request's bearer token
    checked (alg, iss, aud, exp and the ES256 signature), then replaced by the
    upstream's internal token."""
    deny = (
        "http-request return status 401 content-type application/problem+json "
        'string "{\\"status\\":401}"'
    )
    conf = workdir / f"haproxy-{port}.cfg"
    conf.write_text(
        f"""global
    nbthread {threads}
    maxconn 4096
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    http-reuse always
frontend f
    bind 127.0.0.1:{port}
    http-request set-var(txn.bearer) http_auth_bearer
    {deny} unless {{ var(txn.bearer) -m found }}
    http-request set-var(txn.alg) var(txn.bearer),jwt_header_query('$.alg')
    http-request set-var(txn.iss) var(txn.bearer),jwt_payload_query('$.iss')
    http-request set-var(txn.aud) var(txn.bearer),jwt_payload_query('$.aud')
    http-request set-var(txn.exp) var(txn.bearer),jwt_payload_query('$.exp','int')
    http-request set-var(txn.now) date()
    {deny} unless {{ var(txn.alg) -m str ES256 }}
    {deny} unless {{ var(txn.iss) -m str {HAPROXY_ISSUER} }}
    {deny} unless {{ var(txn.aud) -m str {HAPROXY_AUDIENCE} }}
    {deny} if {{ var(txn.exp),sub(txn.now) -m int lt 0 }}
    {deny} unless {{ var(txn.bearer),jwt_verify(txn.alg,"{pub}") -m int 1 }}
    http-request set-header Authorization "Bearer {internal}"
    default_backend b
backend b
    server s1 {upstream}
"""
    )
    check = subprocess.run(["haproxy", "-c", "-f", str(conf)], capture_output=True, text=True)
    if check.returncode != 0:
        raise RuntimeError(f"haproxy refused its configuration:\n{check.stdout}{check.stderr}")
    return conf


@contextmanager
def haproxy(
    workdir: Path, upstream: str, pub: Path, internal: str, threads: int = 1
) -> Iterator[tuple[Proc, int]]:
    port = free_port()
    conf = haproxy_config(workdir, port, upstream, pub, internal, threads)
    proc = start("haproxy", ["haproxy", "-db", "-f", str(conf)])
    try:
        _wait_port(port)
        yield proc, port
    finally:
        proc.stop()


def _wait_port(port: int, deadline: float = 10) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def es256_pair(workdir: Path) -> tuple[ec.EllipticCurvePrivateKey, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    pub = workdir / "es256.pub.pem"
    pub.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return key, pub


# --- the table ----------------------------------------------------------------


def row(label: str, r: dict[str, float] | None, extra: str = "") -> None:
    if r is None:
        print(f"{label:<44}{'skipped':>10}")
        return
    cpu = f"{r['cpu_us']:>11.0f}" if "cpu_us" in r else f"{'—':>11}"
    up = f"{r['up_cpu_us']:>12.0f}" if "up_cpu_us" in r else f"{'—':>12}"
    wrk_cpu = f"{r['load_cpu_us']:>7.0f}" if "load_cpu_us" in r else f"{'—':>7}"
    print(
        f"{label:<44}{r['rps']:>10.0f}{r['p50']:>9.2f}{r['p99']:>9.2f}{cpu}{up}{wrk_cpu}  {extra}"
    )


def ratio(a: dict[str, float] | None, b: dict[str, float] | None, key: str) -> float | None:
    if a is None or b is None or not b.get(key):
        return None
    return a[key] / b[key]


def fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}×"


@dataclass
class Setup:
    """What every gateway benchmark starts from: the environment its processes
    run in (keys, audit database, service URLs, limits out of the way) and a
    token the gateway accepts."""

    env: dict[str, str]
    settings: GatewaySettings
    keyring: Keyring
    token: str


def gateway_setup(workdir: Path, service_urls: dict[str, str], **extra: str) -> Setup:
    """Keys made in `workdir`, the audit database migrated, a token issued."""
    env = dict(os.environ)
    env.update(
        {
            "RENSHI_VAR_DIR": str(workdir),
            "GATEWAY_KEYS_DIR": str(workdir / "keys"),
            "GATEWAY_SERVICE_URLS": json.dumps(service_urls),
            "GATEWAY_LOG_LEVEL": "INFO",
            "BENCH_INTERNAL_PUBLIC_KEY_FILE": str(workdir / "keys" / "internal.pub.pem"),
            "GATEWAY_DATABASE_URL": f"sqlite:///{workdir / 'gateway.db'}",
            # Limits high enough never to trigger: the limiter still runs on every
            # request, but all the load comes from one client, which a real limit stops.
            "GATEWAY_RATE_LIMIT_PER_IP": "100000000/minute",
            "GATEWAY_RATE_LIMIT_PER_PRINCIPAL": "100000000/minute",
            **extra,
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
    return Setup(env, settings, keyring, token)


def start_upstream(env: dict[str, str], port: int) -> Proc:
    """`bench_upstream` under one uvicorn worker, once it answers."""
    cmd = [sys.executable, "-m", "uvicorn", "benchmarks.bench_upstream:app"]
    cmd += ["--port", str(port), "--no-access-log", "--log-level", "warning"]
    proc = start("upstream", cmd, env)
    try:
        # As for the gateway: at a load average over 20, start-up took longer than 30 s.
        wait_ready(f"http://127.0.0.1:{port}/readyz", deadline=120)
    except RuntimeError:
        proc.stop()
        raise
    return proc


def gateway_proc(env: dict[str, str], port: int, workers: int) -> Proc:
    cmd = [sys.executable, "-m", "renshi", "serve", "gateway", "--port", str(port)]
    if workers > 1:
        cmd += ["--workers", str(workers)]
    proc = start(f"renshi ×{workers}", cmd, env)
    # Several workers each import and build the app: at a load average near 20
    # that took longer than 30 s; above 20, two workers took over 120 s.
    try:
        wait_ready(f"http://127.0.0.1:{port}/healthz", deadline=300)
    except RuntimeError:
        # Not yet among the processes the run stops: stopped here.
        proc.stop()
        raise
    return proc


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=3, help="seconds per row")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--io-connections", type=int, default=8, help="connections of the 10 ms I/O rows"
    )
    parser.add_argument("--forwarder", choices=("h1", "aiohttp", "httpx"), default="h1")
    parser.add_argument(
        "--workers", type=int, default=2, help="the several-workers row (0: leave it out)"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run the whole set of rows this many times, one pass after another; "
        "each row's median (min–max) is printed and each target judged on the median",
    )
    parser.add_argument(
        "--instructions",
        type=int,
        default=0,
        metavar="REQUESTS",
        help="also count instructions a request of HAProxy and renshi under callgrind "
        "for this many requests (0: not)",
    )
    args = parser.parse_args()
    dur, conns = args.duration, args.connections

    workdir = Path(tempfile.mkdtemp(prefix="renshi-bench-"))
    up_port, fast_port, gw_port = free_port(), free_port(), free_port()
    fastapi_url = f"127.0.0.1:{up_port}"
    fast_url = f"127.0.0.1:{fast_port}"
    service_urls = {s: f"http://{fastapi_url}" for s in SERVICES}
    service_urls[FAST_SERVICE] = f"http://{fast_url}"
    setup = gateway_setup(workdir, service_urls, GATEWAY_FORWARDER=args.forwarder)
    env, settings, keyring, token = setup.env, setup.settings, setup.keyring, setup.token
    signer = InternalSigner(keyring.internal, settings.internal_issuer)
    principals: list[Principal] = []

    def internal() -> str:
        # Fresh for each row: internal tokens live at most 60 s. The principal is
        # the one the gateway signs for the upstream's account (not a smaller one),
        # so that direct and proxied rows give the upstream the same token to check.
        return signer.sign(principals[0], FASTAPI_SERVICE, lifetime=60)

    es_key, es_pub = es256_pair(workdir)
    now = int(time.time())
    es_token = jwt.encode(
        {"iss": HAPROXY_ISSUER, "aud": HAPROXY_AUDIENCE, "sub": "bench", "iat": now,
         "exp": now + 3600},
        es_key,
        algorithm="ES256",
    )  # fmt: skip

    has_nginx, has_haproxy = bool(shutil.which("nginx")), haproxy_supports_jwt()
    if not shutil.which("wrk"):
        print("notice: wrk not installed; load from a Python closed loop (apt-get install wrk)")
    if not has_nginx:
        print("notice: nginx not installed; the fast upstream and the nginx rows are skipped")
    if not has_haproxy:
        print("notice: HAProxy ≥ 2.5 not installed (jwt_verify); its rows are skipped")

    procs: list[Proc] = []
    try:
        upstream = start_upstream(env, up_port)
        procs.append(upstream)
        unauthenticated = httpx.get(f"http://{fastapi_url}{ROUTE}")
        if unauthenticated.status_code != 401:
            raise RuntimeError(f"the upstream answered {unauthenticated.status_code} without token")
        account = httpx.get(f"http://{fastapi_url}/principals/bench").json()
        principals.append(
            Principal(
                sub=account["account"],
                kind=account["kind"],
                person_id=account["person_id"],
                agency_code=account["agency_code"],
                agency_scope=account["agency_scope"],
                roles=account["roles"],
                permissions=account["permissions"],
            )
        )
        nginx_proxy_ports = {"fast": free_port(), "fastapi": free_port()}
        nginx_proxy: Proc | None = None
        fast_upstream: Proc | None = None
        if has_nginx:
            fast_upstream = start_nginx(workdir, {fast_port: None})
            procs.append(fast_upstream)
            nginx_proxy = start_nginx(
                workdir,
                {nginx_proxy_ports["fast"]: fast_url, nginx_proxy_ports["fastapi"]: fastapi_url},
            )
            procs.append(nginx_proxy)
        gateway = gateway_proc(env, gw_port, 1)
        procs.append(gateway)
        # The several-workers gateway runs beside the one-worker one for the whole
        # sitting (idle while the other rows run), so that every pass has its row.
        many: tuple[Proc, int] | None = None
        if args.workers > 1 and fast_upstream is not None:
            many_port = free_port()
            many = (gateway_proc(env, many_port, args.workers), many_port)
            procs.append(many[0])

        load_before = os.getloadavg()
        tool = "wrk -t1" if shutil.which("wrk") else "python closed loop"
        print(
            f"load: {tool}, {conns} connections, {dur:g} s a row, {args.repeat} pass(es); "
            f"forwarder {args.forwarder}; load average before: "
            f"{load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}"
        )
        passes: list[dict[str, dict[str, float] | None]] = []
        for number in range(1, args.repeat + 1):
            if args.repeat > 1:
                print(f"\npass {number} of {args.repeat}")
            header()
            passes.append(
                one_pass(
                    Sitting(
                        args=args,
                        workdir=workdir,
                        token=token,
                        internal=internal,
                        es_token=es_token,
                        es_pub=es_pub,
                        fast_url=fast_url,
                        fastapi_url=fastapi_url,
                        gw_port=gw_port,
                        gateway=gateway,
                        upstream=upstream,
                        fast_upstream=fast_upstream,
                        nginx_proxy=nginx_proxy,
                        nginx_proxy_ports=nginx_proxy_ports,
                        has_haproxy=has_haproxy,
                        many=many,
                    )
                )
            )
        load_after = os.getloadavg()
        print(f"\nload average after: {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
        if args.repeat > 1:
            print(f"\nmedian of {args.repeat} passes (min–max):")
            header()
            for label in passes[0]:
                median_row(label, [p.get(label) for p in passes])
        judge(passes, args.workers, args.io_connections)
        if args.instructions > 0:
            instruction_counts(
                args.instructions,
                env=env,
                workdir=workdir,
                token=token,
                es_token=es_token,
                es_pub=es_pub,
                fast_url=fast_url,
                internal=internal(),
            )
    finally:
        for p in reversed(procs):
            p.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def header() -> None:
    print(
        f"\n{'row':<44}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'proxy µs':>11}"
        f"{'upstream µs':>12}{'wrk µs':>7}  (CPU a request)"
    )


@dataclass
class Sitting:
    """What every pass measures with: the processes started once for the run."""

    args: argparse.Namespace
    workdir: Path
    token: str
    internal: Callable[[], str]
    es_token: str
    es_pub: Path
    fast_url: str
    fastapi_url: str
    gw_port: int
    gateway: Proc
    upstream: Proc
    fast_upstream: Proc | None
    nginx_proxy: Proc | None
    nginx_proxy_ports: dict[str, int]
    has_haproxy: bool
    many: tuple[Proc, int] | None


HALF = "fastapi half load (paced)"


def one_pass(s: Sitting) -> dict[str, dict[str, float] | None]:
    """Every row once, in the same order each pass."""
    args = s.args
    dur, conns = args.duration, args.connections
    results: dict[str, dict[str, float] | None] = {}

    def run(label: str, result: dict[str, float] | None, extra: str = "") -> None:
        results[label] = result
        row(label, result, extra)

    upstreams = {
        "fast": (s.fast_url, FAST_SERVICE, s.fast_upstream),
        "fastapi": (s.fastapi_url, FASTAPI_SERVICE, s.upstream),
    }
    for name, (host, service, serving) in upstreams.items():
        if serving is None:
            for peer in ("direct", "nginx proxy", "haproxy ES256", "renshi"):
                run(f"{name}: {peer}", None)
            continue
        # The FastAPI upstream wants an internal token; nginx passes the
        # client's through, so it gets one too.
        client_token = s.internal() if name == "fastapi" else s.token
        run(
            f"{name}: direct",
            measure(f"http://{host}{ROUTE}", client_token, dur, conns, None, serving),
        )
        nginx_url = f"http://127.0.0.1:{s.nginx_proxy_ports[name]}{ROUTE}"
        run(
            f"{name}: nginx proxy",
            measure(nginx_url, client_token, dur, conns, s.nginx_proxy, serving)
            if s.nginx_proxy
            else None,
        )
        hap: dict[str, float] | None = None
        if s.has_haproxy:
            with haproxy(s.workdir, host, s.es_pub, s.internal()) as (proc, hp_port):
                hap_url = f"http://127.0.0.1:{hp_port}{ROUTE}"
                hap = measure(hap_url, s.es_token, dur, conns, proc, serving)
        run(f"{name}: haproxy ES256", hap)
        through = f"http://127.0.0.1:{s.gw_port}/api/{service}{ROUTE}"
        run(f"{name}: renshi", measure(through, s.token, dur, conns, s.gateway, serving))

    # The 10 ms workload: few enough connections that the upstream mostly
    # waits (with 32 it spent its whole core and answered 1,313 of the
    # 3,200 req/s the sleep allows: CPU-bound, not the I/O the row names).
    io_conns = args.io_connections
    io = f"fastapi 10 ms I/O ({io_conns} conns)"
    query = "?delay=10"
    direct = f"http://{s.fastapi_url}{ROUTE}{query}"
    through = f"http://127.0.0.1:{s.gw_port}/api/{FASTAPI_SERVICE}{ROUTE}{query}"
    run(f"{io}: direct", measure(direct, s.internal(), dur, io_conns, None, s.upstream))
    if s.nginx_proxy:
        nginx_url = f"http://127.0.0.1:{s.nginx_proxy_ports['fastapi']}{ROUTE}{query}"
        run(
            f"{io}: nginx proxy",
            measure(nginx_url, s.internal(), dur, io_conns, s.nginx_proxy, s.upstream),
        )
    run(f"{io}: renshi", measure(through, s.token, dur, io_conns, s.gateway, s.upstream))

    # Half of renshi's saturated rate on the FastAPI upstream (this pass's),
    # paced; the same offered rate through each peer.
    saturated = results["fastapi: renshi"]
    assert saturated is not None
    half_conns = max(1, round(saturated["rps"] / 2 * PACE_MS / 1000))
    direct = f"http://{s.fastapi_url}{ROUTE}"
    through = f"http://127.0.0.1:{s.gw_port}/api/{FASTAPI_SERVICE}{ROUTE}"
    paced_on = f"{half_conns} connections"

    def paced(url: str, bearer: str, proxy: Proc | None) -> dict[str, float]:
        return measure(url, bearer, dur, half_conns, proxy, s.upstream, paced=True)

    run(f"{HALF}: direct", paced(direct, s.internal(), None), paced_on)
    if s.nginx_proxy:
        nginx_url = f"http://127.0.0.1:{s.nginx_proxy_ports['fastapi']}{ROUTE}"
        run(f"{HALF}: nginx proxy", paced(nginx_url, s.internal(), s.nginx_proxy), paced_on)
    if s.has_haproxy:
        with haproxy(s.workdir, s.fastapi_url, s.es_pub, s.internal()) as (proc, hp_port):
            hap_url = f"http://127.0.0.1:{hp_port}{ROUTE}"
            run(f"{HALF}: haproxy ES256", paced(hap_url, s.es_token, proc), paced_on)
    run(f"{HALF}: renshi", paced(through, s.token, s.gateway), paced_on)

    if s.many is not None and s.fast_upstream is not None:
        proc, port = s.many
        through = f"http://127.0.0.1:{port}/api/{FAST_SERVICE}{ROUTE}"
        # How the kernel's SO_REUSEPORT spread the work: each worker's share of
        # the CPU the workers spent in the row.
        before = worker_cpu(proc.popen.pid)
        result = measure(through, s.token, dur, conns, proc, s.fast_upstream)
        spent = {pid: cpu - before.get(pid, 0.0) for pid, cpu in worker_cpu(proc.popen.pid).items()}
        total = sum(spent.values()) or 1.0
        # (multiprocessing's resource tracker is a child too, and idle)
        shares = [v / total for v in sorted(spent.values(), reverse=True) if v / total >= 0.01]
        split = " / ".join(f"{v:.0%}" for v in shares)
        run(f"fast: renshi, {args.workers} workers", result, f"workers' CPU split {split}")
        # What two processes can have of this machine at all, beside wrk and the
        # upstream: HAProxy with as many threads against its one-thread row.
        hap = None
        if s.has_haproxy:
            with haproxy(s.workdir, s.fast_url, s.es_pub, s.internal(), args.workers) as (
                hp,
                hp_port,
            ):
                hap_url = f"http://127.0.0.1:{hp_port}{ROUTE}"
                hap = measure(hap_url, s.es_token, dur, conns, hp, s.fast_upstream)
        run(f"fast: haproxy ES256, {args.workers} threads", hap)
    return results


def median(values: list[float]) -> float:
    return statistics.median(values)


def median_row(label: str, rows: list[dict[str, float] | None]) -> None:
    present = [r for r in rows if r is not None]
    if not present:
        row(label, None)
        return
    keys = set.intersection(*(set(r) for r in present))
    med = {k: median([r[k] for r in present]) for k in keys}
    rps = [r["rps"] for r in present]
    extra = f"req/s {min(rps):.0f}–{max(rps):.0f}"
    if "cpu_us" in med:
        cpu = [r["cpu_us"] for r in present]
        extra += f", proxy µs {min(cpu):.0f}–{max(cpu):.0f}"
    row(label, med, extra)


def judge(passes: list[dict[str, dict[str, float] | None]], workers: int, io_conns: int) -> None:
    """Each pass's figures and ratios (rows of the same pass compared), then each
    target judged on the median of its per-pass figure."""
    figures = [report(p, workers, io_conns, quiet=len(passes) > 1) for p in passes]
    if len(passes) > 1:
        print(f"\nper-pass figures, median (min–max) of {len(passes)} passes:")
    verdicts = []
    for key, (text, ok) in TARGETS.items():
        values = [v for f in figures if (v := f.get(key)) is not None]
        if not values:
            verdicts.append(f"{text}: n/a")
            continue
        med = median(values)
        if len(passes) > 1:
            print(f"  {text}: {med:.2f} ({min(values):.2f}–{max(values):.2f})")
        verdicts.append(f"{text}: {'met' if ok(med) else 'MISSED'}")
    for key, text in CONTEXT.items():
        values = [v for f in figures if (v := f.get(key)) is not None]
        if values and len(passes) > 1:
            print(f"  {text}: {median(values):.2f} ({min(values):.2f}–{max(values):.2f})")
    basis = "medians of the passes" if len(passes) > 1 else "this pass"
    print(f"\ntargets ({basis}): " + "; ".join(verdicts))


# Target figures: key → (what it is, whether a value meets it).
TARGETS: dict[str, tuple[str, Callable[[float], bool]]] = {
    "cpu": ("CPU/req ≤ 1.5× HAProxy", lambda v: v <= 1.5),
    "fastapi": ("trivial ≥ 0.90× direct", lambda v: v >= 0.90),
    "io": ("10 ms I/O ≥ 0.95×", lambda v: v >= 0.95),
    "added": ("half-load p50 ≤ +0.5 ms", lambda v: v <= 0.5),
    "tail": ("p99 ≤ 3× p50 (fast upstream)", lambda v: v <= 3),
    "many": ("several workers ≥ 1.6× one", lambda v: v >= 1.6),
}
# The same figures of the peers, for what the machine allowed in the run.
CONTEXT = {
    "cpu_us": "fast: renshi CPU a request, µs",
    "hap_cpu_us": "fast: HAProxy ES256 CPU a request, µs",
    "hap_added": "half load: HAProxy ES256 added p50, ms",
    "hap_tail": "HAProxy ES256 p99 / p50 (fast upstream)",
    "hap_many": "HAProxy ES256, several threads / one",
    "many_bound": "several workers: the ratio the cores allow renshi (wrk and upstream beside)",
    "many_used": "several workers: share of the cores busy in renshi's row",
    "many_alone": "several workers: the ratio were the cores renshi's alone",
    "hap_many_bound": "HAProxy's threads: the ratio the cores allow",
    "hap_many_used": "HAProxy's threads: share of the cores busy",
    "hap_many_alone": "HAProxy's threads: the ratio were the cores its alone",
}


def report(
    results: dict[str, dict[str, float] | None], workers: int, io_conns: int, *, quiet: bool
) -> dict[str, float | None]:
    """The ratios of one pass (printed unless `quiet`) and its target figures."""
    r = results.get
    out: list[str] = []
    peers = ("direct", "nginx proxy", "haproxy ES256", "renshi")
    for name in ("fast", "fastapi"):
        renshi, hap = r(f"{name}: renshi"), r(f"{name}: haproxy ES256")
        out.append(
            f"  {name}: renshi / HAProxy ES256: req/s {fmt(ratio(renshi, hap, 'rps'))}, "
            f"CPU per request {fmt(ratio(renshi, hap, 'cpu_us'))}; "
            f"renshi / direct {fmt(ratio(renshi, r(f'{name}: direct'), 'rps'))}"
        )
    io_label = f"fastapi 10 ms I/O ({io_conns} conns)"
    # Where a proxied FastAPI row's requests go: the upstream's own CPU a request
    # through each peer beside direct's (a proxy that made the upstream work more
    # per request shows here), and how much of a core the upstream was busy.
    for label in ("fastapi", io_label):
        cells = []
        for peer in peers:
            if x := r(f"{label}: {peer}"):
                busy = x["rps"] * x["up_cpu_us"] / 1e6
                cells.append(f"{peer} {x['up_cpu_us']:.0f} µs ({busy:.0%} of a core)")
        if cells:
            out.append(f"  {label}: upstream CPU a request: " + "; ".join(cells))
    io = ratio(r(f"{io_label}: renshi"), r(f"{io_label}: direct"), "rps")
    io_nginx = ratio(r(f"{io_label}: nginx proxy"), r(f"{io_label}: direct"), "rps")
    out.append(f"  {io_label}: renshi / direct {fmt(io)} (nginx / direct {fmt(io_nginx)})")
    half_d = r(f"{HALF}: direct")
    added: dict[str, float] = {}
    for peer in peers[1:]:
        if half_d and (x := r(f"{HALF}: {peer}")):
            added[peer] = x["p50"] - half_d["p50"]
            out.append(
                f"  half load: {peer} adds p50 {added[peer]:+.2f} ms, "
                f"p99 {x['p99'] - half_d['p99']:+.2f} ms"
            )
    tails = {n: (x["p99"] / x["p50"]) for n in ("fast: renshi", "fastapi: renshi")
             if (x := r(n))}  # fmt: skip
    for n, t in tails.items():
        out.append(f"  {n}: p99 / p50 {t:.1f}")
    # The tail target is the proxy's own, at its saturation: the fast upstream's
    # rows. In front of the FastAPI upstream the upstream saturates first, and
    # its own tail, straight at it, is printed for what any proxy there inherits.
    if x := r("fastapi: direct"):
        out.append(f"  fastapi: direct: p99 / p50 {x['p99'] / x['p50']:.1f} (the upstream's own)")
    # The same ratio for the other single-threaded proxy at saturation: on a
    # busy machine a saturated process waits for the scheduler too, and that
    # wait shows in every such row, not only in renshi's.
    hap_tails: dict[str, float] = {}
    for n in ("fast: haproxy ES256", "fastapi: haproxy ES256"):
        if x := r(n):
            hap_tails[n] = x["p99"] / x["p50"]
            out.append(f"  {n}: p99 / p50 {hap_tails[n]:.1f} (the machine's share of the tail)")
    many = ratio(r(f"fast: renshi, {workers} workers"), r("fast: renshi"), "rps")
    hap_many = ratio(r(f"fast: haproxy ES256, {workers} threads"), r("fast: haproxy ES256"), "rps")
    bounds = {
        "": cores_bound(r(f"fast: renshi, {workers} workers"), r("fast: renshi")),
        "hap_": cores_bound(r(f"fast: haproxy ES256, {workers} threads"), r("fast: haproxy ES256")),
    }
    if workers > 1:
        out.append(
            f"  fast: {workers} workers / 1 worker {fmt(many)}; HAProxy ES256 {workers} threads"
            f" / 1 thread {fmt(hap_many)} (what the machine gives a second core here)"
        )
        for name, b in (("renshi", bounds[""]), ("HAProxy ES256", bounds["hap_"])):
            if b:
                out.append(
                    f"  fast: {name} ×{workers}: the {CORES} cores allow {fmt(b['bound'])} one"
                    f" at that row's CPU a request (wrk and the upstream included), of which"
                    f" {b['used']:.0%} was used; the cores to the proxy alone would allow"
                    f" {fmt(b['alone'])}"
                )
    if not quiet:
        print("\nratios (same run):")
        print("\n".join(out))
    fast_r, fast_h = r("fast: renshi"), r("fast: haproxy ES256")
    return {
        "cpu": ratio(fast_r, fast_h, "cpu_us"),
        "fastapi": ratio(r("fastapi: renshi"), r("fastapi: direct"), "rps"),
        "io": io,
        "added": added.get("renshi"),
        "tail": tails.get("fast: renshi"),
        "many": many,
        "cpu_us": fast_r["cpu_us"] if fast_r else None,
        "hap_cpu_us": fast_h["cpu_us"] if fast_h else None,
        "hap_added": added.get("haproxy ES256"),
        "hap_tail": hap_tails.get("fast: haproxy ES256"),
        "hap_many": hap_many,
        **{f"{who}many_{k}": v for who, b in bounds.items() if b for k, v in b.items()},
    }


def cores_bound(
    many: dict[str, float] | None, one: dict[str, float] | None
) -> dict[str, float] | None:
    """What the machine lets several workers (or threads) give over one, from
    the several-workers row's own CPU a request of everything that ran (the
    proxy, the upstream, wrk): `bound`, the ratio with every core busy at those
    costs; `used`, the share of the cores busy in the row, so that the measured
    ratio is `bound × used`; `alone`, the ratio were the cores the proxy's
    alone (wrk and the upstream on other machines). On two cores shared with
    wrk and the upstream, a proxy whose worker costs C a request, beside D of
    wrk and the upstream, can give at most 2C / (C + D) over one worker."""
    if many is None or one is None or not one["rps"]:
        return None
    if not all(k in many for k in ("cpu_us", "up_cpu_us", "load_cpu_us")):
        return None
    per = many["cpu_us"] + many["up_cpu_us"] + many["load_cpu_us"]
    return {
        "bound": CORES * 1e6 / per / one["rps"],
        "used": many["rps"] * per / 1e6 / CORES,
        "alone": CORES * 1e6 / many["cpu_us"] / one["rps"],
    }


# --- instruction counts -------------------------------------------------------


async def _fixed_requests(url: str, token: str, count: int, connections: int) -> int:
    """`count` keep-alive GETs over `connections` connections; how many were not 200."""
    rest = url.removeprefix("http://")
    hostport, _, path = rest.partition("/")
    host, _, port = hostport.partition(":")
    request = (
        f"GET /{path} HTTP/1.1\r\nHost: {hostport}\r\nAuthorization: Bearer {token}\r\n\r\n"
    ).encode()
    failed = 0

    async def one(n: int) -> None:
        nonlocal failed
        reader, writer = await asyncio.open_connection(host, int(port))
        for _ in range(n):
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            if int(head.split(b" ", 2)[1]) != 200:
                failed += 1
            length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
            await reader.readexactly(int(length.group(1)) if length else 0)
        writer.close()

    share = [count // connections + (i < count % connections) for i in range(connections)]
    await asyncio.gather(*(one(n) for n in share if n))
    return failed


def _callgrind_window(proc: Proc, url: str, token: str, count: int, out: Path) -> float:
    """Instructions the process (every thread) executed for `count` requests, after
    a tenth as many to warm up; counted only between the two."""
    pid = str(proc.popen.pid)
    control = ["callgrind_control"]
    subprocess.run([*control, "--instr=on", pid], check=True, capture_output=True)
    if asyncio.run(_fixed_requests(url, token, max(count // 10, 8), 8)):
        raise RuntimeError(f"failed requests from {url} under callgrind")
    subprocess.run([*control, "--zero", pid], check=True, capture_output=True)
    if asyncio.run(_fixed_requests(url, token, count, 8)):
        raise RuntimeError(f"failed requests from {url} under callgrind")
    subprocess.run([*control, "--dump", pid], check=True, capture_output=True)
    dumps = sorted(out.parent.glob(f"{out.name}.{pid}.*"), key=lambda p: p.stat().st_mtime)
    if not dumps:
        raise RuntimeError("callgrind wrote no dump")
    match = re.search(r"^(?:summary|totals): (\d+)", dumps[-1].read_text(), re.M)
    if match is None:
        raise RuntimeError("no total in the callgrind dump")
    return int(match.group(1)) / count


def instruction_counts(
    count: int,
    *,
    env: dict[str, str],
    workdir: Path,
    token: str,
    es_token: str,
    es_pub: Path,
    fast_url: str,
    internal: str,
) -> None:
    """Instructions a request of HAProxy (ES256) and of renshi on the fast
    upstream, each under `valgrind --tool=callgrind` for a fixed number of
    requests: a count that does not move with the machine's load, as CPU time
    does. Both processes whole (renshi's audit writer thread included)."""
    if not (shutil.which("valgrind") and shutil.which("callgrind_control")):
        print("\nnotice: valgrind not installed; no instruction counts (apt-get install valgrind)")
        return
    out = workdir / "callgrind"
    valgrind = ["valgrind", "--tool=callgrind", "--instr-atstart=no"]
    valgrind.append(f"--callgrind-out-file={out}.%p")
    figures: dict[str, float] = {}
    if haproxy_supports_jwt():
        port = free_port()
        conf = haproxy_config(workdir, port, fast_url, es_pub, internal)
        proc = start("haproxy under callgrind", [*valgrind, "haproxy", "-db", "-f", str(conf)])
        try:
            _wait_port(port, deadline=300)
            url = f"http://127.0.0.1:{port}{ROUTE}"
            figures["haproxy ES256"] = _callgrind_window(proc, url, es_token, count, out)
        finally:
            proc.stop()
    port = free_port()
    cmd = [*valgrind, sys.executable, "-m", "renshi", "serve", "gateway", "--port", str(port)]
    proc = start("renshi under callgrind", cmd, env)
    try:
        # Python's start-up under valgrind: minutes on a busy machine.
        wait_ready(f"http://127.0.0.1:{port}/healthz", deadline=900)
        url = f"http://127.0.0.1:{port}/api/{FAST_SERVICE}{ROUTE}"
        figures["renshi"] = _callgrind_window(proc, url, token, count, out)
    finally:
        proc.stop()
    print(
        f"\ninstructions a request (callgrind, {count} requests on 8 connections, fast upstream):"
    )
    for name, value in figures.items():
        print(f"  {name}: {value / 1000:.0f} k")
    if len(figures) == 2:
        print(f"  renshi / HAProxy ES256: {figures['renshi'] / figures['haproxy ES256']:.2f}×")


if __name__ == "__main__":
    raise SystemExit(main())
