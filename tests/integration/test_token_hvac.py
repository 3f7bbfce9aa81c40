"""``auth/token/*`` against our real server process, through the unmodified hvac client.

Uses the session server of ``tests/conftest.py`` (``vab_server``/``vab_client``); every test
creates its own tokens, policies and roles with unique names.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

import hvac
import pytest
from hvac import exceptions

from tests.support.processes import ServerProcess

SERVICE_PREFIXES = ("hvs.", "s.")  # s./b.: OpenBao dev (VAB_TEST_SERVER=openbao)
BATCH_PREFIXES = ("hvb.", "b.")
TOKEN_PATHS = 'path "auth/token/*" { capabilities = ["create", "read", "update", "list"] }'


@pytest.fixture
def uniq() -> str:
    """A suffix that keeps names unique on the shared session server."""
    return secrets.token_hex(4)


@pytest.fixture
def client_for(vab_server: ServerProcess) -> Callable[[str], hvac.Client]:
    """An hvac client authenticated with the given token."""
    return lambda token: hvac.Client(url=vab_server.url, token=token, timeout=30)


def test_create_lookup_self_and_is_authenticated(
    vab_client: hvac.Client, client_for: Callable[[str], hvac.Client]
) -> None:
    created = vab_client.auth.token.create(
        policies=["default"], ttl="1h", meta={"team": "x"}, display_name="ci"
    )
    auth = created["auth"]
    assert auth["client_token"].startswith(SERVICE_PREFIXES) and auth["lease_duration"] == 3600
    assert (auth["policies"], auth["orphan"], auth["renewable"]) == (["default"], False, True)
    child = client_for(auth["client_token"])
    assert child.is_authenticated()
    data = child.auth.token.lookup_self()["data"]
    assert data["display_name"] == "token-ci" and data["meta"] == {"team": "x"}
    assert data["accessor"] == auth["accessor"] and 3590 <= data["ttl"] <= 3600
    assert not client_for("hvs.not-a-token").is_authenticated()


def test_lookup_and_lookup_accessor(vab_client: hvac.Client) -> None:
    auth = vab_client.auth.token.create(policies=["default"], ttl="30m")["auth"]
    by_token = vab_client.auth.token.lookup(auth["client_token"])["data"]
    assert by_token["id"] == auth["client_token"] and by_token["creation_ttl"] == 1800
    by_accessor = vab_client.auth.token.lookup_accessor(auth["accessor"])["data"]
    assert by_accessor["id"] == "" and by_accessor["policies"] == ["default"]
    with pytest.raises(exceptions.Forbidden, match="bad token"):
        vab_client.auth.token.lookup("hvs.unknownunknownunknown00")
    with pytest.raises(exceptions.InvalidRequest, match="invalid accessor"):
        vab_client.auth.token.lookup_accessor("nope")


def test_create_orphan_and_tree_revocation(vab_client: hvac.Client, client_for, uniq) -> None:
    vab_client.sys.create_or_update_acl_policy(f"tok-{uniq}", TOKEN_PATHS)
    parent = vab_client.auth.token.create(policies=[f"tok-{uniq}"])["auth"]["client_token"]
    parent_client = client_for(parent)
    child = parent_client.auth.token.create(policies=[f"tok-{uniq}"])["auth"]["client_token"]
    orphan = parent_client.auth.token.create_orphan()["auth"]
    assert orphan["orphan"] is True
    vab_client.auth.token.revoke(parent)
    for gone in (parent, child):
        with pytest.raises(exceptions.Forbidden):
            vab_client.auth.token.lookup(gone)
    assert vab_client.auth.token.lookup(orphan["client_token"])["data"]["orphan"] is True


def test_revoke_and_orphan_children(vab_client: hvac.Client, client_for, uniq) -> None:
    vab_client.sys.create_or_update_acl_policy(f"tok-{uniq}", TOKEN_PATHS)
    parent = vab_client.auth.token.create(policies=[f"tok-{uniq}"])["auth"]["client_token"]
    child = client_for(parent).auth.token.create()["auth"]["client_token"]
    vab_client.auth.token.revoke_and_orphan_children(parent)
    assert vab_client.auth.token.lookup(child)["data"]["orphan"] is True
    with pytest.raises(exceptions.InvalidRequest, match="root or sudo privileges required"):
        client_for(child).auth.token.revoke_and_orphan_children(child)


def test_renewals(vab_client: hvac.Client, client_for) -> None:
    auth = vab_client.auth.token.create(policies=["default"], ttl="1h", explicit_max_ttl="2h")[
        "auth"
    ]
    token, accessor = auth["client_token"], auth["accessor"]
    renewed = vab_client.auth.token.renew(token, increment="3h")
    assert renewed["auth"]["lease_duration"] in (7199, 7200)
    assert "exceeded the effective max_ttl" in renewed["warnings"][0]
    assert client_for(token).auth.token.renew_self(increment="10m")["auth"]["lease_duration"] == 600
    by_accessor = vab_client.auth.token.renew_accessor(accessor, increment="20m")
    assert (
        by_accessor["auth"]["lease_duration"] == 1200 and by_accessor["auth"]["client_token"] == ""
    )
    with pytest.raises(exceptions.InvalidRequest, match="lease is not renewable"):
        vab_client.auth.token.renew_self()
    with pytest.raises(exceptions.InvalidRequest, match="token not found"):
        vab_client.auth.token.renew("hvs.unknownunknownunknown00")


def test_revoke_self_and_accessor(vab_client: hvac.Client, client_for) -> None:
    token = vab_client.auth.token.create(policies=["default"])["auth"]["client_token"]
    client = client_for(token)
    client.auth.token.revoke_self()
    assert not client.is_authenticated()
    auth = vab_client.auth.token.create(policies=["default"])["auth"]
    vab_client.auth.token.revoke_accessor(auth["accessor"])
    with pytest.raises(exceptions.Forbidden):
        vab_client.auth.token.lookup(auth["client_token"])


def test_num_uses(vab_client: hvac.Client, client_for) -> None:
    token = vab_client.auth.token.create(policies=["default"], num_uses=2)["auth"]["client_token"]
    client = client_for(token)
    assert client.auth.token.lookup_self()["data"]["num_uses"] == 1
    assert client.auth.token.lookup_self()["data"]["num_uses"] == -1
    with pytest.raises(exceptions.Forbidden):
        client.auth.token.lookup_self()


def test_subset_rule_and_batch_tokens(vab_client: hvac.Client, client_for, uniq) -> None:
    vab_client.sys.create_or_update_acl_policy(f"tok-{uniq}", TOKEN_PATHS)
    parent = client_for(
        vab_client.auth.token.create(policies=[f"tok-{uniq}"])["auth"]["client_token"]
    )
    with pytest.raises(exceptions.InvalidRequest, match="child policies must be subset of parent"):
        parent.auth.token.create(policies=["other"])
    with pytest.raises(exceptions.InvalidRequest, match="periodic token"):
        parent.auth.token.create(period="1h")
    batch = vab_client.auth.token.create(policies=[f"tok-{uniq}"], type="batch", ttl="10m")["auth"]
    assert batch["client_token"].startswith(BATCH_PREFIXES) and batch["accessor"] == ""
    batch_client = client_for(batch["client_token"])
    assert batch_client.auth.token.lookup_self()["data"]["type"] == "batch"
    with pytest.raises(exceptions.InvalidRequest, match="batch tokens cannot create more tokens"):
        batch_client.auth.token.create()
    with pytest.raises(exceptions.InvalidRequest, match="batch tokens cannot be renewed"):
        batch_client.auth.token.renew_self()
    with pytest.raises(exceptions.InvalidRequest, match='cannot have "num_uses" set'):
        vab_client.auth.token.create(policies=["default"], type="batch", num_uses=3)


def test_roles(vab_client: hvac.Client, uniq) -> None:
    name = f"role-{uniq}"
    vab_client.sys.create_or_update_acl_policy(f"pa-{uniq}", TOKEN_PATHS)
    vab_client.auth.token.create_or_update_role(
        name, allowed_policies=[f"pa-{uniq}"], orphan=True, token_period="1h"
    )
    role = vab_client.auth.token.read_role(name)["data"]
    assert role["allowed_policies"] == [f"pa-{uniq}"] and role["token_period"] == 3600
    assert name in vab_client.auth.token.list_roles()["data"]["keys"]
    created = vab_client.auth.token.create(role_name=name)["auth"]
    assert created["policies"] == ["default", f"pa-{uniq}"] and created["orphan"] is True
    assert created["lease_duration"] == 3600
    data = vab_client.auth.token.lookup(created["client_token"])["data"]
    assert data["role"] == name and data["path"] == f"auth/token/create/{name}"
    with pytest.raises(exceptions.InvalidRequest, match="must be subset of the role"):
        vab_client.auth.token.create(role_name=name, policies=["elsewhere"])
    vab_client.auth.token.delete_role(name)
    with pytest.raises(exceptions.InvalidPath):
        vab_client.auth.token.read_role(name)
    with pytest.raises(exceptions.InvalidRequest, match=f"unknown role {name}"):
        vab_client.auth.token.create(role_name=name)


def test_accessors_and_tidy(vab_client: hvac.Client, client_for) -> None:
    auth = vab_client.auth.token.create(policies=["default"])["auth"]
    assert auth["accessor"] in vab_client.auth.token.list_accessors()["data"]["keys"]
    with pytest.raises(exceptions.Forbidden):
        client_for(auth["client_token"]).auth.token.list_accessors()
    tidy = vab_client.auth.token.tidy()
    assert tidy.status_code == 202
    assert tidy.json()["warnings"][0].startswith("Tidy operation successfully started")


def test_unknown_route_below_token_mount(vab_client: hvac.Client) -> None:
    with pytest.raises(exceptions.InvalidPath):
        vab_client.adapter.get("/v1/auth/token/roles/bad name")
