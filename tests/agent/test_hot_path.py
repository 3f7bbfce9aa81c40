"""The agent hot path does no avoidable work.

In steady state a request with an agent JWT parses no HCL, fetches no JWKS, writes nothing
to storage, and reads storage exactly twice for the agent machinery: the core's
cache-generation key (every request reads it) and the revoked-``jti`` key of the token.
Everything else (profiles, keys, aliases, entity states, registrations, compiled ACLs) comes
from per-process caches that writes invalidate through the cache generation. Activity
counters are kept in memory and written only by the periodic flush (SPEC §4.2).
"""

from __future__ import annotations

import collections
import json
from collections.abc import Iterator

import pytest

from tests.agent.support import Minter, Scenario, jwks_server, make_key, ok, static_profile
from vault_agent_backend.builtin.agent_registry.service import agent_registry
from vault_agent_backend.builtin.oauth_resource_server import keys as keys_module
from vault_agent_backend.policy import parser as parser_module

STEADY_REQUESTS = 25


@pytest.fixture
def counters(app, monkeypatch) -> Iterator[dict[str, collections.Counter]]:
    """Count HCL parses, JWKS fetches, storage reads and storage writes (by key) of the
    in-process core. The periodic activity flush is pushed out of the test's time span, so
    that any write seen comes from the requests themselves."""
    found: dict[str, collections.Counter] = {
        "hcl": collections.Counter(),
        "jwks": collections.Counter(),
        "reads": collections.Counter(),
        "writes": collections.Counter(),
    }
    monkeypatch.setattr(agent_registry(app.core).activity, "interval", 3600.0)
    parse = parser_module.parse_document

    def counting_parse(text):
        found["hcl"]["parse"] += 1
        return parse(text)

    fetch = keys_module.fetch_jwks

    def counting_fetch(*args, **kwargs):
        found["jwks"]["fetch"] += 1
        return fetch(*args, **kwargs)

    monkeypatch.setattr(parser_module, "parse_document", counting_parse)
    monkeypatch.setattr(keys_module, "fetch_jwks", counting_fetch)
    storage = app.core.storage
    get = storage.get

    def counting_get(key):
        found["reads"][key] += 1
        return get(key)

    monkeypatch.setattr(storage, "get", counting_get)

    def count_writes(keys) -> None:
        for key in keys:
            found["writes"][key] += 1

    # Every way the storage interface writes: put, delete, apply, apply_built, cas,
    # apply_if_absent (a default cas/apply_if_absent that calls apply counts twice: only
    # "none at all" and "which keys" are asserted).
    put, delete, apply, apply_built = (
        storage.put,
        storage.delete,
        storage.apply,
        storage.apply_built,
    )
    cas, apply_if_absent = storage.cas, storage.apply_if_absent

    def counting_put(key, value):
        count_writes([key])
        return put(key, value)

    def counting_delete(key):
        count_writes([key])
        return delete(key)

    def counting_apply(ops):
        count_writes(k for k, _ in ops)
        return apply(ops)

    def counting_apply_built(build):
        def counted_build():
            ops = build()
            count_writes(k for k, _ in ops)
            return ops

        return apply_built(counted_build)

    def counting_cas(key, expected, ops):
        count_writes(k for k, _ in ops)
        return cas(key, expected, ops)

    def counting_apply_if_absent(guard_key, ops):
        count_writes(k for k, _ in ops)
        return apply_if_absent(guard_key, ops)

    monkeypatch.setattr(storage, "put", counting_put)
    monkeypatch.setattr(storage, "delete", counting_delete)
    monkeypatch.setattr(storage, "apply", counting_apply)
    monkeypatch.setattr(storage, "apply_built", counting_apply_built)
    monkeypatch.setattr(storage, "cas", counting_cas)
    monkeypatch.setattr(storage, "apply_if_absent", counting_apply_if_absent)
    yield found


def _steady_state(app, counters, scenario: Scenario, token: str) -> collections.Counter:
    path = f"{scenario.kv}/data/hot"
    for _ in range(3):  # warm-up: compiles ACLs, fetches the JWKS, fills the caches
        ok(app.send("GET", path, token=token))
    for counter in counters.values():
        counter.clear()
    for _ in range(STEADY_REQUESTS):
        body = ok(app.send("GET", path, token=token))
        assert body["data"]["data"] == {"v": 1}
    return counters["reads"]


@pytest.mark.parametrize("alg", ["ES256", "RS256"])
def test_jwks_profile_steady_state(app, counters, alg) -> None:
    key = make_key(alg)
    with jwks_server([key]) as jwks:
        scenario = Scenario(app.send, Minter("https://hot-jwks.example", key)).setup(
            profile={"jwks_uri": jwks.url, "audiences": ["vault"]},
            baseline_hcl='path "KV/data/*" { capabilities = ["read"] }',
        )
        scenario.write_secret("hot", {"v": 1})
        token = scenario.token(scenario.rar_read("hot"))
        reads = _steady_state(app, counters, scenario, token)
        assert jwks.hits <= 1
    assert counters["hcl"]["parse"] == 0
    assert counters["jwks"]["fetch"] == 0
    assert counters["writes"] == {}  # no write per request (activity included)
    _assert_reads(reads, scenario)


def test_static_profile_steady_state(app, counters) -> None:
    key = make_key("EdDSA")
    scenario = Scenario(app.send, Minter("https://hot-static.example", key)).setup(
        profile=static_profile(key)
    )
    scenario.write_secret("hot", {"v": 1})
    token = scenario.token(scenario.rar_read("hot"))
    reads = _steady_state(app, counters, scenario, token)
    assert counters["hcl"]["parse"] == 0
    assert counters["jwks"]["fetch"] == 0
    assert counters["writes"] == {}  # no write per request (activity included)
    _assert_reads(reads, scenario)


def _assert_reads(reads: collections.Counter, scenario: Scenario) -> None:
    outside_kv = {
        k: n for k, n in reads.items() if "/metadata/hot" not in k and "/versions/" not in k
    }
    # Per request: the cache generation, the revoked-jti key; nothing else outside the
    # KV engine's own reads of the secret (metadata and version: 2).
    assert set(outside_kv) == {"core/cache-generation"} | {
        k for k in outside_kv if k.startswith("core/oauth-resource-server/revoked-jti/")
    }
    assert outside_kv["core/cache-generation"] == STEADY_REQUESTS
    jti_reads = [n for k, n in outside_kv.items() if "revoked-jti" in k]
    assert jti_reads == [STEADY_REQUESTS]
    assert sum(reads.values()) == 4 * STEADY_REQUESTS


def test_activity_is_counted_in_memory_and_flushed(app, counters) -> None:
    """SPEC §4.2: allowed and denied requests are counted in memory, never one write per
    request; the flush adds them to the stored totals, which the activity endpoint shows."""
    key = make_key("EdDSA")
    scenario = Scenario(app.send, Minter("https://hot-activity.example", key)).setup(
        profile=static_profile(key)
    )
    scenario.write_secret("hot", {"v": 1})
    token = scenario.token(scenario.rar_read("hot"))
    _steady_state(app, counters, scenario, token)  # 3 warm-up + STEADY_REQUESTS allowed
    for _ in range(STEADY_REQUESTS):
        assert app.send("GET", f"{scenario.kv}/data/elsewhere", token=token)[0] == 403
    assert counters["writes"] == {}

    registry = agent_registry(app.core)
    assert app.core.hooks["agent_registry"] is registry
    stored_key = f"activity/{scenario.registration_id}"
    assert registry.activity.view.get(stored_key) is None  # nothing stored yet
    registry.activity.flush()
    written = [k for k in counters["writes"] if k.endswith(stored_key)]
    assert len(written) == 1, counters["writes"]
    assert set(counters["writes"]) == set(written)  # the flush writes only the totals

    counters["writes"].clear()
    activity = ok(app.send("GET", f"identity/agent/activity/{scenario.registration_id}"))
    data = activity["data"]
    assert data["allowed_requests"] == 3 + STEADY_REQUESTS
    assert data["denied_requests"] == STEADY_REQUESTS
    assert data["denied_by_layer"] == {"authorization_details": STEADY_REQUESTS}
    assert data["last_use"]
    # What it showed is the stored total, not this process's pending counts.
    stored = json.loads(registry.activity.view.get(stored_key))
    assert stored["allowed"] == 3 + STEADY_REQUESTS and stored["denied"] == STEADY_REQUESTS
    # A second flush with nothing pending writes nothing; reading wrote nothing either.
    registry.activity.flush()
    assert counters["writes"] == {}


def test_a_write_is_seen_by_the_next_request_and_caches_refill(app, counters) -> None:
    """Caches are dropped on writes; the next requests refill them (then steady again)."""
    key = make_key("ES256")
    scenario = Scenario(app.send, Minter("https://hot-change.example", key)).setup(
        profile=static_profile(key)
    )
    scenario.write_secret("hot", {"v": 1})
    token = scenario.token(scenario.rar_read("hot"))
    _steady_state(app, counters, scenario, token)
    scenario.policy("ceiling", 'path "KV/data/other" { capabilities = ["read"] }')
    assert app.send("GET", f"{scenario.kv}/data/hot", token=token)[0] == 403
    parsed_after_change = counters["hcl"]["parse"]
    assert parsed_after_change >= 1  # the changed policy was parsed once...
    for _ in range(5):
        assert app.send("GET", f"{scenario.kv}/data/hot", token=token)[0] == 403
    assert counters["hcl"]["parse"] == parsed_after_change  # ...and never again
