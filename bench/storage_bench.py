#!/usr/bin/env python3
"""Requests per second of ``vab server -config``: SQLite vs PostgreSQL, one node vs two.

Run on demand (never part of the test suite)::

    python bench/storage_bench.py                      # 10 s per scenario, 8 client threads
    python bench/storage_bench.py --duration 30 --threads 16 --workers 2 --write-ratio 0.2

Scenarios: SQLite on one node; PostgreSQL on one node; PostgreSQL on two nodes sharing the
database (clients spread evenly over the nodes). Every node is a real server process tree
(gunicorn, ``--workers`` worker processes) on 127.0.0.1, initialised and unsealed; the load is
a mix of reads and writes of small secrets in the root token's cubbyhole plus a token
lookup, each answer checked. PostgreSQL is a throwaway cluster started from the machine's
binaries with fsync off (as in the tests), so its numbers are an upper bound for a real
durable database; SQLite runs with ``synchronous=FULL``. Everything stops by itself.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.config_server import (  # noqa: E402
    VabConfigServer,
    postgresql_storage,
    sqlite_storage,
    start_vab_config,
)
from tests.support.postgres import start_postgres  # noqa: E402

MAX_REQUESTS_PER_THREAD = 1_000_000


def _client_loop(
    servers: list[VabConfigServer],
    index: int,
    token: str,
    deadline: float,
    write_ratio: float,
    latencies: list[float],
    errors: list[str],
) -> None:
    server = servers[index % len(servers)]
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    rng = random.Random(index)
    headers = {"X-Vault-Token": token, "Content-Type": "application/json"}
    keys = [f"bench/t{index}/k{i}" for i in range(50)]
    for key in keys[:5]:
        conn.request("PUT", f"/v1/cubbyhole/{key}", body=json.dumps({"v": "x"}), headers=headers)
        conn.getresponse().read()
    count = 0
    while time.monotonic() < deadline and count < MAX_REQUESTS_PER_THREAD:
        roll = rng.random()
        if roll < write_ratio:
            method, path = "PUT", f"/v1/cubbyhole/{rng.choice(keys)}"
            body = json.dumps({"v": "y" * rng.randint(10, 200)})
        elif roll < write_ratio + (1 - write_ratio) / 4:
            method, path, body = "GET", "/v1/auth/token/lookup-self", None
        else:
            method, path, body = "GET", f"/v1/cubbyhole/{rng.choice(keys[:5])}", None
        started = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as exc:
            errors.append(repr(exc))
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            continue
        latencies.append(time.perf_counter() - started)
        if response.status not in (200, 204):
            errors.append(f"{method} {path}: {response.status}")
        count += 1
    conn.close()


def run_load(
    servers: list[VabConfigServer], token: str, duration: float, threads: int, write_ratio: float
) -> dict[str, float]:
    """Drive the servers for ``duration`` seconds; requests/s and latency percentiles."""
    latencies: list[float] = []
    errors: list[str] = []
    deadline = time.monotonic() + duration
    workers = [
        threading.Thread(
            target=_client_loop,
            args=(servers, n, token, deadline, write_ratio, latencies, errors),
        )
        for n in range(threads)
    ]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(duration + 60)
    elapsed = time.monotonic() - started
    ordered = sorted(latencies) or [0.0]
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
        "errors": len(errors),
    }


def scenario(name: str, storage: str, nodes: int, args: argparse.Namespace) -> dict:
    """Start ``nodes`` servers on ``storage``, unseal them, run the load, stop them."""
    started: list[VabConfigServer] = []
    try:
        with tempfile.TemporaryDirectory(prefix="vab-bench-") as tmp:
            for n in range(nodes):
                directory = Path(tmp) / f"node{n}"
                directory.mkdir()
                started.append(
                    start_vab_config(storage, workers=args.workers, config_dir=directory)
                )
            first = started[0]
            first.initialize(1, 1)
            for server in started:
                server.unseal(first.keys)
            result = run_load(
                started, first.root_token, args.duration, args.threads, args.write_ratio
            )
    finally:
        for server in started:
            server.stop()
    result["scenario"] = name
    return result


def main(argv: list[str] | None = None) -> int:
    """Run the scenarios and print a table (and JSON with ``--json``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per scenario")
    parser.add_argument("--threads", type=int, default=8, help="client threads")
    parser.add_argument("--workers", type=int, default=2, help="worker processes per node")
    parser.add_argument("--write-ratio", type=float, default=0.2)
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    args = parser.parse_args(argv)
    if not 0 < args.duration <= 600 or not 1 <= args.threads <= 256:
        parser.error("duration must be in (0, 600] s and threads in [1, 256]")

    results = []
    with tempfile.TemporaryDirectory(prefix="vab-bench-sqlite-") as tmp:
        results.append(scenario("sqlite, 1 node", sqlite_storage(Path(tmp) / "b.db"), 1, args))
    cluster = start_postgres()
    try:
        pg = postgresql_storage(cluster.create_database("bench1"))
        results.append(scenario("postgresql, 1 node", pg, 1, args))
        pg2 = postgresql_storage(cluster.create_database("bench2"))
        results.append(scenario("postgresql, 2 nodes", pg2, 2, args))
    finally:
        cluster.stop()

    print(
        f"\n{args.threads} client threads, {args.workers} workers per node, "
        f"{args.duration:g}s per scenario, {args.write_ratio:.0%} writes\n"
    )
    print(f"{'scenario':<22}{'requests/s':>12}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for row in results:
        print(
            f"{row['scenario']:<22}{row['rps']:>12.1f}{row['p50_ms']:>10.2f}"
            f"{row['p99_ms']:>10.2f}{row['errors']:>8}"
        )
    if args.json:
        print(json.dumps(results, indent=2))
    return 0 if all(r["errors"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
