"""``AgentSession``: holds the agent's credentials, keeps a valid token per transaction
(re-issued shortly before expiry), hands out hvac clients, revokes at the end."""

from __future__ import annotations

import hvac
import pytest
from vab_client import AgentSession, Client, OAuthError

from tests.agent_auth.support import poll
from tests.client.conftest import Scene


def delegation(scene: Scene, **fields) -> str:
    human = Client(url=scene.url, token=scene.human)
    return human.agent.delegations.create(
        scene.bot.id, [*scene.details("db"), *scene.details("payments")], **fields
    )["delegation_id"]


def session(scene: Scene, **kw) -> AgentSession:
    return AgentSession(scene.url, scene.bot.id, private_key=scene.private_pem(), **kw)


def read(vault: hvac.Client, scene: Scene, name: str) -> str:
    answer = vault.secrets.kv.v2.read_secret_version(
        path=f"{scene.world.app}/{name}", mount_point="secret", raise_on_deleted_version=True
    )
    return answer["data"]["data"]["value"]


def test_token_is_cached_per_transaction(scene: Scene) -> None:
    agent = session(scene, delegation_id=delegation(scene))
    first = agent.token(scene.details("db"))
    assert agent.token(scene.details("db")) == first and agent.issued == 1
    other = agent.token(scene.details("payments"))
    assert other != first and agent.issued == 2
    assert agent.token(scene.details("db"), txn="t-2") not in (first, other)


def test_reissued_shortly_before_expiry(scene: Scene) -> None:
    scene.world.send("POST", f"identity/agent/registration/id/{scene.bot.id}", {"max_ttl": "3s"})
    agent = session(scene, delegation_id=delegation(scene), refresh_margin=2.0)
    vault = agent.client(scene.details("db"))
    first = agent.token(scene.details("db"))
    assert read(vault, scene, "db") == "db-value"
    poll(lambda: agent.token(scene.details("db")) != first, timeout=10)
    # the hvac client keeps working across re-issues, with no 403 in between
    for _ in range(5):
        assert read(vault, scene, "db") == "db-value"
    assert agent.issued >= 2


def test_transaction_scopes_and_revokes(scene: Scene) -> None:
    agent = session(scene, delegation_id=delegation(scene))
    with agent.transaction(scene.details("db"), purpose="one read") as vault:
        assert read(vault, scene, "db") == "db-value"
        with pytest.raises(hvac.exceptions.Forbidden):
            read(vault, scene, "payments")
        token = vault.adapter.token
        claims = agent.server.introspect(token, agent.credentials)
        assert claims["purpose"] == "one read" and claims["txn"]
    assert agent.server.introspect(token, agent.credentials) == {"active": False}


def test_direct_mode_with_a_client_secret(scene: Scene) -> None:
    root = Client(url=scene.url, token=scene.server.root_token)
    own = scene.world.policy("own", 'path "secret/data/APP/*" { capabilities = ["read"] }')
    entity = root.secrets.identity.read_entity(entity_id=scene.bot.entity_id)["data"]
    root.secrets.identity.update_entity(
        entity_id=scene.bot.entity_id, policies=[own], name=entity["name"]
    )
    secret = root.agent.registry.new_client_secret(scene.bot.id)["client_secret"]
    agent = AgentSession(scene.url, scene.bot.id, client_secret=secret)
    with agent.transaction(scene.details("payments")) as vault:
        assert read(vault, scene, "payments") == "payments-value"


def test_refusals_surface_as_oauth_errors(scene: Scene) -> None:
    agent = session(scene, delegation_id="no-such-delegation")
    with pytest.raises(OAuthError) as caught:
        agent.token(scene.details("db"))
    assert caught.value.error == "invalid_grant"


def test_credentials_are_checked_locally() -> None:
    with pytest.raises(ValueError):
        AgentSession("http://127.0.0.1:1", "id")
