"""The KV engine (v1 and v2) against our real server process, through the unmodified hvac
client: every public method of ``secrets.kv.v1`` and ``secrets.kv.v2``.

Uses the session servers of ``tests/conftest.py``: the engine tests run on our server and on
OpenBao (``client`` is parametrised), each on its own mount under a unique path.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator

import hvac
import pytest
from hvac import exceptions

from tests.support.processes import ServerProcess

TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


@pytest.fixture(params=["vab_client", "openbao_client"])
def client(request: pytest.FixtureRequest) -> hvac.Client:
    """Our server, then OpenBao: every KV test must pass on both (same results and
    exceptions through hvac)."""
    return request.getfixturevalue(request.param)


@pytest.fixture
def kv1(client: hvac.Client) -> Iterator[tuple[hvac.Client, str]]:
    """A fresh KV v1 mount: (client, mount point)."""
    mount = f"kv1-{secrets.token_hex(4)}"
    client.sys.enable_secrets_engine("kv", path=mount, options={"version": "1"})
    yield client, mount
    client.sys.disable_secrets_engine(mount)


@pytest.fixture
def kv2(client: hvac.Client) -> Iterator[tuple[hvac.Client, str]]:
    """A fresh KV v2 mount: (client, mount point)."""
    mount = f"kv2-{secrets.token_hex(4)}"
    client.sys.enable_secrets_engine("kv", path=mount, options={"version": "2"})
    yield client, mount
    client.sys.disable_secrets_engine(mount)


# -- version 1 ---------------------------------------------------------------------------------


def test_v1_create_read_list_delete(kv1: tuple[hvac.Client, str]) -> None:
    client, mount = kv1
    v1 = client.secrets.kv.v1
    created = v1.create_or_update_secret("app/db", {"user": "u", "ttl": "1h"}, mount_point=mount)
    assert created.status_code == 204
    read = v1.read_secret("app/db", mount_point=mount)
    assert read["data"] == {"user": "u", "ttl": "1h"}
    assert (read["lease_duration"], read["lease_id"], read["renewable"]) == (3600, "", False)
    updated = v1.create_or_update_secret("app/db", {"user": "v"}, mount_point=mount)
    assert updated.status_code == 204
    assert v1.read_secret("app/db", mount_point=mount)["data"] == {"user": "v"}
    assert v1.read_secret("app/db", mount_point=mount)["lease_duration"] == 768 * 3600
    v1.create_or_update_secret("app/cache", {"k": 1}, method="POST", mount_point=mount)
    v1.create_or_update_secret("top", {"k": 1}, method="PUT", mount_point=mount)
    assert v1.list_secrets("", mount_point=mount)["data"]["keys"] == ["app/", "top"]
    assert v1.list_secrets("app", mount_point=mount)["data"]["keys"] == ["cache", "db"]
    deleted = v1.delete_secret("app/db", mount_point=mount)
    assert deleted.status_code == 204
    with pytest.raises(exceptions.InvalidPath):
        v1.read_secret("app/db", mount_point=mount)
    assert v1.delete_secret("never", mount_point=mount).status_code == 204


def test_v1_errors(kv1: tuple[hvac.Client, str]) -> None:
    client, mount = kv1
    v1 = client.secrets.kv.v1
    with pytest.raises(exceptions.InvalidRequest, match="missing data fields"):
        v1.create_or_update_secret("empty", {}, mount_point=mount)
    # hvac strips trailing slashes: an empty path writes to the mount itself
    with pytest.raises(exceptions.InvalidRequest, match="missing path"):
        v1.create_or_update_secret("", {"a": 1}, method="PUT", mount_point=mount)
    with pytest.raises(exceptions.ParamValidationError):
        v1.create_or_update_secret("x", {"a": 1}, method="PATCH", mount_point=mount)
    with pytest.raises(exceptions.InvalidPath):
        v1.list_secrets("nothing-here", mount_point=mount)
    with pytest.raises(exceptions.InvalidPath):
        v1.read_secret("missing", mount_point=mount)


# -- version 2 ---------------------------------------------------------------------------------


def test_v2_configure_and_read_configuration(kv2: tuple[hvac.Client, str]) -> None:
    client, mount = kv2
    v2 = client.secrets.kv.v2
    assert v2.read_configuration(mount_point=mount)["data"]["max_versions"] == 0
    response = v2.configure(
        max_versions=5, cas_required=True, delete_version_after="1h", mount_point=mount
    )
    assert response.status_code == 204
    data = v2.read_configuration(mount_point=mount)["data"]
    assert (data["max_versions"], data["cas_required"], data["delete_version_after"]) == (
        5,
        True,
        "1h0m0s",
    )
    with pytest.raises(exceptions.InvalidRequest):
        v2.configure(max_versions="many", mount_point=mount)


def test_v2_write_read_versions_and_cas(kv2: tuple[hvac.Client, str]) -> None:
    client, mount = kv2
    v2 = client.secrets.kv.v2
    first = v2.create_or_update_secret("s", {"a": "1"}, mount_point=mount)["data"]
    assert first["version"] == 1 and TIME.match(first["created_time"])
    assert (first["deletion_time"], first["destroyed"]) == ("", False)
    second = v2.create_or_update_secret("s", {"a": "2"}, cas=1, mount_point=mount)["data"]
    assert second["version"] == 2
    with pytest.raises(
        exceptions.InvalidRequest, match="check-and-set parameter did not match the current"
    ):
        v2.create_or_update_secret("s", {"a": "3"}, cas=1, mount_point=mount)
    latest = v2.read_secret("s", mount_point=mount, raise_on_deleted_version=True)
    assert latest["data"]["data"] == {"a": "2"}
    assert latest["data"]["metadata"]["version"] == 2
    old = v2.read_secret_version("s", version=1, mount_point=mount, raise_on_deleted_version=True)
    assert old["data"]["data"] == {"a": "1"}
    with pytest.raises(exceptions.InvalidPath):
        v2.read_secret_version("s", version=7, mount_point=mount, raise_on_deleted_version=True)
    with pytest.raises(exceptions.InvalidPath):
        v2.read_secret("missing", mount_point=mount, raise_on_deleted_version=True)
    with pytest.raises(exceptions.InvalidRequest):
        v2.read_secret_version("s", version="x", mount_point=mount, raise_on_deleted_version=True)


def test_v2_patch(kv2: tuple[hvac.Client, str]) -> None:
    client, mount = kv2
    v2 = client.secrets.kv.v2
    v2.create_or_update_secret("p", {"a": "1", "b": "2"}, mount_point=mount)
    patched = v2.patch("p", {"b": "3", "c": "4"}, mount_point=mount)
    assert patched["data"]["version"] == 2
    data = v2.read_secret("p", mount_point=mount, raise_on_deleted_version=True)["data"]["data"]
    assert data == {"a": "1", "b": "3", "c": "4"}
    with pytest.raises(exceptions.InvalidPath, match="patch only works on existing data"):
        v2.patch("missing", {"a": "1"}, mount_point=mount)


def test_v2_delete_undelete_destroy(kv2: tuple[hvac.Client, str]) -> None:
    client, mount = kv2
    v2 = client.secrets.kv.v2
    for i in range(3):
        v2.create_or_update_secret("d", {"i": i}, mount_point=mount)
    assert v2.delete_latest_version_of_secret("d", mount_point=mount).status_code == 204
    with pytest.raises(exceptions.InvalidPath):
        v2.read_secret("d", mount_point=mount, raise_on_deleted_version=True)
    soft = v2.read_secret("d", mount_point=mount, raise_on_deleted_version=False)
    assert soft["data"]["data"] is None
    assert TIME.match(soft["data"]["metadata"]["deletion_time"])
    assert v2.delete_secret_versions("d", [1, 2], mount_point=mount).status_code == 204
    assert v2.undelete_secret_versions("d", [1, 3], mount_point=mount).status_code == 204
    assert v2.read_secret("d", mount_point=mount, raise_on_deleted_version=True)["data"][
        "data"
    ] == {"i": 2}
    assert v2.destroy_secret_versions("d", [1], mount_point=mount).status_code == 204
    # hvac hands back the 404 body only for deleted versions; a destroyed one (never
    # deleted: no deletion_time) raises, with the metadata in the error's JSON
    with pytest.raises(exceptions.InvalidPath) as caught:
        v2.read_secret_version("d", version=1, mount_point=mount, raise_on_deleted_version=False)
    assert caught.value.json["data"]["metadata"]["destroyed"] is True
    assert caught.value.json["data"]["data"] is None
    versions = v2.read_secret_metadata("d", mount_point=mount)["data"]["versions"]
    assert versions["1"]["destroyed"] is True
    assert versions["2"]["deletion_time"] != "" and versions["3"]["deletion_time"] == ""
    for method in (
        v2.delete_secret_versions,
        v2.undelete_secret_versions,
        v2.destroy_secret_versions,
    ):
        with pytest.raises(exceptions.ParamValidationError):
            method("d", [], mount_point=mount)
    with pytest.raises(exceptions.InvalidRequest, match="No version number provided"):
        client.adapter.post(f"/v1/{mount}/delete/d", json={"versions": []})


def test_v2_list_and_metadata(kv2: tuple[hvac.Client, str]) -> None:
    client, mount = kv2
    v2 = client.secrets.kv.v2
    for path in ("a", "dir/b", "dir/c/d"):
        v2.create_or_update_secret(path, {"v": 1}, mount_point=mount)
    assert v2.list_secrets("", mount_point=mount)["data"]["keys"] == ["a", "dir/"]
    assert v2.list_secrets("dir", mount_point=mount)["data"]["keys"] == ["b", "c/"]
    with pytest.raises(exceptions.InvalidPath):
        v2.list_secrets("nope", mount_point=mount)
    response = v2.update_metadata(
        "a",
        max_versions=3,
        cas_required=True,
        delete_version_after="30m",
        custom_metadata={"owner": "team-a"},
        mount_point=mount,
    )
    assert response.status_code == 204
    meta = v2.read_secret_metadata("a", mount_point=mount)["data"]
    assert (meta["max_versions"], meta["cas_required"], meta["delete_version_after"]) == (
        3,
        True,
        "30m0s",
    )
    assert meta["custom_metadata"] == {"owner": "team-a"}
    assert meta["current_version"] == 1 and list(meta["versions"]) == ["1"]
    with pytest.raises(exceptions.InvalidRequest, match="check-and-set parameter required"):
        v2.create_or_update_secret("a", {"v": 2}, mount_point=mount)
    written = v2.create_or_update_secret("a", {"v": 2}, cas=1, mount_point=mount)["data"]
    assert written["custom_metadata"] == {"owner": "team-a"}
    assert TIME.match(written["deletion_time"])
    with pytest.raises(exceptions.ParamValidationError):
        v2.update_metadata("a", cas_required="yes", mount_point=mount)
    with pytest.raises(exceptions.ParamValidationError):
        v2.update_metadata("a", custom_metadata="owner=x", mount_point=mount)
    with pytest.raises(exceptions.InvalidRequest, match="custom_metadata validation failed"):
        v2.update_metadata("a", custom_metadata={"k": ""}, mount_point=mount)
    with pytest.raises(exceptions.InvalidPath):
        v2.read_secret_metadata("missing", mount_point=mount)


def test_v2_delete_metadata_and_all_versions(kv2: tuple[hvac.Client, str]) -> None:
    client, mount = kv2
    v2 = client.secrets.kv.v2
    v2.create_or_update_secret("gone", {"v": 1}, mount_point=mount)
    v2.create_or_update_secret("gone", {"v": 2}, mount_point=mount)
    assert v2.delete_metadata_and_all_versions("gone", mount_point=mount).status_code == 204
    with pytest.raises(exceptions.InvalidPath):
        v2.read_secret_metadata("gone", mount_point=mount)
    with pytest.raises(exceptions.InvalidPath):
        v2.read_secret_version("gone", version=1, mount_point=mount, raise_on_deleted_version=True)
    assert v2.delete_metadata_and_all_versions("gone", mount_point=mount).status_code == 204


def test_v2_subkeys_and_invalid_paths(kv2: tuple[hvac.Client, str]) -> None:
    client, mount = kv2
    client.secrets.kv.v2.create_or_update_secret("s", {"a": {"b": 1}, "c": 2}, mount_point=mount)
    subkeys = client.adapter.get(f"/v1/{mount}/subkeys/s")["data"]["subkeys"]
    assert subkeys == {"a": {"b": None}, "c": None}
    # v1-style access to a v2 mount: 404 with Vault's warning
    with pytest.raises(exceptions.InvalidPath) as caught:
        client.secrets.kv.v1.read_secret("s", mount_point=mount)
    assert "Invalid path for a versioned K/V secrets engine" in str(caught.value)


def test_dev_mode_secret_mount_is_v2(vab_client: hvac.Client) -> None:
    mounts = vab_client.sys.list_mounted_secrets_engines()["data"]
    assert mounts["secret/"]["type"] == "kv"
    assert mounts["secret/"]["options"] == {"version": "2"}
    path = f"hvac-{secrets.token_hex(4)}"
    vab_client.secrets.kv.v2.create_or_update_secret(path, {"x": "y"})
    read = vab_client.secrets.kv.read_secret_version(path, raise_on_deleted_version=True)
    assert read["data"]["data"] == {"x": "y"}
    vab_client.secrets.kv.v2.delete_metadata_and_all_versions(path)


def test_upgrade_v1_mount_to_v2(kv1: tuple[hvac.Client, str]) -> None:
    client, mount = kv1
    client.secrets.kv.v1.create_or_update_secret("a", {"x": "1"}, mount_point=mount)
    client.secrets.kv.v1.create_or_update_secret("dir/b", {"y": "2"}, mount_point=mount)
    client.sys.tune_mount_configuration(mount, options={"version": "2"})
    v2 = client.secrets.kv.v2
    read = None
    for _ in range(200):  # OpenBao upgrades in the background; ours is done at once
        try:
            read = v2.read_secret("a", mount_point=mount, raise_on_deleted_version=True)
            break
        except exceptions.InvalidRequest:
            continue
    assert read is not None and read["data"]["data"] == {"x": "1"}
    dir_b = v2.read_secret("dir/b", mount_point=mount, raise_on_deleted_version=True)
    assert dir_b["data"]["data"] == {"y": "2"}
    assert v2.list_secrets("", mount_point=mount)["data"]["keys"] == ["a", "dir/"]


def test_create_only_policy(vab_client: hvac.Client, vab_server: ServerProcess) -> None:
    name = f"kv-create-{secrets.token_hex(4)}"
    prefix = f"hvac-{name}"
    vab_client.sys.create_or_update_acl_policy(
        name, f'path "secret/data/{prefix}/*" {{ capabilities = ["create", "read"] }}'
    )
    token = vab_client.auth.token.create(policies=[name], ttl="10m")["auth"]["client_token"]
    limited = hvac.Client(url=vab_server.url, token=token, timeout=30)
    limited.secrets.kv.v2.create_or_update_secret(f"{prefix}/new", {"v": 1})
    with pytest.raises(exceptions.Forbidden):
        limited.secrets.kv.v2.create_or_update_secret(f"{prefix}/new", {"v": 2})
    with pytest.raises(exceptions.Forbidden):
        limited.secrets.kv.v2.read_secret_metadata(f"{prefix}/new")
    read = limited.secrets.kv.v2.read_secret(f"{prefix}/new", raise_on_deleted_version=True)
    assert read["data"]["data"] == {"v": 1}
    vab_client.secrets.kv.v2.delete_metadata_and_all_versions(f"{prefix}/new")
