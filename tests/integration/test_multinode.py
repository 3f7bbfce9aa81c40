"""Two server nodes (two ``vab server -config`` process trees) on one PostgreSQL database.

A change made on one node must be enforced by the other on its very next request, even by
a process that has the old state cached. Every such check therefore warms the caches first
(a burst of requests, all answered from the old state), makes the change on the other node,
and then expects the new answer from *every* request of a second burst, the first of which
is the very next request. The cache tests run with one worker per node, where that first
request certainly reaches the warmed process, and with two workers per node.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import hvac
import psycopg
import pytest

from tests.support.config_server import VabConfigServer, postgresql_storage, start_vab_config

#: Both nodes sit behind one load balancer address (their issuer and token endpoint URL).
LB_ADDR = "http://vault.lb.example:8200"
#: Requests per burst: warms every worker's caches (2 workers), or checks all answer alike.
BURST = 6
#: Cache tests run on nodes of one worker (deterministic) and of two workers.
WORKERS = pytest.mark.parametrize("nodes", [1, 2], indirect=True, ids=["1w", "2w"])


@pytest.fixture
def nodes(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_database: str
) -> Iterator[tuple[VabConfigServer, ...]]:
    """Two nodes on one database; ``request.param`` (indirect) is the workers per node."""
    workers = getattr(request, "param", 2)
    storage = postgresql_storage(postgres_database)
    started: list[VabConfigServer] = []
    try:
        for name in ("a", "b"):
            directory = tmp_path / name
            directory.mkdir()
            started.append(
                start_vab_config(
                    storage,
                    workers=workers,
                    config_dir=directory,
                    extra_hcl=f'api_addr = "{LB_ADDR}"',
                )
            )
        yield tuple(started)
    finally:
        for server in started:
            server.stop()


def client(server: VabConfigServer, token: str | None = None) -> hvac.Client:
    return hvac.Client(url=server.url, token=token, timeout=30)


def burst(server: VabConfigServer, method: str, path: str, token: str | None) -> list[int]:
    """Statuses of :data:`BURST` requests, each on a new connection, in order."""
    return [server.request(method, path, token=token)[0] for _ in range(BURST)]


def test_init_on_one_node_unseal_each_node(nodes: tuple[VabConfigServer, ...]) -> None:
    a, b = nodes
    ca, cb = client(a), client(b)
    assert not ca.sys.is_initialized() and not cb.sys.is_initialized()
    result = ca.sys.initialize(secret_shares=3, secret_threshold=2)
    assert cb.sys.is_initialized()  # the other node sees the shared storage at once
    assert cb.sys.read_seal_status()["t"] == 2
    assert ca.sys.is_sealed() and cb.sys.is_sealed()
    ca.sys.submit_unseal_keys(result["keys"][:2])
    assert not ca.sys.is_sealed()
    assert cb.sys.is_sealed()  # each node is unsealed on its own, as in Vault
    assert cb.sys.submit_unseal_key(result["keys"][2])["progress"] == 1
    cb.sys.submit_unseal_key(result["keys"][0])
    assert not cb.sys.is_sealed()
    ca.token = result["root_token"]
    ca.sys.seal()
    assert ca.sys.is_sealed() and not cb.sys.is_sealed()
    cb.token = result["root_token"]
    assert cb.auth.token.lookup_self()["data"]["policies"] == ["root"]


@pytest.fixture
def unsealed(nodes: tuple[VabConfigServer, ...]) -> tuple[VabConfigServer, ...]:
    a, b = nodes
    a.initialize(3, 2)
    a.unseal()
    b.root_token, b.keys = a.root_token, a.keys
    b.unseal()
    return nodes


@WORKERS
def test_tokens_across_nodes(unsealed: tuple[VabConfigServer, ...]) -> None:
    a, b = unsealed
    root_a = client(a, a.root_token)
    token = root_a.auth.token.create(policies=["default"], ttl="1h")["auth"]["client_token"]
    on_b = client(b, token)
    assert on_b.auth.token.lookup_self()["data"]["id"] == token
    assert burst(a, "GET", "auth/token/lookup-self", token) == [200] * BURST
    assert burst(b, "GET", "auth/token/lookup-self", token) == [200] * BURST
    client(b, b.root_token).auth.token.revoke(token)
    assert burst(a, "GET", "auth/token/lookup-self", token) == [403] * BURST
    assert burst(b, "GET", "auth/token/lookup-self", token) == [403] * BURST


@WORKERS
def test_policy_change_enforced_on_the_other_node(unsealed: tuple[VabConfigServer, ...]) -> None:
    a, b = unsealed
    root_a = client(a, a.root_token)
    root_a.sys.create_or_update_policy("mn", 'path "sys/mounts" { capabilities = ["read"] }')
    token = root_a.auth.token.create(policies=["mn"])["auth"]["client_token"]
    assert burst(b, "GET", "sys/mounts", token) == [200] * BURST  # cached on b
    root_a.sys.create_or_update_policy("mn", 'path "sys/mounts" { capabilities = ["deny"] }')
    assert burst(b, "GET", "sys/mounts", token) == [403] * BURST
    root_a.sys.create_or_update_policy("mn", 'path "sys/mounts" { capabilities = ["read"] }')
    assert burst(b, "GET", "sys/mounts", token) == [200] * BURST
    root_a.sys.delete_policy("mn")
    assert burst(b, "GET", "sys/mounts", token) == [403] * BURST


@WORKERS
def test_mount_table_change_seen_by_the_other_node(unsealed: tuple[VabConfigServer, ...]) -> None:
    a, b = unsealed
    no_route = 'no handler for route "shared-kv/item'

    def mounted_on_b() -> list[bool]:
        return [
            "shared-kv/" in b.request("GET", "sys/mounts", token=b.root_token)[1]["data"]
            for _ in range(BURST)
        ]

    def read_on_a() -> list[tuple[int, list[str]]]:
        answers = [a.request("GET", "shared-kv/item", token=a.root_token) for _ in range(BURST)]
        return [(code, body.get("errors", [])) for code, body in answers]

    # Both nodes have loaded (cached) the mount table without the mount.
    assert mounted_on_b() == [False] * BURST
    assert all(code == 404 and no_route in " ".join(err) for code, err in read_on_a()), read_on_a()
    client(a, a.root_token).sys.enable_secrets_engine("kv", path="shared-kv")
    writes = [
        b.request("PUT", "shared-kv/item", {"value": f"from-b-{i}"}, b.root_token)[0]
        for i in range(BURST)
    ]
    assert writes == [204] * BURST  # routed to the new mount from the very first write
    assert mounted_on_b() == [True] * BURST
    assert read_on_a() == [(200, [])] * BURST
    assert client(a, a.root_token).read("shared-kv/item")["data"]["value"] == f"from-b-{BURST - 1}"
    client(b, b.root_token).sys.disable_secrets_engine("shared-kv")
    answers = read_on_a()
    assert all(code == 404 and no_route in " ".join(err) for code, err in answers), answers


def test_nothing_in_clear_in_the_postgresql_table(
    unsealed: tuple[VabConfigServer, ...], postgres_database: str
) -> None:
    a, b = unsealed
    root_a = client(a, a.root_token)
    root_a.sys.create_or_update_policy(
        "canary", 'path "canary-policy-path/*" { capabilities = ["read"] }'
    )
    child = root_a.auth.token.create(policies=["canary"])["auth"]["client_token"]
    client(b, b.root_token).write("cubbyhole/canary", value="canary-secret-value")
    with psycopg.connect(postgres_database) as conn:
        rows = conn.execute("SELECT key, value FROM vault_kv_store").fetchall()
    assert len(rows) > 10
    blob = b"".join(key.encode() + b"\x00" + bytes(value) for key, value in rows)
    for needle in (
        "canary-secret-value",
        "canary-policy-path",
        a.root_token,
        child,
        "capabilities",
    ):
        assert needle.encode() not in blob, f"{needle!r} stored in clear"


@WORKERS
def test_agent_suspension_on_one_node_enforced_on_the_other(
    unsealed: tuple[VabConfigServer, ...],
) -> None:
    """An agent suspended through node A is refused by node B on its very next request."""
    from tests.agent.support import Minter, Scenario, http_sender, make_key, static_profile

    a, b = unsealed
    key = make_key("ES256")
    minter = Minter(issuer="https://idp.multinode.example", key=key)
    send_a = http_sender(a.url)
    send_b = http_sender(b.url)

    def as_root(send):
        return lambda method, path, body=None, token=a.root_token: send(method, path, body, token)

    scenario = Scenario(send=as_root(send_a), minter=minter).setup(profile=static_profile(key))
    scenario.write_secret("shared", {"v": "1"})
    path = f"{scenario.kv}/data/shared"
    token = scenario.token(scenario.rar_read("shared"))

    def statuses_b() -> list[int]:
        return [send_b("GET", path, token=token)[0] for _ in range(BURST)]

    assert statuses_b() == [200] * BURST  # b has the registration and decision cached
    status, _, _ = send_a(
        "POST",
        f"identity/agent/registration/id/{scenario.registration_id}",
        {"status": "suspended"},
        a.root_token,
    )
    assert status in (200, 204)
    status, body, _headers = send_b("GET", path, token=token)  # the very next request
    assert status == 403 and "permission denied" in " ".join(body["errors"])
    assert statuses_b() == [403] * BURST
    send_a(
        "POST",
        f"identity/agent/registration/id/{scenario.registration_id}",
        {"status": "active"},
        a.root_token,
    )
    assert statuses_b() == [200] * BURST


def test_a_client_assertion_used_on_one_node_is_refused_on_the_other(
    unsealed: tuple[VabConfigServer, ...],
) -> None:
    """RFC 7523 jti single use across nodes: an assertion accepted by node A is a replay
    for node B (the same load-balancer issuer), deterministically, not by chance."""
    from tests.agent_auth.support import (
        ASSERTION_TYPE,
        TOKEN_EXCHANGE,
        World,
        http_sender,
        ok,
        path_access,
    )

    a, b = unsealed
    send_a, send_b = http_sender(a.url), http_sender(b.url)

    def root_a(method, path, body=None, token="root", form=None, headers=None):
        token = a.root_token if token == "root" else token
        return send_a(method, path, body, token, form, headers)

    ok(root_a("POST", "sys/mounts/secret", {"type": "kv", "options": {"version": "2"}}))
    ok(root_a("POST", "sys/auth/agent", {"type": "agent"}))
    world = World(root_a, LB_ADDR)
    human = world.policy(
        "human",
        'path "secret/data/APP/*" { capabilities = ["read"] }\n'
        'path "identity/agent/delegation" { capabilities = ["update"] }',
    )
    ceiling = world.policy("ceiling", 'path "secret/data/*" { capabilities = ["read"] }')
    human_token, _ = world.human("alice", [human])
    bot = world.agent("bot", ceiling=[ceiling])
    delegation = world.delegate(
        human_token, bot, [path_access(f"secret/data/{world.app}/*", "read")]
    )
    form = {
        "grant_type": TOKEN_EXCHANGE,
        "delegation_id": delegation,
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": bot.assertion(world.token_url),
    }
    status, body, _ = send_a("POST", "auth/agent/token", None, None, form)
    assert status == 200, body
    status, body, _ = send_b("POST", "auth/agent/token", None, None, form)
    assert status == 401 and body["error"] == "invalid_client", body
    assert "already been used" in body["error_description"]
    # A fresh assertion works on node B: the refusal was the replay, not the node.
    form["client_assertion"] = bot.assertion(world.token_url)
    status, body, _ = send_b("POST", "auth/agent/token", None, None, form)
    assert status == 200, body
