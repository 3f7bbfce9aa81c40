"""Create vs update through existence checks under real ACLs, and the v1 → v2 upgrade."""

from __future__ import annotations

from tests.kv.inprocess import KVServer

CREATE_ONLY = """
path "secret/data/*" { capabilities = ["create", "read"] }
path "secret/metadata/*" { capabilities = ["create"] }
path "kv1/*" { capabilities = ["create", "read"] }
"""
UPDATE_ONLY = """
path "secret/data/*" { capabilities = ["update", "read"] }
path "kv1/*" { capabilities = ["update"] }
"""
PATCH_ONLY = 'path "secret/data/*" { capabilities = ["patch", "read"] }'


def test_create_capability_writes_new_secrets_only(vab: KVServer) -> None:
    vab.mount("kv1", version="1")
    token = vab.token("creator", CREATE_ONLY)
    assert vab.call("POST", "secret/data/new", {"data": {"a": 1}}, token=token).status == 200
    denied = vab.call("POST", "secret/data/new", {"data": {"a": 2}}, token=token)
    assert denied.status == 403
    assert "permission denied" in denied.errors[0]
    assert vab.get("new").data["data"] == {"a": 1}
    assert vab.call("PUT", "kv1/new", {"a": 1}, token=token).status == 204
    assert vab.call("PUT", "kv1/new", {"a": 2}, token=token).status == 403
    assert vab.call("POST", "secret/metadata/fresh", {"max_versions": 1}, token=token).status == 204
    assert vab.call("POST", "secret/metadata/fresh", {"max_versions": 2}, token=token).status == 403


def test_update_capability_overwrites_existing_secrets_only(vab: KVServer) -> None:
    vab.mount("kv1", version="1")
    token = vab.token("updater", UPDATE_ONLY)
    assert vab.call("POST", "secret/data/u", {"data": {"a": 1}}, token=token).status == 403
    vab.put("u", {"a": 1})
    assert vab.call("POST", "secret/data/u", {"data": {"a": 2}}, token=token).status == 200
    assert vab.call("PUT", "kv1/u", {"a": 1}, token=token).status == 403
    vab.call("PUT", "kv1/u", {"a": 1})
    assert vab.call("PUT", "kv1/u", {"a": 2}, token=token).status == 204
    # metadata without data counts as existing: an update, not a create
    vab.call("POST", "secret/metadata/m", {"max_versions": 3})
    assert vab.call("POST", "secret/data/m", {"data": {"a": 1}}, token=token).status == 200


def test_patch_needs_the_patch_capability(vab: KVServer) -> None:
    vab.put("p", {"a": 1})
    updater = vab.token("updater", UPDATE_ONLY)
    assert vab.call("PATCH", "secret/data/p", {"data": {"b": 2}}, token=updater).status == 403
    patcher = vab.token("patcher", PATCH_ONLY)
    assert vab.call("PATCH", "secret/data/p", {"data": {"b": 2}}, token=patcher).status == 200
    assert vab.get("p").data["data"] == {"a": 1, "b": 2}


def test_upgrade_v1_to_v2_keeps_data(vab: KVServer) -> None:
    vab.mount("up", version="1")
    vab.call("PUT", "up/a", {"x": "1"})
    vab.call("PUT", "up/d/b", {"y": "2", "ttl": "1h"})
    vab.call("PUT", "up/d/e/f", {"z": 3})
    tune = vab.call("POST", "sys/mounts/up/tune", {"options": {"version": "2"}})
    assert tune.status in (200, 204), tune.text
    assert vab.call("GET", "sys/mounts/up").data["options"] == {"version": "2"}
    assert vab.get("a", mount="up").data["data"] == {"x": "1"}
    assert vab.get("d/b", mount="up").data["data"] == {"y": "2", "ttl": "1h"}
    assert vab.get("d/e/f", mount="up").data["data"] == {"z": 3}
    meta = vab.metadata("d/b", mount="up").data
    assert (meta["current_version"], meta["oldest_version"], list(meta["versions"])) == (
        1,
        1,
        ["1"],
    )
    assert vab.call("LIST", "up/metadata").data["keys"] == ["a", "d/"]
    assert vab.call("LIST", "up/metadata/d").data["keys"] == ["b", "e/"]
    # the v1 paths are gone: the mount is versioned now
    assert vab.call("GET", "up/a").status == 404
    assert vab.put("a", {"x": "2"}, cas=1, mount="up").data["version"] == 2
    assert vab.get("a", version=1, mount="up").data["data"] == {"x": "1"}
    # no way back
    down = vab.call("POST", "sys/mounts/up/tune", {"options": {"version": "1"}})
    assert down.status == 400


def test_upgrade_is_idempotent_and_resumes(vab: KVServer) -> None:
    vab.mount("re", version="1")
    vab.call("PUT", "re/a", {"x": 1})
    vab.call("POST", "sys/mounts/re/tune", {"options": {"version": "2"}})
    backend = vab.core.backend_for(vab.core.mount_by_path("mounts", "re/"))
    store = backend.store
    assert store.upgrade_done()
    # a v1 key that appeared later (written by a worker that had not reloaded yet) is picked
    # up when the upgrade runs again, and converted data is never touched twice
    store.storage.put("late", b'{"y": 2}')
    store.storage.put_json(store.upgrade_key, {"done": False})
    backend.initialize()
    assert vab.get("late", mount="re").data["data"] == {"y": 2}
    assert vab.get("a", mount="re").data["data"] == {"x": 1}
    assert vab.metadata("a", mount="re").data["current_version"] == 1


def test_new_v2_mount_is_marked_upgraded(vab: KVServer) -> None:
    vab.mount("fresh")
    store = vab.core.backend_for(vab.core.mount_by_path("mounts", "fresh/")).store
    assert store.upgrade_done()
    assert vab.call("LIST", "fresh/metadata").status == 404
