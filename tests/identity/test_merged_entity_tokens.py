"""Tokens whose entity was merged into another or deleted, as Vault: a merged-away entity
resolves to the entity it was merged into (its policies, its disabled flag), a deleted one
makes every request with the token fail with a plain ``permission denied``."""

from __future__ import annotations

from tests.support.inprocess import Vab
from vault_agent_backend.builtin.identity.store import MERGED_PREFIX, MERGED_READY
from vault_agent_backend.core import Core
from vault_agent_backend.http import create_app

KV_POLICY = 'path "secret/data/team/*" { capabilities = ["create", "read", "update"] }'
TEAM_PATH = "secret/data/team/x"


def login(vab: Vab, user: str, mount: str = "userpass") -> dict:
    reply = vab.post(f"auth/{mount}/login/{user}", {"password": "pw"}, token=None)
    assert reply.status == 200, reply
    return reply.auth


def two_logins(vab: Vab) -> tuple[dict, dict]:
    """bob on userpass/, carol on userpass2/ (two entities without clashing aliases)."""
    vab.enable_userpass()
    vab.enable_userpass("userpass2")
    vab.policy("team", KV_POLICY)
    mounted = vab.post("sys/mounts/secret", {"type": "kv", "options": {"version": "2"}})
    assert mounted.status == 204, mounted
    assert vab.post("auth/userpass/users/bob", {"password": "pw"}).status == 204
    assert vab.post("auth/userpass2/users/carol", {"password": "pw"}).status == 204
    return login(vab, "bob"), login(vab, "carol", "userpass2")


def merge(vab: Vab, to_id: str, *from_ids: str) -> None:
    reply = vab.post(
        "identity/entity/merge", {"to_entity_id": to_id, "from_entity_ids": list(from_ids)}
    )
    assert reply.status == 204, reply


def test_merged_entity_token_gets_the_target_entity(vab: Vab) -> None:
    bob, carol = two_logins(vab)
    token = carol["client_token"]
    vab.post(f"identity/entity/id/{bob['entity_id']}", {"policies": ["team"]})
    vab.post(
        "identity/group", {"name": "g", "policies": ["gp"], "member_entity_ids": [bob["entity_id"]]}
    )
    assert vab.post(TEAM_PATH, {"data": {"a": 1}}, token=token).status == 403
    merge(vab, bob["entity_id"], carol["entity_id"])

    looked = vab.get("auth/token/lookup-self", token=token)
    assert looked.status == 200, looked
    assert looked.data["entity_id"] == carol["entity_id"]  # the token keeps its own
    assert looked.data["identity_policies"] == ["team", "gp"]  # entity's, then groups'
    caps = vab.post("sys/capabilities-self", {"paths": [TEAM_PATH]}, token=token).data
    assert caps[TEAM_PATH] == ["create", "read", "update"]
    assert vab.post(TEAM_PATH, {"data": {"a": 1}}, token=token).status == 200
    assert vab.get(TEAM_PATH, token=token).data["data"] == {"a": 1}
    # A merged-away entity is not readable itself: only tokens resolve through the merge.
    assert vab.get(f"identity/entity/id/{carol['entity_id']}").status == 404

    vab.post(f"identity/entity/id/{bob['entity_id']}", {"disabled": True})
    refused = vab.get("auth/token/lookup-self", token=token)
    assert (refused.status, refused.errors) == (403, ["permission denied"])
    vab.post(f"identity/entity/id/{bob['entity_id']}", {"disabled": False})
    assert vab.get("auth/token/lookup-self", token=token).status == 200

    vab.delete(f"identity/entity/id/{bob['entity_id']}")
    for reply in (
        vab.get("auth/token/lookup-self", token=token),
        vab.get(TEAM_PATH, token=token),
        vab.get("auth/token/lookup-self", token=bob["client_token"]),
    ):
        assert (reply.status, reply.errors) == (403, ["permission denied"])


def test_merges_chain_to_the_last_target(vab: Vab) -> None:
    bob, carol = two_logins(vab)
    dave = vab.post("identity/entity", {"name": "dave", "policies": ["team"]}).data["id"]
    merge(vab, bob["entity_id"], carol["entity_id"])
    merge(vab, dave, bob["entity_id"])
    for auth in (bob, carol):
        looked = vab.get("auth/token/lookup-self", token=auth["client_token"])
        assert looked.status == 200 and looked.data["identity_policies"] == ["team"], looked
    state = vab.core.hooks["identity"].caller_state(carol["entity_id"], follow_merges=True)
    assert state.entity_id == dave
    assert vab.core.hooks["identity"].caller_state(carol["entity_id"]) is None


def test_deleted_entity_token_is_refused_but_not_revoked(vab: Vab) -> None:
    vab.enable_userpass()
    vab.post("auth/userpass/users/dan", {"password": "pw"})
    auth = login(vab, "dan")
    token = auth["client_token"]
    assert vab.get("auth/token/lookup-self", token=token).status == 200
    assert vab.delete(f"identity/entity/id/{auth['entity_id']}").status == 204
    for reply in (
        vab.get("auth/token/lookup-self", token=token),
        vab.post("sys/capabilities-self", {"paths": ["sys/mounts"]}, token=token),
        vab.post("auth/token/revoke-self", {}, token=token),
    ):
        assert (reply.status, reply.errors) == (403, ["permission denied"])
    looked = vab.post("auth/token/lookup", {"token": token})
    assert looked.status == 200 and looked.data["entity_id"] == auth["entity_id"]
    # Logging in again makes a new entity; the old token stays refused.
    assert login(vab, "dan")["entity_id"] != auth["entity_id"]
    assert vab.get("auth/token/lookup-self", token=token).status == 403


def test_another_worker_sees_the_merge(vab: Vab) -> None:
    """A second core on the same storage (another worker) resolves the merge at once."""
    bob, carol = two_logins(vab)
    vab.post(f"identity/entity/id/{bob['entity_id']}", {"policies": ["team"]})
    other = Core(vab.core.storage, vab.core.options)
    other.setup()
    client = create_app(other).test_client()

    def read() -> int:
        headers = {"X-Vault-Token": carol["client_token"]}
        return client.get(f"/v1/{TEAM_PATH}", headers=headers).status_code

    assert read() == 403  # carol's own entity grants nothing (404 below: allowed, no secret)
    merge(vab, bob["entity_id"], carol["entity_id"])
    assert read() == 404
    vab.post(f"identity/entity/id/{bob['entity_id']}", {"disabled": True})
    assert read() == 403
    vab.post(f"identity/entity/id/{bob['entity_id']}", {"disabled": False})
    assert read() == 404
    vab.delete(f"identity/entity/id/{bob['entity_id']}")
    assert read() == 403


def test_merges_from_before_the_index_are_indexed_on_first_use(vab: Vab) -> None:
    bob, carol = two_logins(vab)
    vab.post(f"identity/entity/id/{bob['entity_id']}", {"policies": ["team"]})
    merge(vab, bob["entity_id"], carol["entity_id"])
    view = vab.core.hooks["identity"].store.view
    assert view.get(MERGED_PREFIX + carol["entity_id"]) == bob["entity_id"].encode()
    # Storage written before the index existed: no index keys, no marker.
    view.apply([(MERGED_PREFIX + carol["entity_id"], None), (MERGED_READY, None)])
    restarted = Core(vab.core.storage, vab.core.options)
    restarted.setup()
    client = create_app(restarted).test_client()
    headers = {"X-Vault-Token": carol["client_token"]}
    reply = client.get("/v1/auth/token/lookup-self", headers=headers)
    assert reply.status_code == 200 and reply.json["data"]["identity_policies"] == ["team"]
    assert view.get(MERGED_PREFIX + carol["entity_id"]) == bob["entity_id"].encode()
    assert view.get(MERGED_READY) is not None
