"""In-process fixtures: a dev core (``auth/agent/`` enabled by dev mode) behind the Flask app,
and a :class:`World` with a human, an agent, policies and secrets for the common case."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.agent_auth.support import Agent, World, flask_sender, path_access
from vault_agent_backend.http import create_app
from vault_agent_backend.server.dev import build_dev_core

API_ADDR = "http://127.0.0.1:8200"

HUMAN_HCL = """
path "secret/data/APP/*" { capabilities = ["create", "read", "update", "list"] }
path "identity/agent/delegation" { capabilities = ["update", "list"] }
path "identity/agent/delegation/*" { capabilities = ["read", "delete", "list"] }
"""
CEILING_HCL = 'path "secret/data/*" { capabilities = ["read", "list"] }'


@dataclass
class App:
    """A dev core and its Flask test client."""

    core: Any
    client: Any


@pytest.fixture
def app() -> Iterator[App]:
    """A fresh in-process dev server (root token ``root``)."""
    core, _root = build_dev_core("root", API_ADDR)
    try:
        yield App(core, create_app(core).test_client())
    finally:
        core.shutdown()


@dataclass
class Setup:
    """The common scenario: alice (human) delegated read on ``<app>/*`` to ``bot``."""

    world: World
    core: Any
    client: Any
    human_token: str
    human_entity: str
    bot: Agent
    delegation: str

    def details(self, name: str = "db", *caps: str) -> list[dict[str, Any]]:
        """One entry for ``secret/data/<app>/<name>``."""
        return [path_access(f"secret/data/{self.world.app}/{name}", *(caps or ("read",)))]


@pytest.fixture
def world(app: App) -> World:
    """A world on the in-process server."""
    return World(flask_sender(app.client), API_ADDR)


@pytest.fixture
def setup(app: App, world: World) -> Setup:
    """alice, bot, and a delegation of read on ``secret/data/<app>/*``."""
    human = world.policy("human", HUMAN_HCL)
    ceiling = world.policy("ceiling", CEILING_HCL)
    token, entity = world.human("alice", [human])
    bot = world.agent("bot", ceiling=[ceiling])
    for name in ("db", "payments"):
        world.secret(name)
    delegation = world.delegate(
        token, bot, [path_access(f"secret/data/{world.app}/*", "read")], purpose="tests"
    )
    return Setup(world, app.core, app.client, token, entity, bot, delegation)
