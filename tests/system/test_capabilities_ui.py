"""``sys/capabilities*`` and ``sys/internal/ui/*`` (answers checked against OpenBao 2.7)."""

from __future__ import annotations

import pytest

from tests.system.conftest import Sys

POLICY = """
path "secret/data/capt/*" { capabilities = ["read", "list"] }
path "sys/x" { capabilities = ["deny"] }
path "kvz/+/foo" { capabilities = ["update"] }
"""
PATHS = ["secret/data/capt/a", "sys/x", "kvz/a/foo", "cubbyhole/x", "nothing/here"]
EXPECTED = {
    "secret/data/capt/a": ["list", "read"],
    "sys/x": ["deny"],
    "kvz/a/foo": ["update"],
    "cubbyhole/x": ["create", "delete", "list", "read", "update"],
    "nothing/here": ["deny"],
}
MULTI = "1 error occurred:\n\t* {}\n\n"


@pytest.fixture
def capt(sysv: Sys) -> tuple[Sys, str, str]:
    """The server, and a token (with its accessor) holding ``capt`` and ``default``."""
    sysv.policy("capt", POLICY)
    token, accessor = sysv.token(["capt"])
    return sysv, token, accessor


def test_capabilities_self(capt: tuple[Sys, str, str]) -> None:
    sysv, token, _ = capt
    reply = sysv.post("sys/capabilities-self", {"paths": PATHS}, token=token)
    assert reply.status == 200 and reply.data == EXPECTED
    assert {k: reply.body[k] for k in EXPECTED} == EXPECTED
    assert "capabilities" not in reply.data
    one = sysv.post("sys/capabilities-self", {"path": "secret/data/capt/a"}, token=token)
    assert one.data == {"secret/data/capt/a": ["list", "read"], "capabilities": ["list", "read"]}
    assert one.body["capabilities"] == ["list", "read"]
    # a token in the body is ignored by capabilities-self
    ignored = sysv.post("sys/capabilities-self", {"paths": ["sys/x"], "token": "root"}, token=token)
    assert ignored.data["sys/x"] == ["deny"]
    comma = sysv.post("sys/capabilities-self", {"paths": "sys/x,kvz/a/foo"}, token=token)
    assert comma.data == {"sys/x": ["deny"], "kvz/a/foo": ["update"]}


def test_capabilities_of_root(sysv: Sys) -> None:
    reply = sysv.post("sys/capabilities-self", {"paths": ["a", "/b"]})
    assert reply.data == {"a": ["root"], "/b": ["root"]}


def test_capabilities_and_accessor(capt: tuple[Sys, str, str]) -> None:
    sysv, token, accessor = capt
    reply = sysv.post("sys/capabilities", {"paths": PATHS, "token": token})
    assert reply.status == 200 and reply.data == EXPECTED
    by_accessor = sysv.post("sys/capabilities-accessor", {"paths": PATHS, "accessor": accessor})
    assert by_accessor.data == EXPECTED
    # a default-policy token may not ask about others
    assert sysv.post("sys/capabilities", {"paths": ["a"], "token": "root"}, token=token).status == (
        403
    )


@pytest.mark.parametrize(
    ("path", "body", "errors"),
    [
        ("sys/capabilities-self", {}, ["paths must be supplied"]),
        ("sys/capabilities-self", {"paths": []}, ["paths must be supplied"]),
        ("sys/capabilities-self", {"paths": [""]}, [MULTI.format("missing path")]),
        ("sys/capabilities", {"paths": ["a"], "token": "bogus"}, [MULTI.format("invalid token")]),
        ("sys/capabilities", {"paths": ["a"]}, ["no token found"]),
        ("sys/capabilities-accessor", {"paths": ["a"]}, ["missing accessor"]),
        (
            "sys/capabilities-accessor",
            {"paths": ["a"], "accessor": "bogus"},
            [MULTI.format("invalid accessor")],
        ),
    ],
)
def test_capabilities_errors(sysv: Sys, path: str, body: dict, errors: list[str]) -> None:
    reply = sysv.post(path, body)
    assert (reply.status, reply.errors) == (400, errors)


def test_ui_mounts_lists_what_the_token_can_see(capt: tuple[Sys, str, str]) -> None:
    sysv, token, _ = capt
    reply = sysv.get("sys/internal/ui/mounts", token=token)
    assert sorted(reply.data["secret"]) == ["cubbyhole/", "identity/", "secret/", "sys/"]
    assert sorted(reply.data["auth"]) == ["token/"]
    info = reply.data["secret"]["secret/"]
    assert info["options"] == {"version": "2"} and info["type"] == "kv"
    assert info["config"]["default_lease_ttl"] == 0
    assert reply.data["auth"]["token/"]["config"]["token_type"] == "default-service"
    root = sysv.get("sys/internal/ui/mounts")
    assert "agent-registry/" in root.data["secret"] or len(root.data["secret"]) >= 4


def test_ui_mounts_without_token_shows_unauth_listing(sysv: Sys) -> None:
    assert sysv.get("sys/internal/ui/mounts", token=None).data == {"secret": {}, "auth": {}}
    assert sysv.post("sys/mounts/pub", {"type": "kv"}).status == 204
    tune = sysv.post("sys/mounts/pub/tune", {"listing_visibility": "unauth"})
    assert tune.status == 204
    reply = sysv.get("sys/internal/ui/mounts", token=None)
    assert reply.data == {
        "secret": {"pub/": {"description": "", "options": {}, "type": "kv"}},
        "auth": {},
    }
    bad = sysv.get("sys/internal/ui/mounts", token="hvs.bogusbogusbogusbogus00")
    assert (bad.status, bad.errors) == (403, ["permission denied"])


def test_ui_mount_path_detects_kv_version(capt: tuple[Sys, str, str]) -> None:
    sysv, token, _ = capt
    sysv.post("sys/mounts/kvone", {"type": "kv"})
    for path in ("secret", "secret/data/capt/a", "secret/"):
        reply = sysv.get(f"sys/internal/ui/mounts/{path}", token=token)
        assert reply.status == 200, reply.text
        assert reply.data["path"] == "secret/" and reply.data["type"] == "kv"
        assert reply.data["options"] == {"version": "2"}
    v1 = sysv.get("sys/internal/ui/mounts/kvone/x")
    assert v1.data["path"] == "kvone/" and v1.data["options"] == {}
    auth = sysv.get("sys/internal/ui/mounts/auth/token/create")
    assert auth.data["path"] == "token/" and auth.data["type"] == "token"


@pytest.mark.parametrize("path", ["kvone", "nonexist/foo"])
def test_ui_mount_path_denied(capt: tuple[Sys, str, str], path: str) -> None:
    sysv, token, _ = capt
    sysv.post("sys/mounts/kvone", {"type": "kv"})
    reply = sysv.get(f"sys/internal/ui/mounts/{path}", token=token)
    expected = path.split("/")[0] + "/" if path == "kvone" else path + "/"
    assert reply.status == 403
    assert reply.errors == [
        "preflight capability check returned 403, please ensure client's policies grant "
        f'access to path "{expected}"'
    ]
    assert sysv.get(f"sys/internal/ui/mounts/{path}", token=None).status == 403


def test_resultant_acl(capt: tuple[Sys, str, str]) -> None:
    sysv, token, _ = capt
    assert sysv.get("sys/internal/ui/resultant-acl").data == {"root": True}
    data = sysv.get("sys/internal/ui/resultant-acl", token=token).data
    assert data["root"] is False
    assert data["exact_paths"]["sys/x"] == {"capabilities": ["deny"]}
    assert data["glob_paths"]["secret/data/capt/"] == {"capabilities": ["list", "read"]}
    assert sysv.get("sys/internal/ui/resultant-acl", token=None).status == 403
