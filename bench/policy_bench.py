"""Policy engine benchmark: 1,000 policies x 10 stanzas each.

Measures, and prints as a small table:

* parse time of the 1,000 HCL policies and compile time of one ACL holding all of them
  (10,000 stanzas) and of one holding 50 of them;
* in-process decisions (``ACL.authorize``) per second and their p50 / p99 latency, on a mix
  of paths that hit exact, prefix, ``+`` and no rules, for both ACLs;
* end to end through our HTTP server (``vab server -dev``, a real process): the 1,000
  policies are written, a token holding 50 of them reads, lists and is refused on a KV v1
  mount; requests per second and p50 latency, sequential and with 4 client threads.

Run from the repository root: ``python bench/policy_bench.py`` (``--quick`` for a smoke run).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.processes import start_vab_dev  # noqa: E402
from vault_agent_backend.policy import ACL, Policy, parse_policy  # noqa: E402

MOUNT = "bench"
N_POLICIES = 1000
TOKEN_POLICIES = 50


def policy_text(i: int) -> str:
    """Policy ``i``: ten stanzas of every kind, over its own app and some shared paths."""
    app = f"{MOUNT}/app{i}"
    return f"""
path "{app}/*" {{ capabilities = ["read", "list"] }}
path "{app}/config" {{ capabilities = ["read", "update"] }}
path "{app}/private/*" {{ capabilities = ["deny"] }}
path "{app}/+/creds" {{ capabilities = ["read"] }}
path "{app}/writes/*" {{
  capabilities = ["create", "update"]
  allowed_parameters = {{ "value" = [], "owner" = ["team-*"] }}
  denied_parameters = {{ "admin" = [] }}
}}
path "{MOUNT}/shared/{i % 37}/*" {{ capabilities = ["read"] }}
path "{MOUNT}/teams/+/app{i}" {{ capabilities = ["read", "list"] }}
path "secret/data/app{i}/*" {{ capabilities = ["create", "read", "update"] }}
path "secret/metadata/app{i}/*" {{ capabilities = ["list", "read", "delete"] }}
path "sys/policies/acl/app{i}" {{ capabilities = ["read"] }}
"""


def decision_mix(ids: Sequence[int], n: int, seed: int = 7) -> list[tuple[str, str, dict]]:
    """``n`` (operation, path, data) requests over the apps ``ids`` (and a few misses)."""
    rnd = random.Random(seed)
    out: list[tuple[str, str, dict]] = []
    for _ in range(n):
        i = rnd.choice(ids)
        app = f"{MOUNT}/app{i}"
        out.append(
            rnd.choice(
                [
                    ("read", f"{app}/db/password", {}),  # prefix
                    ("update", f"{app}/config", {}),  # exact
                    ("read", f"{app}/private/key", {}),  # prefix deny
                    ("read", f"{app}/prod/creds", {}),  # + rule
                    ("update", f"{app}/writes/x", {"value": "1", "owner": "team-a"}),  # params
                    ("update", f"{app}/writes/x", {"admin": "1"}),  # denied parameter
                    ("list", f"{MOUNT}/teams/red/app{i}/", {}),  # + rule, LIST
                    ("read", f"secret/data/app{i}/x", {}),
                    ("read", f"{MOUNT}/nobody/{i}", {}),  # no rule at all
                    ("delete", f"{app}/db/password", {}),  # matched, capability missing
                ]
            )
        )
    return out


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure_decisions(
    acl: ACL, mix: list[tuple[str, str, dict]], budget_s: float
) -> tuple[float, float, float]:
    """(decisions per second, p50 µs, p99 µs) over ``mix``, stopping after ``budget_s``."""
    for op, path, data in mix[:200]:  # warm-up
        acl.authorize(op, path, data)
    lat = []
    clock = time.perf_counter_ns
    total_start = time.perf_counter()
    deadline = total_start + budget_s
    for n, (op, path, data) in enumerate(mix):
        t0 = clock()
        acl.authorize(op, path, data)
        lat.append(clock() - t0)
        if n % 256 == 0 and time.perf_counter() > deadline:
            break
    total = time.perf_counter() - total_start
    lat.sort()
    return len(lat) / total, lat[len(lat) // 2] / 1000, lat[int(len(lat) * 0.99)] / 1000


def http_phase(policies: dict[str, str], quick: bool) -> dict[str, object]:
    """Write the policies to a real server and time requests of a 50-policy token."""
    server = start_vab_dev()
    http = requests.Session()
    root = {"X-Vault-Token": server.root_token}
    base = f"{server.url}/v1/"
    try:
        http.post(
            base + f"sys/mounts/{MOUNT}", json={"type": "kv"}, headers=root
        ).raise_for_status()
        write_s = timed(
            lambda: [
                http.put(base + f"sys/policies/acl/{n}", json={"policy": t}, headers=root)
                for n, t in policies.items()
            ]
        )
        names = list(policies)[:: max(1, len(policies) // TOKEN_POLICIES)][:TOKEN_POLICIES]
        ids = [int(n.removeprefix("bench-")) for n in names]
        for i in ids:
            http.put(base + f"{MOUNT}/app{i}/db/password", json={"v": "1"}, headers=root)
        body = {"policies": names, "no_default_policy": True}
        created = http.post(base + "auth/token/create", json=body, headers=root).json()
        token = {"X-Vault-Token": created["auth"]["client_token"]}
        first_path = f"{MOUNT}/app{ids[0]}/db/password"
        cold = timed(lambda: http.get(base + first_path, headers=token))

        rnd = random.Random(3)
        n = 300 if quick else 2000
        plan = []
        for _ in range(n):
            i = rnd.choice(ids)
            plan.append(
                rnd.choice(
                    [
                        ("GET", f"{MOUNT}/app{i}/db/password", 200),
                        ("LIST", f"{MOUNT}/app{i}/db", 200),
                        ("GET", f"{MOUNT}/app{i}/private/key", 403),
                        ("GET", f"{MOUNT}/nobody/{i}", 403),
                    ]
                )
            )

        def one(session: requests.Session, item: tuple[str, str, int]) -> float:
            method, path, want = item
            t0 = time.perf_counter()
            resp = session.request(method, base + path, headers=token)
            elapsed = time.perf_counter() - t0
            if resp.status_code != want:
                raise RuntimeError(f"{method} {path}: {resp.status_code} {resp.text}")
            return elapsed

        for item in plan[:50]:  # warm-up
            one(http, item)
        start = time.perf_counter()
        seq = [one(http, item) for item in plan]
        seq_total = time.perf_counter() - start

        sessions = [requests.Session() for _ in range(4)]
        start = time.perf_counter()
        with ThreadPoolExecutor(4) as pool:
            par = list(pool.map(lambda kv: one(sessions[kv[0] % 4], kv[1]), enumerate(plan)))
        par_total = time.perf_counter() - start
        for s in sessions:
            s.close()
        return {
            "write_s": write_s,
            "cold_ms": cold * 1000,
            "seq_rps": len(seq) / seq_total,
            "seq_p50_ms": statistics.median(seq) * 1000,
            "par_rps": len(par) / par_total,
            "par_p50_ms": statistics.median(par) * 1000,
            "requests": n,
        }
    finally:
        http.close()
        server.stop()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer decisions and requests")
    ap.add_argument("--no-http", action="store_true", help="skip the end-to-end phase")
    args = ap.parse_args(argv)
    n_decisions = 20_000 if args.quick else 200_000

    texts = {f"bench-{i}": policy_text(i) for i in range(N_POLICIES)}
    parsed: list[Policy] = []
    parse_s = timed(lambda: parsed.extend(parse_policy(n, t) for n, t in texts.items()))
    stanzas = sum(len(p.paths) for p in parsed)

    acl_all: list[ACL] = []
    compile_all = timed(lambda: acl_all.append(ACL(parsed)))
    step = N_POLICIES // TOKEN_POLICIES
    subset = parsed[::step][:TOKEN_POLICIES]
    subset_ids = list(range(0, N_POLICIES, step))[:TOKEN_POLICIES]
    acl_50: list[ACL] = []
    compile_50 = timed(lambda: acl_50.append(ACL(subset)))

    budget = 2.0 if args.quick else 10.0
    rps_all, p50_all, p99_all = measure_decisions(
        acl_all[0], decision_mix(range(N_POLICIES), n_decisions), budget
    )
    rps_50, p50_50, p99_50 = measure_decisions(
        acl_50[0], decision_mix(subset_ids, n_decisions), budget
    )

    print(f"machine: {os.cpu_count()} CPUs, {_cpu_model()}, Python {platform.python_version()}")
    print(f"policies: {len(parsed)} x {stanzas // len(parsed)} stanzas = {stanzas} stanzas")
    print()
    print(f"{'measure':<52} {'value':>14}")
    print("-" * 67)
    rows = [
        ("parse 1,000 policies (HCL -> Policy)", f"{parse_s * 1000:.0f} ms"),
        ("compile ACL of 1,000 policies (10,000 stanzas)", f"{compile_all * 1000:.0f} ms"),
        ("compile ACL of 50 policies (500 stanzas)", f"{compile_50 * 1000:.1f} ms"),
        ("decisions/s, ACL of 1,000 policies", f"{rps_all:,.0f}"),
        ("decision p50 / p99, ACL of 1,000 policies", f"{p50_all:.1f} / {p99_all:.1f} µs"),
        ("decisions/s, ACL of 50 policies", f"{rps_50:,.0f}"),
        ("decision p50 / p99, ACL of 50 policies", f"{p50_50:.1f} / {p99_50:.1f} µs"),
    ]
    if not args.no_http:
        h = http_phase(texts, args.quick)
        rows += [
            ("HTTP: write 1,000 policies (sequential PUTs)", f"{h['write_s']:.1f} s"),
            ("HTTP: first request of the 50-policy token (compile)", f"{h['cold_ms']:.1f} ms"),
            ("HTTP: requests/s, 1 client (50-policy token)", f"{h['seq_rps']:,.0f}"),
            ("HTTP: p50 latency, 1 client", f"{h['seq_p50_ms']:.2f} ms"),
            ("HTTP: requests/s, 4 client threads", f"{h['par_rps']:,.0f}"),
            ("HTTP: p50 latency, 4 client threads", f"{h['par_p50_ms']:.2f} ms"),
        ]
    for label, value in rows:
        print(f"{label:<52} {value:>14}")
    return 0


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


if __name__ == "__main__":
    sys.exit(main())
