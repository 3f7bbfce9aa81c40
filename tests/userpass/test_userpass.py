"""The userpass auth method: users, passwords, policies, token settings and login."""

from __future__ import annotations

import json

import pytest

from tests.support.inprocess import Vab
from vault_agent_backend.builtin.userpass.passwords import hash_password, verify_password


@pytest.fixture
def up(vab: Vab) -> Vab:
    vab.enable_userpass()
    return vab


def test_user_crud_and_list(up: Vab) -> None:
    assert up.list("auth/userpass/users").status == 404
    assert (
        up.post(
            "auth/userpass/users/Alice", {"password": "pw1", "policies": "p1,P2", "ttl": "1h"}
        ).status
        == 204
    )
    data = up.get("auth/userpass/users/ALICE").data
    assert data == {
        "policies": ["p1", "p2"],
        "token_bound_cidrs": [],
        "token_explicit_max_ttl": 0,
        "token_max_ttl": 0,
        "token_no_default_policy": False,
        "token_num_uses": 0,
        "token_period": 0,
        "token_policies": ["p1", "p2"],
        "token_strictly_bind_ip": False,
        "token_ttl": 3600,
        "token_type": "default",
        "ttl": 3600,
    }
    up.post("auth/userpass/users/bob", {"password": "pw"})
    assert up.list("auth/userpass/users").data["keys"] == ["alice", "bob"]
    assert up.get("auth/userpass/users?list=true&after=alice").data["keys"] == ["bob"]
    assert up.delete("auth/userpass/users/Alice").status == 204
    assert up.get("auth/userpass/users/alice").status == 404


def test_token_fields(up: Vab) -> None:
    body = {
        "password": "pw",
        "token_policies": ["B", "a"],
        "token_ttl": 60,
        "token_max_ttl": "2m",
        "token_bound_cidrs": "127.0.0.1/32,10.0.0.0/8",
        "token_type": "batch",
        "token_no_default_policy": True,
        "token_explicit_max_ttl": "1h",
    }
    assert up.post("auth/userpass/users/bob", body).status == 204
    data = up.get("auth/userpass/users/bob").data
    assert data["token_policies"] == ["B", "a"]
    assert data["token_bound_cidrs"] == ["127.0.0.1", "10.0.0.0/8"]
    assert (data["token_ttl"], data["token_max_ttl"], data["token_explicit_max_ttl"]) == (
        60,
        120,
        3600,
    )
    assert data["token_type"] == "batch" and data["token_no_default_policy"] is True
    assert "policies" not in data and "ttl" not in data


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "must provide either password or password_hash"),
        ({"password": "x", "token_type": "bogus"}, "invalid 'token_type' value \"bogus\""),
        (
            {"password": "x", "token_ttl": 100, "token_max_ttl": 50},
            "'token_ttl' cannot be greater than 'token_max_ttl'",
        ),
        (
            {"password": "x", "token_bound_cidrs": "notacidr"},
            'error parsing address "notacidr": Unable to convert "notacidr" to an IPv4 or IPv6 '
            "address, or a UNIX Socket",
        ),
        (
            {"password": "x", "token_type": "batch", "token_num_uses": 3},
            "'token_type' cannot be 'batch' or 'default_batch' when set to generate tokens with "
            "limited use count",
        ),
        ({"password": "x", "token_num_uses": -1}, "'token_num_uses' cannot be negative"),
        (
            {"password": "x", "token_ttl": -5},
            'Field validation failed: error converting input for field "token_ttl": cannot '
            "provide negative value",
        ),
        (
            {"password": "x", "password_hash": "y"},
            "only one of password or password_hash may be provided",
        ),
    ],
)
def test_user_write_errors(up: Vab, body: dict, message: str) -> None:
    reply = up.post("auth/userpass/users/carol", body)
    assert (reply.status, reply.errors) == (400, [message])
    assert up.get("auth/userpass/users/carol").status == 404


def test_update_keeps_password_and_legacy_upgrade(up: Vab) -> None:
    up.post("auth/userpass/users/u1", {"password": "pw", "token_policies": "a"})
    assert up.post("auth/userpass/users/u1", {"ttl": "1h", "max_ttl": "3h"}).status == 204
    data = up.get("auth/userpass/users/u1").data
    assert (data["ttl"], data["token_ttl"], data["max_ttl"], data["token_max_ttl"]) == (
        3600,
        3600,
        10800,
        10800,
    )
    # Setting the new field clears the legacy one.
    up.post("auth/userpass/users/u1", {"token_ttl": 30})
    data = up.get("auth/userpass/users/u1").data
    assert data["token_ttl"] == 30 and "ttl" not in data
    assert up.post("auth/userpass/login/u1", {"password": "pw"}, token=None).status == 200


def test_password_and_policies_paths(up: Vab) -> None:
    up.post("auth/userpass/users/u1", {"password": "old"})
    assert up.post("auth/userpass/users/u1/password", {"password": "new"}).status == 204
    assert up.post("auth/userpass/login/u1", {"password": "old"}, token=None).status == 400
    assert up.post("auth/userpass/login/u1", {"password": "new"}, token=None).status == 200
    assert up.post("auth/userpass/users/u1/password", {}).errors == [
        "must provide either password or password_hash"
    ]
    assert up.post("auth/userpass/users/nobody/password", {"password": "x"}).errors == [
        "username does not exist"
    ]
    assert up.post("auth/userpass/users/nobody/policies", {"policies": "x"}).errors == [
        "username does not exist"
    ]
    up.post("auth/userpass/users/u1/policies", {"policies": "Z,y,root"})
    data = up.get("auth/userpass/users/u1").data
    assert data["policies"] == ["root"] and data["token_policies"] == ["root"]
    up.post("auth/userpass/users/u1/policies", {"token_policies": "Z,y"})
    data = up.get("auth/userpass/users/u1").data
    assert data["token_policies"] == ["y", "z"] and "policies" not in data


def test_login(up: Vab) -> None:
    up.post(
        "auth/userpass/users/Dave", {"password": "pw", "token_policies": "tp", "token_ttl": "30m"}
    )
    reply = up.post("auth/userpass/login/DAVE", {"password": "pw"}, token=None)
    assert reply.status == 200 and reply.data is None
    auth = reply.auth
    assert auth["policies"] == ["default", "tp"] and auth["token_policies"] == ["default", "tp"]
    assert auth["metadata"] == {"username": "dave"}
    assert auth["lease_duration"] == 1800 and auth["renewable"] is True
    assert auth["token_type"] == "service" and auth["orphan"] is True
    assert auth["entity_id"]
    looked = up.get("auth/token/lookup-self", token=auth["client_token"]).data
    assert looked["display_name"] == "userpass-dave"
    assert looked["path"] == "auth/userpass/login/DAVE"  # the request path, as Vault


@pytest.mark.parametrize(
    ("user", "body", "status", "errors"),
    [
        ("dave", {"password": "wrong"}, 400, ["invalid username or password"]),
        ("nobody", {"password": "wrong"}, 400, ["invalid username or password"]),
        ("dave", {}, 400, ["missing password"]),
    ],
)
def test_login_failures(up: Vab, user: str, body: dict, status: int, errors: list) -> None:
    up.post("auth/userpass/users/dave", {"password": "pw"})
    reply = up.post(f"auth/userpass/login/{user}", body, token=None)
    assert (reply.status, reply.errors) == (status, errors)


def test_login_batch_and_no_default(up: Vab) -> None:
    up.post(
        "auth/userpass/users/bob",
        {
            "password": "pw",
            "token_policies": "a",
            "token_type": "batch",
            "token_no_default_policy": True,
            "token_ttl": 60,
        },
    )
    auth = up.post("auth/userpass/login/bob", {"password": "pw"}, token=None).auth
    assert auth["token_type"] == "batch" and auth["policies"] == ["a"]
    assert auth["lease_duration"] == 60 and auth["accessor"] == ""


def test_login_bound_cidrs(up: Vab) -> None:
    up.post("auth/userpass/users/bob", {"password": "pw", "token_bound_cidrs": "10.1.0.0/16"})
    refused = up.post("auth/userpass/login/bob", {"password": "pw"}, token=None)
    assert (refused.status, refused.errors) == (403, ["permission denied"])
    allowed = up.post(
        "auth/userpass/login/bob", {"password": "pw"}, token=None, remote_addr="10.1.2.3"
    )
    assert allowed.status == 200
    token = allowed.auth["client_token"]
    # The token is bound to the same blocks.
    inside = up.get("auth/token/lookup-self", token=token, remote_addr="10.1.9.9")
    assert inside.status == 200 and inside.data["bound_cidrs"] == ["10.1.0.0/16"]
    assert up.get("auth/token/lookup-self", token=token, remote_addr="192.0.2.1").status == 403


def test_login_strictly_bind_ip(up: Vab) -> None:
    up.post("auth/userpass/users/bob", {"password": "pw", "token_strictly_bind_ip": True})
    auth = up.post(
        "auth/userpass/login/bob", {"password": "pw"}, token=None, remote_addr="10.0.0.7"
    ).auth
    token = auth["client_token"]
    assert up.get("auth/token/lookup-self", token=token, remote_addr="10.0.0.7").status == 200
    assert up.get("auth/token/lookup-self", token=token, remote_addr="10.0.0.8").status == 403


def test_password_never_stored_in_clear(up: Vab) -> None:
    up.post("auth/userpass/users/bob", {"password": "s3cret-Pa55"})
    storage = up.core.storage
    pending = [""]
    blobs = []
    while pending:
        prefix = pending.pop()
        for key in storage.list(prefix):
            if key.endswith("/"):
                pending.append(prefix + key)
            else:
                blobs.append(storage.get(prefix + key) or b"")
    assert blobs and not any(b"s3cret-Pa55" in blob for blob in blobs)
    assert "s3cret" not in json.dumps(up.get("auth/userpass/users/bob").body)


def test_password_hashing() -> None:
    stored = hash_password("correct horse")
    assert stored.startswith("scrypt$15$8$1$")
    assert verify_password("correct horse", stored)
    assert not verify_password("Correct horse", stored)
    assert not verify_password("x", "garbage")
    assert hash_password("same") != hash_password("same")  # salted


def test_renewal_follows_the_user(up: Vab) -> None:
    """As Vault: renewals take the user's current TTL, are refused once its token policies
    changed, and do nothing (204) once it is deleted."""
    up.post("auth/userpass/users/ren", {"password": "pw", "token_policies": "a", "token_ttl": 60})
    token = up.post("auth/userpass/login/ren", {"password": "pw"}, token=None).auth["client_token"]
    up.post("auth/userpass/users/ren", {"token_ttl": "2h"})
    renewed = up.post("auth/token/renew-self", {}, token=token)
    assert renewed.status == 200 and renewed.auth["lease_duration"] == 7200
    up.post("auth/userpass/users/ren/policies", {"token_policies": "a,b"})
    refused = up.post("auth/token/renew-self", {}, token=token)
    assert (refused.status, refused.errors) == (
        400,
        ["failed to renew entry: policies have changed, not renewing"],
    )
    up.post("auth/userpass/users/ren/policies", {"token_policies": "default,a"})
    assert up.post("auth/token/renew-self", {}, token=token).status == 200
    accessor = up.get("auth/token/lookup-self", token=token).data["accessor"]
    up.delete("auth/userpass/users/ren")
    gone = up.post("auth/token/renew-self", {}, token=token)
    assert (gone.status, gone.auth) == (204, None)
    assert up.post("auth/token/renew-accessor", {"accessor": accessor}).status == 204
    assert up.post("auth/token/renew", {"token": token}).status == 204
    assert 7100 < up.get("auth/token/lookup-self", token=token).data["ttl"] <= 7200


@pytest.mark.parametrize("name", ["ünï", "josé", "日本"])
def test_non_ascii_names_are_not_routed(up: Vab, name: str) -> None:
    """Vault's name patterns are ASCII (Go's \\w): such names are 404 "unsupported path"."""
    for reply in (
        up.post(f"auth/userpass/users/{name}", {"password": "pw"}),
        up.post(f"auth/userpass/login/{name}", {"password": "pw"}, token=None),
        up.post(f"auth/token/roles/{name}", {}),
    ):
        assert reply.status == 404 and "unsupported path" in reply.errors[0]
    assert up.list("auth/userpass/users").status == 404
