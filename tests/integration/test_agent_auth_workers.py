"""The authorization server under ``vab server -config`` with two worker processes (SQLite):
a client assertion is single-use across workers, and revocations, rotations and
delegation ends are seen by every worker on the next request."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.agent_auth.support import (
    ASSERTION_TYPE,
    TOKEN_EXCHANGE,
    World,
    decode,
    http_sender,
    ok,
    path_access,
)
from tests.support.config_server import VabConfigServer, sqlite_storage, start_vab_config

HUMAN_HCL = """
path "secret/data/APP/*" { capabilities = ["create", "read", "update"] }
path "identity/agent/delegation" { capabilities = ["update", "list"] }
path "identity/agent/delegation/*" { capabilities = ["read", "delete", "list"] }
"""
FANOUT = 16


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VabConfigServer]:
    tmp = tmp_path_factory.mktemp("agent-auth-workers")
    started = start_vab_config(
        sqlite_storage(tmp / "vab.db"), workers=2, config_dir=tmp, initialize=True
    )
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def scene(server: VabConfigServer):
    send = http_sender(server.url)

    def root_send(method, path, body=None, token="root", form=None, headers=None):
        token = server.root_token if token == "root" else token
        return send(method, path, body, token, form, headers)

    ok(root_send("POST", "sys/mounts/secret", {"type": "kv", "options": {"version": "2"}}))
    ok(root_send("POST", "sys/auth/agent", {"type": "agent"}))
    world = World(root_send, server.url)
    human = world.policy("human", HUMAN_HCL)
    ceiling = world.policy("ceiling", 'path "secret/data/*" { capabilities = ["read"] }')
    token, _ = world.human("alice", [human])
    bot = world.agent("bot", ceiling=[ceiling])
    world.secret("db")
    delegation = world.delegate(token, bot, [path_access(f"secret/data/{world.app}/*", "read")])
    return world, token, bot, delegation


def many(call, n: int = FANOUT) -> list[int]:
    """``n`` concurrent calls, each on its own connection (spread over the workers)."""
    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(lambda _: call()[0], range(n)))


def test_a_replayed_assertion_is_refused_by_every_worker(scene) -> None:
    world, _, bot, delegation = scene
    assertion = bot.assertion(world.token_url)
    form = {
        "grant_type": TOKEN_EXCHANGE,
        "delegation_id": delegation,
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
    }

    def post():
        return world.send("POST", "auth/agent/token", token=None, form=form)

    assert sorted(many(post)) == [200] + [401] * (FANOUT - 1)
    # replayed later, one connection after another: always refused
    for _ in range(6):
        status, body, _ = post()
        assert status == 401 and "already been used" in body["error_description"]


def test_tokens_work_on_every_worker_and_revocation_is_seen_by_all(scene) -> None:
    world, _, bot, delegation = scene
    token = world.token(bot, delegation=delegation)
    assert many(lambda: world.read(token, "db")) == [200] * FANOUT
    form = {"token": token, **bot.auth(world.token_url)}
    assert world.send("POST", "auth/agent/revoke", token=None, form=form)[0] == 200
    assert many(lambda: world.read(token, "db")) == [403] * FANOUT


def test_rotation_is_seen_by_every_worker(scene) -> None:
    world, _, bot, delegation = scene
    old = world.token(bot, delegation=delegation)
    new_kid = ok(world.send("POST", "auth/agent/keys/rotate"))["data"]["current"]
    new = world.token(bot, delegation=delegation)
    assert decode(new)[0]["kid"] == new_kid != decode(old)[0]["kid"]
    assert many(lambda: world.read(new, "db")) == [200] * FANOUT
    assert many(lambda: world.read(old, "db")) == [200] * FANOUT


def test_delegation_revocation_is_seen_by_every_worker(scene) -> None:
    world, human_token, bot, _ = scene
    delegation = world.delegate(
        human_token, bot, [path_access(f"secret/data/{world.app}/db", "read")]
    )
    token = world.token(bot, delegation=delegation)
    assert many(lambda: world.read(token, "db")) == [200] * FANOUT
    path = f"identity/agent/delegation/id/{delegation}"
    assert world.send("DELETE", path, token=human_token)[0] == 204
    assert many(lambda: world.read(token, "db")) == [403] * FANOUT
