"""KV version 2 data: write, read, versions, cas, patch, delete/undelete/destroy, subkeys."""

from __future__ import annotations

import re

import pytest

from tests.kv.inprocess import KVServer

RFC3339NANO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")
INVALID_PATH = (
    "Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate "
    "API endpoints to use. If using the OpenBao CLI, use 'bao kv {verb}' for this operation."
)
ROOT_WARNING = "Non-listing operations on the root of a K/V v2 mount are not supported."


def test_write_and_read(vab: KVServer) -> None:
    write = vab.put("app/db", {"user": "u", "n": 1})
    assert write.status == 200
    meta = write.data
    assert set(meta) == {"version", "created_time", "deletion_time", "destroyed", "custom_metadata"}
    assert meta["version"] == 1
    assert RFC3339NANO.match(meta["created_time"])
    assert (meta["deletion_time"], meta["destroyed"], meta["custom_metadata"]) == ("", False, None)
    read = vab.get("app/db")
    assert read.status == 200
    assert read.data == {"data": {"user": "u", "n": 1}, "metadata": meta}
    assert read.body["lease_duration"] == 0


def test_versions_and_version_parameter(vab: KVServer) -> None:
    for i in range(1, 4):
        assert vab.put("v", {"i": i}).data["version"] == i
    assert vab.get("v").data["data"] == {"i": 3}
    assert vab.get("v", version=1).data["data"] == {"i": 1}
    assert vab.get("v", version=2).data["metadata"]["version"] == 2
    # 0 and negative numbers mean "the latest"
    assert vab.get("v", version=0).data["data"] == {"i": 3}
    assert vab.get("v", version=-1).data["data"] == {"i": 3}
    missing = vab.get("v", version=9)
    assert (missing.status, missing.body) == (404, {"errors": []})
    bad = vab.call("GET", "secret/data/v", query={"version": "abc"})
    assert bad.status == 400
    assert 'field "version"' in bad.errors[0]


def test_read_missing_secret(vab: KVServer) -> None:
    reply = vab.get("nope")
    assert (reply.status, reply.body) == (404, {"errors": []})


def test_check_and_set(vab: KVServer) -> None:
    assert vab.put("c", {"a": 1}, cas=0).data["version"] == 1
    reply = vab.put("c", {"a": 2}, cas=0)
    assert (reply.status, reply.errors) == (
        400,
        ["check-and-set parameter did not match the current version"],
    )
    assert vab.put("c", {"a": 2}, cas=1).data["version"] == 2
    assert vab.put("c", {"a": 3}, cas="2").data["version"] == 3  # type: ignore[arg-type]
    for bad in ("abc", 1.5, [0], {}):
        reply = vab.call("POST", "secret/data/c", {"data": {}, "options": {"cas": bad}})
        assert (reply.status, reply.errors) == (400, ["error parsing check-and-set parameter"])
    reply = vab.call("POST", "secret/data/c", {"data": {}, "options": {"cas": -1}})
    assert reply.errors == ["check-and-set parameter did not match the current version"]
    # null reads as 0, true as 1 (Go's weak decoding)
    assert vab.call("POST", "secret/data/n", {"data": {}, "options": {"cas": None}}).status == 200
    assert vab.call("POST", "secret/data/t", {"data": {}, "options": {"cas": False}}).status == 200
    assert vab.call("POST", "secret/data/t", {"data": {}, "options": {"cas": True}}).status == 200


def test_cas_required_by_config_and_by_metadata(vab: KVServer) -> None:
    vab.put("m", {"a": 1})
    assert vab.call("POST", "secret/metadata/m", {"cas_required": True}).status == 204
    reply = vab.put("m", {"a": 2})
    assert (reply.status, reply.errors) == (400, ["check-and-set parameter required for this call"])
    assert vab.put("m", {"a": 2}, cas=1).status == 200
    assert vab.put("other", {"a": 1}).status == 200
    assert vab.call("POST", "secret/config", {"cas_required": True}).status == 204
    reply = vab.put("other", {"a": 2})
    assert reply.errors == ["check-and-set parameter required for this call"]
    assert vab.put("brand-new", {"a": 1}, cas=0).status == 200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"x": "1"}, "no data provided"),
        ({}, "no data provided"),
        ({"options": {"cas": 0}}, "no data provided"),
    ],
)
def test_write_without_data(vab: KVServer, body: dict, message: str) -> None:
    reply = vab.call("POST", "secret/data/b", body)
    assert (reply.status, reply.errors) == (400, [message])


def test_write_with_wrong_types(vab: KVServer) -> None:
    for body in ({"data": "str"}, {"data": [1]}, {"data": {}, "options": "zz"}):
        reply = vab.call("POST", "secret/data/b", body)
        assert reply.status == 400, body
        assert "error converting input" in reply.errors[0]


def test_empty_and_null_data(vab: KVServer) -> None:
    assert vab.put("e", {}).status == 200
    assert vab.get("e").data["data"] == {}
    assert vab.call("POST", "secret/data/z", {"data": None}).status == 200
    assert vab.get("z").data["data"] is None


def test_unknown_parameters_are_warned_about(vab: KVServer) -> None:
    reply = vab.call("POST", "secret/data/w", {"data": {"a": 1}, "extra": 1})
    assert reply.status == 200
    assert reply.warnings == ["Endpoint ignored these unrecognized parameters: [extra]"]


def test_soft_delete_latest_and_undelete(vab: KVServer) -> None:
    vab.put("d", {"v": 1})
    vab.put("d", {"v": 2})
    assert vab.call("DELETE", "secret/data/d").status == 204
    deleted = vab.get("d")
    assert deleted.status == 404
    assert deleted.data["data"] is None
    assert deleted.data["metadata"]["version"] == 2
    assert RFC3339NANO.match(deleted.data["metadata"]["deletion_time"])
    assert deleted.data["metadata"]["destroyed"] is False
    assert vab.get("d", version=1).data["data"] == {"v": 1}
    # deleting again changes nothing
    first_time = deleted.data["metadata"]["deletion_time"]
    assert vab.call("DELETE", "secret/data/d").status == 204
    assert vab.get("d").data["metadata"]["deletion_time"] == first_time
    assert vab.call("POST", "secret/undelete/d", {"versions": [2]}).status == 204
    restored = vab.get("d")
    assert (restored.status, restored.data["data"]) == (200, {"v": 2})
    assert restored.data["metadata"]["deletion_time"] == ""


def test_delete_versions(vab: KVServer) -> None:
    for i in range(3):
        vab.put("dv", {"i": i})
    assert vab.call("POST", "secret/delete/dv", {"versions": [1, 2]}).status == 204
    assert vab.get("dv", version=1).status == 404
    assert vab.get("dv", version=2).status == 404
    assert vab.get("dv").status == 200
    assert vab.call("POST", "secret/undelete/dv", {"versions": "1,2"}).status == 204
    assert vab.get("dv", version=1).status == 200
    for path in ("delete", "undelete"):
        for body in ({}, {"versions": []}, {"versions": ""}):
            reply = vab.call("POST", f"secret/{path}/dv", body)
            assert (reply.status, reply.errors) == (400, ["No version number provided"])
    reply = vab.call("POST", "secret/delete/dv", {"versions": ["x"]})
    assert reply.status == 400
    assert 'field "versions"' in reply.errors[0]
    # unknown versions and unknown secrets are ignored
    assert vab.call("POST", "secret/delete/dv", {"versions": [-1, 99]}).status == 204
    assert vab.call("POST", "secret/delete/nope", {"versions": [1]}).status == 204
    assert vab.call("POST", "secret/undelete/nope", {"versions": [1]}).status == 204


def test_destroy(vab: KVServer) -> None:
    vab.put("x", {"v": 1})
    vab.put("x", {"v": 2})
    assert vab.call("POST", "secret/destroy/x", {"versions": [2]}).status == 204
    destroyed = vab.get("x")
    assert destroyed.status == 404
    assert destroyed.data["data"] is None
    assert destroyed.data["metadata"]["destroyed"] is True
    assert destroyed.data["metadata"]["deletion_time"] == ""
    # a destroyed version can be neither undeleted nor deleted
    assert vab.call("POST", "secret/undelete/x", {"versions": [2]}).status == 204
    assert vab.get("x").data["metadata"]["destroyed"] is True
    assert vab.call("DELETE", "secret/data/x").status == 204
    assert vab.get("x").data["metadata"]["deletion_time"] == ""
    assert vab.get("x", version=1).data["data"] == {"v": 1}
    reply = vab.call("POST", "secret/destroy/x", {})
    assert (reply.status, reply.errors) == (400, ["no version number provided"])
    assert vab.call("POST", "secret/destroy/nope", {"versions": [1]}).status == 204
    # the version's data is really gone from storage
    store = vab.core.backend_for(vab.core.mount_by_path("mounts", "secret/")).store
    assert store.storage.get(store.version_key("x", 2)) is None
    assert store.storage.get(store.version_key("x", 1)) is not None


def test_delete_then_destroy(vab: KVServer) -> None:
    vab.put("dd", {"v": 1})
    vab.call("DELETE", "secret/data/dd")
    vab.call("PUT", "secret/destroy/dd", {"versions": [1]})
    meta = vab.get("dd").data["metadata"]
    assert meta["destroyed"] is True
    assert meta["deletion_time"] != ""


def test_patch(vab: KVServer) -> None:
    vab.put("p", {"a": 1, "b": {"c": 2, "d": 3}, "e": [1, 2]})
    reply = vab.call(
        "PATCH", "secret/data/p", {"data": {"a": None, "b": {"c": None, "x": 5}, "n": 1}}
    )
    assert (reply.status, reply.data["version"]) == (200, 2)
    assert vab.get("p").data["data"] == {"b": {"d": 3, "x": 5}, "e": [1, 2], "n": 1}
    reply = vab.call("PATCH", "secret/data/p", {"data": {"b": None}, "options": {"cas": 1}})
    assert reply.errors == ["check-and-set parameter did not match the current version"]
    assert (
        vab.call("PATCH", "secret/data/p", {"data": {"b": None}, "options": {"cas": 2}}).status
        == 200
    )
    assert vab.get("p").data["data"] == {"e": [1, 2], "n": 1}


def test_patch_merge_rules(vab: KVServer) -> None:
    vab.put("mp", {"a": 1, "l": [1]})
    patch = {
        "a": {"b": None, "c": {"d": None, "e": 1}},
        "l": [None, {"x": None}],
        "new": {"z": None},
    }
    vab.call("PATCH", "secret/data/mp", {"data": patch})
    assert vab.get("mp").data["data"] == {"a": {"c": {"e": 1}}, "l": [None, {}], "new": {}}


def test_patch_errors(vab: KVServer) -> None:
    missing = vab.call("PATCH", "secret/data/nope", {"data": {"a": 1}})
    assert (missing.status, missing.text) == (404, "")
    reply = vab.call("PATCH", "secret/data/nope", {})
    assert (reply.status, reply.errors) == (400, ["no data provided"])
    vab.put("pe", {"a": 1})
    reply = vab.call("PATCH", "secret/data/pe", {"data": "x"})
    assert reply.status == 400
    vab.call("DELETE", "secret/data/pe")
    deleted = vab.call("PATCH", "secret/data/pe", {"data": {"a": 2}})
    assert deleted.status == 404
    assert deleted.data["version"] == 1
    assert deleted.data["deletion_time"] != ""
    assert "data" not in deleted.data
    # metadata only: no current version
    vab.call("POST", "secret/metadata/only", {"max_versions": 2})
    reply = vab.call("PATCH", "secret/data/only", {"data": {"a": 1}})
    assert (reply.status, reply.text) == (404, "")


def test_patch_needs_merge_patch_content_type(vab: KVServer) -> None:
    vab.put("ct", {"a": 1})
    response = vab.client.patch(
        "/v1/secret/data/ct", headers={"X-Vault-Token": "root"}, json={"data": {"a": 2}}
    )
    assert response.status_code == 415


def test_patch_of_null_data(vab: KVServer) -> None:
    vab.call("POST", "secret/data/nd", {"data": None})
    # OpenBao answers 500 here; a merge patch onto a non-object starts from {} (RFC 7396)
    reply = vab.call("PATCH", "secret/data/nd", {"data": {"a": 1}})
    assert reply.status == 200
    assert vab.get("nd").data["data"] == {"a": 1}
    vab.call("PATCH", "secret/data/nd", {"data": None})
    assert vab.get("nd").data["data"] is None


def test_subkeys(vab: KVServer) -> None:
    vab.put("s", {"a": 1, "b": {"c": {"d": {"e": 1}}, "f": {}}, "g": [{"h": 1}]})
    reply = vab.call("GET", "secret/subkeys/s")
    assert reply.status == 200
    assert reply.data["subkeys"] == {
        "a": None,
        "b": {"c": {"d": {"e": None}}, "f": None},
        "g": None,
    }
    assert reply.data["metadata"]["version"] == 1
    shallow = vab.call("GET", "secret/subkeys/s", query={"depth": "1"}).data["subkeys"]
    assert shallow == {"a": None, "b": None, "g": None}
    two = vab.call("GET", "secret/subkeys/s", query={"depth": "2"}).data["subkeys"]
    assert two == {"a": None, "b": {"c": None, "f": None}, "g": None}
    assert vab.call("GET", "secret/subkeys/s", query={"depth": "-1"}).data["subkeys"] == shallow
    assert vab.call("GET", "secret/subkeys/s", query={"depth": "x"}).status == 400
    assert vab.call("GET", "secret/subkeys/s", query={"version": "7"}).status == 404
    assert vab.call("GET", "secret/subkeys/nope").status == 404
    vab.put("s", {"z": 1})
    old = vab.call("GET", "secret/subkeys/s", query={"version": "1"})
    assert old.data["subkeys"]["a"] is None and old.data["metadata"]["version"] == 1
    vab.call("DELETE", "secret/data/s")
    deleted = vab.call("GET", "secret/subkeys/s")
    assert deleted.status == 404
    assert deleted.data["subkeys"] is None
    assert deleted.data["metadata"]["version"] == 2


@pytest.mark.parametrize(
    ("method", "path", "verb"),
    [
        ("GET", "secret/foo", "get"),
        ("GET", "secret/", "get"),
        ("PUT", "secret/foo", "put"),
        ("DELETE", "secret/foo", "delete"),
        ("PATCH", "secret/foo", "patch"),
        ("LIST", "secret/", "list"),
        ("GET", "secret/subkeys", "get"),
        ("GET", "secret/config/x", "get"),
        ("GET", "secret/detailed-metadata", "get"),
    ],
)
def test_invalid_paths(vab: KVServer, method: str, path: str, verb: str) -> None:
    reply = vab.call(method, path, {"a": 1} if method in ("PUT", "PATCH") else None)
    assert reply.status == 404
    assert reply.data is None
    assert reply.warnings == [INVALID_PATH.format(verb=verb)]


@pytest.mark.parametrize("root", ["data", "metadata", "delete", "undelete", "destroy"])
def test_root_of_subpaths(vab: KVServer, root: str) -> None:
    reply = vab.call("GET", f"secret/{root}")
    assert (reply.status, reply.warnings) == (404, [ROOT_WARNING])


def test_writes_to_folders_are_refused(vab: KVServer) -> None:
    for path in ("secret/data/", "secret/data/dir/", "secret/"):
        reply = vab.call("PUT", path, {"data": {"a": 1}})
        assert (reply.status, reply.errors) == (400, ["cannot write to a path ending in '/'"])


def test_unsupported_operations(vab: KVServer) -> None:
    assert vab.call("LIST", "secret/data/dir").status == 405
    assert vab.call("DELETE", "secret/config").status == 405
    assert vab.call("GET", "secret/delete/x").status == 405


def test_secrets_in_separate_mounts_are_separate(vab: KVServer) -> None:
    vab.mount("other")
    vab.put("same", {"m": "secret"})
    vab.put("same", {"m": "other"}, mount="other")
    assert vab.get("same").data["data"] == {"m": "secret"}
    assert vab.get("same", mount="other").data["data"] == {"m": "other"}
    assert vab.call("DELETE", "sys/mounts/other").status == 204
    vab.mount("other")
    assert vab.get("same", mount="other").status == 404


def test_help(vab: KVServer) -> None:
    data_help = vab.call("GET", "secret/data/x", query={"help": "1"})
    assert data_help.status == 200
    assert "Key-Value Store" in data_help.data["help"]
    overview = vab.call("GET", "secret/anything", query={"help": "1"})
    assert overview.status == 200
    assert "versioned key-value store" in overview.data["help"]


def test_openapi_lists_the_kv_paths(vab: KVServer) -> None:
    vab.mount("kv1", version="1")
    spec = vab.call("GET", "sys/internal/specs/openapi")
    assert spec.status == 200
    paths = set(spec.body["paths"])
    for path in (
        "config",
        "data/{path}",
        "metadata/{path}",
        "detailed-metadata/{path}",
        "subkeys/{path}",
        "delete/{path}",
        "undelete/{path}",
        "destroy/{path}",
    ):
        assert f"/secret/{path}" in paths
    assert "/kv1/{path}" in paths
    assert {"get", "post", "patch", "delete"} <= set(spec.body["paths"]["/secret/data/{path}"])
