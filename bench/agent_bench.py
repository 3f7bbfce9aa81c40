#!/usr/bin/env python3
"""Cost of an agent request: a delegated agent JWT vs a plain service token, same path.

Run on demand (never part of the test suite)::

    python bench/agent_bench.py                    # 2000 requests per kind, ES256 JWKS profile
    python bench/agent_bench.py --requests 5000 --alg RS256 --static

One ``vab server -dev`` process on 127.0.0.1 (in memory). The scenario: a KV v2 secret, a
human whose policy reads it, an agent registered with a ceiling (and a baseline) that
allows it, an OAuth resource-server profile (JWKS served by a local HTTP server, or static
keys) and a delegated token with ``authorization_details``. The same GET of the secret is
sent alternately with the agent JWT and with a service token (whose policy grants the same
read), over one keep-alive connection each, after a warm-up; every answer is checked.
Reports the median and p95 latency of each kind and the ratio of the medians (target: the
agent request costs at most 1.3x the plain one).
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.agent.support import (  # noqa: E402
    JWKSServer,
    Minter,
    Scenario,
    http_sender,
    make_key,
    ok,
    static_profile,
)
from tests.support.processes import start_vab_dev  # noqa: E402


def _timed(conn: http.client.HTTPConnection, path: str, token: str) -> float:
    start = time.perf_counter()
    conn.request("GET", path, headers={"X-Vault-Token": token})
    resp = conn.getresponse()
    body = resp.read()
    elapsed = time.perf_counter() - start
    if resp.status != 200 or json.loads(body)["data"]["data"] != {"v": "1"}:
        raise SystemExit(f"unexpected answer {resp.status}: {body[:200]!r}")
    return elapsed


def run(requests: int, alg: str, static: bool) -> dict[str, float]:
    """Run the benchmark; returns the summary numbers."""
    server = start_vab_dev()
    jwks = None
    try:
        send = http_sender(server.url)
        key = make_key(alg)
        if static:
            profile = static_profile(key)
        else:
            jwks = JWKSServer([key])
            profile = {"jwks_uri": jwks.url, "audiences": ["vault"]}
        scenario = Scenario(send, Minter("https://bench.example", key)).setup(
            profile=profile,
            human_hcl='path "KV/data/*" { capabilities = ["read"] }',
            ceiling_hcl='path "KV/data/*" { capabilities = ["read"] }',
            baseline_hcl='path "KV/data/*" { capabilities = ["read"] }',
        )
        scenario.write_secret("bench", {"v": "1"})
        agent_token = scenario.minter.mint(
            scenario.human_ext,
            scenario.agent_ext,
            scenario.rar_read("bench"),
            exp=int(time.time()) + 3600,
        )
        svc_policy = scenario.policy("svc", 'path "KV/data/*" { capabilities = ["read"] }')
        service_token = ok(send("POST", "auth/token/create", {"policies": [svc_policy]}))["auth"][
            "client_token"
        ]
        path = f"/v1/{scenario.kv}/data/bench"
        conns = {
            "agent": http.client.HTTPConnection("127.0.0.1", server.port, timeout=30),
            "token": http.client.HTTPConnection("127.0.0.1", server.port, timeout=30),
        }
        tokens = {"agent": agent_token, "token": service_token}
        for kind in conns:
            for _ in range(200):
                _timed(conns[kind], path, tokens[kind])
        samples: dict[str, list[float]] = {"agent": [], "token": []}
        for _ in range(requests):
            for kind in ("agent", "token"):
                samples[kind].append(_timed(conns[kind], path, tokens[kind]))
        for conn in conns.values():
            conn.close()
    finally:
        if jwks is not None:
            jwks.close()
        server.stop()
    out: dict[str, float] = {}
    for kind, values in samples.items():
        values.sort()
        out[f"{kind}_median_ms"] = statistics.median(values) * 1000
        out[f"{kind}_p95_ms"] = values[int(len(values) * 0.95)] * 1000
    out["ratio"] = out["agent_median_ms"] / out["token_median_ms"]
    return out


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per kind")
    parser.add_argument("--alg", default="ES256", choices=["RS256", "PS256", "ES256", "EdDSA"])
    parser.add_argument("--static", action="store_true", help="static keys instead of JWKS")
    args = parser.parse_args()
    result = run(args.requests, args.alg, args.static)
    mode = "static keys" if args.static else "JWKS"
    print(f"delegated agent JWT ({args.alg}, {mode}) vs service token, GET of one KV v2 secret")
    print(f"  requests per kind : {args.requests}")
    print(f"  service token     : median {result['token_median_ms']:.3f} ms, "
          f"p95 {result['token_p95_ms']:.3f} ms")  # fmt: skip
    print(f"  agent JWT         : median {result['agent_median_ms']:.3f} ms, "
          f"p95 {result['agent_p95_ms']:.3f} ms")  # fmt: skip
    print(f"  ratio (medians)   : {result['ratio']:.2f}x (target <= 1.30x)")


if __name__ == "__main__":
    main()
