"""``vab_client.Client``: hvac plus ``.agent`` (registry, delegations, resource servers,
token issuance, login, introspection, revocation, key rotation, explain)."""

from __future__ import annotations

import hvac
import pytest
from vab_client import Client, ClientCredentials, OAuthError, agent_api, path_access
from vab_client.segments import InvalidSegment

from tests.client.conftest import Scene


def admin(scene: Scene) -> Client:
    return Client(url=scene.url, token=scene.server.root_token)


def alice(scene: Scene) -> Client:
    return Client(url=scene.url, token=scene.human)


def credentials(scene: Scene) -> ClientCredentials:
    return ClientCredentials(scene.bot.id, private_key=scene.private_pem())


def test_client_is_an_hvac_client(scene: Scene) -> None:
    client = admin(scene)
    assert isinstance(client, hvac.Client) and client.is_authenticated()
    assert agent_api(hvac.Client(url=scene.url, token="root")).registry is not None


def test_registry(scene: Scene) -> None:
    client = admin(scene)
    registry = client.agent.registry
    entity = client.secrets.identity.create_or_update_entity(name=scene.world.name("lib"))
    created = registry.register(
        scene.world.name("lib"),
        entity_id=entity["data"]["id"],
        ceiling_policies=[scene.ceiling],
        max_ttl="2m",
        metadata={"model": "m1"},
    )
    by_id = registry.read(created["id"])
    by_name = registry.read(scene.world.name("lib"))
    assert by_id == by_name and by_id["max_ttl"] == 120 and by_id["metadata"] == {"model": "m1"}
    assert created["id"] in registry.list()["keys"]
    registry.update(created["id"], description="updated")
    assert registry.read(created["id"])["description"] == "updated"
    assert registry.suspend(created["id"]) and registry.read(created["id"])["status"] == "suspended"
    registry.resume(scene.world.name("lib"))
    assert registry.read(created["id"])["status"] == "active"
    secret = registry.new_client_secret(created["id"])
    assert secret["client_id"] == created["id"] and secret["client_secret"]
    assert registry.activity(created["id"])["active_delegations"] == 0
    registry.delete(created["id"])
    with pytest.raises(hvac.exceptions.InvalidPath):
        registry.read(created["id"])


def test_delegations(scene: Scene) -> None:
    human = alice(scene)
    delegations = human.agent.delegations
    made = delegations.create(scene.bot.name, scene.details(), ttl="10m", purpose="library test")
    delegation_id = made["delegation_id"]
    assert delegations.read(delegation_id)["purpose"] == "library test"
    assert delegations.list()["keys"] == [delegation_id]
    assert delegations.list(agent=scene.bot.id)["keys"] == [delegation_id]
    assert delegations.list(agent="nobody") == {}
    delegations.revoke(delegation_id)
    assert delegations.read(delegation_id)["status"] == "revoked"
    # An id is one path segment: it cannot walk to another endpoint.
    for bad in ("../../../../sys/policies/acl/default", "..", "", "a/b"):
        with pytest.raises(InvalidSegment):
            delegations.revoke(bad)
    second = delegations.create(scene.bot.id, scene.details())["delegation_id"]
    assert delegations.revoke_subject(scene.human_entity) == [second]
    with pytest.raises(hvac.exceptions.InvalidRequest):
        admin(scene).agent.delegations.create(scene.bot.id, scene.details())


def test_resource_servers(scene: Scene) -> None:
    servers = admin(scene).agent.resource_servers
    assert "builtin-auth-agent" in servers.list()
    builtin = servers.read("builtin-auth-agent")
    assert builtin["issuer_id"] == f"{scene.url}/v1/auth/agent"
    name = scene.world.name("profile")
    servers.write(
        name, issuer_id=f"https://{name}.example", jwks_uri=f"https://{name}.example/jwks"
    )
    config_id = servers.read(name)["config_id"]
    assert servers.read_by_id(config_id)["profile_name"] == name
    servers.delete(name)
    assert name not in servers.list()
    types = servers.authorization_details_types()
    assert "vault:path_access" in str(types)


def test_token_login_introspect_revoke(scene: Scene) -> None:
    human = alice(scene)
    delegation_id = human.agent.delegations.create(scene.bot.id, scene.details())["delegation_id"]
    agent = Client(url=scene.url)
    creds = credentials(scene)
    answer = agent.agent.token(
        creds, delegation_id=delegation_id, authorization_details=scene.details(), txn="lib-1"
    )
    assert answer["token_type"] == "Bearer" and answer["expires_in"] <= 300
    token = answer["access_token"]
    info = agent.agent.introspect(token, creds)
    assert info["active"] and info["txn"] == "lib-1" and info["delegation_id"] == delegation_id
    assert admin(scene).agent.introspect(token)["active"] is True
    agent.agent.revoke(token, creds)
    assert agent.agent.introspect(token, creds) == {"active": False}

    login = agent.agent.login(
        creds, delegation_id=delegation_id, authorization_details=scene.details()
    )
    assert agent.token == login["auth"]["client_token"]
    read = agent.secrets.kv.v2.read_secret_version(
        path=f"{scene.world.app}/db", mount_point="secret", raise_on_deleted_version=True
    )
    assert read["data"]["data"]["value"] == "db-value"
    with pytest.raises(hvac.exceptions.Forbidden):
        agent.secrets.kv.v2.read_secret_version(
            path=f"{scene.world.app}/payments", mount_point="secret", raise_on_deleted_version=True
        )


def test_oauth_errors_are_typed(scene: Scene) -> None:
    agent = Client(url=scene.url)
    with pytest.raises(OAuthError) as caught:
        agent.agent.token(credentials(scene), delegation_id="no-such-delegation")
    assert caught.value.error == "invalid_grant" and caught.value.status == 400
    assert isinstance(caught.value, hvac.exceptions.InvalidRequest)
    secret_creds = ClientCredentials(scene.bot.id, client_secret="wrong")
    with pytest.raises(OAuthError) as caught:
        agent.agent.token(secret_creds, delegation_id="x")
    assert caught.value.error == "invalid_client" and caught.value.status == 401


def test_client_secret_credentials(scene: Scene) -> None:
    secret = admin(scene).agent.registry.new_client_secret(scene.bot.id)["client_secret"]
    human = alice(scene)
    delegation_id = human.agent.delegations.create(scene.bot.id, scene.details())["delegation_id"]
    agent = Client(url=scene.url)
    for method in ("client_secret_basic", "client_secret_post"):
        creds = ClientCredentials(scene.bot.id, client_secret=secret, method=method)
        assert agent.agent.token(creds, delegation_id=delegation_id)["access_token"]


def test_explain_and_rotate(scene: Scene) -> None:
    human = alice(scene)
    delegation_id = human.agent.delegations.create(scene.bot.id, scene.details())["delegation_id"]
    token = Client(url=scene.url).agent.token(credentials(scene), delegation_id=delegation_id)[
        "access_token"
    ]
    root = admin(scene)
    result = root.agent.explain(
        [{"path": f"secret/data/{scene.world.app}/payments", "operation": "read"}], token=token
    )["results"][0]
    assert result["allowed"] is False and result["denied_by"] == "authorization_details"
    assert [v["layer"] for v in result["layers"]][-1] == "delegation"
    unverified = root.agent.explain(
        [{"path": f"secret/data/{scene.world.app}/db", "operation": "read"}],
        agent=scene.bot.id,
        subject_entity_id=scene.human_entity,
        authorization_details=scene.details(),
    )
    # without a token or delegation, the human layer is alice's identity policies alone (her
    # userpass token's policies are not hers as an entity): explain says so
    assert unverified["mode"] == "delegated"
    assert unverified["results"][0]["denied_by"] == "human"
    rotated = root.agent.rotate_keys()
    assert rotated["current"] and len(rotated["keys"]) >= 2


def test_path_access_helper() -> None:
    assert path_access("secret/data/x", "read", "list") == {
        "type": "vault:path_access",
        "path": "secret/data/x",
        "capabilities": ["read", "list"],
    }
