"""Fixtures for the client library tests: the session dev server, a human (userpass) and an
agent with a key, set up through plain HTTP; the tests then use ``vab_client`` only."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from cryptography.hazmat.primitives import serialization

from tests.agent_auth.support import Agent, World, http_sender, path_access
from tests.support.processes import ServerProcess

HUMAN_HCL = """
path "secret/data/APP/*" { capabilities = ["create", "read", "update"] }
path "identity/agent/delegation" { capabilities = ["update", "list"] }
path "identity/agent/delegation/*" { capabilities = ["read", "delete", "list"] }
"""
CEILING_HCL = 'path "secret/data/*" { capabilities = ["read"] }'


@dataclass
class Scene:
    """A world on the session server with alice and an agent (``bot``)."""

    server: ServerProcess
    world: World
    human: str
    human_entity: str
    bot: Agent
    ceiling: str
    human_policy: str

    @property
    def url(self) -> str:
        """The server's address."""
        return self.server.url

    def private_pem(self, agent: Agent | None = None) -> str:
        """The PEM of an agent's private key."""
        key = (agent or self.bot).key
        return key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()

    def details(self, name: str = "db", *caps: str) -> list[dict]:
        """One entry for ``secret/data/<app>/<name>``."""
        return [path_access(f"secret/data/{self.world.app}/{name}", *(caps or ("read",)))]


@pytest.fixture
def scene(vab_server: ServerProcess) -> Scene:
    """A fresh set of names on the session server (alice, bot, two secrets)."""
    world = World(http_sender(vab_server.url), vab_server.url)
    human_policy = world.policy("human", HUMAN_HCL)
    ceiling = world.policy("ceiling", CEILING_HCL)
    token, entity = world.human("alice", [human_policy])
    bot = world.agent("bot", ceiling=[ceiling])
    for name in ("db", "payments"):
        world.secret(name, f"{name}-value")
    return Scene(vab_server, world, token, entity, bot, ceiling, human_policy)
