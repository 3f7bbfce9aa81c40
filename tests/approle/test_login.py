"""AppRole logins: tokens, identity, use counts, CIDR rules, renewal."""

from __future__ import annotations

import threading

from tests.approle.helpers import A, login, make_role, new_secret
from tests.support.inprocess import Vab


def test_login_token_identity_and_metadata(vab: Vab, accessor: str) -> None:
    make_role(vab, role_id="web-rid", token_policies="p1", token_ttl="1h", token_max_ttl="2h")
    sid = new_secret(vab, metadata='{"team":"x"}')["secret_id"]
    reply = login(vab, "web-rid", sid)
    assert reply.status == 200, reply
    auth = reply.auth
    assert auth["policies"] == ["default", "p1"] and auth["lease_duration"] == 3600
    assert auth["metadata"] == {"role_name": "web", "team": "x"}
    assert auth["renewable"] is True and auth["token_type"] == "service"
    entity = vab.get(f"identity/entity/id/{auth['entity_id']}").data
    alias = entity["aliases"][0]
    assert alias["name"] == "web-rid" and alias["mount_accessor"] == accessor
    assert alias["mount_type"] == "approle" and alias["metadata"] == auth["metadata"]
    looked = vab.get("auth/token/lookup-self", token=auth["client_token"]).data
    assert looked["display_name"] == "approle" and looked["path"] == "auth/approle/login"
    assert looked["meta"] == {"role_name": "web", "team": "x"}
    # the same role_id maps to the same entity on every login
    again = login(vab, "web-rid", sid).auth
    assert again["entity_id"] == auth["entity_id"]


def test_login_errors(vab: Vab) -> None:
    make_role(vab, role_id="rid")
    assert login(vab, "").errors == ["missing role_id"]
    assert login(vab, "  ").errors == ["missing role_id"]
    assert login(vab, "nope", "x").errors == ["invalid role or secret ID"]
    assert login(vab, "rid").errors == ["missing secret_id"]
    assert login(vab, "rid", "wrong").errors == ["invalid role or secret ID"]
    reply = vab.post(f"{A}login", {"role_id": "rid", "secret_id": "wrong"}, token="root")
    assert reply.status == 400  # a token changes nothing


def test_use_counts(vab: Vab) -> None:
    make_role(vab, role_id="rid")
    sid = new_secret(vab, num_uses=2)["secret_id"]
    assert login(vab, "rid", sid).status == 200
    looked = vab.post(f"{A}role/web/secret-id/lookup", {"secret_id": sid}).data
    assert looked["secret_id_num_uses"] == 1
    assert looked["last_updated_time"] >= looked["creation_time"]
    assert login(vab, "rid", sid).status == 200
    assert vab.post(f"{A}role/web/secret-id/lookup", {"secret_id": sid}).status == 204
    assert login(vab, "rid", sid).errors == ["invalid role or secret ID"]


def test_failed_logins_spend_nothing(vab: Vab) -> None:
    make_role(vab, role_id="rid")
    sid = new_secret(vab, num_uses=1, cidr_list="10.0.0.0/8")["secret_id"]
    reply = login(vab, "rid", sid, remote_addr="127.0.0.1")
    assert reply.errors == [
        'source address "127.0.0.1" unauthorized by CIDR restrictions on the secret ID: %!w(<nil>)'
    ]
    looked = vab.post(f"{A}role/web/secret-id/lookup", {"secret_id": sid}).data
    assert looked["secret_id_num_uses"] == 1
    assert login(vab, "rid", sid, remote_addr="10.9.8.7").status == 200
    assert login(vab, "rid", sid, remote_addr="10.9.8.7").status == 400


def test_cidr_rules(vab: Vab) -> None:
    make_role(vab, role_id="rid")
    unlimited = new_secret(vab, cidr_list="10.0.0.0/8")["secret_id"]
    assert login(vab, "rid", unlimited).errors == [
        'source address "127.0.0.1" unauthorized through CIDR restrictions on the secret ID'
    ]
    assert login(vab, "rid", unlimited, remote_addr="10.0.0.1").status == 200
    make_role(vab, "far", role_id="far-rid", secret_id_bound_cidrs="10.0.0.0/8")
    sid = new_secret(vab, "far")["secret_id"]
    assert login(vab, "far-rid", sid).errors == [
        'source address "127.0.0.1" unauthorized by CIDR restrictions on the role: %!w(<nil>)'
    ]
    assert login(vab, "far-rid", sid, remote_addr="10.1.1.1").status == 200
    make_role(
        vab, "nosec", role_id="nosec-rid", bind_secret_id=False, secret_id_bound_cidrs="127.0.0.0/8"
    )
    reply = login(vab, "nosec-rid")
    assert reply.status == 200 and reply.auth["metadata"] == {"role_name": "nosec"}
    assert login(vab, "nosec-rid", remote_addr="192.168.0.1").status == 400


def test_token_bound_cidrs(vab: Vab) -> None:
    make_role(vab, role_id="rid", token_bound_cidrs="127.0.0.0/8")
    from_role = login(vab, "rid", new_secret(vab)["secret_id"]).auth["client_token"]
    assert vab.get("auth/token/lookup-self", token=from_role).status == 200
    assert vab.get("auth/token/lookup-self", token=from_role, remote_addr="10.0.0.1").status == 403
    narrowed = new_secret(vab, token_bound_cidrs="127.0.0.2/32")["secret_id"]
    token = login(vab, "rid", narrowed).auth["client_token"]
    assert vab.get("auth/token/lookup-self", token=token, remote_addr="127.0.0.2").status == 200
    assert vab.get("auth/token/lookup-self", token=token, remote_addr="127.0.0.1").status == 403


def test_renewal_follows_the_role(vab: Vab) -> None:
    make_role(vab, role_id="rid", token_ttl="1h", token_max_ttl="3h")
    token = login(vab, "rid", new_secret(vab)["secret_id"]).auth["client_token"]
    make_role(vab, token_ttl="2h")
    renewed = vab.post("auth/token/renew-self", {}, token=token)
    assert renewed.status == 200 and renewed.auth["lease_duration"] == 7200
    assert vab.delete(f"{A}role/web").status == 204
    reply = vab.post("auth/token/renew-self", {}, token=token)
    assert reply.status == 400
    assert reply.errors == ['failed to renew entry: role "web" does not exist during renewal']


def test_batch_tokens_and_no_default_policy(vab: Vab) -> None:
    make_role(
        vab, role_id="rid", token_type="batch", token_no_default_policy=True, token_policies="p"
    )
    auth = login(vab, "rid", new_secret(vab)["secret_id"]).auth
    assert auth["token_type"] == "batch" and auth["policies"] == ["p"]


def test_last_use_is_spent_once(vab: Vab) -> None:
    make_role(vab, role_id="rid")
    sid = new_secret(vab, num_uses=1)["secret_id"]
    statuses: list[int] = []
    barrier = threading.Barrier(8)

    def attempt() -> None:
        barrier.wait()
        statuses.append(login(vab, "rid", sid).status)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [400] * 7
