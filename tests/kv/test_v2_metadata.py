"""KV version 2 metadata and config: settings, listing, custom metadata, pruning, expiry."""

from __future__ import annotations

import pytest

from tests.kv.inprocess import Clock, KVServer

CAS_IGNORED = (
    '"cas_required" set to false, but is mandated by backend config. This value will be ignored.'
)


def test_metadata_read(vab: KVServer) -> None:
    first = vab.put("m", {"v": 1}).data
    second = vab.put("m", {"v": 2}).data
    meta = vab.metadata("m")
    assert meta.status == 200
    assert meta.data == {
        "versions": {
            "1": {"created_time": first["created_time"], "deletion_time": "", "destroyed": False},
            "2": {"created_time": second["created_time"], "deletion_time": "", "destroyed": False},
        },
        "current_version": 2,
        "current_metadata_version": 0,
        "oldest_version": 0,
        "created_time": first["created_time"],
        "updated_time": second["created_time"],
        "max_versions": 0,
        "cas_required": False,
        "metadata_cas_required": False,
        "delete_version_after": "0s",
        "custom_metadata": None,
    }
    missing = vab.metadata("nope")
    assert (missing.status, missing.body) == (404, {"errors": []})


def test_metadata_write_before_data(vab: KVServer) -> None:
    body = {"max_versions": 2, "custom_metadata": {"a": "b", "n": 5, "t": True, "f": 1.5}}
    assert vab.call("POST", "secret/metadata/pre", body).status == 204
    meta = vab.metadata("pre").data
    assert meta["max_versions"] == 2
    assert meta["custom_metadata"] == {"a": "b", "n": "5", "t": "1", "f": "1.5"}
    assert (meta["current_version"], meta["current_metadata_version"], meta["versions"]) == (
        0,
        1,
        {},
    )
    assert meta["created_time"] == meta["updated_time"] != ""
    assert vab.get("pre").status == 404
    written = vab.put("pre", {"x": 1}).data
    assert written["custom_metadata"] == {"a": "b", "n": "5", "t": "1", "f": "1.5"}
    assert vab.get("pre").data["metadata"]["custom_metadata"]["a"] == "b"


def test_metadata_write_keeps_unset_fields_and_counts_versions(vab: KVServer) -> None:
    vab.call("POST", "secret/metadata/k", {"max_versions": 3, "cas_required": True})
    vab.call("POST", "secret/metadata/k", {"delete_version_after": "1h30m"})
    meta = vab.metadata("k").data
    assert (meta["max_versions"], meta["cas_required"]) == (3, True)
    assert meta["delete_version_after"] == "1h30m0s"
    assert meta["current_metadata_version"] == 2
    # nothing to change: no write, no new metadata version
    assert vab.call("POST", "secret/metadata/k", {}).status == 204
    assert vab.call("POST", "secret/metadata/k", {"foo": 1}).status == 204
    assert vab.metadata("k").data["current_metadata_version"] == 2
    # custom metadata is replaced as a whole; {} and null clear it
    vab.call("POST", "secret/metadata/k", {"custom_metadata": {"a": "1"}})
    vab.call("POST", "secret/metadata/k", {"custom_metadata": {"b": "2"}})
    assert vab.metadata("k").data["custom_metadata"] == {"b": "2"}
    vab.call("POST", "secret/metadata/k", {"custom_metadata": {}})
    assert vab.metadata("k").data["custom_metadata"] is None


def test_max_versions_wraps_like_uint32(vab: KVServer) -> None:
    vab.call("POST", "secret/metadata/w", {"max_versions": -1})
    assert vab.metadata("w").data["max_versions"] == 4294967295
    vab.call("POST", "secret/config", {"max_versions": -1})
    assert vab.call("GET", "secret/config").data["max_versions"] == 4294967295


@pytest.mark.parametrize(
    ("custom", "message"),
    [
        ({"": "x"}, 'length of key "" is 0 but must be 0 < len(key) <= 128'),
        ({"k": ""}, 'length of value for key "k" is 0 but must be 0 < len(value) <= 512'),
        ({"k": None}, 'length of value for key "k" is 0 but must be 0 < len(value) <= 512'),
        ({"k" * 129: "v"}, f'length of key "{"k" * 129}" is 129 but must be 0 < len(key) <= 128'),
        ({"k": "v" * 513}, 'length of value for key "k" is 513 but must be 0 < len(value) <= 512'),
        ({"k": "a\x01b"}, 'value for key "k" contains unprintable characters'),
    ],
)
def test_custom_metadata_validation(vab: KVServer, custom: dict, message: str) -> None:
    reply = vab.call("POST", "secret/metadata/cm", {"custom_metadata": custom})
    assert reply.status == 400
    assert reply.errors == [
        f"1 error occurred:\n\t* custom_metadata validation failed: {message}\n\n"
    ]


def test_custom_metadata_limits_and_types(vab: KVServer) -> None:
    too_many = {f"k{i}": "v" for i in range(65)}
    reply = vab.call("POST", "secret/metadata/cm", {"custom_metadata": too_many})
    assert reply.errors == [
        "1 error occurred:\n\t* custom_metadata validation failed: payload must contain at most "
        "64 keys, provided 65\n\n"
    ]
    reply = vab.call("POST", "secret/metadata/cm", {"custom_metadata": {"k": {"a": 1}}})
    assert reply.errors == [
        "custom_metadata validation failed: '' expected type 'string', got unconvertible type "
        "'map[string]interface {}'"
    ]
    reply = vab.call("POST", "secret/metadata/cm", {"custom_metadata": {"": "", "b": "\x00"}})
    assert reply.errors[0].startswith("3 errors occurred:\n")
    assert vab.call("POST", "secret/metadata/cm", {"custom_metadata": "a=b"}).status == 400
    assert vab.metadata("cm").status == 404


def test_metadata_bad_input(vab: KVServer) -> None:
    for body in (
        {"delete_version_after": "-1s"},
        {"delete_version_after": "bogus"},
        {"cas_required": "maybe"},
        {"max_versions": "x"},
    ):
        reply = vab.call("POST", "secret/metadata/bad", body)
        assert reply.status == 400, body
    assert vab.metadata("bad").status == 404


def test_metadata_patch(vab: KVServer) -> None:
    vab.call(
        "POST", "secret/metadata/p", {"max_versions": 5, "custom_metadata": {"a": "1", "b": "2"}}
    )
    reply = vab.call("PATCH", "secret/metadata/p", {"custom_metadata": {"a": None, "c": 3}})
    assert reply.status == 204
    meta = vab.metadata("p").data
    assert meta["custom_metadata"] == {"b": "2", "c": "3"}
    assert (meta["max_versions"], meta["current_metadata_version"]) == (5, 2)
    vab.call("PATCH", "secret/metadata/p", {"cas_required": True, "delete_version_after": "1h"})
    meta = vab.metadata("p").data
    assert (meta["cas_required"], meta["delete_version_after"], meta["max_versions"]) == (
        True,
        "1h0m0s",
        5,
    )
    vab.call("PATCH", "secret/metadata/p", {"custom_metadata": None})
    assert vab.metadata("p").data["custom_metadata"] is None
    # nothing patchable: nothing happens
    assert vab.call("PATCH", "secret/metadata/p", {}).status == 204
    assert vab.metadata("p").data["current_metadata_version"] == 4
    missing = vab.call("PATCH", "secret/metadata/nope", {"max_versions": 1})
    assert (missing.status, missing.text) == (404, "")
    reply = vab.call("PATCH", "secret/metadata/p", {"custom_metadata": {"x": [1]}})
    assert reply.status == 400
    assert "custom_metadata validation failed" in reply.errors[0]


def test_metadata_check_and_set(vab: KVServer) -> None:
    vab.put("mc", {"a": 1})
    vab.call("POST", "secret/metadata/mc", {"metadata_cas_required": True})
    reply = vab.call("POST", "secret/metadata/mc", {"max_versions": 1})
    assert reply.errors == ["metadata check-and-set parameter required for this call"]
    reply = vab.call("POST", "secret/metadata/mc", {"max_versions": 1, "metadata_cas": 0})
    assert reply.errors == ["metadata check-and-set parameter does not match the current version"]
    assert (
        vab.call("POST", "secret/metadata/mc", {"max_versions": 1, "metadata_cas": 1}).status == 204
    )
    reply = vab.call("PATCH", "secret/metadata/mc", {"max_versions": 2})
    assert reply.errors == ["metadata check-and-set parameter required for this call"]
    assert (
        vab.call("PATCH", "secret/metadata/mc", {"max_versions": 2, "metadata_cas": 2}).status
        == 204
    )
    reply = vab.call("POST", "secret/metadata/new", {"max_versions": 1, "metadata_cas": 4})
    assert reply.errors == ["metadata_cas must be 0 when creating new metadata"]
    assert (
        vab.call("POST", "secret/metadata/new", {"max_versions": 1, "metadata_cas": 0}).status
        == 204
    )


def test_cas_required_false_is_ignored_when_config_requires_it(vab: KVServer) -> None:
    vab.call("POST", "secret/config", {"cas_required": True})
    reply = vab.call("POST", "secret/metadata/c", {"cas_required": False})
    assert (reply.status, reply.data, reply.warnings) == (200, None, [CAS_IGNORED])
    reply = vab.call("PATCH", "secret/metadata/c", {"cas_required": False})
    assert (reply.status, reply.warnings) == (200, [CAS_IGNORED])


def test_metadata_delete_removes_everything(vab: KVServer) -> None:
    vab.put("gone", {"v": 1})
    vab.put("gone", {"v": 2})
    store = vab.core.backend_for(vab.core.mount_by_path("mounts", "secret/")).store
    assert store.storage.list(store.versions_folder("gone")) == ["1", "2"]
    assert vab.call("DELETE", "secret/metadata/gone").status == 204
    assert vab.metadata("gone").status == 404
    assert vab.get("gone", version=1).status == 404
    assert store.storage.list(store.versions_folder("gone")) == []
    assert vab.call("DELETE", "secret/metadata/gone").status == 204
    # a new secret at the same path starts again at version 1
    assert vab.put("gone", {"v": 3}).data["version"] == 1


def test_list(vab: KVServer) -> None:
    for path in ("a", "dir/x", "dir/sub/y", "dir/sub/z"):
        vab.put(path, {"v": 1})
    vab.call("POST", "secret/metadata/dir/metaonly", {"max_versions": 1})
    assert vab.call("LIST", "secret/metadata").data == {"keys": ["a", "dir/"]}
    assert vab.call("LIST", "secret/metadata/").data == {"keys": ["a", "dir/"]}
    listed = vab.call("GET", "secret/metadata/dir", query={"list": "true"})
    assert listed.data == {"keys": ["metaonly", "sub/", "x"]}
    assert vab.call("LIST", "secret/metadata/dir", query={"limit": "1"}).data["keys"] == [
        "metaonly"
    ]
    after = vab.call("LIST", "secret/metadata/dir", query={"after": "metaonly"})
    assert after.data["keys"] == ["sub/", "x"]
    page = vab.call("LIST", "secret/metadata/dir", query={"after": "a", "limit": "2"})
    assert page.data["keys"] == ["metaonly", "sub/"]
    missing = vab.call("LIST", "secret/metadata/nope")
    assert (missing.status, missing.body) == (404, {"errors": []})
    # deleting versions does not hide a secret from the list; deleting metadata does
    vab.call("DELETE", "secret/data/dir/x")
    assert "x" in vab.call("LIST", "secret/metadata/dir").data["keys"]
    vab.call("DELETE", "secret/metadata/dir/x")
    assert vab.call("LIST", "secret/metadata/dir").data["keys"] == ["metaonly", "sub/"]


def test_detailed_metadata_list(vab: KVServer) -> None:
    vab.put("dm/x", {"v": 1})
    vab.put("dm/sub/y", {"v": 1})
    reply = vab.call("LIST", "secret/detailed-metadata/dm")
    assert reply.data["keys"] == ["sub/", "x"]
    assert reply.data["key_info"]["sub/"] == {}
    assert reply.data["key_info"]["x"] == vab.metadata("dm/x").data


def test_config(vab: KVServer) -> None:
    config = vab.call("GET", "secret/config")
    assert config.data == {
        "max_versions": 0,
        "cas_required": False,
        "metadata_cas_required": False,
        "delete_version_after": "0s",
    }
    assert vab.call("POST", "secret/config", {"max_versions": 3}).status == 204
    assert vab.call("POST", "secret/config", {}).status == 204
    vab.call("POST", "secret/config", {"delete_version_after": "90s", "cas_required": True})
    assert vab.call("GET", "secret/config").data == {
        "max_versions": 3,
        "cas_required": True,
        "metadata_cas_required": False,
        "delete_version_after": "1m30s",
    }
    vab.call("POST", "secret/config", {"delete_version_after": "-5m"})
    assert vab.call("GET", "secret/config").data["delete_version_after"] == "-1s"
    vab.call("POST", "secret/config", {"delete_version_after": 0})
    assert vab.call("GET", "secret/config").data["delete_version_after"] == "0s"
    assert vab.call("POST", "secret/config", {"max_versions": "x"}).status == 400


def test_version_pruning(vab: KVServer) -> None:
    for i in range(1, 13):
        vab.put("many", {"i": i})
    meta = vab.metadata("many").data
    assert sorted(int(v) for v in meta["versions"]) == list(range(3, 13))
    assert meta["oldest_version"] == 3
    assert vab.get("many", version=2).status == 404
    assert vab.get("many", version=3).data["data"] == {"i": 3}
    store = vab.core.backend_for(vab.core.mount_by_path("mounts", "secret/")).store
    assert store.storage.get(store.version_key("many", 2)) is None


def test_pruning_keeps_the_larger_of_secret_and_mount_max_versions(vab: KVServer) -> None:
    vab.call("POST", "secret/config", {"max_versions": 5})
    vab.call("POST", "secret/metadata/e", {"max_versions": 2})
    for i in range(1, 5):
        vab.put("e", {"i": i})
    assert sorted(vab.metadata("e").data["versions"]) == ["1", "2", "3", "4"]
    vab.call("POST", "secret/config", {"max_versions": 0})
    vab.put("e", {"i": 5})
    meta = vab.metadata("e").data
    assert sorted(meta["versions"]) == ["4", "5"]
    assert meta["oldest_version"] == 4


def test_delete_version_after(vab: KVServer, clock: Clock) -> None:
    vab.call("POST", "secret/metadata/d", {"delete_version_after": "2s"})
    written = vab.put("d", {"a": 1}).data
    assert written["deletion_time"] != ""
    assert vab.get("d").status == 200
    clock.advance(2.5)
    expired = vab.get("d")
    assert expired.status == 404
    assert expired.data["metadata"]["deletion_time"] == written["deletion_time"]
    # undelete restarts the countdown
    vab.call("POST", "secret/undelete/d", {"versions": [1]})
    assert vab.get("d").status == 200
    clock.advance(2.5)
    assert vab.get("d").status == 404
    # the shorter of mount and secret setting applies
    vab.call("POST", "secret/config", {"delete_version_after": "1s"})
    second = vab.put("d", {"a": 2}).data
    clock.advance(1.5)
    assert vab.get("d").status == 404
    assert second["version"] == 2
    # a negative mount setting disables automatic deletion everywhere
    vab.call("POST", "secret/config", {"delete_version_after": "-1"})
    third = vab.put("d", {"a": 3}).data
    assert third["deletion_time"] == ""
    vab.call("POST", "secret/undelete/d", {"versions": [1, 2]})
    clock.advance(3600)
    assert vab.get("d", version=1).status == 200


def test_delete_of_a_version_pending_expiry(vab: KVServer, clock: Clock) -> None:
    vab.call("POST", "secret/config", {"delete_version_after": "1h"})
    vab.put("pend", {"a": 1})
    vab.call("DELETE", "secret/data/pend")
    assert vab.get("pend").status == 404
