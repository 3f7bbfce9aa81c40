"""AppRole secret IDs: generation, custom IDs, lookups, destruction, accessors, tidy, hashing."""

from __future__ import annotations

import base64
import json

import pytest

from tests.approle.helpers import A, login, make_role, new_secret
from tests.support.inprocess import Vab
from vault_agent_backend.builtin.approle import util


def test_generate_lookup_list_destroy(vab: Vab) -> None:
    make_role(vab)
    assert vab.list(f"{A}role/web/secret-id").status == 404
    first = new_secret(vab, metadata='{"team":"ops"}', cidr_list="127.0.0.1/32")
    assert set(first) == {"secret_id", "secret_id_accessor", "secret_id_num_uses", "secret_id_ttl"}
    second = new_secret(vab)
    keys = vab.list(f"{A}role/web/secret-id").data["keys"]
    assert sorted(keys) == sorted([first["secret_id_accessor"], second["secret_id_accessor"]])
    looked = vab.post(f"{A}role/web/secret-id/lookup", {"secret_id": first["secret_id"]}).data
    assert looked["metadata"] == {"team": "ops"} and looked["cidr_list"] == ["127.0.0.1/32"]
    assert looked["expiration_time"] == "0001-01-01T00:00:00Z"
    assert looked["token_bound_cidrs"] == [] and looked["secret_id_num_uses"] == 0
    by_accessor = vab.post(
        f"{A}role/web/secret-id-accessor/lookup",
        {"secret_id_accessor": first["secret_id_accessor"]},
    ).data
    assert by_accessor == looked
    assert (
        vab.post(f"{A}role/web/secret-id/destroy", {"secret_id": first["secret_id"]}).status == 204
    )
    assert (
        vab.post(f"{A}role/web/secret-id/lookup", {"secret_id": first["secret_id"]}).status == 204
    )
    reply = vab.post(
        f"{A}role/web/secret-id-accessor/lookup",
        {"secret_id_accessor": first["secret_id_accessor"]},
    )
    assert reply.status == 404
    assert reply.data == {
        "error": "failed to find accessor entry for secret_id_accessor: "
        f'"{first["secret_id_accessor"]}"'
    }
    assert (
        vab.post(
            f"{A}role/web/secret-id-accessor/destroy",
            {"secret_id_accessor": second["secret_id_accessor"]},
        ).status
        == 204
    )
    assert vab.list(f"{A}role/web/secret-id").status == 404


def test_custom_secret_id(vab: Vab) -> None:
    make_role(vab, role_id="rid")
    reply = vab.post(f"{A}role/web/custom-secret-id", {"secret_id": "my-secret", "num_uses": 2})
    assert reply.data["secret_id"] == "my-secret" and reply.data["secret_id_num_uses"] == 2
    again = vab.post(f"{A}role/web/custom-secret-id", {"secret_id": "my-secret"})
    assert again.errors == ["failed to store secret_id: SecretID is already registered"]
    assert vab.post(f"{A}role/web/custom-secret-id", {}).errors == ["missing secret_id"]
    assert login(vab, "rid", "my-secret").status == 200
    too_long = vab.post(f"{A}role/web/custom-secret-id", {"secret_id": "x" * 5000})
    assert too_long.status == 400


@pytest.mark.parametrize(
    ("role", "body", "message"),
    [
        ({}, {"num_uses": -1}, "num_uses cannot be negative"),
        (
            {"secret_id_num_uses": 2},
            {"num_uses": 3},
            "num_uses cannot be higher than the role's secret_id_num_uses",
        ),
        (
            {"secret_id_num_uses": 2},
            {"num_uses": 0},
            "num_uses cannot be higher than the role's secret_id_num_uses",
        ),
        (
            {"secret_id_ttl": "1h"},
            {"ttl": "2h"},
            "ttl cannot be longer than the role's secret_id_ttl",
        ),
        ({"secret_id_ttl": "1h"}, {"ttl": 0}, "ttl cannot be longer than the role's secret_id_ttl"),
        ({}, {"cidr_list": "bogus"}, "failed to validate CIDR blocks: invalid CIDR address: bogus"),
        (
            {},
            {"token_bound_cidrs": "127.0.0.1"},
            "failed to validate token CIDR blocks: invalid CIDR address: 127.0.0.1",
        ),
        (
            {"secret_id_bound_cidrs": "10.0.0.0/8"},
            {"cidr_list": "127.0.0.1/32"},
            'failed to verify subset relationship between CIDR blocks on the role ["10.0.0.0/8"] '
            'and CIDR blocks on the secret ID ["127.0.0.1/32"]: %!w(<nil>)',
        ),
        (
            {"token_bound_cidrs": "10.0.0.0/8"},
            {"token_bound_cidrs": "127.0.0.1/32"},
            'failed to verify subset relationship between CIDR blocks on the role ["10.0.0.0/8"] '
            'and CIDR blocks on the secret ID ["127.0.0.1/32"]: %!w(<nil>)',
        ),
        (
            {},
            {"metadata": "bad"},
            "failed to parse metadata: failed to parse the input: invalid <key,value> format",
        ),
        ({}, {"metadata": '{"a":""}'}, 'failed to parse metadata: invalid value for key "a"'),
        (
            {"bind_secret_id": False, "token_bound_cidrs": "1.2.3.4"},
            {},
            "bind_secret_id is not set on the role",
        ),
    ],
)
def test_secret_id_validation(vab: Vab, role: dict, body: dict, message: str) -> None:
    make_role(vab, **role)
    reply = vab.post(f"{A}role/web/secret-id", body)
    assert (reply.status, reply.errors) == (400, [message])


def test_overrides_and_mount_cap(vab: Vab) -> None:
    make_role(vab, secret_id_num_uses=5, secret_id_ttl="1h")
    inherited = new_secret(vab)
    assert (inherited["secret_id_num_uses"], inherited["secret_id_ttl"]) == (5, 3600)
    narrowed = new_secret(vab, num_uses=2, ttl="30m")
    assert (narrowed["secret_id_num_uses"], narrowed["secret_id_ttl"]) == (2, 1800)
    make_role(vab, "long")
    capped = new_secret(vab, "long", ttl="100000h")
    assert capped["secret_id_ttl"] == 768 * 3600  # the mount's maximum lease TTL
    looked = vab.post(f"{A}role/long/secret-id/lookup", {"secret_id": capped["secret_id"]}).data
    assert looked["expiration_time"] != "0001-01-01T00:00:00Z"


def test_unknown_role(vab: Vab) -> None:
    reply = vab.post(f"{A}role/nope/secret-id", {})
    assert (reply.status, reply.errors) == (404, ['role "nope" does not exist'])
    assert vab.post(f"{A}role/nope/custom-secret-id", {"secret_id": "x"}).status == 404
    assert vab.list(f"{A}role/nope/secret-id").errors == ['role "nope" does not exist']
    for path, body in [
        ("secret-id/lookup", {"secret_id": "x"}),
        ("secret-id/destroy", {"secret_id": "x"}),
        ("secret-id-accessor/lookup", {"secret_id_accessor": "x"}),
        ("secret-id-accessor/destroy", {"secret_id_accessor": "x"}),
    ]:
        reply = vab.post(f"{A}role/nope/{path}", body)
        assert (reply.status, reply.errors) == (400, ['role "nope" does not exist']), path
    make_role(vab)
    assert vab.post(f"{A}role/web/secret-id/lookup", {}).errors == ["missing secret_id"]
    assert vab.post(f"{A}role/web/secret-id-accessor/lookup", {}).errors == [
        "missing secret_id_accessor"
    ]
    reply = vab.post(f"{A}role/web/secret-id-accessor/destroy", {"secret_id_accessor": "x"})
    assert reply.errors == ['failed to find accessor entry for secret_id_accessor: "x"']


def test_metadata_forms(vab: Vab) -> None:
    make_role(vab)
    forms = {
        '{"Team":"Ops"}': {"Team": "Ops"},
        "A=B, c=d": {"a": "b", "c": "d"},
        base64.b64encode(b'{"k":"v"}').decode(): {"k": "v"},
        "": {},
    }
    for raw, expected in forms.items():
        sid = new_secret(vab, metadata=raw)["secret_id"]
        looked = vab.post(f"{A}role/web/secret-id/lookup", {"secret_id": sid}).data
        assert looked["metadata"] == expected, raw


def test_secret_ids_are_never_stored_in_clear(vab: Vab) -> None:
    make_role(vab, role_id="the-role-id")
    sid = new_secret(vab)["secret_id"]
    custom = "custom-secret-value-123"
    vab.post(f"{A}role/web/custom-secret-id", {"secret_id": custom})
    storage = vab.core.storage
    keys = []
    stack = [""]
    while stack:
        prefix = stack.pop()
        for child in storage.list(prefix):
            (stack.append if child.endswith("/") else keys.append)(prefix + child)
    blob = "\n".join(keys) + "\n".join(str(storage.get(k)) for k in keys)
    assert sid not in blob and custom not in blob
    assert "the-role-id" not in "\n".join(keys)  # role_ids are indexed by HMAC only


def test_expiry_and_tidy(vab: Vab, monkeypatch: pytest.MonkeyPatch) -> None:
    make_role(vab, role_id="rid", secret_id_ttl="1m")
    expiring = new_secret(vab)
    new_secret(vab)
    backend = vab.core.route("auth/approle/")[1]
    later = util.now() + 120
    monkeypatch.setattr("vault_agent_backend.builtin.approle.store.now", lambda: later)
    assert login(vab, "rid", expiring["secret_id"]).errors == ["invalid role or secret ID"]
    lookup = vab.post(f"{A}role/web/secret-id/lookup", {"secret_id": expiring["secret_id"]})
    assert lookup.status == 204
    assert vab.list(f"{A}role/web/secret-id").status == 404  # both expired by now
    reply = vab.post(f"{A}tidy/secret-id", {})
    assert reply.status == 202 and reply.body["warnings"]
    assert backend.store.storage.list("secret_id/") == []
    assert backend.store.storage.list("accessor/") == []


def test_tidy_removes_dangling_entries(vab: Vab) -> None:
    make_role(vab, role_id="rid")
    kept = new_secret(vab)
    orphan = new_secret(vab)
    store = vab.core.route("auth/approle/")[1].store
    role = store.role("web")
    # an accessor index without its secret ID, and a secret ID without its accessor index
    store.storage.put_json("accessor/dangling", {"secret_id_hmac": "nothing"})
    stored = store.secret(role, orphan["secret_id"])
    store.storage.delete(store._accessor_key(role, stored.entry.accessor))
    assert vab.post(f"{A}tidy/secret-id", {}).status == 202
    assert "dangling" not in store.storage.list("accessor/")
    assert len(store.storage.list("accessor/")) == 1
    assert login(vab, "rid", kept["secret_id"]).status == 200
    assert login(vab, "rid", orphan["secret_id"]).errors == ["invalid role or secret ID"]


def test_wrapped_secret_id(vab: Vab) -> None:
    make_role(vab, role_id="rid")
    response = vab.client.open(
        "/v1/auth/approle/role/web/secret-id",
        method="POST",
        json={},
        headers={"X-Vault-Token": "root", "X-Vault-Wrap-TTL": "300"},
    )
    body = response.get_json()
    assert body["data"] is None and body["wrap_info"]["ttl"] == 300
    accessor = body["wrap_info"]["wrapped_accessor"]
    unwrapped = vab.post("sys/wrapping/unwrap", {}, token=body["wrap_info"]["token"]).data
    assert unwrapped["secret_id_accessor"] == accessor
    assert login(vab, "rid", unwrapped["secret_id"]).status == 200


def test_util_parsers() -> None:
    assert util.parse_metadata("{}") == {}
    with pytest.raises(Exception, match="invalid <key,value> pair"):
        util.parse_metadata("a=")
    assert util.go_quote_list(["a", "b"]) == '["a" "b"]'
    assert str(util.parse_cidr("10.0.0.1/8")) == "10.0.0.0/8"
    for bad in ("10.0.0.1", "10.0.0.0/33", "10.0.0.0/08", "x/8", "::1/129"):
        with pytest.raises(ValueError, match="invalid CIDR address"):
            util.parse_cidr(bad)
    util.check_subset(["10.1.0.0/16", "10.2.3.4/32"], ["10.0.0.0/8"])
    util.check_subset(["127.0.0.1/32"], ["127.0.0.1"])  # a bare address on the role is a /32
    util.check_subset(["::1/128"], ["::/0"])
    assert util.address_in_blocks("::1", ["::1/128"]) and not util.address_in_blocks("x", ["::/0"])
    assert json.loads(util.go_quote('a"b')) == 'a"b'
