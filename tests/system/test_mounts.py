"""``sys/mounts``, ``sys/auth``, tuning and ``sys/remount`` (messages as OpenBao 2.7's)."""

from __future__ import annotations

import pytest

from tests.system.conftest import Sys


def test_enable_read_list_disable(sysv: Sys) -> None:
    assert sysv.post("sys/mounts/m1", {"type": "kv", "description": "d"}).status == 204
    one = sysv.get("sys/mounts/m1")
    assert one.data["type"] == "kv" and one.data["options"] == {}
    assert one.data["deprecation_status"] == "supported" and one.body["type"] == "kv"
    listing = sysv.get("sys/mounts")
    assert listing.data["m1/"]["description"] == "d" and "m1/" in listing.body
    assert listing.data["cubbyhole/"]["local"] is True
    assert listing.data["sys/"]["seal_wrap"] is True
    assert "deprecation_status" not in listing.data["sys/"]
    assert sysv.delete("sys/mounts/m1").status == 204
    assert sysv.delete("sys/mounts/m1").status == 204
    assert sysv.get("sys/mounts/m1").errors == ["No secret engine mount at m1/"]


def test_kv_aliases_and_generic(sysv: Sys) -> None:
    sysv.post("sys/mounts/a", {"type": "kv-v2"})
    sysv.post("sys/mounts/b", {"type": "kv-v1"})
    sysv.post("sys/mounts/g", {"type": "generic"})
    assert sysv.get("sys/mounts/a").data["options"] == {"version": "2"}
    assert sysv.get("sys/mounts/b").data["options"] == {"version": "1"}
    generic = sysv.get("sys/mounts/g").data
    assert generic["type"] == "generic" and "deprecation_status" not in generic
    assert sysv.post("g/k", {"v": 1}).status == 204 and sysv.get("g/k").data == {"v": 1}


@pytest.mark.parametrize(
    ("path", "body", "error"),
    [
        ("sys/mounts/secret/sub", {"type": "kv"}, "path is already in use at secret/"),
        ("sys/mounts/sys/x", {"type": "kv"}, 'cannot mount "sys/x/"'),
        ("sys/mounts/auth/x", {"type": "kv"}, 'cannot mount "auth/x/"'),
        ("sys/mounts/cubbyhole", {"type": "kv"}, 'cannot mount "cubbyhole/"'),
        ("sys/mounts/x", {}, "backend type must be specified as a string"),
        ("sys/mounts/x", {"type": "nope"}, "plugin not found in the catalog: nope"),
        ("sys/mounts/x", {"type": "cubbyhole"}, 'mount type of "cubbyhole" is not mountable'),
        (
            "sys/mounts/x",
            {"type": "kv", "options": {"version": "3"}},
            'nil backend of type "kv" returned from factory',
        ),
        (
            "sys/mounts/x",
            {"type": "kv", "config": {"default_lease_ttl": "abc"}},
            'unable to parse default TTL of abc: time: invalid duration "abc"',
        ),
        (
            "sys/mounts/x",
            {"type": "kv", "config": {"default_lease_ttl": "2h", "max_lease_ttl": "1h"}},
            "given default lease TTL greater than given max lease TTL",
        ),
        (
            "sys/mounts/x",
            {"type": "kv", "config": {"default_lease_ttl": "9999h"}},
            "given default lease TTL greater than system max lease TTL of 2764800",
        ),
        (
            "sys/mounts/x",
            {"type": "kv", "config": {"listing_visibility": "bad"}},
            "invalid listing_visibility bad",
        ),
        ("sys/mounts/x/", {"type": "kv"}, "cannot write to a path ending in '/'"),
        ("sys/auth/x", {"type": "token"}, "token credential backend cannot be instantiated"),
        ("sys/auth/token/sub", {"type": "userpass"}, "path is already in use at token/"),
        (
            "sys/auth/x",
            {"type": "userpass", "config": {"token_type": "bogus"}},
            "invalid value for 'token_type'",
        ),
        (
            "sys/auth/x",
            {"type": "userpass", "options": {"version": "2"}},
            'auth method "userpass" does not allow setting a version',
        ),
    ],
)
def test_enable_errors(sysv: Sys, path: str, body: dict, error: str) -> None:
    reply = sysv.post(path, body)
    assert (reply.status, reply.errors) == (400, [error])


def test_disable_errors(sysv: Sys) -> None:
    assert sysv.delete("sys/mounts/sys").errors == ['cannot unmount "sys/"']
    assert sysv.delete("sys/mounts/cubbyhole").errors == ['cannot unmount "cubbyhole/"']
    assert sysv.delete("sys/auth/token").errors == ["token credential backend cannot be disabled"]
    assert sysv.delete("sys/auth/nothing").status == 204


def test_tune(sysv: Sys) -> None:
    sysv.post("sys/mounts/t", {"type": "kv"})
    tune = sysv.get("sys/mounts/t/tune")
    assert tune.data == {
        "default_lease_ttl": 2764800,
        "max_lease_ttl": 2764800,
        "force_no_cache": False,
        "description": "",
    }
    body = {"default_lease_ttl": "1h", "max_lease_ttl": "2h", "description": "x"}
    assert sysv.post("sys/mounts/t/tune", body).status == 204
    assert sysv.get("sys/mounts/t/tune").data["max_lease_ttl"] == 7200
    assert sysv.post("sys/mounts/t/tune", {"default_lease_ttl": "3h"}).errors == [
        "backend max lease TTL of 7200 would be less than backend default lease TTL of 10800"
    ]
    assert sysv.post("sys/mounts/t/tune", {"default_lease_ttl": "abc"}).errors == [
        'time: invalid duration "abc"'
    ]
    upgrade = sysv.post("sys/mounts/t/tune", {"options": {"version": "2"}})
    assert upgrade.status == 200 and upgrade.warnings[0].startswith("Upgrading mount")
    assert sysv.get("sys/mounts/t/tune").data["options"] == {"version": "2"}
    assert sysv.post("sys/mounts/t/tune", {"options": {"version": "1"}}).errors == [
        "cannot downgrade mount from version 2"
    ]
    listed = {"audit_non_hmac_request_keys": "a,b", "allowed_response_headers": ["X-B"]}
    assert sysv.post("sys/mounts/t/tune", listed).status == 204
    data = sysv.get("sys/mounts/t/tune").data
    assert data["audit_non_hmac_request_keys"] == ["a", "b"]
    assert data["allowed_response_headers"] == ["X-B"]
    assert sysv.post("sys/mounts/t/tune", {"token_type": "batch"}).errors == [
        "'token_type' can only be modified on auth mounts"
    ]


def test_tune_errors_and_auth(sysv: Sys) -> None:
    assert sysv.get("sys/mounts/none/tune").errors == ['cannot fetch sysview for path "none/"']
    assert sysv.post("sys/mounts/none/tune", {}).errors == [
        'tune of path "none/" failed: no mount entry found'
    ]
    assert sysv.post("sys/mounts/cubbyhole/tune", {"default_lease_ttl": "1h"}).errors == [
        "cannot tune parameter default_lease_ttl of cubbyhole/"
    ]
    assert sysv.get("sys/auth/none/tune").errors == ['cannot fetch sysview for path "auth/none/"']
    sysv.post("sys/auth/up", {"type": "userpass"})
    assert sysv.get("sys/auth/up/tune").data["token_type"] == "default-service"
    assert sysv.post("sys/auth/up/tune", {"token_type": "default-batch"}).status == 204
    assert sysv.get("sys/auth/up").data["config"]["token_type"] == "default-batch"
    assert sysv.post("sys/auth/token/tune", {"token_type": "batch"}).errors == [
        "'token_type' cannot be set for 'token' or 'ns_token' auth mounts"
    ]
    assert sysv.get("sys/auth/none").errors == ["No auth engine at none/"]


def test_remount(sysv: Sys) -> None:
    sysv.post("sys/mounts/src", {"type": "kv"})
    sysv.post("src/k", {"v": 1})
    sysv.post("sys/mounts/other", {"type": "kv"})
    moved = sysv.post("sys/remount", {"from": "src", "to": "dst"})
    assert moved.status == 200 and moved.body["migration_id"] == moved.data["migration_id"]
    assert "Mount move has been queued" in moved.warnings[0]
    assert sysv.get("dst/k").data == {"v": 1}
    status = sysv.get(f"sys/remount/status/{moved.data['migration_id']}")
    assert status.data["migration_info"] == {
        "source_mount": "src/",
        "target_mount": "dst/",
        "status": "success",
    }
    assert sysv.get("sys/remount/status/bogus").status == 404
    errors = {
        ("nonexist", "x"): 'no matching mount at "nonexist/"',
        ("dst", "other"): 'path already in use at "other/"',
        ("dst", "other/sub"): 'path already in use at "other/"',
        ("dst", "sys/foo"): "cannot remount to destination sys/foo/",
        ("sys", "foo"): 'cannot remount "sys/"',
        ("auth/token", "auth/t2"): 'cannot remount "auth/token/"',
    }
    for (src, dst), error in errors.items():
        assert sysv.post("sys/remount", {"from": src, "to": dst}).errors == [error]
    sysv.post("sys/auth/up", {"type": "userpass"})
    assert sysv.post("sys/remount", {"from": "auth/up", "to": "foo"}).errors == [
        'cannot remount auth mount to non-auth mount "foo/"'
    ]
    assert sysv.post("sys/remount", {"from": "auth/up", "to": "auth/up2"}).status == 200
    assert "up2/" in sysv.get("sys/auth").data


def test_policies_root_and_legacy(sysv: Sys) -> None:
    root = sysv.get("sys/policies/acl/root")
    # Vault's shape: just the name and the text (OpenBao adds its CAS metadata).
    assert root.data == {"name": "root", "policy": ""}
    legacy = sysv.post("sys/policy/p1", {"rules": 'path "a" { capabilities = ["read"] }'})
    assert legacy.status == 200
    assert legacy.warnings == ["'rules' is deprecated, please use 'policy' instead"]
    assert sysv.get("sys/policy/p1").data["rules"].startswith('path "a"')
    assert sysv.delete("sys/policies/acl/default").errors == ["cannot delete default policy"]
    assert sysv.delete("sys/policies/acl/root").errors == ['cannot delete "root" policy']
