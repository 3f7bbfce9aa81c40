"""AppRole through the real ``hvac`` client (``client.auth.approle.*``) against a running server.

Each test runs against our dev server and, to keep the expectations honest, against a real
OpenBao dev server too (``server`` is parametrised). Mounts carry a per-test suffix because
the session servers are shared.
"""

from __future__ import annotations

import secrets

import hvac
import pytest
from hvac.exceptions import InternalServerError, InvalidPath, InvalidRequest, ParamValidationError

from tests.support.processes import ServerProcess


@pytest.fixture(params=["vab_server", "openbao"])
def server(request: pytest.FixtureRequest) -> ServerProcess:
    """Our server, then OpenBao: the same test must pass on both."""
    return request.getfixturevalue(request.param)


@pytest.fixture
def client(server: ServerProcess) -> hvac.Client:
    return hvac.Client(url=server.url, token=server.root_token, timeout=30)


@pytest.fixture
def mount(client: hvac.Client) -> str:
    """A fresh AppRole mount; its path."""
    path = f"ar-{secrets.token_hex(4)}"
    client.sys.enable_auth_method("approle", path=path)
    return path


def anonymous(server: ServerProcess) -> hvac.Client:
    return hvac.Client(url=server.url, timeout=30)


def test_roles(client: hvac.Client, mount: str) -> None:
    approle = client.auth.approle
    approle.create_or_update_approle(
        "web",
        token_policies=["p1", "p2"],
        token_ttl="1h",
        token_max_ttl="2h",
        secret_id_num_uses=3,
        secret_id_ttl="10m",
        secret_id_bound_cidrs=["127.0.0.0/8"],
        mount_point=mount,
    )
    approle.create_or_update_approle("batchy", token_type="batch", mount_point=mount)
    role = approle.read_role("web", mount_point=mount)["data"]
    assert role["token_policies"] == ["p1", "p2"] and role["token_ttl"] == 3600
    assert role["secret_id_num_uses"] == 3 and role["secret_id_ttl"] == 600
    assert role["secret_id_bound_cidrs"] == ["127.0.0.0/8"] and role["bind_secret_id"] is True
    assert approle.list_roles(mount_point=mount)["data"]["keys"] == ["batchy", "web"]
    approle.update_role_id("web", "my-role-id", mount_point=mount)
    assert approle.read_role_id("web", mount_point=mount)["data"]["role_id"] == "my-role-id"
    with pytest.raises(ParamValidationError):
        approle.create_or_update_approle("x", token_type="bogus", mount_point=mount)
    # OpenBao answers this bad input with a 500, we with a 400
    with pytest.raises((InvalidRequest, InternalServerError), match="at least one constraint"):
        approle.create_or_update_approle("x", bind_secret_id=False, mount_point=mount)
    assert approle.delete_role("batchy", mount_point=mount).status_code == 204
    with pytest.raises(InvalidPath):
        approle.read_role("batchy", mount_point=mount)


def test_secret_ids(client: hvac.Client, mount: str) -> None:
    approle = client.auth.approle
    approle.create_or_update_approle("web", secret_id_num_uses=5, mount_point=mount)
    generated = approle.generate_secret_id(
        "web", metadata={"team": "ops"}, cidr_list=["127.0.0.1/32"], mount_point=mount
    )["data"]
    assert generated["secret_id_num_uses"] == 5
    custom = approle.create_custom_secret_id(
        "web", "custom-secret", metadata={"a": "b"}, mount_point=mount
    )["data"]
    assert custom["secret_id"] == "custom-secret"
    keys = approle.list_secret_id_accessors("web", mount_point=mount)["data"]["keys"]
    assert sorted(keys) == sorted([generated["secret_id_accessor"], custom["secret_id_accessor"]])
    read = approle.read_secret_id("web", generated["secret_id"], mount_point=mount)["data"]
    assert read["metadata"] == {"team": "ops"} and read["cidr_list"] == ["127.0.0.1/32"]
    by_accessor = approle.read_secret_id_accessor(
        "web", custom["secret_id_accessor"], mount_point=mount
    )["data"]
    assert by_accessor["metadata"] == {"a": "b"}
    assert approle.destroy_secret_id("web", generated["secret_id"], mount_point=mount).ok
    assert approle.destroy_secret_id_accessor(
        "web", custom["secret_id_accessor"], mount_point=mount
    ).ok
    with pytest.raises(InvalidPath):
        approle.list_secret_id_accessors("web", mount_point=mount)
    with pytest.raises(ParamValidationError):
        approle.generate_secret_id("web", metadata="not-a-dict", mount_point=mount)
    with pytest.raises(InvalidRequest, match="num_uses cannot be higher"):
        client.adapter.post(f"/v1/auth/{mount}/role/web/secret-id", json={"num_uses": 6})
    wrapped = approle.generate_secret_id("web", wrap_ttl="5m", mount_point=mount)
    assert wrapped["wrap_info"]["ttl"] == 300
    unwrapped = client.sys.unwrap(wrapped["wrap_info"]["token"])["data"]
    assert unwrapped["secret_id_accessor"] == wrapped["wrap_info"]["wrapped_accessor"]
    assert client.adapter.post(f"/v1/auth/{mount}/tidy/secret-id").status_code == 202


def test_login(client: hvac.Client, mount: str, server: ServerProcess) -> None:
    approle = client.auth.approle
    approle.create_or_update_approle(
        "web", token_policies=["p1"], token_ttl="1h", secret_id_num_uses=2, mount_point=mount
    )
    approle.update_role_id("web", "web-rid", mount_point=mount)
    secret_id = approle.generate_secret_id("web", metadata={"team": "x"}, mount_point=mount)[
        "data"
    ]["secret_id"]
    app = anonymous(server)
    auth = app.auth.approle.login("web-rid", secret_id, mount_point=mount)["auth"]
    assert auth["policies"] == ["default", "p1"] and auth["lease_duration"] == 3600
    assert auth["metadata"] == {"role_name": "web", "team": "x"}
    assert app.token == auth["client_token"] and app.is_authenticated()
    entity = client.secrets.identity.read_entity(auth["entity_id"])["data"]
    assert [a["name"] for a in entity["aliases"]] == ["web-rid"]
    assert entity["aliases"][0]["mount_type"] == "approle"
    left = approle.read_secret_id("web", secret_id, mount_point=mount)["data"]
    assert left["secret_id_num_uses"] == 1
    anonymous(server).auth.approle.login("web-rid", secret_id, mount_point=mount)
    with pytest.raises(InvalidRequest, match="invalid role or secret ID"):
        anonymous(server).auth.approle.login("web-rid", secret_id, mount_point=mount)
    with pytest.raises(InvalidRequest, match="invalid role or secret ID"):
        anonymous(server).auth.approle.login("other", "x", mount_point=mount)
    with pytest.raises(InvalidRequest, match="missing secret_id"):
        anonymous(server).auth.approle.login("web-rid", "", mount_point=mount)
    renewed = app.auth.token.renew_self()["auth"]
    assert renewed["lease_duration"] == 3600
