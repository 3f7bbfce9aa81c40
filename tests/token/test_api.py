"""``auth/token/*`` through the real HTTP layer and request pipeline (in-process)."""

from __future__ import annotations

import pytest

from tests.support.inprocess import Vab

BATCH_ROLE = "'token_type' cannot be 'batch' when role is set to generate "
SUFFIX_ERROR = "given role path suffix contains invalid characters; must match \\w[\\w-.]+\\w"
BOTH_GIVEN = "specified both during creation call and in role; using the lesser value of"


def test_create_and_lookup_shapes(vab: Vab) -> None:
    reply = vab.create(
        {"policies": ["pa"], "ttl": "1h", "meta": {"k": "v"}, "display_name": "My App"}
    )
    auth = reply.auth
    assert auth["client_token"].startswith("hvs.")
    assert auth["policies"] == ["default", "pa"] and auth["token_policies"] == ["default", "pa"]
    assert (auth["lease_duration"], auth["renewable"], auth["orphan"]) == (3600, True, False)
    assert (auth["token_type"], auth["num_uses"], auth["metadata"]) == ("service", 0, {"k": "v"})
    data = vab.get("auth/token/lookup-self", token=reply.token).data
    assert data["display_name"] == "token-My-App"
    assert data["creation_ttl"] == 3600 and 3598 <= data["ttl"] <= 3600
    assert data["expire_time"].endswith("Z") and data["issue_time"].endswith("Z")
    assert data["meta"] == {"k": "v"} and data["path"] == "auth/token/create"
    same = vab.post("auth/token/lookup", {"token": reply.token}).data
    assert same["accessor"] == data["accessor"]
    by_get = vab.get(f"auth/token/lookup?token={reply.token}").data
    assert by_get["id"] == reply.token


def test_lookup_errors(vab: Vab) -> None:
    bad = vab.post("auth/token/lookup", {"token": "hvs.nope"})
    assert (bad.status, bad.errors) == (403, ["bad token"])
    assert vab.post("auth/token/lookup-accessor", {}).errors == [
        "1 error occurred:\n\t* missing accessor\n\n"
    ]
    invalid = vab.post("auth/token/lookup-accessor", {"accessor": "nope"})
    assert invalid.status == 400 and "invalid accessor" in invalid.errors[0]
    assert vab.get("auth/token/lookup-self", token="hvs.nope").status == 403
    assert vab.get("auth/token/lookup-self", token=None).status == 403


def test_lookup_accessor_hides_id(vab: Vab) -> None:
    reply = vab.create({"policies": ["pa"]})
    data = vab.post("auth/token/lookup-accessor", {"accessor": reply.auth["accessor"]}).data
    assert data["id"] == "" and data["policies"] == ["default", "pa"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"num_uses": -1}, "number of uses cannot be negative"),
        ({"ttl": "abc"}, 'time: invalid duration "abc"'),
        ({"ttl": -5}, "ttl must be positive"),
        ({"explicit_max_ttl": "-1h"}, "explicit_max_ttl must be positive"),
        ({"type": "foo"}, "invalid 'token_type' value"),
        ({"id": "has.dot"}, "custom token ID cannot have a '.' in the value"),
        ({"entity_alias": "x"}, "'entity_alias' is only allowed in combination with token role"),
        ({"type": "batch", "num_uses": 2}, 'batch tokens cannot have "num_uses" set'),
        ({"type": "batch", "period": "1h"}, 'batch tokens cannot have "period" set'),
        (
            {"type": "batch", "explicit_max_ttl": "1h"},
            'batch tokens cannot have "explicit_max_ttl" set',
        ),
        ({"type": "batch"}, "batch tokens cannot be root tokens"),
        ({"policies": ["response-wrapping"]}, 'cannot assign policy "response-wrapping"'),
    ],
)
def test_create_errors(vab: Vab, body: dict, message: str) -> None:
    reply = vab.post("auth/token/create", body)
    assert reply.status == 400
    assert reply.errors == [message]


def test_create_field_type_errors(vab: Vab) -> None:
    for body in (
        {"num_uses": "abc"},
        {"renewable": "maybe"},
        {"policies": {"a": 1}},
        {"meta": "x"},
    ):
        reply = vab.post("auth/token/create", body)
        assert reply.status == 400, body
        assert reply.errors[0].startswith("Field validation failed"), reply.errors


def test_unknown_field_warns(vab: Vab) -> None:
    reply = vab.create({"bogus": 1, "policies": ["pa"]})
    assert "Endpoint ignored these unrecognized parameters: [bogus]" in reply.warnings


def test_missing_policy_warns(vab: Vab) -> None:
    reply = vab.create({"policies": ["nope"]})
    assert reply.warnings == ['Policy "nope" does not exist']


def test_root_children_and_ttls(vab: Vab) -> None:
    child = vab.create({})
    assert child.auth["policies"] == ["root"] and child.auth["lease_duration"] == 0
    assert child.auth["renewable"] is False
    capped = vab.create({"ttl": "800h"})
    assert capped.auth["lease_duration"] == 768 * 3600
    assert capped.warnings[0].startswith('TTL of "800h" exceeded the effective max_ttl of "768h"')
    expiring_root = vab.create({"ttl": "1h"})
    refused = vab.post("auth/token/create", {}, token=expiring_root.token)
    assert refused.errors == ["expiring root tokens cannot create non-expiring root tokens"]


def test_subset_and_privilege_rules(vab: Vab) -> None:
    parent = vab.create({"policies": ["pa", "tc"]}).token
    assert vab.create({"policies": ["pa"]}, token=parent).auth["policies"] == ["default", "pa"]
    assert vab.create({}, token=parent).auth["policies"] == ["default", "pa", "tc"]
    for body, message in [
        ({"policies": ["pb"]}, "child policies must be subset of parent"),
        ({"policies": ["root"]}, "child policies must be subset of parent"),
        ({"id": "custom1"}, "root or sudo privileges required to specify token id"),
        ({"no_parent": True}, "root or sudo privileges required to create orphan token"),
        ({"period": "1h"}, "root or sudo privileges required to create periodic token"),
    ]:
        reply = vab.post("auth/token/create", body, token=parent)
        assert (reply.status, reply.errors) == (400, [message]), body
    orphan = vab.create({}, token=parent, path="create-orphan")
    assert orphan.auth["orphan"] is True
    sudo = vab.create({"policies": ["pa", "tcs"]}).token
    assert vab.create({"policies": ["pb"]}, token=sudo).auth["policies"] == ["default", "pb"]
    assert vab.create({"no_parent": True, "policies": ["pa"]}, token=sudo).auth["orphan"]
    root_refused = vab.post("auth/token/create", {"policies": ["root"]}, token=sudo)
    assert root_refused.errors == ["root tokens may not be created without parent token being root"]


def test_limited_use_and_batch_parents(vab: Vab) -> None:
    limited = vab.create({"policies": ["tc"], "num_uses": 3}).token
    reply = vab.post("auth/token/create", {}, token=limited)
    assert reply.errors == ["restricted use token cannot generate child tokens"]
    last = vab.create({"policies": ["tc"], "num_uses": 1}).token
    reply = vab.post("auth/token/create", {}, token=last)
    assert reply.errors == ["parent token lookup failed: no parent found"]
    assert vab.post("auth/token/create", {}, token=last).status == 403
    batch = vab.create({"policies": ["tc"], "type": "batch"}).token
    assert vab.post("auth/token/create", {}, token=batch).errors == [
        "batch tokens cannot create more tokens"
    ]


def test_num_uses_count_down(vab: Vab) -> None:
    token = vab.create({"policies": ["default"], "num_uses": 2}).token
    assert vab.get("auth/token/lookup-self", token=token).data["num_uses"] == 1
    assert vab.get("auth/token/lookup-self", token=token).data["num_uses"] == -1
    assert vab.get("auth/token/lookup-self", token=token).status == 403
    assert vab.post("auth/token/lookup", {"token": token}).status == 403


def test_denied_request_uses_a_use(vab: Vab) -> None:
    token = vab.create({"policies": ["default"], "num_uses": 2}).token
    assert vab.get("sys/mounts", token=token).status == 403
    assert vab.post("auth/token/lookup", {"token": token}).data["num_uses"] == 1


def test_revoke_tree_and_orphan(vab: Vab) -> None:
    parent = vab.create({"policies": ["pa", "tc"]}).token
    child = vab.create({"policies": ["pa", "tc"]}, token=parent).token
    grandchild = vab.create({"policies": ["pa"]}, token=child).token
    assert vab.post("auth/token/revoke-orphan", {"token": parent}).status == 204
    assert vab.post("auth/token/lookup", {"token": child}).data["orphan"] is True
    assert vab.post("auth/token/revoke", {"token": child}).status == 204
    assert vab.post("auth/token/lookup", {"token": grandchild}).status == 403
    assert vab.post("auth/token/revoke", {"token": "hvs.unknown"}).status == 204
    assert vab.post("auth/token/revoke", {}).errors == ["missing token ID"]
    assert vab.post("auth/token/revoke-orphan", {"token": "x"}).errors == [
        "token to revoke not found"
    ]
    not_sudo = vab.create({"policies": ["tc"]}).token
    reply = vab.post("auth/token/revoke-orphan", {"token": "x"}, token=not_sudo)
    assert reply.errors == ["root or sudo privileges required to revoke and orphan"]


def test_revoke_self_and_accessor(vab: Vab) -> None:
    token = vab.create({"policies": ["default"]}).token
    assert vab.post("auth/token/revoke-self", token=token).status == 204
    assert vab.get("auth/token/lookup-self", token=token).status == 403
    reply = vab.create({"policies": ["default"]})
    accessor = reply.auth["accessor"]
    assert vab.post("auth/token/revoke-accessor", {"accessor": accessor}).status == 204
    assert vab.post("auth/token/lookup", {"token": reply.token}).status == 403
    missing = vab.post("auth/token/revoke-accessor", {"accessor": accessor})
    assert missing.status == 200 and missing.warnings == ["No token found with this accessor"]


def test_renewals(vab: Vab) -> None:
    token = vab.create({"policies": ["default"], "ttl": "1h", "explicit_max_ttl": "2h"}).token
    reply = vab.post("auth/token/renew", {"token": token, "increment": "3h"})
    assert reply.auth["lease_duration"] in (7199, 7200) and reply.auth["client_token"] == token
    assert "exceeded the effective max_ttl" in reply.warnings[0]
    self_renew = vab.post("auth/token/renew-self", {"increment": "10m"}, token=token)
    assert self_renew.auth["lease_duration"] == 600
    data = vab.post("auth/token/lookup", {"token": token}).data
    assert data["last_renewal_time"] and data["ttl"] <= 600
    by_accessor = vab.post(
        "auth/token/renew-accessor", {"accessor": data["accessor"], "increment": "20m"}
    )
    assert by_accessor.auth["client_token"] == "" and by_accessor.auth["lease_duration"] == 1200
    assert vab.post("auth/token/renew", {"token": "root"}).errors == ["lease is not renewable"]
    assert vab.post("auth/token/renew", {"token": "nope"}).errors == ["token not found"]
    assert vab.post("auth/token/renew", {}).errors == ["missing token ID"]
    fixed = vab.create({"policies": ["default"], "renewable": False}).token
    assert vab.post("auth/token/renew", {"token": fixed}).errors == ["lease is not renewable"]
    periodic = vab.create({"policies": ["default"], "period": "2h", "ttl": "10m"}).token
    assert (
        vab.post("auth/token/renew", {"token": periodic, "increment": "5m"}).auth["lease_duration"]
        == 7200
    )


def test_batch_limitations(vab: Vab) -> None:
    batch = vab.create({"policies": ["default"], "type": "batch", "ttl": "1h"})
    token = batch.token
    assert token.startswith("hvb.") and batch.auth["accessor"] == ""
    assert batch.auth["renewable"] is False
    data = vab.get("auth/token/lookup-self", token=token).data
    assert (data["type"], data["accessor"], data["renewable"]) == ("batch", "", False)
    assert vab.post("auth/token/renew-self", token=token).errors == [
        "batch tokens cannot be renewed"
    ]
    assert vab.post("auth/token/revoke", {"token": token}).errors == [
        "batch tokens cannot be revoked"
    ]


def test_roles_crud(vab: Vab) -> None:
    assert vab.list("auth/token/roles").status == 404
    reply = vab.post(
        "auth/token/roles/ra",
        {"allowed_policies": "pa, PB", "orphan": True, "token_period": "1h", "path_suffix": "v1x"},
    )
    assert reply.status == 204
    role = vab.get("auth/token/roles/ra").data
    assert role["allowed_policies"] == ["pa", "pb"] and role["token_period"] == 3600
    assert role["token_type"] == "default-service" and role["allowed_entity_aliases"] is None
    assert vab.list("auth/token/roles").data == {"keys": ["ra"]}
    assert vab.post("auth/token/roles/ra", {"renewable": False}).status == 204
    updated = vab.get("auth/token/roles/ra").data
    assert updated["renewable"] is False and updated["orphan"] is True
    assert vab.delete("auth/token/roles/ra").status == 204
    assert vab.get("auth/token/roles/ra").status == 404


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"token_type": "batch"}, BATCH_ROLE + "non-orphan tokens"),
        ({"token_type": "batch", "orphan": True}, BATCH_ROLE + "renewable tokens"),
        ({"token_type": "bogus"}, 'invalid \'token_type\' value "bogus"'),
        ({"token_type": None}, "Invalid 'token_type' value: null"),
        ({"path_suffix": "!!"}, SUFFIX_ERROR),
        ({"token_num_uses": -1}, "error parsing role fields: 'token_num_uses' cannot be negative"),
    ],
)  # fmt: skip
def test_role_errors(vab: Vab, body: dict, message: str) -> None:
    reply = vab.post("auth/token/roles/bad", body)
    assert (reply.status, reply.errors) == (400, [message])


def test_create_against_role(vab: Vab) -> None:
    vab.post(
        "auth/token/roles/ra",
        {
            "allowed_policies": "pa,pb",
            "disallowed_policies": "pc",
            "orphan": True,
            "token_period": "1h",
            "path_suffix": "v1x",
            "token_explicit_max_ttl": "5h",
            "token_num_uses": 5,
        },
    )
    reply = vab.create({}, path="create/ra")
    assert reply.auth["policies"] == ["default", "pa", "pb"]
    assert (reply.auth["lease_duration"], reply.auth["orphan"], reply.auth["num_uses"]) == (
        3600,
        True,
        5,
    )
    data = vab.post("auth/token/lookup", {"token": reply.token}).data
    assert (data["role"], data["path"]) == ("ra", "auth/token/create/ra/v1x")
    both = vab.create(
        {"policies": ["pa"], "period": "2h", "explicit_max_ttl": "10h"}, path="create/ra"
    )
    assert both.warnings == [
        f"Explicit max TTL {BOTH_GIVEN} 18000 seconds",
        f"Period {BOTH_GIVEN} 3600 seconds",
    ]
    bad = vab.post("auth/token/create/ra", {"policies": ["pc"]})
    assert bad.status == 400 and "must be subset of the role's allowed policies" in bad.errors[0]
    assert vab.post("auth/token/create/nope", {}).errors == ["unknown role nope"]
    renewed = vab.post("auth/token/renew", {"token": reply.token, "increment": "5h"})
    assert renewed.auth["lease_duration"] == 3600


def test_batch_role(vab: Vab) -> None:
    body = {
        "token_type": "default-batch",
        "orphan": True,
        "renewable": False,
        "allowed_policies": "pa",
    }
    assert vab.post("auth/token/roles/rb", body).status == 204
    assert vab.create({}, path="create/rb").auth["token_type"] == "batch"
    assert vab.create({"type": "service"}, path="create/rb").auth["token_type"] == "service"


def test_accessors_list_and_tidy(vab: Vab) -> None:
    reply = vab.create({"policies": ["default"]})
    keys = vab.list("auth/token/accessors").data["keys"]
    assert reply.auth["accessor"] in keys
    assert vab.get("auth/token/accessors").status == 405
    not_sudo = vab.create({"policies": ["tc"]}).token
    assert vab.list("auth/token/accessors", token=not_sudo).status == 403
    tidy = vab.post("auth/token/tidy")
    assert tidy.status == 202 and tidy.warnings[0].startswith("Tidy operation successfully started")


def test_bound_cidrs_from_role(vab: Vab) -> None:
    vab.post("auth/token/roles/cidr", {"token_bound_cidrs": "10.0.0.0/8", "allowed_policies": "pa"})
    token = vab.create({}, path="create/cidr").token
    assert vab.get("auth/token/lookup-self", token=token, remote_addr="10.1.2.3").status == 200
    assert vab.get("auth/token/lookup-self", token=token, remote_addr="192.168.0.1").status == 403


def test_userpass_login_token(vab: Vab) -> None:
    assert vab.post("sys/auth/userpass", {"type": "userpass"}).status == 204
    vab.post(
        "auth/userpass/users/alice", {"password": "pw", "token_policies": "pa", "token_ttl": "1h"}
    )
    login = vab.post("auth/userpass/login/alice", {"password": "pw"}, token=None)
    assert login.status == 200, login
    auth = login.auth
    assert auth["policies"] == ["default", "pa"] and auth["orphan"] is True
    assert auth["lease_duration"] == 3600 and auth["token_type"] == "service"
    data = vab.get("auth/token/lookup-self", token=auth["client_token"]).data
    assert data["display_name"] == "userpass-alice" and data["path"] == "auth/userpass/login/alice"
    renewed = vab.post("auth/token/renew-self", {"increment": "30m"}, token=auth["client_token"])
    assert renewed.status == 200 and renewed.auth["lease_duration"] == 1800


def test_token_mount_tuning_caps_ttls(vab: Vab) -> None:
    tune = {"max_lease_ttl": "1h", "default_lease_ttl": "30m"}
    assert vab.post("sys/auth/token/tune", tune).status == 204
    capped = vab.create({"policies": ["default"], "ttl": "2h"})
    assert capped.auth["lease_duration"] == 3600
    assert capped.warnings == [
        'TTL of "2h" exceeded the effective max_ttl of "1h"; TTL value is capped accordingly'
    ]
    assert vab.create({"policies": ["default"]}).auth["lease_duration"] == 1800


def test_agent_callers_never_mint_or_renew(vab: Vab) -> None:
    from vault_agent_backend.framework.errors import PermissionDenied
    from vault_agent_backend.framework.request import Caller, Operation, Request

    class Agent:
        def lookup_data(self) -> dict:
            return {"entity_id": "agent-entity", "type": "agent"}

    backend = vab.core.route("auth/token/")[1]

    def call(op: Operation, path: str) -> object:
        request = Request(op, f"auth/token/{path}", client_token="a.b.c")
        request.mount_point = "auth/token/"
        request.caller = Caller(kind="agent", agent=Agent(), entity_id="agent-entity")
        return backend.handle_request(request)

    assert call(Operation.READ, "lookup-self").data == {
        "entity_id": "agent-entity",
        "type": "agent",
    }
    for path in ("create", "create-orphan", "renew-self", "revoke-self"):
        with pytest.raises(PermissionDenied):
            call(Operation.UPDATE, path)
