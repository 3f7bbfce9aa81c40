"""The agent registry: Vault 2.x's ``agent-registry/`` API and the ``identity/agent/`` route."""

from __future__ import annotations

import pytest

from tests.agent.support import make_key, ok

VAULT_FIELDS = {
    "id",
    "display_name",
    "entity_id",
    "description",
    "owner",
    "ceiling_policies",
    "no_default_ceiling_policy",
    "optional_authorization_details",
    "creation_time",
    "last_updated_time",
}


def entity(app, name: str) -> str:
    return ok(app.send("POST", "identity/entity", {"name": name}))["data"]["id"]


def register(app, **body):
    return app.send("POST", "agent-registry/register", body)


def test_register_read_by_every_key_and_list(app) -> None:
    eid = entity(app, "bot-1")
    body = ok(
        register(
            app,
            display_name="my-agent",
            entity_id=eid,
            description="Production deployment agent",
            owner="platform-team",
            ceiling_policies=["Agent-Deploy", "agent-secrets-read"],
        )
    )
    reg_id = body["data"]["id"]
    assert body["data"] == {"id": reg_id, "display_name": "my-agent"}
    for path in (
        f"agent-registry/registration/id/{reg_id}",
        "agent-registry/registration/display-name/my-agent",
        f"agent-registry/registration/entity-id/{eid}",
    ):
        data = ok(app.send("GET", path))["data"]
        assert set(data) == VAULT_FIELDS
        assert data["ceiling_policies"] == [
            "agent-deploy",
            "agent-secrets-read",
            "default",
            "default-ceiling",
        ]
        assert data["creation_time"] == data["last_updated_time"]
        assert data["no_default_ceiling_policy"] is False
    listed = ok(app.send("LIST", "agent-registry/registration/id"))["data"]
    assert listed == {"keys": [reg_id], "key_info": {reg_id: {"display_name": "my-agent"}}}
    listed = ok(app.send("GET", "agent-registry/registration/display-name?list=true"))["data"]
    assert listed == {"keys": ["my-agent"], "key_info": {"my-agent": {"display_name": "my-agent"}}}


def test_invariants(app) -> None:
    eid, other = entity(app, "bot-2"), entity(app, "bot-3")
    ok(register(app, display_name="a2", entity_id=eid))
    cases = [
        ({"display_name": "x", "entity_id": eid}, "already has an agent registration"),
        ({"display_name": "a2", "entity_id": other}, 'display_name "a2" is already in use'),
        ({"display_name": "y", "entity_id": "no-such-entity"}, "does not exist"),
        ({"entity_id": other}, "display_name is required"),
        ({"display_name": "z"}, "entity_id is required"),
        ({"display_name": "z", "entity_id": other, "ceiling_policies": ["root"]}, '"root"'),
        ({"display_name": "bad name", "entity_id": other}, "display_name may only contain"),
        ({"display_name": "z", "entity_id": other, "status": "paused"}, "status must be"),
    ]
    for body, message in cases:
        status, reply, _ = register(app, **body)
        assert status == 400 and message in reply["errors"][0], (body, reply)
    status, _, _ = register(app, id="no-such-id", display_name="q", entity_id=other)
    assert status == 404


def test_no_default_ceiling_policy(app) -> None:
    eid = entity(app, "bot-4")
    reg = ok(register(app, display_name="a4", entity_id=eid, no_default_ceiling_policy=True))
    path = f"agent-registry/registration/id/{reg['data']['id']}"
    assert ok(app.send("GET", path))["data"]["ceiling_policies"] == []
    ok(app.send("POST", path, {"ceiling_policies": "p1,default-ceiling"}))
    assert ok(app.send("GET", path))["data"]["ceiling_policies"] == ["default-ceiling", "p1"]
    ok(app.send("POST", path, {"no_default_ceiling_policy": False}))
    assert ok(app.send("GET", path))["data"]["ceiling_policies"] == [
        "default",
        "default-ceiling",
        "p1",
    ]


def test_updates_keep_omitted_fields_on_both_routes(app) -> None:
    eid = entity(app, "bot-5")
    key = make_key("EdDSA")
    reg_id = ok(
        app.send(
            "POST",
            "identity/agent/register",
            {
                "display_name": "a5",
                "entity_id": eid,
                "owner": "team",
                "baseline_policies": ["base"],
                "max_ttl": "10m",
                "metadata": {"model": "m1", "vendor": "v"},
                "client_public_keys": [key.public_pem, key.jwk()],
                "allowed_authorization_types": ["vault:path_access"],
                "max_delegation_depth": 3,
            },
        )
    )["data"]["id"]
    # A Vault client that knows only Vault's fields updates through agent-registry/.
    ok(app.send("POST", f"agent-registry/registration/id/{reg_id}", {"description": "new"}))
    ok(app.send("POST", "agent-registry/registration/display-name/a5", {"owner": "other"}))
    ok(
        app.send(
            "POST",
            "agent-registry/register",
            {"id": reg_id, "optional_authorization_details": True},
        )
    )
    vault_view = ok(app.send("GET", f"agent-registry/registration/id/{reg_id}"))["data"]
    assert set(vault_view) == VAULT_FIELDS
    assert vault_view["description"] == "new" and vault_view["owner"] == "other"
    assert vault_view["optional_authorization_details"] is True
    assert vault_view["last_updated_time"] >= vault_view["creation_time"]
    full = ok(app.send("GET", f"identity/agent/registration/id/{reg_id}"))["data"]
    assert full["baseline_policies"] == ["base"]
    assert full["max_ttl"] == 600
    assert full["metadata"] == {"model": "m1", "vendor": "v"}
    assert full["status"] == "active"
    assert full["max_delegation_depth"] == 3
    assert full["allowed_authorization_types"] == ["vault:path_access"]
    assert len(full["client_public_keys"]) == 2
    # Extension fields are accepted on the Vault route too.
    ok(app.send("POST", f"agent-registry/registration/id/{reg_id}", {"status": "suspended"}))
    full = ok(app.send("GET", "identity/agent/registration/display-name/a5"))["data"]
    assert full["status"] == "suspended" and full["baseline_policies"] == ["base"]
    listing = ok(app.send("LIST", "identity/agent/registration/id"))["data"]
    assert listing["key_info"][reg_id] == {
        "display_name": "a5",
        "id": reg_id,
        "entity_id": eid,
        "status": "suspended",
    }


def test_extension_defaults_and_validation(app) -> None:
    eid = entity(app, "bot-6")
    reg_id = ok(
        app.send("POST", "identity/agent/register", {"display_name": "a6", "entity_id": eid})
    )["data"]["id"]
    full = ok(app.send("GET", f"identity/agent/registration/entity-id/{eid}"))["data"]
    assert full["max_ttl"] == 300 and full["max_delegation_depth"] == 1
    assert full["baseline_policies"] == [] and full["client_public_keys"] == []
    assert full["status"] == "active" and full["metadata"] == {}
    path = f"identity/agent/registration/id/{reg_id}"
    for body, message in (
        ({"max_delegation_depth": 0}, "max_delegation_depth must be at least 1"),
        ({"max_ttl": "769h"}, "max_ttl must be at most 2764800s"),
        ({"max_ttl": "99999h"}, "max_ttl must be at most"),  # was a 500 at lookup-self
        ({"max_ttl": "99999999999h"}, "invalid duration"),  # beyond Go's time.Duration
        ({"allowed_authorization_types": ["x:y"]}, 'unsupported authorization_details type "x:y"'),
        ({"client_public_keys": ["not a key"]}, "client_public_keys[0]"),
        ({"client_public_keys": [{"kty": "oct", "k": "c2VjcmV0"}]}, "client_public_keys[0]"),
        ({"baseline_policies": ["root"]}, '"root"'),
    ):
        status, reply, _ = app.send("POST", path, body)
        assert status == 400 and message in reply["errors"][0], (body, reply)


def test_rename_and_delete(app) -> None:
    eid = entity(app, "bot-7")
    reg_id = ok(register(app, display_name="a7", entity_id=eid))["data"]["id"]
    ok(app.send("POST", f"agent-registry/registration/id/{reg_id}", {"display_name": "a7-renamed"}))
    assert app.send("GET", "agent-registry/registration/display-name/a7")[0] == 404
    assert ok(app.send("GET", "agent-registry/registration/display-name/a7-renamed"))
    status, _reply, _ = app.send(
        "POST", "agent-registry/registration/display-name/a7-renamed", {"display_name": "other"}
    )
    assert status == 400
    ok(register(app, display_name="a7", entity_id=entity(app, "bot-7b")))  # the old name is free
    assert app.send("DELETE", "agent-registry/registration/display-name/a7-renamed")[0] == 204
    assert app.send("GET", f"agent-registry/registration/id/{reg_id}")[0] == 404
    assert app.send("DELETE", f"agent-registry/registration/id/{reg_id}")[0] == 204
    # The entity may be registered again once its registration is gone.
    ok(register(app, display_name="a7-again", entity_id=eid))


def test_client_secret_is_shown_once_and_stored_hashed(app) -> None:
    eid = entity(app, "bot-8")
    reg_id = ok(register(app, display_name="a8", entity_id=eid))["data"]["id"]
    reply = ok(app.send("POST", f"identity/agent/registration/id/{reg_id}/secret"))["data"]
    secret = reply["client_secret"]
    assert reply["client_id"] == reg_id and len(secret) > 30
    store = app.core.hooks["agent_registry"].store
    assert store.verify_client_secret(reg_id, secret)
    assert not store.verify_client_secret(reg_id, secret + "x")
    raw = b"".join(
        app.core.storage.get(k) or b"" for k in ["core/agent-registry/registration/" + reg_id]
    )
    assert secret.encode() not in raw
    full = ok(app.send("GET", f"identity/agent/registration/id/{reg_id}"))["data"]
    assert full["client_secret_set"] is True and "client_secret_hash" not in full


@pytest.mark.parametrize("route", ["agent-registry", "identity/agent"])
def test_create_needs_create_capability(app, route) -> None:
    """POST register without id is a create (existence check), as in Vault."""
    ok(
        app.send(
            "PUT",
            "sys/policies/acl/upd",
            {"policy": f'path "{route}/*" {{ capabilities = ["update", "read"] }}'},
        )
    )
    token = ok(app.send("POST", "auth/token/create", {"policies": ["upd"]}))["auth"]["client_token"]
    eid = entity(app, f"bot-9-{route.replace('/', '-')}")
    status, _, _ = app.send(
        "POST", f"{route}/register", {"display_name": "a9", "entity_id": eid}, token=token
    )
    assert status == 403


def test_default_ceiling_policy_is_immutable(app) -> None:
    text = ok(app.send("GET", "sys/policies/acl/default-ceiling"))["data"]["policy"]
    assert "registration/entity-id/{{identity.entity.id}}" in text
    assert app.send("PUT", "sys/policies/acl/default-ceiling", {"policy": 'path "x" {}'})[0] == 400
    assert app.send("DELETE", "sys/policies/acl/default-ceiling")[0] == 400


@pytest.mark.parametrize("route", ["agent-registry", "identity/agent"])
def test_update_needs_the_entity_to_still_exist(app, route) -> None:
    """Vault 2.x: entity_id must name an existing entity when a registration is created or
    updated, also when the update leaves entity_id out (the stored one is checked)."""
    eid = entity(app, f"gone-{route.replace('/', '-')}")
    reg_id = ok(register(app, display_name=f"gone-{route.replace('/', '-')}", entity_id=eid))[
        "data"
    ]["id"]
    path = f"{route}/registration/id/{reg_id}"
    ok(app.send("POST", path, {"description": "before"}))
    ok(app.send("DELETE", f"identity/entity/id/{eid}"))
    status, body, _ = app.send("POST", path, {"description": "after"})
    assert status == 400, body
    assert body["errors"] == [f'entity_id "{eid}" does not exist']
    assert ok(app.send("GET", path))["data"]["description"] == "before"
    ok(app.send("DELETE", path))  # an orphaned registration can still be removed
