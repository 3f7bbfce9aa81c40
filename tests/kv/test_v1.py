"""KV version 1: read, write, delete, list, ttl, errors (as OpenBao answers them)."""

from __future__ import annotations

import pytest

from tests.kv.inprocess import KVServer

DEFAULT_TTL = 768 * 3600


@pytest.fixture
def kv1(vab: KVServer) -> KVServer:
    vab.mount("kv1", version="1")
    return vab


def test_write_read_delete(kv1: KVServer) -> None:
    assert kv1.call("PUT", "kv1/a", {"x": "1", "n": 2, "nested": {"l": [1, None]}}).status == 204
    reply = kv1.call("GET", "kv1/a")
    assert reply.status == 200
    assert reply.data == {"x": "1", "n": 2, "nested": {"l": [1, None]}}
    assert reply.body["lease_id"] == ""
    assert reply.body["renewable"] is False
    assert reply.body["lease_duration"] == DEFAULT_TTL
    assert kv1.call("DELETE", "kv1/a").status == 204
    missing = kv1.call("GET", "kv1/a")
    assert (missing.status, missing.body) == (404, {"errors": []})
    assert kv1.call("DELETE", "kv1/never-written").status == 204


def test_write_replaces_whole_object(kv1: KVServer) -> None:
    kv1.call("PUT", "kv1/a", {"x": "1", "y": "2"})
    kv1.call("POST", "kv1/a", {"z": "3"})
    assert kv1.call("GET", "kv1/a").data == {"z": "3"}


@pytest.mark.parametrize(
    ("ttl", "expected"),
    [
        ("30m", 1800),
        (3600, 3600),
        ("3600", 3600),
        ("1h30m", 5400),
        ("1.5h", 5400),
        ("2d", 172800),
        ("-5s", -5),
        ("0", 0),
        ("", 0),
        (None, 0),
        ("500ms", 0),
        ("bogus", DEFAULT_TTL),
        ("1.5d", DEFAULT_TTL),
        (1.5, DEFAULT_TTL),
        (True, DEFAULT_TTL),
        ({"a": 1}, DEFAULT_TTL),
        (12345678901234567890, DEFAULT_TTL),
    ],
)
def test_ttl_key_sets_lease_duration(kv1: KVServer, ttl: object, expected: int) -> None:
    kv1.call("PUT", "kv1/t", {"ttl": ttl, "v": 1})
    reply = kv1.call("GET", "kv1/t")
    assert reply.status == 200
    assert reply.body["lease_duration"] == expected
    assert reply.data["ttl"] == ttl


def test_lease_key_is_an_alias_of_ttl(kv1: KVServer) -> None:
    kv1.call("PUT", "kv1/t", {"lease": "1h"})
    assert kv1.call("GET", "kv1/t").body["lease_duration"] == 3600


def test_default_ttl_follows_mount_tuning(kv1: KVServer) -> None:
    kv1.call("PUT", "kv1/t", {"v": 1})
    tune = kv1.call(
        "POST", "sys/mounts/kv1/tune", {"default_lease_ttl": "1h", "max_lease_ttl": "2h"}
    )
    assert tune.status == 204
    assert kv1.call("GET", "kv1/t").body["lease_duration"] == 3600
    # an explicit ttl is not capped by the mount's max (KV never creates a lease)
    kv1.call("PUT", "kv1/t", {"ttl": "10d"})
    assert kv1.call("GET", "kv1/t").body["lease_duration"] == 864000


def test_list_shows_folders(kv1: KVServer) -> None:
    for path in ("a", "b", "dir/c", "dir/sub/d", "q", "q/r"):
        kv1.call("PUT", f"kv1/{path}", {"v": 1})
    assert kv1.call("LIST", "kv1").data == {"keys": ["a", "b", "dir/", "q", "q/"]}
    assert kv1.call("LIST", "kv1/").data == {"keys": ["a", "b", "dir/", "q", "q/"]}
    assert kv1.call("GET", "kv1/dir", query={"list": "true"}).data == {"keys": ["c", "sub/"]}
    assert kv1.call("LIST", "kv1/dir/sub").data == {"keys": ["d"]}
    missing = kv1.call("LIST", "kv1/nope")
    assert (missing.status, missing.body) == (404, {"errors": []})


@pytest.mark.parametrize("body", [{}, None])
def test_empty_write_is_missing_data_fields(kv1: KVServer, body: object) -> None:
    reply = kv1.call("PUT", "kv1/e", body)
    assert (reply.status, reply.errors) == (400, ["missing data fields"])


def test_write_to_folder_or_root_is_refused(kv1: KVServer) -> None:
    reply = kv1.call("PUT", "kv1/dir/", {"a": 1})
    assert (reply.status, reply.errors) == (400, ["cannot write to a path ending in '/'"])
    reply = kv1.call("PUT", "kv1/", {"a": 1})
    assert (reply.status, reply.errors) == (400, ["cannot write to a path ending in '/'"])
    reply = kv1.call("PUT", "kv1", {"a": 1})
    assert (reply.status, reply.errors) == (400, ["missing path"])


def test_read_of_root_and_folder_is_404(kv1: KVServer) -> None:
    kv1.call("PUT", "kv1/dir/a", {"v": 1})
    assert kv1.call("GET", "kv1").status == 404
    assert kv1.call("GET", "kv1/dir").status == 404
    assert kv1.call("GET", "kv1/dir/").status == 404


def test_patch_is_unsupported(kv1: KVServer) -> None:
    kv1.call("PUT", "kv1/a", {"v": 1})
    reply = kv1.call("PATCH", "kv1/a", {"v": 2})
    assert reply.status == 405
    assert "unsupported operation" in reply.errors[0]


def test_data_named_like_fields_is_stored_verbatim(kv1: KVServer) -> None:
    kv1.call("PUT", "kv1/p", {"path": "elsewhere", "data": {"x": 1}})
    assert kv1.call("GET", "kv1/p").data == {"path": "elsewhere", "data": {"x": 1}}
    assert kv1.call("GET", "kv1/elsewhere").status == 404


def test_generic_mount_is_kv_v1(vab: KVServer) -> None:
    assert vab.call("POST", "sys/mounts/gen", {"type": "generic"}).status == 204
    vab.call("PUT", "gen/x", {"a": 1})
    reply = vab.call("GET", "gen/x")
    assert (reply.status, reply.data) == (200, {"a": 1})


def test_kv_mount_without_version_is_v1(vab: KVServer) -> None:
    assert vab.call("POST", "sys/mounts/plain", {"type": "kv"}).status == 204
    vab.call("PUT", "plain/x", {"a": 1})
    assert vab.call("GET", "plain/x").data == {"a": 1}


def test_read_can_be_response_wrapped(kv1: KVServer) -> None:
    kv1.call("PUT", "kv1/w", {"secret": "s3"})
    wrapped = kv1.client.get(
        "/v1/kv1/w", headers={"X-Vault-Token": "root", "X-Vault-Wrap-TTL": "60"}
    )
    assert wrapped.status_code == 200
    body = wrapped.get_json()
    assert body["data"] is None
    assert body["wrap_info"]["ttl"] == 60
    assert body["wrap_info"]["creation_path"] == "kv1/w"
