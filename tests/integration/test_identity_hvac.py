"""Identity and userpass through the real ``hvac`` client against a running server.

Each test runs against our dev server and, to keep the expectations honest, against a real
OpenBao dev server too (``server`` is parametrised). Names carry a per-test suffix because
the session servers are shared.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

import hvac
import pytest
from hvac.exceptions import Forbidden, InvalidRequest

from tests.support.processes import ServerProcess

LIST_POLICIES = 'path "sys/policies/acl" { capabilities = ["list"] }'


@pytest.fixture(params=["vab_server", "openbao"])
def server(request: pytest.FixtureRequest) -> ServerProcess:
    """Our server, then OpenBao: the same test must pass on both."""
    return request.getfixturevalue(request.param)


@pytest.fixture
def client(server: ServerProcess) -> hvac.Client:
    return hvac.Client(url=server.url, token=server.root_token, timeout=30)


@pytest.fixture
def uniq() -> str:
    return secrets.token_hex(4)


@pytest.fixture
def userpass(client: hvac.Client, uniq: str) -> tuple[str, str]:
    """A fresh userpass mount: (mount point, accessor)."""
    mount = f"up-{uniq}"
    client.sys.enable_auth_method("userpass", path=mount)
    accessor = client.sys.list_auth_methods()["data"][f"{mount}/"]["accessor"]
    return mount, accessor


def anonymous(server: ServerProcess) -> hvac.Client:
    return hvac.Client(url=server.url, timeout=30)


def test_entities(client: hvac.Client, uniq: str) -> None:
    identity = client.secrets.identity
    name = f"alice-{uniq}"
    created = identity.create_or_update_entity(
        name=name, metadata={"team": "ops"}, policies=["P1", "p2"]
    )
    entity_id = created["data"]["id"]
    read = identity.read_entity(entity_id)["data"]
    assert read["name"] == name and read["metadata"] == {"team": "ops"}
    assert read["policies"] == ["p1", "p2"] and read["disabled"] is False
    assert identity.read_entity_by_name(name.upper())["data"]["id"] == entity_id
    identity.update_entity(entity_id, policies=["p3"], disabled=True)
    read = identity.read_entity(entity_id)["data"]
    assert read["policies"] == ["p3"] and read["disabled"] is True
    assert entity_id in identity.list_entities()["data"]["keys"]
    assert entity_id in identity.list_entities(method="GET")["data"]["keys"]
    assert name in identity.list_entities_by_name()["data"]["keys"]
    by_name = identity.create_or_update_entity_by_name(f"bob-{uniq}", policies=["x"])
    assert by_name["data"]["name"] == f"bob-{uniq}"
    with pytest.raises(InvalidRequest, match="entity name is already in use"):
        identity.update_entity(entity_id, name=f"bob-{uniq}")
    identity.merge_entities(from_entity_ids=[by_name["data"]["id"]], to_entity_id=entity_id)
    assert identity.read_entity(entity_id)["data"]["merged_entity_ids"] == [by_name["data"]["id"]]
    identity.delete_entity_by_name(name)
    with pytest.raises(hvac.exceptions.InvalidPath):
        identity.read_entity(entity_id)


def test_entity_aliases(client: hvac.Client, uniq: str, userpass: tuple[str, str]) -> None:
    identity = client.secrets.identity
    _, accessor = userpass
    entity_id = identity.create_or_update_entity(name=f"e-{uniq}")["data"]["id"]
    alias = identity.create_or_update_entity_alias(
        name=f"user-{uniq}", canonical_id=entity_id, mount_accessor=accessor
    )["data"]
    assert alias["canonical_id"] == entity_id
    read = identity.read_entity_alias(alias["id"])["data"]
    assert read["name"] == f"user-{uniq}" and read["mount_type"] == "userpass"
    with pytest.raises(InvalidRequest, match="Alias already exists for requested entity"):
        identity.create_or_update_entity_alias(
            name=f"other-{uniq}", canonical_id=entity_id, mount_accessor=accessor
        )
    identity.update_entity_alias(
        alias["id"], name=f"renamed-{uniq}", canonical_id=entity_id, mount_accessor=accessor
    )
    assert identity.read_entity_alias(alias["id"])["data"]["name"] == f"renamed-{uniq}"
    assert alias["id"] in identity.list_entity_aliases()["data"]["keys"]
    found = identity.lookup_entity(alias_name=f"renamed-{uniq}", alias_mount_accessor=accessor)
    assert found["data"]["id"] == entity_id
    identity.delete_entity_alias(alias["id"])
    with pytest.raises(hvac.exceptions.InvalidPath):
        identity.read_entity_alias(alias["id"])


def test_groups(client: hvac.Client, uniq: str, userpass: tuple[str, str]) -> None:
    identity = client.secrets.identity
    _, accessor = userpass
    entity_id = identity.create_or_update_entity(name=f"member-{uniq}")["data"]["id"]
    child = identity.create_or_update_group(
        name=f"child-{uniq}", policies=["gp"], member_entity_ids=[entity_id]
    )["data"]
    parent = identity.create_or_update_group(
        name=f"parent-{uniq}", member_group_ids=[child["id"]], metadata={"tier": "gold"}
    )["data"]
    assert identity.read_group(child["id"])["data"]["parent_group_ids"] == [parent["id"]]
    assert identity.read_group_by_name(f"parent-{uniq}")["data"]["member_group_ids"] == [
        child["id"]
    ]
    entity = identity.read_entity(entity_id)["data"]
    assert entity["direct_group_ids"] == [child["id"]]
    assert entity["inherited_group_ids"] == [parent["id"]]
    with pytest.raises(InvalidRequest, match="cyclic relationship detected"):
        identity.update_group(child["id"], name=f"child-{uniq}", member_group_ids=[parent["id"]])
    assert child["id"] in identity.list_groups()["data"]["keys"]
    assert f"parent-{uniq}" in identity.list_groups_by_name()["data"]["keys"]
    assert identity.lookup_group(name=f"child-{uniq}")["data"]["id"] == child["id"]
    external = identity.create_or_update_group(name=f"ext-{uniq}", group_type="external")["data"]
    group_alias = identity.create_or_update_group_alias(
        name=f"devs-{uniq}", mount_accessor=accessor, canonical_id=external["id"]
    )["data"]
    assert identity.read_group_alias(group_alias["id"])["data"]["canonical_id"] == external["id"]
    assert group_alias["id"] in identity.list_group_aliases()["data"]["keys"]
    identity.delete_group_alias(group_alias["id"])
    identity.delete_group(parent["id"])
    identity.delete_group_by_name(f"child-{uniq}")
    with pytest.raises(hvac.exceptions.InvalidPath):
        identity.read_group(child["id"])


def test_userpass_users(
    client: hvac.Client, server: ServerProcess, userpass: tuple[str, str]
) -> None:
    mount, _ = userpass
    users = client.auth.userpass
    users.create_or_update_user("alice", "pw1", policies=["p1"], mount_point=mount)
    users.create_or_update_user("bob", "pw2", mount_point=mount, token_ttl="30m")
    assert users.list_user(mount_point=mount)["data"]["keys"] == ["alice", "bob"]
    alice = users.read_user("alice", mount_point=mount)["data"]
    assert alice["token_policies"] == ["p1"] and alice["policies"] == ["p1"]
    assert users.read_user("bob", mount_point=mount)["data"]["token_ttl"] == 1800
    users.update_password_on_user("alice", "pw-new", mount_point=mount)
    login = anonymous(server).auth.userpass
    with pytest.raises(InvalidRequest, match="invalid username or password"):
        login.login("alice", "pw1", mount_point=mount)
    result = login.login("alice", "pw-new", mount_point=mount)
    assert result["auth"]["policies"] == ["default", "p1"]
    assert result["auth"]["metadata"] == {"username": "alice"}
    users.delete_user("bob", mount_point=mount)
    assert users.list_user(mount_point=mount)["data"]["keys"] == ["alice"]
    with pytest.raises(InvalidRequest, match="invalid username or password"):
        login.login("bob", "pw2", mount_point=mount)


def test_userpass_user_management(
    client: hvac.Client, server: ServerProcess, userpass: tuple[str, str]
) -> None:
    """Every public method of hvac's Userpass class, on both servers."""
    mount, _ = userpass
    up = client.auth.userpass
    up.create_or_update_user("erin", "pw1", mount_point=mount, policies=["a"], token_ttl="1h")
    user = up.read_user("erin", mount_point=mount)["data"]
    assert user["token_policies"] == ["a"] and user["token_ttl"] == 3600
    assert up.list_user(mount_point=mount)["data"]["keys"] == ["erin"]
    token = anonymous(server).auth.userpass.login("erin", "pw1", mount_point=mount)["auth"]
    up.update_password_on_user("erin", "pw2", mount_point=mount)
    with pytest.raises(InvalidRequest, match="invalid username or password"):
        anonymous(server).auth.userpass.login("erin", "pw1", mount_point=mount)
    again = anonymous(server).auth.userpass.login("erin", "pw2", mount_point=mount)["auth"]
    assert again["entity_id"] == token["entity_id"]
    # the earlier token survives a password change (Vault revokes nothing)
    assert client.auth.token.lookup(token["client_token"])["data"]["meta"] == {"username": "erin"}
    up.delete_user("erin", mount_point=mount)
    with pytest.raises(hvac.exceptions.InvalidPath):
        up.read_user("erin", mount_point=mount)
    with pytest.raises(hvac.exceptions.InvalidPath):
        up.list_user(mount_point=mount)
    with pytest.raises(InvalidRequest, match="invalid username or password"):
        anonymous(server).auth.userpass.login("erin", "pw2", mount_point=mount)


def test_login_entity_policies_and_disable(
    client: hvac.Client, server: ServerProcess, uniq: str, userpass: tuple[str, str]
) -> None:
    mount, accessor = userpass
    identity = client.secrets.identity
    client.sys.create_or_update_acl_policy(f"lister-{uniq}", LIST_POLICIES)
    client.sys.create_or_update_acl_policy(f"grp-{uniq}", 'path "x/y" { capabilities = ["read"] }')
    client.auth.userpass.create_or_update_user("dave", "pw", mount_point=mount)
    user = anonymous(server)
    auth = user.auth.userpass.login("dave", "pw", mount_point=mount)["auth"]
    entity_id = auth["entity_id"]
    # The login created the entity and its alias.
    entity = identity.read_entity(entity_id)["data"]
    (alias,) = entity["aliases"]
    assert alias["name"] == "dave" and alias["mount_accessor"] == accessor
    lookup = identity.lookup_entity(alias_name="dave", alias_mount_accessor=accessor)
    assert lookup["data"]["id"] == entity_id
    # Entity and group policies: in identity_policies and effective on the next request.
    denied: Callable[[], object] = lambda: user.sys.list_acl_policies()  # noqa: E731
    with pytest.raises(Forbidden):
        denied()
    identity.update_entity(entity_id, policies=[f"lister-{uniq}"])
    identity.create_or_update_group(
        name=f"grp-{uniq}", policies=[f"grp-{uniq}"], member_entity_ids=[entity_id]
    )
    assert f"lister-{uniq}" in user.sys.list_acl_policies()["data"]["keys"]
    looked = user.auth.token.lookup_self()["data"]
    # (Vault lists the entity's policies, then the groups'; the order is not compared.)
    assert sorted(looked["identity_policies"]) == sorted([f"lister-{uniq}", f"grp-{uniq}"])
    assert looked["policies"] == ["default"]
    again = anonymous(server).auth.userpass.login("dave", "pw", mount_point=mount)["auth"]
    assert again["entity_id"] == entity_id
    assert again["identity_policies"] == sorted([f"lister-{uniq}", f"grp-{uniq}"])
    # Disabled: the token fails with 403 but is not revoked.
    identity.update_entity(entity_id, disabled=True)
    with pytest.raises(Forbidden):
        user.auth.token.lookup_self()
    assert client.auth.token.lookup(user.token)["data"]["entity_id"] == entity_id
    with pytest.raises(Forbidden):
        anonymous(server).auth.userpass.login("dave", "pw", mount_point=mount)
    identity.update_entity(entity_id, disabled=False)
    assert user.auth.token.lookup_self()["data"]["entity_id"] == entity_id


def test_issuer_bound_alias_extension(vab_client: hvac.Client, uniq: str) -> None:
    """``issuer`` + ``external_id`` aliases (Vault 2.x; OpenBao has no such fields)."""
    identity = vab_client.secrets.identity
    entity_id = identity.create_or_update_entity(name=f"human-{uniq}")["data"]["id"]
    issuer = f"https://idp-{uniq}.example"
    created = vab_client.write_data(
        "identity/entity-alias",
        data={"name": "h", "canonical_id": entity_id, "issuer": issuer, "external_id": "s-1"},
    )
    alias = identity.read_entity_alias(created["data"]["id"])["data"]
    assert alias["issuer"] == issuer and alias["external_id"] == "s-1"
    assert alias["mount_accessor"] == ""
    with pytest.raises(InvalidRequest, match="issuer and external_id already exists"):
        other = identity.create_or_update_entity(name=f"other-{uniq}")["data"]["id"]
        vab_client.write_data(
            "identity/entity-alias",
            data={
                "name": "x",
                "canonical_id": other,
                "mount_accessor": vab_client.sys.list_auth_methods()["data"]["token/"]["accessor"],
                "issuer": issuer,
                "external_id": "s-1",
            },
        )
    found = vab_client.write_data(
        "identity/lookup/entity", data={"alias_issuer": issuer, "alias_external_id": "s-1"}
    )
    assert found["data"]["id"] == entity_id
