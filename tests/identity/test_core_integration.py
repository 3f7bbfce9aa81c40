"""The identity store inside the request pipeline: login entities, identity policies,
disabled entities, policy templates and cache coherence between workers."""

from __future__ import annotations

from tests.support.inprocess import Vab
from vault_agent_backend.core import Core
from vault_agent_backend.http import create_app

LIST_POLICIES = 'path "sys/policies/acl" { capabilities = ["list"] }'


def login(vab: Vab, user: str = "dave", password: str = "pw") -> dict:
    reply = vab.post(f"auth/userpass/login/{user}", {"password": password}, token=None)
    assert reply.status == 200, reply
    return reply.auth


def setup_user(vab: Vab, user: str = "dave", **extra) -> None:
    vab.enable_userpass()
    body = {"password": "pw", "token_policies": "tp", **extra}
    assert vab.post(f"auth/userpass/users/{user}", body).status == 204


def test_login_creates_entity_and_alias_once(vab: Vab) -> None:
    setup_user(vab)
    first = login(vab)
    entity_id = first["entity_id"]
    data = vab.get(f"identity/entity/id/{entity_id}").data
    (alias,) = data["aliases"]
    assert alias["name"] == "dave" and alias["mount_type"] == "userpass"
    assert data["name"].startswith("entity_")
    assert login(vab)["entity_id"] == entity_id
    assert len(vab.list("identity/entity/id").data["keys"]) == 1
    # An alias created ahead of the first login decides the entity.
    alice = vab.post("identity/entity", {"name": "alice"}).data["id"]
    accessor = vab.get("sys/auth").data["userpass/"]["accessor"]
    vab.post(
        "identity/entity-alias",
        {"name": "alice", "mount_accessor": accessor, "canonical_id": alice},
    )
    vab.post("auth/userpass/users/alice", {"password": "pw"})
    assert login(vab, "alice")["entity_id"] == alice


def test_identity_policies_apply_on_next_request(vab: Vab) -> None:
    setup_user(vab)
    assert vab.post("sys/policies/acl/lister", {"policy": LIST_POLICIES}).status == 204
    auth = login(vab)
    token, entity_id = auth["client_token"], auth["entity_id"]
    assert "identity_policies" not in auth
    assert vab.list("sys/policies/acl", token=token).status == 403
    # Entity policy: effective at once, without a new login.
    vab.post(f"identity/entity/id/{entity_id}", {"policies": ["lister"]})
    assert vab.list("sys/policies/acl", token=token).status == 200
    looked = vab.get("auth/token/lookup-self", token=token).data
    assert looked["identity_policies"] == ["lister"]
    assert looked["policies"] == ["default", "tp"]
    # Removed again: denied on the next request.
    vab.post(f"identity/entity/id/{entity_id}", {"policies": []})
    assert vab.list("sys/policies/acl", token=token).status == 403
    # Through a group, and through the parent of that group.
    child = vab.post("identity/group", {"name": "child", "member_entity_ids": [entity_id]}).data
    parent = vab.post(
        "identity/group",
        {"name": "parent", "policies": ["lister"], "member_group_ids": [child["id"]]},
    ).data
    assert vab.list("sys/policies/acl", token=token).status == 200
    relogged = login(vab)
    assert relogged["identity_policies"] == ["lister"]
    assert relogged["policies"] == ["default", "lister", "tp"]
    vab.delete(f"identity/group/id/{parent['id']}")
    assert vab.list("sys/policies/acl", token=token).status == 403


def test_disabled_entity_token_fails_but_is_not_revoked(vab: Vab) -> None:
    setup_user(vab)
    auth = login(vab)
    token, entity_id = auth["client_token"], auth["entity_id"]
    assert vab.get("auth/token/lookup-self", token=token).status == 200
    vab.post(f"identity/entity/id/{entity_id}", {"disabled": True})
    denied = vab.get("auth/token/lookup-self", token=token)
    assert (denied.status, denied.errors) == (403, ["permission denied"])
    # Not revoked: root still sees it, and it works again once re-enabled.
    assert vab.post("auth/token/lookup", {"token": token}).status == 200
    refused = vab.post("auth/userpass/login/dave", {"password": "pw"}, token=None)
    assert (refused.status, refused.errors) == (403, ["permission denied"])
    vab.post(f"identity/entity/id/{entity_id}", {"disabled": False})
    assert vab.get("auth/token/lookup-self", token=token).status == 200


def test_deleted_entity_refuses_the_token(vab: Vab) -> None:
    """As Vault/OpenBao: a token whose entity is gone is refused (it is not revoked)."""
    setup_user(vab)
    vab.post("sys/policies/acl/lister", {"policy": LIST_POLICIES})
    auth = login(vab)
    token = auth["client_token"]
    vab.post(f"identity/entity/id/{auth['entity_id']}", {"policies": ["lister"]})
    assert vab.list("sys/policies/acl", token=token).status == 200
    vab.delete(f"identity/entity/id/{auth['entity_id']}")
    assert vab.list("sys/policies/acl", token=token).status == 403
    refused = vab.get("auth/token/lookup-self", token=token)
    assert (refused.status, refused.errors) == (403, ["permission denied"])
    assert vab.post("auth/token/lookup", {"token": token}).status == 200


def test_policy_templates_see_entity_groups_and_aliases(vab: Vab) -> None:
    setup_user(vab)
    accessor = vab.get("sys/auth").data["userpass/"]["accessor"]
    templated = "\n".join(
        [
            'path "sys/policies/acl/{{identity.entity.metadata.team}}" { capabilities = ["read"] }',
            'path "sys/policies/acl/g-{{identity.groups.names.ops.metadata.tier}}" '
            '{ capabilities = ["read"] }',
            f'path "sys/policies/acl/a-{{{{identity.entity.aliases.{accessor}.name}}}}" '
            '{ capabilities = ["read"] }',
        ]
    )
    assert vab.post("sys/policies/acl/tmpl", {"policy": templated}).status == 204
    for name in ("ops", "g-gold", "a-dave"):
        vab.post(f"sys/policies/acl/{name}", {"policy": 'path "x" { capabilities = ["read"] }'})
    auth = login(vab)
    token, entity_id = auth["client_token"], auth["entity_id"]
    vab.post(f"identity/entity/id/{entity_id}", {"policies": ["tmpl"], "metadata": {"team": "ops"}})
    vab.post(
        "identity/group",
        {"name": "ops", "metadata": {"tier": "gold"}, "member_entity_ids": [entity_id]},
    )
    assert vab.get("sys/policies/acl/ops", token=token).status == 200
    assert vab.get("sys/policies/acl/g-gold", token=token).status == 200
    assert vab.get("sys/policies/acl/a-dave", token=token).status == 200
    assert vab.get("sys/policies/acl/default", token=token).status == 403
    # The template follows the entity's metadata on the next request.
    vab.post(f"identity/entity/id/{entity_id}", {"metadata": {"team": "dev"}})
    assert vab.get("sys/policies/acl/ops", token=token).status == 403
    # The default policy's identity/entity/id/{{identity.entity.id}} stanza works.
    assert vab.get(f"identity/entity/id/{entity_id}", token=token).status == 200


def test_caller_state_is_cached_until_a_write(vab: Vab) -> None:
    service = vab.core.hooks["identity"]
    entity_id = vab.post("identity/entity", {"name": "e", "policies": ["a"]}).data["id"]
    group = vab.post(
        "identity/group", {"name": "g", "policies": ["b", "root"], "member_entity_ids": []}
    )
    assert group.status == 400  # root is refused in groups too
    vab.post("identity/group", {"name": "g", "policies": ["b"], "member_entity_ids": [entity_id]})
    state = service.caller_state(entity_id)
    assert state.policies == ("a", "b") and state.disabled is False
    assert service.caller_state(entity_id) is state
    hash(state.context)  # the ACL cache keys on it
    assert state.context.entity_metadata == {}
    vab.post(f"identity/entity/id/{entity_id}", {"policies": ["c"]})
    fresh = service.caller_state(entity_id)
    assert fresh is not state and fresh.policies == ("b", "c")
    assert service.caller_state("nope") is None


def test_two_workers_share_state_through_the_generation(vab: Vab) -> None:
    """A second core on the same storage (another worker) sees writes of the first."""
    setup_user(vab)
    vab.post("sys/policies/acl/lister", {"policy": LIST_POLICIES})
    auth = login(vab)
    other = Core(vab.core.storage, vab.core.options)
    other.setup()
    client = create_app(other).test_client()

    def listing() -> int:
        headers = {"X-Vault-Token": auth["client_token"]}
        return client.open("/v1/sys/policies/acl", method="LIST", headers=headers).status_code

    assert listing() == 403
    vab.post(f"identity/entity/id/{auth['entity_id']}", {"policies": ["lister"]})
    assert listing() == 200
    vab.post(f"identity/entity/id/{auth['entity_id']}", {"disabled": True})
    assert listing() == 403


def test_entity_deleted_callbacks(vab: Vab) -> None:
    seen: list[list[str]] = []
    vab.core.hooks.setdefault("entity_deleted", []).append(seen.append)
    one = vab.post("identity/entity", {"name": "one"}).data["id"]
    two = vab.post("identity/entity", {"name": "two"}).data["id"]
    three = vab.post("identity/entity", {"name": "three"}).data["id"]
    vab.delete(f"identity/entity/id/{one}")
    vab.post("identity/entity/merge", {"to_entity_id": two, "from_entity_ids": [three]})
    assert seen == [[one], [three]]
