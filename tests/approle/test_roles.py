"""AppRole roles: CRUD, LIST, role_id, the per-setting paths and their validation."""

from __future__ import annotations

import pytest

from tests.approle.helpers import A, login, make_role, new_secret, role_id
from tests.support.inprocess import Vab

DEFAULT_ROLE = {
    "bind_secret_id": True,
    "local_secret_ids": False,
    "secret_id_bound_cidrs": None,
    "secret_id_num_uses": 0,
    "secret_id_ttl": 0,
    "token_bound_cidrs": [],
    "token_explicit_max_ttl": 0,
    "token_max_ttl": 0,
    "token_no_default_policy": False,
    "token_num_uses": 0,
    "token_period": 0,
    "token_policies": [],
    "token_strictly_bind_ip": False,
    "token_ttl": 0,
    "token_type": "default",
}


def test_role_crud_and_list(vab: Vab) -> None:
    assert vab.list(f"{A}role").status == 404
    assert vab.post(f"{A}role/MyRole", {}).status == 204
    assert vab.get(f"{A}role/myrole").data == DEFAULT_ROLE
    assert vab.get(f"{A}role/MYROLE").status == 200
    make_role(vab, "other")
    assert vab.list(f"{A}role").data["keys"] == ["myrole", "other"]
    assert vab.get(f"{A}role?list=true&after=myrole").data["keys"] == ["other"]
    assert vab.get(f"{A}role?list=true&limit=1").data["keys"] == ["myrole"]
    rid = role_id(vab, "myrole")
    assert len(rid) == 36 and rid.count("-") == 4
    assert vab.delete(f"{A}role/MyRole").status == 204
    assert vab.get(f"{A}role/myrole").status == 404
    assert vab.delete(f"{A}role/myrole").status == 204  # deleting nothing is fine


def test_role_fields_round_trip(vab: Vab) -> None:
    body = {
        "bind_secret_id": False,
        "secret_id_bound_cidrs": "10.0.0.0/8, 192.168.1.0/24",
        "secret_id_num_uses": 5,
        "secret_id_ttl": "10m",
        "token_policies": ["a", "b"],
        "token_ttl": "1h",
        "token_max_ttl": "2h",
        "token_bound_cidrs": ["127.0.0.1"],
        "token_num_uses": 3,
        "token_type": "service",
    }
    make_role(vab, "r", **body)
    data = vab.get(f"{A}role/r").data
    assert data["bind_secret_id"] is False
    assert data["secret_id_bound_cidrs"] == ["10.0.0.0/8", "192.168.1.0/24"]
    assert (data["secret_id_num_uses"], data["secret_id_ttl"]) == (5, 600)
    assert (data["token_ttl"], data["token_max_ttl"], data["token_num_uses"]) == (3600, 7200, 3)
    assert data["token_bound_cidrs"] == ["127.0.0.1"] and data["token_type"] == "service"
    # an update changes only what it sends
    make_role(vab, "r", secret_id_num_uses=1)
    data = vab.get(f"{A}role/r").data
    assert data["secret_id_num_uses"] == 1 and data["bind_secret_id"] is False
    assert data["secret_id_ttl"] == 600


def test_legacy_fields(vab: Vab) -> None:
    reply = make_role(vab, "r", policies="A,b", period="1h", token_max_ttl="100000h")
    assert reply.body["warnings"] == [
        "token_max_ttl is greater than the backend mount's maximum TTL value; issued tokens' "
        "max TTL value will be truncated"
    ]
    data = vab.get(f"{A}role/r").data
    assert data["policies"] == data["token_policies"] == ["a", "b"]
    assert data["period"] == data["token_period"] == 3600
    make_role(vab, "r", token_policies="x")
    data = vab.get(f"{A}role/r").data
    assert data["token_policies"] == ["x"] and "policies" not in data
    reply = make_role(vab, "r", token_type="default-service")
    assert "default-service has no useful meaning; adjusting to service" in reply.body["warnings"]
    assert vab.get(f"{A}role/r").data["token_type"] == "service"


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"token_type": "bad"}, 400, "invalid 'token_type' value \"bad\""),
        ({"bind_secret_id": False}, 400, "at least one constraint should be enabled on the role"),
        (
            {"secret_id_bound_cidrs": "127.0.0.1"},
            400,
            "failed to validate CIDR blocks: invalid CIDR address: 127.0.0.1",
        ),
        ({"secret_id_num_uses": -1}, 400, "secret_id_num_uses cannot be negative"),
        (
            {"period": "1000000h"},
            400,
            'period of "1000000h0m0s" is greater than the backend\'s maximum lease TTL of '
            '"768h0m0s"',
        ),
        ({"secret_id_ttl": "forever"}, 400, None),
    ],
)
def test_role_validation(vab: Vab, body: dict, status: int, message: str | None) -> None:
    reply = vab.post(f"{A}role/bad", body)
    assert reply.status == status
    if message is not None:
        assert reply.errors == [message]
    assert vab.get(f"{A}role/bad").status == 404


def test_local_secret_ids_only_at_creation(vab: Vab) -> None:
    make_role(vab, "loc", local_secret_ids=True)
    assert vab.get(f"{A}role/loc").data["local_secret_ids"] is True
    assert vab.get(f"{A}role/loc/local-secret-ids").data == {"local_secret_ids": True}
    reply = vab.post(f"{A}role/loc", {"local_secret_ids": False})
    assert reply.errors == ["local_secret_ids can only be modified during role creation"]
    # local secret IDs work like the others
    rid, sid = role_id(vab, "loc"), new_secret(vab, "loc")["secret_id"]
    assert login(vab, rid, sid).status == 200


def test_role_id_set_unique_and_replaced(vab: Vab) -> None:
    make_role(vab, "a", role_id="rid-a")
    assert role_id(vab, "a") == "rid-a"
    reply = vab.post(f"{A}role/b", {"role_id": "rid-a"})
    assert (reply.status, reply.errors) == (400, ["role_id already in use"])
    assert vab.get(f"{A}role/b").status == 404
    make_role(vab, "b")
    assert vab.post(f"{A}role/b/role-id", {"role_id": "rid-a"}).errors == ["role_id already in use"]
    sid = new_secret(vab, "a")["secret_id"]
    assert vab.post(f"{A}role/a/role-id", {"role_id": "rid-new"}).status == 204
    assert login(vab, "rid-a", sid).errors == ["invalid role or secret ID"]
    assert login(vab, "rid-new", sid).status == 200
    # the old role_id is free again
    assert vab.post(f"{A}role/b/role-id", {"role_id": "rid-a"}).status == 204
    assert vab.post(f"{A}role/a/role-id", {}).errors == ["missing role_id"]
    assert vab.post(f"{A}role/nope/role-id", {"role_id": "x"}).status == 404
    assert vab.get(f"{A}role/nope/role-id").status == 404


def test_per_setting_paths(vab: Vab) -> None:
    make_role(vab, "r", secret_id_bound_cidrs="10.0.0.0/8")
    cases = [
        ("secret-id-num-uses", "secret_id_num_uses", 4, 4, 0),
        ("secret-id-ttl", "secret_id_ttl", "5m", 300, 0),
        ("token-num-uses", "token_num_uses", 2, 2, 0),
        ("token-ttl", "token_ttl", "1m", 60, 0),
        ("token-max-ttl", "token_max_ttl", "2m", 120, 0),
        ("bind-secret-id", "bind_secret_id", False, False, True),
        ("token-bound-cidrs", "token_bound_cidrs", "1.2.3.4", ["1.2.3.4"], []),
        ("secret-id-bound-cidrs", "secret_id_bound_cidrs", "10.1.0.0/16", ["10.1.0.0/16"], None),
    ]
    for suffix, field, value, stored, default in cases:
        path = f"{A}role/r/{suffix}"
        # a missing value is an error, except for the CIDR lists (ignored, as in Vault)
        assert vab.post(path, {}).status == (204 if "cidr" in suffix else 400), suffix
        assert vab.post(path, {field: value}).status == 204, suffix
        assert vab.get(path).data == {field: stored}, suffix
        assert vab.get(f"{A}role/r").data[field] == stored, suffix
        if suffix == "secret-id-bound-cidrs":
            make_role(vab, "r", bind_secret_id=True)
        assert vab.delete(path).status == 204, suffix
        assert vab.get(path).data == {field: default}, suffix
        assert vab.get(f"{A}role/nope/{suffix}").status == 404
        assert vab.post(f"{A}role/nope/{suffix}", {field: value}).status == 404
        assert vab.delete(f"{A}role/nope/{suffix}").status == 204


def test_per_setting_messages(vab: Vab) -> None:
    make_role(vab, "r")
    assert vab.post(f"{A}role/r/token-ttl", {}).errors == ["missing token_ttl"]
    assert vab.post(f"{A}role/r/token-ttl", {"token_ttl": 100}).status == 204
    assert vab.post(f"{A}role/r/token-max-ttl", {"token_max_ttl": 50}).errors == [
        "token_max_ttl should be greater than or equal to token_ttl"
    ]
    assert vab.post(f"{A}role/r/token-max-ttl", {"token_max_ttl": 200}).status == 204
    assert vab.post(f"{A}role/r/token-ttl", {"token_ttl": 300}).errors == [
        "token_ttl should not be greater than token_max_ttl"
    ]
    assert vab.post(f"{A}role/r/secret-id-num-uses", {"secret_id_num_uses": -3}).errors == [
        "secret_id_num_uses cannot be negative"
    ]
    assert vab.post(f"{A}role/r/secret-id-bound-cidrs", {"secret_id_bound_cidrs": ""}).errors == [
        "missing bound_cidr_list"
    ]
    reply = vab.post(f"{A}role/r/token-bound-cidrs", {"token_bound_cidrs": "bogus"})
    assert reply.errors[0].startswith("failed to parse token_bound_cidrs: error parsing address")
    # removing the last constraint is refused
    assert vab.post(f"{A}role/r/bind-secret-id", {"bind_secret_id": False}).errors == [
        "at least one constraint should be enabled on the role"
    ]


def test_policies_and_period_paths(vab: Vab) -> None:
    make_role(vab, "r")
    assert vab.get(f"{A}role/r/policies").data == {"token_policies": []}
    assert vab.post(f"{A}role/r/policies", {}).errors == ["missing token_policies"]
    assert vab.post(f"{A}role/r/policies", {"policies": "X,y"}).status == 204
    assert vab.get(f"{A}role/r/policies").data == {
        "policies": ["x", "y"],
        "token_policies": ["x", "y"],
    }
    assert vab.post(f"{A}role/r/policies", {"token_policies": "Z"}).status == 204
    assert vab.get(f"{A}role/r/policies").data == {"token_policies": ["z"]}
    assert vab.delete(f"{A}role/r/policies").status == 204
    assert vab.get(f"{A}role/r/policies").data == {"token_policies": []}
    assert vab.post(f"{A}role/r/period", {}).errors == ["missing period"]
    assert vab.post(f"{A}role/r/period", {"period": 60}).status == 204
    assert vab.get(f"{A}role/r/period").data == {"period": 60, "token_period": 60}
    reply = vab.post(f"{A}role/r/period", {"token_period": "10000h"})
    assert reply.errors == [
        'period of "10000h0m0s" is greater than the backend\'s maximum lease TTL of "768h0m0s"'
    ]
    assert vab.delete(f"{A}role/r/period").status == 204
    assert vab.get(f"{A}role/r/period").data == {"token_period": 0}


def test_bound_cidr_list_is_the_deprecated_spelling(vab: Vab) -> None:
    make_role(vab, "r", bound_cidr_list="10.0.0.0/8")
    assert vab.get(f"{A}role/r").data["secret_id_bound_cidrs"] == ["10.0.0.0/8"]
    assert vab.post(f"{A}role/r/bound-cidr-list", {"bound_cidr_list": "10.2.0.0/16"}).status == 204
    reply = vab.get(f"{A}role/r/bound-cidr-list")
    assert reply.data == {"bound_cidr_list": None} and len(reply.body["warnings"]) == 1
    assert vab.get(f"{A}role/r/secret-id-bound-cidrs").data == {
        "secret_id_bound_cidrs": ["10.2.0.0/16"]
    }


def test_deleting_a_role_destroys_its_secret_ids(vab: Vab) -> None:
    make_role(vab, "r", role_id="rid")
    sid = new_secret(vab, "r")["secret_id"]
    assert vab.delete(f"{A}role/r").status == 204
    make_role(vab, "r", role_id="rid")
    assert login(vab, "rid", sid).errors == ["invalid role or secret ID"]
    assert vab.list(f"{A}role/r/secret-id").status == 404


def test_unknown_fields_and_help(vab: Vab) -> None:
    # as in Vault, unknown fields are only reported on a response that has a body
    assert vab.post(f"{A}role/r", {"enable_local_secret_ids": True}).status == 204
    reply = vab.post(f"{A}role/r", {"token_type": "default-batch", "bogus": 1})
    assert reply.body["warnings"] == [
        "default-batch has no useful meaning; adjusting to batch",
        "Endpoint ignored these unrecognized parameters: [bogus]",
    ]
    assert vab.get(f"{A}role/r?help=1").data["help"].startswith("Create, read, update")
