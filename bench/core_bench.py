#!/usr/bin/env python3
"""Core request path, our server vs OpenBao: token lookup and a policy-checked KV v2 read.

Run on demand from the repository root (never part of the test suite)::

    python bench/core_bench.py                     # 8 threads, 2 s warm-up, 10 s per scenario
    python bench/core_bench.py --threads 16 --duration 20 --rounds 3
    python bench/core_bench.py --json > core.json  # machine-readable (progress on stderr)

Starts our dev server (``vab server -dev``, gunicorn with one worker process and 16 threads)
and a real OpenBao dev server (``bao server -dev``), both on 127.0.0.1 in this run. On each
server the same set-up is made over HTTP: a KV v2 secret ``secret/bench``, an ACL policy of
21 stanzas (exact, prefix, ``+`` and deny rules, among them ``read`` on
``secret/data/bench``) and a non-root service token holding it. Two scenarios then run,
one server at a time, at a fixed concurrency of ``--threads`` client threads, each with its
own keep-alive ``http.client`` connection:

* ``lookup-self``: ``GET /v1/auth/token/lookup-self``;
* ``kv-read``: ``GET /v1/secret/data/bench`` (token → ACL of default + bench policy → KV).

Only 200 answers whose body carries the expected content are counted; any other answer or a
connection error stops the run with the status and body (it fails loudly). Requests started
during the ``--warmup`` seconds are not counted; throughput is the number of requests that
completed within the ``--duration`` window divided by it; p50/p99 are client-side latencies
of those requests. ``client CPU`` is this process's CPU time over the window (100 % = one
core): near 100 % the Python client itself is the limit, so the OpenBao figure is a floor.
``server CPU ms/req`` is the user + system CPU time of the server's whole process group
(from ``/proc``) over the window divided by the requests counted: unlike throughput and
latency it hardly depends on what else runs on the machine, so it is the figure to compare
on a shared machine (our server runs Python code under one GIL per worker process: its
throughput ceiling per worker is about 1000 / that figure requests per second).

Also measured: the time from spawning our server to its first 200 from ``/v1/sys/health``
(the health poll backs off to 100 ms, so the resolution is about 0.1 s), and OpenBao's for
comparison (``bao`` here is a Python console script that execs the Go binary, so its figure
includes a Python start). Besides the server used for the load, ``--startup-runs`` more
starts of ours are timed twice: with the environment as it is (with
``PYTHONDONTWRITEBYTECODE`` set, every changed module is compiled again at each start) and
with a warm private bytecode cache (``PYTHONPYCACHEPREFIX`` in a temporary directory, primed
by one untimed start; nothing is written into the work tree), as an installed server would.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.processes import (  # noqa: E402
    ServerProcess,
    bao_binary,
    start_openbao_dev,
    start_vab_dev,
)

POLICY_NAME = "bench-core"
SECRET_VALUE = "bench-value-7f3a9c"
SCENARIOS = {
    "lookup-self": "/v1/auth/token/lookup-self",
    "kv-read": "/v1/secret/data/bench",
}
SERVERS = ("vab", "openbao")

#: 20 stanzas of other kinds around the one the read needs (the 21st, ``secret/data/bench``).
BENCH_POLICY = "\n".join(
    [f'path "secret/data/app{i}/*" {{ capabilities = ["create", "read", "update"] }}'
     for i in range(6)]
    + [f'path "secret/metadata/app{i}/*" {{ capabilities = ["list", "read"] }}' for i in range(4)]
    + [f'path "secret/data/team/+/app{i}" {{ capabilities = ["read"] }}' for i in range(3)]
    + [f'path "secret/data/app{i}/private/*" {{ capabilities = ["deny"] }}' for i in range(3)]
    + [
        'path "sys/policies/acl/bench-*" { capabilities = ["read", "list"] }',
        'path "auth/token/roles/bench" { capabilities = ["read"] }',
        'path "cubbyhole/bench/*" { capabilities = ["create", "read", "update", "delete"] }',
        'path "secret/data/shared/+" { capabilities = ["read"] }',
        'path "secret/data/bench" { capabilities = ["read"] }',
    ]
)  # fmt: skip


class BenchError(SystemExit):
    """The benchmark cannot go on (bad answer, connection error, failed set-up)."""


@dataclass
class Target:
    """A set-up server: where it listens and the service token to use."""

    name: str
    host: str
    port: int
    token: str
    accessor: str
    pid: int  # leader of the server's process group (gunicorn master / bao)


@dataclass
class Result:
    """Figures of one scenario on one server."""

    server: str
    scenario: str
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    client_cpu: float
    server_cpu_ms_per_req: float


# -- set-up -----------------------------------------------------------------------------------


def call(
    server: ServerProcess, method: str, path: str, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One request with the root token; the JSON body (``{}`` for 204); BenchError otherwise."""
    parts = urlsplit(server.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        payload = json.dumps(body) if body is not None else None
        conn.request(method, f"/v1/{path}", payload, {"X-Vault-Token": server.root_token})
        resp = conn.getresponse()
        raw = resp.read()
    finally:
        conn.close()
    if resp.status not in (200, 204):
        raise BenchError(f"{server.name}: {method} {path} answered {resp.status}: {raw[:300]!r}")
    return json.loads(raw) if raw.strip() else {}


def set_up(server: ServerProcess, no_default_policy: bool = False) -> Target:
    """Write the secret, the policy and a service token holding it (same on both servers).

    With ``no_default_policy`` the token holds only the bench policy (plus a stanza for
    lookup-self, which the default policy grants otherwise).
    """
    policy = BENCH_POLICY
    if no_default_policy:
        policy += '\npath "auth/token/lookup-self" { capabilities = ["read"] }'
    call(server, "PUT", "secret/data/bench", {"data": {"value": SECRET_VALUE}})
    call(server, "PUT", f"sys/policies/acl/{POLICY_NAME}", {"policy": policy})
    auth = call(
        server,
        "POST",
        "auth/token/create",
        {
            "policies": [POLICY_NAME],
            "ttl": "2h",
            "type": "service",
            "no_default_policy": no_default_policy,
        },
    )["auth"]
    parts = urlsplit(server.url)
    assert parts.hostname and parts.port
    assert server.pid is not None
    return Target(
        server.name,
        parts.hostname,
        parts.port,
        auth["client_token"],
        auth["accessor"],
        server.pid,
    )


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU seconds of every live process in process group ``pgid``."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile
        # fields[0] is the state (field 3 of proc(5)): pgrp is field 5, utime/stime 14/15.
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / tick


# -- load -------------------------------------------------------------------------------------


def _percentile(sorted_values: list[float], fraction: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


def run_load(target: Target, scenario: str, threads: int, warmup: float, duration: float) -> Result:
    """Drive one scenario with ``threads`` keep-alive clients; figures of the window."""
    path = SCENARIOS[scenario]
    marker = SECRET_VALUE.encode() if scenario == "kv-read" else f'"{target.accessor}"'.encode()
    headers = {"X-Vault-Token": target.token}
    start_gate = threading.Barrier(threads + 1)
    stop = threading.Event()
    failures: list[str] = []
    samples: list[list[float]] = [[] for _ in range(threads)]
    window: list[float] = [0.0, 0.0]  # [start, end], set by the main thread before the gate

    def worker(slot: int) -> None:
        conn = http.client.HTTPConnection(target.host, target.port, timeout=30)
        out = samples[slot]
        try:
            conn.connect()
            start_gate.wait()
            t_start, t_end = window
            while not stop.is_set():
                began = time.perf_counter()
                if began >= t_end:
                    break
                conn.request("GET", path, headers=headers)
                resp = conn.getresponse()
                body = resp.read()
                done = time.perf_counter()
                if resp.status != 200 or marker not in body:
                    raise BenchError(
                        f"{target.name} {scenario}: answered {resp.status}: {body[:300]!r}"
                    )
                if began >= t_start and done <= t_end:
                    out.append(done - began)
        except BaseException as exc:  # reported by the main thread
            failures.append(str(exc) if isinstance(exc, BenchError) else repr(exc))
            stop.set()
            with contextlib.suppress(threading.BrokenBarrierError):
                start_gate.abort()
        finally:
            conn.close()

    pool = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(threads)]
    for thread in pool:
        thread.start()
    now = time.perf_counter()
    window[0], window[1] = now + warmup, now + warmup + duration
    with contextlib.suppress(threading.BrokenBarrierError):
        start_gate.wait()
    marks: tuple[float, float] | None = None  # (client, server) CPU at the window's start
    while not stop.is_set() and time.perf_counter() < window[1]:
        if marks is None and time.perf_counter() >= window[0]:
            marks = (time.process_time(), group_cpu_seconds(target.pid))
        stop.wait(0.02)
    client_cpu = server_cpu = 0.0
    if marks is not None:
        client_cpu = time.process_time() - marks[0]
        server_cpu = group_cpu_seconds(target.pid) - marks[1]
    for thread in pool:
        thread.join(60)
    if failures:
        raise BenchError(f"load failed: {failures[0]}")
    latencies = sorted(x for part in samples for x in part)
    if not latencies:
        raise BenchError(f"{target.name} {scenario}: no request completed in the window")
    return Result(
        server=target.name,
        scenario=scenario,
        requests=len(latencies),
        rps=len(latencies) / duration,
        p50_ms=statistics.median(latencies) * 1000,
        p99_ms=_percentile(latencies, 0.99) * 1000,
        client_cpu=client_cpu / duration,
        server_cpu_ms_per_req=server_cpu * 1000 / len(latencies),
    )


# -- startup ----------------------------------------------------------------------------------


def timed_start(starter: Any) -> tuple[ServerProcess, float]:
    """Start a server with ``starter()``; the server and seconds from spawn to ready."""
    began = time.perf_counter()
    server = starter()
    return server, time.perf_counter() - began


def startup_times(runs: int, env: dict[str, str] | None = None) -> list[float]:
    """Seconds to ready of ``runs`` starts of our dev server (each stopped at once)."""
    times = []
    for _ in range(runs):
        server, seconds = timed_start(lambda: start_vab_dev(env=env))
        server.stop()
        times.append(seconds)
    return times


def startup_report(runs: int) -> dict[str, list[float]]:
    """Extra starts of ours: environment as is, then with a warm private bytecode cache."""
    as_is = startup_times(runs)
    with tempfile.TemporaryDirectory(prefix="vab-bench-pyc-") as cache:
        env = {"PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": cache}
        warm: list[float] = []
        if runs:
            startup_times(1, env)  # primes the cache, untimed
            warm = startup_times(runs, env)
    return {"vab_as_is_s": as_is, "vab_warm_pyc_s": warm}


# -- report -----------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """Description of this machine and of the software measured."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = 0.0
    with contextlib.suppress(OSError, ValueError):
        mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    try:
        bao = (
            subprocess.run([bao_binary(), "version"], capture_output=True, text=True, timeout=30)
            .stdout.split("(")[0]
            .strip()
        )
    except (OSError, subprocess.SubprocessError):
        bao = "unknown"
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(mem_gib, 1),
        "python": platform.python_version(),
        "openbao": bao,
        "load_average": [round(x, 1) for x in os.getloadavg()],
    }


def best_of(results: list[Result], server: str, scenario: str) -> list[Result]:
    """Results of one (server, scenario), best throughput first."""
    chosen = [r for r in results if r.server == server and r.scenario == scenario]
    return sorted(chosen, key=lambda r: r.rps, reverse=True)


def summary(results: list[Result]) -> dict[str, Any]:
    """Best round per (server, scenario), throughput spread, and ours/OpenBao ratios."""
    out: dict[str, Any] = {}
    for scenario in SCENARIOS:
        entry: dict[str, Any] = {}
        for server in SERVERS:
            ranked = best_of(results, server, scenario)
            if ranked:
                entry[server] = {
                    **asdict(ranked[0]),
                    "rps_min": ranked[-1].rps,
                    "rps_max": ranked[0].rps,
                }
        if "vab" in entry and "openbao" in entry:
            ours, theirs = entry["vab"], entry["openbao"]
            entry["ratio_rps"] = ours["rps"] / theirs["rps"]
            entry["ratio_p50"] = ours["p50_ms"] / theirs["p50_ms"]
            entry["ratio_server_cpu"] = (
                ours["server_cpu_ms_per_req"] / theirs["server_cpu_ms_per_req"]
                if theirs["server_cpu_ms_per_req"]
                else None
            )
        out[scenario] = entry
    return out


def print_table(report: dict[str, Any]) -> None:
    """Human-readable tables of the report."""
    m = report["machine"]
    print(
        f"machine: nproc={m['nproc']}, {m['cpu_model']}, {m['memory_gib']} GiB, "
        f"Python {m['python']}, {m['openbao']}, load average {m['load_average']}"
    )
    cfg = report["config"]
    token = "bench policy only" if cfg["no_default_policy"] else "default + bench policies"
    print(
        f"load: {cfg['threads']} client threads, {cfg['warmup']} s warm-up, "
        f"{cfg['duration']} s window, {cfg['rounds']} round(s) (best round shown), "
        f"token: {token}\n"
    )
    head = f"{'server':<8} {'scenario':<12} {'req/s':>9} {'spread':>15} {'p50 ms':>8} "
    print(head + f"{'p99 ms':>8} {'client CPU':>10} {'server CPU ms/req':>17}")
    for scenario, entry in report["summary"].items():
        for server in SERVERS:
            if server not in entry:
                continue
            r = entry[server]
            spread = f"{r['rps_min']:.0f}-{r['rps_max']:.0f}"
            print(
                f"{server:<8} {scenario:<12} {r['rps']:>9.0f} {spread:>15} {r['p50_ms']:>8.2f} "
                f"{r['p99_ms']:>8.2f} {r['client_cpu'] * 100:>9.0f}% "
                f"{r['server_cpu_ms_per_req']:>17.3f}"
            )
    print(
        f"\n{'scenario':<12} {'req/s ours/OpenBao':>19} {'p50 ours/OpenBao':>17} "
        f"{'server CPU/req ours/OpenBao':>28}"
    )
    for scenario, entry in report["summary"].items():
        if "ratio_rps" in entry:
            cpu = entry["ratio_server_cpu"]
            print(
                f"{scenario:<12} {entry['ratio_rps']:>19.2f} {entry['ratio_p50']:>17.2f} "
                f"{'n/a' if cpu is None else format(cpu, '.2f'):>28}"
            )
    st = report["startup"]
    as_is = ", ".join(f"{s:.2f}" for s in st["vab_as_is_s"]) or "-"
    warm = ", ".join(f"{s:.2f}" for s in st["vab_warm_pyc_s"]) or "-"
    print(
        f"\nstartup to ready: ours {st['vab_s']:.2f} s (more starts: {as_is}; "
        f"with a warm bytecode cache: {warm}), OpenBao {st['openbao_s']:.2f} s"
    )


def log(message: str) -> None:
    """Progress on stderr (stdout holds the table or the JSON)."""
    print(message, file=sys.stderr, flush=True)


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=8, help="client threads (default 8)")
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds")
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds (best shown)")
    parser.add_argument("--startup-runs", type=int, default=2, help="extra starts of ours")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.add_argument(
        "--no-default-policy",
        action="store_true",
        help="token without the default policy (OpenBao re-parses the templated default "
        "policy on every request)",
    )
    args = parser.parse_args()
    if args.threads < 1 or args.duration <= 0 or args.warmup < 0 or args.rounds < 1:
        parser.error("--threads and --rounds must be >= 1, --duration > 0, --warmup >= 0")

    about = machine()  # load average before our own load
    log("starting servers ...")
    vab, vab_start = timed_start(start_vab_dev)
    bao, bao_start = timed_start(start_openbao_dev)
    results: list[Result] = []
    try:
        targets = [set_up(vab, args.no_default_policy), set_up(bao, args.no_default_policy)]
        for round_no in range(args.rounds):
            order = targets if round_no % 2 == 0 else targets[::-1]
            for scenario in SCENARIOS:
                for target in order:
                    log(f"round {round_no + 1}: {target.name} {scenario} ...")
                    results.append(
                        run_load(target, scenario, args.threads, args.warmup, args.duration)
                    )
    finally:
        vab.stop()
        bao.stop()
    log("cold starts ...")
    report = {
        "machine": about,
        "config": {
            "threads": args.threads,
            "warmup": args.warmup,
            "duration": args.duration,
            "rounds": args.rounds,
            "no_default_policy": args.no_default_policy,
        },
        "results": [asdict(r) for r in results],
        "summary": summary(results),
        "startup": {
            "vab_s": vab_start,
            **startup_report(args.startup_runs),
            "openbao_s": bao_start,
        },
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_table(report)


if __name__ == "__main__":
    main()
