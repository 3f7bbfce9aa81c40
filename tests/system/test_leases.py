"""``sys/leases/*`` and the legacy lease paths (errors checked against OpenBao 2.7)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.system import lease_backend
from tests.system.conftest import Sys
from vault_agent_backend import builtin
from vault_agent_backend.core import expiration


@pytest.fixture
def leased(monkeypatch: pytest.MonkeyPatch, sysv: Sys) -> Iterator[Sys]:
    """The dev server with a ``leasetest`` engine mounted at ``db/``."""
    monkeypatch.setitem(builtin.SECRET_ENGINES, "leasetest", "tests.system.lease_backend:factory")
    lease_backend.REVOKED.clear()
    lease_backend.RENEWED.clear()
    reply = sysv.post("sys/mounts/db", {"type": "leasetest", "config": {"max_lease_ttl": "2h"}})
    assert reply.status == 204, reply.text
    yield sysv


def test_secret_gets_a_lease(leased: Sys) -> None:
    reply = leased.get("db/creds/app?ttl=600")
    body = reply.body
    assert body["lease_id"].startswith("db/creds/app/") and body["lease_duration"] == 600
    assert body["renewable"] is True
    info = leased.post("sys/leases/lookup", {"lease_id": body["lease_id"]})
    assert info.status == 200
    data = info.data
    assert data["id"] == body["lease_id"] and data["path"] == "db/creds/app"
    assert data["renewable"] is True and data["last_renewal"] is None
    assert 595 <= data["ttl"] <= 600 and data["expire_time"].endswith("Z")


def test_ttl_defaults_and_caps(leased: Sys) -> None:
    default = leased.get("db/creds/app").body
    assert default["lease_duration"] == 7200  # system default 768h capped by the mount max
    capped = leased.get("db/creds/app?ttl=5h")
    assert capped.body["lease_duration"] == 7200
    assert any("exceeded the effective max_ttl" in w for w in capped.warnings)


def test_renew_and_increment(leased: Sys) -> None:
    lease_id = leased.get("db/creds/app?ttl=60").body["lease_id"]
    reply = leased.post("sys/leases/renew", {"lease_id": lease_id, "increment": "5m"})
    assert reply.status == 200, reply.text
    assert reply.body["lease_id"] == lease_id and reply.body["lease_duration"] == 300
    assert reply.body["renewable"] is True
    assert lease_backend.RENEWED and lease_backend.RENEWED[-1][1] == 300
    info = leased.post("sys/leases/lookup", {"lease_id": lease_id}).data
    assert info["last_renewal"] is not None and 295 <= info["ttl"] <= 300
    legacy = leased.post(f"sys/renew/{lease_id}", {"increment": 30})
    assert legacy.status == 200 and legacy.body["lease_duration"] == 30
    by_url = leased.post(f"sys/leases/renew/{lease_id}", {})
    assert by_url.status == 200


def test_non_renewable_lease(leased: Sys) -> None:
    lease_id = leased.get("db/creds/app?renewable=false").body["lease_id"]
    reply = leased.post("sys/leases/renew", {"lease_id": lease_id})
    assert (reply.status, reply.errors) == (400, ["lease is not renewable"])


def test_revoke_calls_the_backend(leased: Sys) -> None:
    body = leased.get("db/creds/app").body
    assert leased.post("sys/leases/revoke", {"lease_id": body["lease_id"]}).status == 204
    assert [body["data"]["username"]] == lease_backend.REVOKED
    lookup = leased.post("sys/leases/lookup", {"lease_id": body["lease_id"]})
    assert lookup.errors == ["invalid lease"]
    other = leased.get("db/creds/other").body["lease_id"]
    reply = leased.call("PUT", f"sys/leases/revoke/{other}", body={"sync": False})
    assert (reply.status, reply.text) == (202, "")
    assert leased.post("sys/revoke", {"lease_id": "db/creds/x/y"}).status == 204


def test_revoke_prefix_and_force(leased: Sys) -> None:
    ids = [leased.get(f"db/creds/{n}").body["lease_id"] for n in ("a", "a", "b")]
    assert leased.post("sys/leases/revoke-prefix/db/creds/a", {}).status == 204
    assert len(lease_backend.REVOKED) == 2
    assert leased.post("sys/leases/lookup", {"lease_id": ids[2]}).status == 200
    assert leased.post("sys/leases/revoke-force/db", {}).status == 204
    assert leased.post("sys/leases/lookup", {"lease_id": ids[2]}).status == 400
    # the exact lease id also works as a prefix
    lone = leased.get("db/creds/c").body["lease_id"]
    assert leased.post(f"sys/leases/revoke-prefix/{lone}", {}).status == 204
    assert leased.post("sys/leases/lookup", {"lease_id": lone}).status == 400


def test_list_leases_needs_sudo(leased: Sys) -> None:
    lease_id = leased.get("db/creds/app").body["lease_id"]
    assert "db/" in leased.list("sys/leases/lookup/").data["keys"]
    assert leased.list("sys/leases/lookup/db/creds").data == {"keys": ["app/"]}
    assert leased.list("sys/leases/lookup/db/creds/app/").data["keys"] == [
        lease_id.rsplit("/", 1)[1]
    ]
    assert leased.list("sys/leases/lookup/nothing/").status == 404
    token, _ = leased.token(["default"])
    assert leased.list("sys/leases/lookup/", token=token).status == 403
    # default policy grants lookup and renew
    assert leased.post("sys/leases/lookup", {"lease_id": lease_id}, token=token).status == 200


def test_revoking_the_token_revokes_its_leases(leased: Sys) -> None:
    leased.policy("db", 'path "db/*" { capabilities = ["read"] }')
    token, _ = leased.token(["db"])
    body = leased.get("db/creds/app", token=token).body
    assert leased.post("auth/token/revoke", {"token": token}).status == 204
    assert [body["data"]["username"]] == lease_backend.REVOKED
    assert leased.post("sys/leases/lookup", {"lease_id": body["lease_id"]}).status == 400


def test_expired_leases_are_revoked(leased: Sys) -> None:
    body = leased.get("db/creds/app?ttl=1").body
    time.sleep(1.1)
    assert leased.post("sys/leases/lookup", {"lease_id": body["lease_id"]}).status == 400
    assert [body["data"]["username"]] == lease_backend.REVOKED
    tidy = leased.post("sys/leases/tidy", {})
    assert tidy.status == 202 and "Tidy operation successfully started" in tidy.warnings[0]


def test_unmount_revokes_leases(leased: Sys) -> None:
    leased.get("db/creds/app")
    assert leased.delete("sys/mounts/db").status == 204
    assert len(lease_backend.REVOKED) == 1


def test_token_leases(sysv: Sys) -> None:
    token, _ = sysv.token(["default"], ttl="1h")
    keys = sysv.list("sys/leases/lookup/auth/token/create/").data["keys"]
    leases = [f"auth/token/create/{k}" for k in keys]
    infos = [sysv.post("sys/leases/lookup", {"lease_id": lid}).data for lid in leases]
    mine = [i for i in infos if i["renewable"] and 3590 <= i["ttl"] <= 3600]
    assert len(mine) == 1 and mine[0]["path"] == "auth/token/create"
    lease_id = mine[0]["id"]
    assert lease_id.rsplit("/", 1)[1].startswith("h") and len(lease_id.rsplit("/", 1)[1]) == 65
    renew = sysv.post("sys/leases/renew", {"lease_id": lease_id})
    assert renew.errors == ["tokens cannot be renewed through this endpoint"]
    assert sysv.post("sys/leases/revoke", {"lease_id": lease_id}).status == 204
    assert sysv.get("auth/token/lookup-self", token=token).status == 403
    assert sysv.post("sys/leases/lookup", {"lease_id": lease_id}).errors == ["invalid lease"]


def test_wrapping_tokens_have_leases(sysv: Sys) -> None:
    sysv.post("sys/wrapping/wrap", {"a": 1}, wrap=60)
    assert sysv.list("sys/leases/lookup/sys/wrapping/").data == {"keys": ["wrap/"]}


@pytest.mark.parametrize(
    ("path", "body", "status", "errors"),
    [
        ("sys/leases/lookup", {}, 400, ["lease_id must be specified"]),
        ("sys/leases/lookup", {"lease_id": "foo/bar"}, 400, ["invalid lease"]),
        ("sys/leases/lookup", {"lease_id": 5}, 400, ["invalid lease ID"]),
        ("sys/leases/renew", {"lease_id": "foo/bar"}, 400, ["lease not found"]),
        ("sys/leases/renew", {}, 400, ["lease_id must be specified"]),
        ("sys/leases/revoke", {}, 400, ["lease_id must be specified"]),
        ("sys/leases/revoke", {"lease_id": "foo/bar"}, 204, []),
        ("sys/leases/revoke-prefix/foo", {}, 204, []),
        ("sys/leases/revoke-force/foo", {}, 204, []),
    ],
)
def test_lease_errors(sysv: Sys, path: str, body: dict, status: int, errors: list[str]) -> None:
    reply = sysv.post(path, body)
    assert (reply.status, reply.errors) == (status, errors)


def test_renew_increment_validation(sysv: Sys) -> None:
    reply = sysv.post("sys/leases/renew", {"lease_id": "x", "increment": "abc"})
    assert reply.status == 400 and 'field "increment"' in reply.errors[0]
    assert sysv.get("sys/leases/lookup").status == 405


def test_calculate_ttl() -> None:
    now = 1_000_000.0
    assert expiration.calculate_ttl(100, 1000, 0, 0, 0, now, now) == (100, [])
    assert expiration.calculate_ttl(100, 1000, 50, 70, 0, now, now) == (50, [])
    ttl, warnings = expiration.calculate_ttl(100, 1000, 5000, 0, 0, now, now)
    assert ttl == 1000 and warnings
    assert expiration.calculate_ttl(100, 1000, 0, 0, 300, now - 200, now)[0] == 100
    assert expiration.calculate_ttl(100, 1000, 0, 500, 300, now - 200, now)[0] == 100
    with pytest.raises(expiration.LeaseError, match="past the max TTL"):
        expiration.calculate_ttl(100, 1000, 0, 0, 0, now - 5000, now)
