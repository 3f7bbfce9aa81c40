"""``sys/`` (wrapping, leases, mounts, auth methods, capabilities, tools, UI mounts) against our
real server process, through the unmodified hvac client.

Uses the session server of ``tests/conftest.py`` (``vab_server``/``vab_client``); every test
uses its own mount paths and tokens.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

import hvac
import pytest
import requests
from hvac import exceptions

from tests.support.processes import ServerProcess


@pytest.fixture
def uniq() -> str:
    """A suffix that keeps names unique on the shared session server."""
    return secrets.token_hex(4)


@pytest.fixture
def client_for(vab_server: ServerProcess) -> Callable[[str | None], hvac.Client]:
    """An hvac client with the given token (or none)."""
    return lambda token: hvac.Client(url=vab_server.url, token=token, timeout=30)


def test_wrap_lookup_unwrap(
    vab_client: hvac.Client, client_for: Callable[[str | None], hvac.Client]
) -> None:
    wrapped = vab_client.sys.wrap(payload={"secret": "s3", "n": 1}, ttl="2m")
    info = wrapped["wrap_info"]
    assert info["ttl"] == 120 and info["creation_path"] == "sys/wrapping/wrap"
    looked = requests.post(
        f"{vab_client.url}/v1/sys/wrapping/lookup", json={"token": info["token"]}, timeout=10
    ).json()
    assert looked["data"]["creation_ttl"] == 120
    unwrapped = client_for(info["token"]).sys.unwrap()
    assert unwrapped["data"] == {"secret": "s3", "n": 1}
    with pytest.raises(exceptions.InvalidRequest, match="wrapping token is not valid"):
        client_for(info["token"]).sys.unwrap()


def test_unwrap_with_another_token_and_wrapped_token_creation(
    vab_client: hvac.Client, client_for: Callable[[str | None], hvac.Client]
) -> None:
    wrapped = vab_client.auth.token.create(policies=["default"], ttl="10m", wrap_ttl="1m")
    info = wrapped["wrap_info"]
    assert wrapped["auth"] is None and len(info["wrapped_accessor"]) == 24
    unwrapped = vab_client.sys.unwrap(token=info["token"])
    auth = unwrapped["auth"]
    assert auth["accessor"] == info["wrapped_accessor"] and auth["lease_duration"] == 600
    assert client_for(auth["client_token"]).is_authenticated()
    with pytest.raises(exceptions.InvalidRequest):
        vab_client.sys.unwrap(token=info["token"])


def test_wrapped_kv_read(vab_client: hvac.Client, uniq: str) -> None:
    vab_client.secrets.kv.v2.create_or_update_secret(f"wrap-{uniq}", secret={"k": "v"})
    response = vab_client.adapter.get(
        f"/v1/secret/data/wrap-{uniq}", headers={"X-Vault-Wrap-TTL": "30s"}
    )
    token = response["wrap_info"]["token"]
    assert vab_client.sys.unwrap(token=token)["data"]["data"] == {"k": "v"}


def test_token_leases(vab_client: hvac.Client) -> None:
    vab_client.auth.token.create(policies=["default"], ttl="67m")
    keys = vab_client.sys.list_leases("auth/token/create")["data"]["keys"]
    found = []
    for key in keys:
        try:  # other tests revoke their tokens meanwhile
            lease = vab_client.sys.read_lease(f"auth/token/create/{key}")["data"]
        except exceptions.InvalidRequest:
            continue
        if lease["renewable"] and 4000 < lease["ttl"] <= 4020:
            found.append(lease)
    assert found and found[0]["path"] == "auth/token/create"
    with pytest.raises(exceptions.InvalidRequest, match="tokens cannot be renewed"):
        vab_client.sys.renew_lease(found[0]["id"])
    with pytest.raises(exceptions.InvalidRequest, match="invalid lease"):
        vab_client.sys.read_lease("auth/token/create/nope")
    with pytest.raises(exceptions.InvalidRequest, match="lease not found"):
        vab_client.sys.renew_lease("auth/token/create/nope", increment=60)


def test_revoke_lease_and_prefix(
    vab_client: hvac.Client, client_for: Callable[[str | None], hvac.Client], uniq: str
) -> None:
    role_tokens = [
        vab_client.auth.token.create(policies=["default"], meta={"u": uniq})["auth"]
        for _ in range(2)
    ]
    response = vab_client.sys.revoke_lease("auth/token/create/h" + "0" * 64)
    assert response.status_code == 204
    # revoke-force on a prefix no lease lives under is a no-op
    assert vab_client.sys.revoke_force(f"nothing-{uniq}").status_code == 204
    assert vab_client.sys.revoke_prefix(f"nothing-{uniq}").status_code == 204
    for auth in role_tokens:
        assert client_for(auth["client_token"]).is_authenticated()


def test_secrets_engines(vab_client: hvac.Client, uniq: str) -> None:
    path = f"kv-{uniq}"
    vab_client.sys.enable_secrets_engine("kv", path=path, options={"version": "2"})
    mounts = vab_client.sys.list_mounted_secrets_engines()
    assert mounts["data"][f"{path}/"]["options"] == {"version": "2"}
    assert f"{path}/" in mounts  # legacy top-level copy
    with pytest.raises(exceptions.InvalidRequest, match="path is already in use"):
        vab_client.sys.enable_secrets_engine("kv", path=path)
    vab_client.sys.tune_mount_configuration(
        path, default_lease_ttl="1h", max_lease_ttl=7200, description="tuned"
    )
    tuned = vab_client.sys.read_mount_configuration(path)["data"]
    assert (tuned["default_lease_ttl"], tuned["max_lease_ttl"]) == (3600, 7200)
    assert tuned["description"] == "tuned" and tuned["options"] == {"version": "2"}
    assert vab_client.sys.retrieve_mount_option(path, "version") == "2"
    moved = vab_client.sys.move_backend(path, f"{path}-moved")
    assert moved["data"]["migration_id"]
    mounts = vab_client.sys.list_mounted_secrets_engines()["data"]
    assert f"{path}-moved/" in mounts and f"{path}/" not in mounts
    vab_client.sys.disable_secrets_engine(f"{path}-moved")
    assert f"{path}-moved/" not in vab_client.sys.list_mounted_secrets_engines()["data"]


def test_auth_methods(vab_client: hvac.Client, uniq: str) -> None:
    path = f"up-{uniq}"
    vab_client.sys.enable_auth_method("userpass", path=path, description="people")
    methods = vab_client.sys.list_auth_methods()["data"]
    assert methods[f"{path}/"]["type"] == "userpass"
    assert methods[f"{path}/"]["config"]["token_type"] == "default-service"
    vab_client.sys.tune_auth_method(path, default_lease_ttl="30m", token_type="default-batch")
    tuning = vab_client.sys.read_auth_method_tuning(path)["data"]
    assert tuning["default_lease_ttl"] == 1800 and tuning["token_type"] == "default-batch"
    with pytest.raises(exceptions.InvalidRequest, match="cannot be instantiated"):
        vab_client.sys.enable_auth_method("token", path=f"tok-{uniq}")
    vab_client.sys.disable_auth_method(path)
    assert f"{path}/" not in vab_client.sys.list_auth_methods()["data"]


def test_capabilities_and_tools(
    vab_client: hvac.Client, client_for: Callable[[str | None], hvac.Client], uniq: str
) -> None:
    vab_client.sys.create_or_update_policy(
        f"cap-{uniq}", f'path "secret/data/{uniq}/*" {{ capabilities = ["read"] }}'
    )
    auth = vab_client.auth.token.create(policies=[f"cap-{uniq}"])["auth"]
    caps = vab_client.sys.get_capabilities([f"secret/data/{uniq}/x"], token=auth["client_token"])
    assert caps["data"] == {f"secret/data/{uniq}/x": ["read"], "capabilities": ["read"]}
    by_accessor = vab_client.sys.get_capabilities(["sys/mounts"], accessor=auth["accessor"])
    assert by_accessor["capabilities"] == ["deny"]
    mine = client_for(auth["client_token"]).sys.get_capabilities(["cubbyhole/x", "sys/x"])
    assert mine["data"]["sys/x"] == ["deny"]
    digest = vab_client.adapter.post("/v1/sys/tools/hash/sha2-256", json={"input": "aGVsbG8="})
    assert digest["data"]["sum"].startswith("2cf24dba")
    random = vab_client.adapter.post("/v1/sys/tools/random/8", json={"format": "hex"})
    assert len(random["data"]["random_bytes"]) == 16


def test_ui_mounts_for_the_cli(
    vab_client: hvac.Client, client_for: Callable[[str | None], hvac.Client], uniq: str
) -> None:
    reply = vab_client.adapter.get(f"/v1/sys/internal/ui/mounts/secret/data/{uniq}")
    assert reply["data"]["path"] == "secret/" and reply["data"]["options"] == {"version": "2"}
    # without a token (plain HTTP: hvac would pick up ~/.vault-token)
    denied = requests.get(f"{vab_client.url}/v1/sys/internal/ui/mounts/secret", timeout=10)
    assert (denied.status_code, denied.json()) == (403, {"errors": ["permission denied"]})
    listing = requests.get(f"{vab_client.url}/v1/sys/internal/ui/mounts", timeout=10).json()
    assert set(listing["data"]) == {"secret", "auth"}
    # the KV v1/v2 detection the vault/bao CLI performs (hvac sends "options": null)
    vab_client.sys.enable_secrets_engine("kv", path=f"v1-{uniq}")
    v1 = client_for(vab_client.token).adapter.get(f"/v1/sys/internal/ui/mounts/v1-{uniq}/k")
    assert v1["data"]["path"] == f"v1-{uniq}/" and v1["data"]["options"] is None


def test_health_status(
    vab_client: hvac.Client, client_for: Callable[[str | None], hvac.Client]
) -> None:
    status = client_for(None).sys.read_health_status(method="GET")
    assert (status["initialized"], status["sealed"], status["standby"]) == (True, False, False)
    head = vab_client.sys.read_health_status(method="HEAD")
    assert head.status_code == 200 and head.text == ""
    odd = vab_client.sys.read_health_status(method="GET", active_code=299)
    assert odd.status_code == 299 and odd.json()["sealed"] is False


def test_acl_policy_crud(
    vab_client: hvac.Client, client_for: Callable[[str | None], hvac.Client], uniq: str
) -> None:
    name = f"crud-{uniq}"
    rules = f'path "secret/data/{uniq}" {{ capabilities = ["read"] }}'
    vab_client.sys.create_or_update_acl_policy(name, rules)
    read = vab_client.sys.read_acl_policy(name)["data"]
    assert read == {"name": name, "policy": rules}  # Vault's shape (hvac's own tests assert it)
    assert name in vab_client.sys.list_acl_policies()["data"]["keys"]
    vab_client.sys.delete_acl_policy(name)
    assert name not in vab_client.sys.list_acl_policies()["data"]["keys"]
    with pytest.raises(exceptions.InvalidPath):
        vab_client.sys.read_acl_policy(name)
    with pytest.raises(exceptions.InvalidRequest, match="failed to parse policy"):
        vab_client.sys.create_or_update_acl_policy(name, 'path "x" { capabilities = ["fly"] }')
    with pytest.raises(exceptions.Forbidden):
        client_for("hvs.not-a-token").sys.read_acl_policy("default")


def test_generic_read_write_list_delete(
    vab_client: hvac.Client, client_for: Callable[[str | None], hvac.Client], uniq: str
) -> None:
    path = f"gen-{uniq}"
    vab_client.sys.enable_secrets_engine("kv", path=path, options={"version": "1"})
    vab_client.write(f"{path}/dir/a", value="1", n=2)
    vab_client.write_data(f"{path}/dir/b", data={"value": "2"})
    assert vab_client.read(f"{path}/dir/a")["data"] == {"value": "1", "n": 2}
    assert vab_client.list(f"{path}/dir")["data"]["keys"] == ["a", "b"]
    assert vab_client.read(f"{path}/dir/missing") is None  # hvac maps the 404 of a read to None
    vab_client.delete(f"{path}/dir/a")
    assert vab_client.read(f"{path}/dir/a") is None
    assert vab_client.list(f"{path}/dir")["data"]["keys"] == ["b"]
    assert vab_client.list(f"{path}/nothing") is None
    with pytest.raises(exceptions.Forbidden):
        client_for("hvs.not-a-token").read(f"{path}/dir/b")
    vab_client.sys.disable_secrets_engine(path)
