"""The ``github`` auth method against a fake GitHub API on 127.0.0.1, in process."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.github.fake_github import FakeGitHub, FakeUser
from tests.support.inprocess import Vab

ORG_ID = 4242


def configure(vab: Vab, github: FakeGitHub, **extra: object) -> None:
    body = {"organization": "acme", "base_url": github.url, **extra}
    reply = vab.post("auth/github/config", body)
    assert reply.status == 204, reply


def alice(github: FakeGitHub, token: str = "ghp_alice") -> FakeUser:
    """A member of acme in team "Dev Team" (slug dev-team) and of another org's team."""
    return github.add_user(
        token,
        FakeUser(
            "Alice",
            1,
            orgs={"acme": ORG_ID, "other": 77},
            teams=[
                {"name": "Dev Team", "slug": "dev-team", "org_id": ORG_ID},
                {"name": "ops", "slug": "ops", "org_id": ORG_ID},
                {"name": "admins", "slug": "admins", "org_id": 77},
            ],
        ),
    )


def login(vab: Vab, token: str, **kw: object):
    return vab.post("auth/github/login", {"token": token}, token=None, **kw)


# ----- mounting and config ---------------------------------------------------------------------


def test_mount_list_tune_disable(vab: Vab) -> None:
    assert vab.post("sys/auth/test-github", {"type": "github"}).status == 204
    listed = vab.get("sys/auth").data["test-github/"]
    assert listed["type"] == "github"
    assert vab.post("sys/auth/test-github/tune", {"default_lease_ttl": "1h"}).status == 204
    assert vab.get("sys/auth/test-github/tune").data["default_lease_ttl"] == 3600
    assert vab.delete("sys/auth/test-github").status == 204
    assert "test-github/" not in vab.get("sys/auth").data


def test_config_needs_organization(vab: Vab, mount: str) -> None:
    reply = vab.post("auth/github/config", {"base_url": "http://127.0.0.1:1/"})
    assert reply.status == 400
    assert reply.errors == ["organization is a required parameter"]
    assert vab.get("auth/github/config").status == 404


def test_config_looks_up_organization_id(vab: Vab, mount: str, github: FakeGitHub) -> None:
    configure(vab, github, base_url=github.url.rstrip("/"), ttl="1h", max_ttl="2h")
    assert [(s.path, s.authorization) for s in github.seen] == [("/orgs/acme", None)]
    data = vab.get("auth/github/config").data
    assert data["organization"] == "acme"
    assert data["organization_id"] == ORG_ID
    assert data["base_url"] == github.url  # a trailing slash is added
    assert (data["token_ttl"], data["token_max_ttl"]) == (3600, 7200)
    assert (data["ttl"], data["max_ttl"]) == (3600, 7200)
    assert data["token_policies"] == [] and data["token_type"] == "default"
    # token_* replaces the deprecated values, which then disappear from reads
    assert vab.post("auth/github/config", {"token_ttl": "30m"}).status == 204
    data = vab.get("auth/github/config").data
    assert data["token_ttl"] == 1800 and "ttl" not in data
    assert data["organization"] == "acme"  # kept from the earlier write


def test_config_with_organization_id_does_not_ask_github(
    vab: Vab, mount: str, github: FakeGitHub
) -> None:
    configure(vab, github, organization="unknown-org", organization_id=99)
    assert github.seen == []
    assert vab.get("auth/github/config").data["organization_id"] == 99


def test_config_unknown_organization_is_500(vab: Vab, mount: str, github: FakeGitHub) -> None:
    reply = vab.post("auth/github/config", {"organization": "nope", "base_url": github.url})
    assert reply.status == 500
    assert "/orgs/nope: 404 Not Found" in reply.errors[0]
    assert vab.get("auth/github/config").status == 404


def test_config_token_fields_validated(vab: Vab, mount: str, github: FakeGitHub) -> None:
    reply = vab.post(
        "auth/github/config",
        {"organization": "acme", "base_url": github.url, "token_ttl": "2h", "token_max_ttl": "1h"},
    )
    assert reply.status == 400
    assert reply.errors == ["'token_ttl' cannot be greater than 'token_max_ttl'"]


# ----- maps ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["teams", "users"])
def test_map_crud(vab: Vab, mount: str, kind: str) -> None:
    assert vab.list(f"auth/github/map/{kind}").status == 404
    missing = vab.get(f"auth/github/map/{kind}/nobody")
    assert missing.status == 200 and missing.data is None
    assert vab.post(f"auth/github/map/{kind}/Dev-Team", {"value": "a, b"}).status == 204
    assert vab.get(f"auth/github/map/{kind}/dev-team").data == {"key": "Dev-Team", "value": "a, b"}
    assert vab.post(f"auth/github/map/{kind}/x", {}).status == 204
    assert vab.get(f"auth/github/map/{kind}/x").data == {"key": "x"}
    assert vab.list(f"auth/github/map/{kind}").data == {"keys": ["dev-team", "x"]}
    assert vab.get(f"auth/github/map/{kind}").data == {"keys": ["dev-team", "x"]}
    assert vab.delete(f"auth/github/map/{kind}/DEV-team").status == 204
    assert vab.list(f"auth/github/map/{kind}").data == {"keys": ["x"]}
    assert vab.post(f"auth/github/map/{kind}/bad%20name", {"value": "a"}).status == 404


# ----- login -----------------------------------------------------------------------------------


def test_login_policies_metadata_alias(vab: Vab, mount: str, github: FakeGitHub) -> None:
    configure(vab, github, token_policies="base", token_ttl="20m", token_max_ttl="1h")
    alice(github)
    vab.post("auth/github/map/teams/dev-team", {"value": "dev"})  # by slug
    vab.post("auth/github/map/teams/ops", {"value": "ops,shared"})
    vab.post("auth/github/map/teams/admins", {"value": "admin"})  # other org's team: ignored
    vab.post("auth/github/map/teams/default", {"value": "everyone"})
    vab.post("auth/github/map/users/alice", {"value": "mine, shared"})
    github.seen.clear()
    reply = login(vab, "ghp_alice")
    assert reply.status == 200, reply
    auth = reply.auth
    assert auth["policies"] == ["base", "default", "dev", "everyone", "mine", "ops", "shared"]
    assert auth["metadata"] == {"org": "acme", "username": "Alice"}
    assert auth["lease_duration"] == 1200
    assert auth["renewable"] is True
    assert auth["token_type"] == "service"
    assert [s.path for s in github.seen] == [
        "/user",
        "/user/orgs?per_page=100",
        "/user/teams?per_page=100",
    ]
    assert {s.authorization for s in github.seen} == {"Bearer ghp_alice"}
    looked = vab.get("auth/token/lookup-self", token=reply.token).data
    assert looked["display_name"] == "github-Alice"
    assert looked["path"] == "auth/github/login"
    entity = vab.get(f"identity/entity/id/{auth['entity_id']}").data
    assert [(a["name"], a["mount_accessor"]) for a in entity["aliases"]] == [("Alice", mount)]
    # the same GitHub user logs in again: the same entity
    assert login(vab, "ghp_alice").auth["entity_id"] == auth["entity_id"]


def test_login_team_name_and_slug(vab: Vab, mount: str, github: FakeGitHub) -> None:
    configure(vab, github)
    github.add_user(
        "t",
        FakeUser("bob", 2, {"acme": ORG_ID}, [{"name": "Red", "slug": "red-x", "org_id": ORG_ID}]),
    )
    vab.post("auth/github/map/teams/red", {"value": "by-name"})
    vab.post("auth/github/map/teams/red-x", {"value": "by-slug"})
    assert login(vab, "t").auth["policies"] == ["by-name", "by-slug", "default"]


def test_login_pages_through_orgs_and_teams(vab: Vab, mount: str, github: FakeGitHub) -> None:
    configure(vab, github)
    orgs = {f"org{i}": 1000 + i for i in range(150)}
    orgs["acme"] = ORG_ID  # the 151st: on the second page
    teams = [{"name": f"t{i}", "slug": f"t{i}", "org_id": 1} for i in range(120)]
    teams.append({"name": "late", "slug": "late", "org_id": ORG_ID})
    github.add_user("many", FakeUser("carol", 3, orgs, teams))
    vab.post("auth/github/map/teams/late", {"value": "late-pol"})
    github.seen.clear()
    reply = login(vab, "many")
    assert reply.status == 200, reply
    assert reply.auth["policies"] == ["default", "late-pol"]
    assert [s.path for s in github.seen] == [
        "/user",
        "/user/orgs?per_page=100",
        "/user/orgs?page=2&per_page=100",
        "/user/teams?per_page=100",
        "/user/teams?page=2&per_page=100",
    ]


def test_login_wrong_org_refused(vab: Vab, mount: str, github: FakeGitHub) -> None:
    configure(vab, github)
    github.add_user("outsider", FakeUser("eve", 5, {"other": 77}, []))
    reply = login(vab, "outsider")
    assert reply.status == 500  # Vault answers backend errors of a login with 500
    assert reply.errors == ["user is not part of required org"]


def test_login_org_matched_by_id_warns_on_rename(vab: Vab, mount: str, github: FakeGitHub) -> None:
    configure(vab, github)
    github.add_user("renamed", FakeUser("dan", 6, {"acme-renamed": ORG_ID}, []))
    reply = login(vab, "renamed")
    assert reply.status == 200, reply
    assert reply.auth["metadata"]["org"] == "acme-renamed"
    assert reply.warnings and 'organization name has changed to "acme-renamed"' in reply.warnings[0]


@pytest.mark.parametrize("token", ["ghp_wrong", ""])
def test_login_bad_token(
    vab: Vab, mount: str, github: FakeGitHub, token: str, caplog: pytest.LogCaptureFixture
) -> None:
    configure(vab, github)
    caplog.set_level(logging.DEBUG)
    reply = login(vab, token)
    assert reply.status == 500
    assert reply.errors == [f"GET {github.url}user: 401 Bad credentials []"]
    if token:
        assert token not in str(reply.body)
        assert token not in caplog.text


def test_login_without_config(vab: Vab, mount: str) -> None:
    reply = login(vab, "anything")
    assert reply.status == 500
    assert reply.errors == ["configuration has not been set"]


def test_login_github_unreachable(vab: Vab, mount: str, github: FakeGitHub) -> None:
    configure(vab, github)
    github.close()
    reply = login(vab, "ghp_secret_value")
    assert reply.status == 500
    assert reply.errors[0].startswith(f'Get "{github.url}user": ')
    assert "ghp_secret_value" not in str(reply.body)


def test_login_bound_cidrs(vab: Vab, mount: str, github: FakeGitHub) -> None:
    configure(vab, github, token_bound_cidrs="10.0.0.0/8")
    alice(github)
    github.seen.clear()
    denied = login(vab, "ghp_alice", remote_addr="192.0.2.1")
    assert denied.status == 403 and denied.errors == ["permission denied"]
    assert github.seen == []  # refused before GitHub is asked
    assert login(vab, "ghp_alice", remote_addr="10.1.2.3").status == 200


def test_login_root_policy_refused(vab: Vab, mount: str, github: FakeGitHub) -> None:
    configure(vab, github)
    alice(github)
    vab.post("auth/github/map/users/alice", {"value": "root"})
    reply = login(vab, "ghp_alice")
    assert reply.status == 400
    assert reply.errors == ["auth methods cannot create root tokens"]


def test_login_organization_id_set_on_first_use(vab: Vab, mount: str, github: FakeGitHub) -> None:
    configure(vab, github, organization_id=0)  # 0: looked up at once
    assert vab.get("auth/github/config").data["organization_id"] == ORG_ID
    backend = vab.core.route("auth/github/login")[1]  # a configuration from before IDs
    cfg = backend.load_config()
    cfg.organization_id = 0
    backend.save_config(cfg)
    alice(github)
    github.seen.clear()
    assert login(vab, "ghp_alice").status == 200
    assert github.seen[0].path == "/orgs/acme"
    assert github.seen[0].authorization == "Bearer ghp_alice"
    assert vab.get("auth/github/config").data["organization_id"] == ORG_ID


# ----- renewal ---------------------------------------------------------------------------------


def test_renewal_checks_github_again(vab: Vab, mount: str, github: FakeGitHub) -> None:
    configure(vab, github, token_policies="base", token_ttl="10m", token_max_ttl="1h")
    user = alice(github)
    vab.post("auth/github/map/teams/ops", {"value": "ops"})
    token = login(vab, "ghp_alice").token
    github.seen.clear()
    renewed = vab.post("auth/token/renew-self", {}, token=token)
    assert renewed.status == 200, renewed
    assert renewed.auth["lease_duration"] == 600
    assert github.seen[0].path == "/user"
    # a changed mapping: the renewal is refused
    vab.post("auth/github/map/teams/ops", {"value": "ops,more"})
    refused = vab.post("auth/token/renew-self", {}, token=token)
    assert refused.status == 400
    assert refused.errors == ["failed to renew entry: policies do not match"]
    vab.post("auth/github/map/teams/ops", {"value": "ops"})
    # the user left the organization: refused with GitHub's answer
    user.orgs.pop("acme")
    refused = vab.post("auth/token/renew-self", {}, token=token)
    assert refused.status == 400
    assert refused.errors == ["failed to renew entry: user is not part of required org"]


def test_github_token_not_shown(vab: Vab, mount: str, github: FakeGitHub) -> None:
    configure(vab, github)
    alice(github)
    reply = login(vab, "ghp_alice")
    looked = vab.get("auth/token/lookup-self", token=reply.token)
    assert "ghp_alice" not in str(reply.body)
    assert "ghp_alice" not in str(looked.body)


def test_audit_hashes_github_token(
    vab: Vab, mount: str, github: FakeGitHub, tmp_path: Path
) -> None:
    log_file = tmp_path / "audit.log"
    reply = vab.post("sys/audit/file", {"type": "file", "options": {"file_path": str(log_file)}})
    assert reply.status == 204, reply
    configure(vab, github)
    alice(github)
    assert login(vab, "ghp_alice").status == 200
    assert login(vab, "ghp_alice_wrong").status == 500
    text = log_file.read_text()
    assert "auth/github/login" in text
    assert "ghp_alice" not in text
