"""Response wrapping: ``X-Vault-Wrap-TTL``, ``sys/wrapping/*`` and the response-wrapping policy
(behaviour checked against OpenBao 2.7)."""

from __future__ import annotations

import json
import threading

from tests.system.conftest import Sys


def _wrap(sysv: Sys, data: dict, ttl: str | int = 60) -> str:
    reply = sysv.post("sys/wrapping/wrap", data, wrap=ttl)
    assert reply.status == 200, reply.text
    return reply.wrap_token


def test_wrap_answers_wrap_info_only(sysv: Sys) -> None:
    reply = sysv.post("sys/wrapping/wrap", {"a": "b", "n": 1}, wrap="90s")
    assert reply.status == 200
    body = reply.body
    assert body["request_id"] == "" and body["data"] is None and body["auth"] is None
    info = body["wrap_info"]
    assert info["ttl"] == 90 and info["creation_path"] == "sys/wrapping/wrap"
    assert info["token"].startswith("hvs.") and len(info["accessor"]) == 24
    assert "wrapped_accessor" not in info


def test_wrap_requires_a_wrap_ttl(sysv: Sys) -> None:
    reply = sysv.post("sys/wrapping/wrap", {"a": "b"})
    assert (reply.status, reply.errors) == (400, ["endpoint requires response wrapping to be used"])


def test_lookup_unauthenticated_by_body_query_or_header(sysv: Sys) -> None:
    token = _wrap(sysv, {"a": "b"}, "5m")
    for reply in (
        sysv.post("sys/wrapping/lookup", {"token": token}, token=None),
        sysv.get(f"sys/wrapping/lookup?token={token}", token=None),
        sysv.post("sys/wrapping/lookup", {}, token=token),
    ):
        assert reply.status == 200, reply.text
        assert reply.data["creation_path"] == "sys/wrapping/wrap"
        assert reply.data["creation_ttl"] == 300
        assert reply.data["creation_time"].endswith("Z")
    # lookups never consume the token
    assert sysv.post("sys/wrapping/unwrap", {}, token=token).data == {"a": "b"}


def test_lookup_errors(sysv: Sys) -> None:
    reply = sysv.post("sys/wrapping/lookup", {}, token=None)
    assert (reply.status, reply.errors) == (
        403,
        ["error validating wrapping token: token is empty"],
    )
    reply = sysv.post("sys/wrapping/lookup", {"token": "bogus"}, token=None)
    assert (reply.status, reply.errors) == (400, ["wrapping token is not valid or does not exist"])
    reply = sysv.post("sys/wrapping/lookup", {"token": 5}, token=None)
    assert reply.status == 403
    assert reply.errors == [
        "error validating wrapping token: could not decode token in request body"
    ]
    reply = sysv.post("sys/wrapping/unwrap", {"token": ""})
    assert reply.errors == ["error validating wrapping token: empty token in request body"]
    # a normal token is not a wrapping token
    assert sysv.post("sys/wrapping/lookup", {"token": "root"}, token=None).status == 400


def test_unwrap_with_the_wrapping_token_is_single_use(sysv: Sys) -> None:
    token = _wrap(sysv, {"a": "b"})
    reply = sysv.post("sys/wrapping/unwrap", {}, token=token)
    assert reply.status == 200
    assert reply.body["data"] == {"a": "b"} and reply.body["request_id"]
    assert reply.body["wrap_info"] is None
    again = sysv.post("sys/wrapping/unwrap", {}, token=token)
    assert (again.status, again.errors) == (400, ["wrapping token is not valid or does not exist"])
    assert sysv.post("sys/wrapping/lookup", {"token": token}, token=None).status == 400


def test_unwrap_with_another_token_in_the_body(sysv: Sys) -> None:
    token = _wrap(sysv, {"k": [1, 2]})
    child, _ = sysv.token(["default"])
    reply = sysv.post("sys/wrapping/unwrap", {"token": token}, token=child)
    assert reply.status == 200 and reply.data == {"k": [1, 2]}
    assert sysv.post("sys/wrapping/unwrap", {"token": token}).status == 400
    # a client token that is not a wrapping token cannot be unwrapped
    assert sysv.post("sys/wrapping/unwrap", {}).errors == [
        "wrapping token is not valid or does not exist"
    ]


def test_unwrap_keeps_the_original_request_id(sysv: Sys) -> None:
    token = _wrap(sysv, {"a": 1})
    response = sysv.get("cubbyhole/response", token=token)
    stored = json.loads(response.data["response"])
    assert response.warnings and "deprecated" in response.warnings[0]
    assert stored["data"] == {"a": 1} and stored["request_id"]
    # reading cubbyhole/response used the single use
    assert sysv.post("sys/wrapping/lookup", {"token": token}, token=None).status == 400


def test_concurrent_unwraps_hand_out_the_response_once(sysv: Sys) -> None:
    token = _wrap(sysv, {"secret": "s"})
    results: list[int] = []

    def unwrap() -> None:
        results.append(sysv.post("sys/wrapping/unwrap", {"token": token}).status)

    threads = [threading.Thread(target=unwrap) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [200] + [400] * 7


def test_rewrap_keeps_response_and_creation_path(sysv: Sys) -> None:
    old = _wrap(sysv, {"x": "y"}, "5m")
    reply = sysv.post("sys/wrapping/rewrap", {"token": old})
    assert reply.status == 200 and reply.body["request_id"] == ""
    info = reply.body["wrap_info"]
    assert info["ttl"] == 300 and info["creation_path"] == "sys/wrapping/wrap"
    assert sysv.post("sys/wrapping/lookup", {"token": old}, token=None).status == 400
    new = info["token"]
    lookup = sysv.post("sys/wrapping/lookup", {"token": new}, token=None)
    assert lookup.data["creation_path"] == "sys/wrapping/wrap"
    assert sysv.post("sys/wrapping/unwrap", {"token": new}).data == {"x": "y"}


def test_rewrap_with_a_shorter_request_ttl(sysv: Sys) -> None:
    old = _wrap(sysv, {"x": "y"}, "5m")
    reply = sysv.post("sys/wrapping/rewrap", {"token": old}, wrap=10)
    assert reply.body["wrap_info"]["ttl"] == 10


def test_wrapping_token_policy_is_narrow(sysv: Sys) -> None:
    token = _wrap(sysv, {"a": "b"})
    # the response-wrapping policy does not grant lookup-self (and OpenBao forbids rewrap)
    assert sysv.get("auth/token/lookup-self", token=token).status == 403
    token = _wrap(sysv, {"a": "b"})
    assert sysv.post("sys/wrapping/rewrap", {}, token=token).status == 403
    token = _wrap(sysv, {"a": "b"})
    assert sysv.post("cubbyhole/response", {"response": "x"}, token=token).status == 403


def test_response_wrapping_policy_is_hidden_and_immutable(sysv: Sys) -> None:
    keys = sysv.list("sys/policies/acl").data["keys"]
    assert "response-wrapping" not in keys
    reply = sysv.get("sys/policies/acl/response-wrapping")
    assert reply.status == 200 and 'path "sys/wrapping/unwrap"' in reply.data["policy"]
    assert sysv.post(
        "sys/policies/acl/response-wrapping", {"policy": 'path "x" {capabilities=["read"]}'}
    ).errors == ['cannot update "response-wrapping" policy']
    assert sysv.delete("sys/policies/acl/response-wrapping").errors == [
        'cannot delete "response-wrapping" policy'
    ]


def test_wrap_ttl_header_errors(sysv: Sys) -> None:
    reply = sysv.get("sys/mounts", wrap="-5")
    assert reply.errors == [
        "error parsing X-Vault-Wrap-TTL header: requested wrap ttl cannot be negative"
    ]
    reply = sysv.get("sys/mounts", wrap="abc")
    assert reply.errors == ['error parsing X-Vault-Wrap-TTL header: time: invalid duration "abc"']
    # 0 means no wrapping
    assert sysv.get("sys/mounts", wrap="0").body["wrap_info"] is None


def test_any_read_can_be_wrapped(sysv: Sys) -> None:
    assert sysv.post("secret/data/w", {"data": {"p": "q"}}).status == 200
    reply = sysv.get("secret/data/w", wrap="1m")
    assert reply.body["wrap_info"]["creation_path"] == "secret/data/w"
    unwrapped = sysv.post("sys/wrapping/unwrap", {}, token=reply.wrap_token)
    assert unwrapped.data["data"] == {"p": "q"}
    # errors and empty answers are not wrapped
    assert sysv.get("secret/data/missing", wrap="1m").status == 404
    assert sysv.delete("secret/data/w", wrap="1m").status == 204
    missing = sysv.list("cubbyhole/nothing", wrap="1m")
    assert (missing.status, missing.errors) == (404, ["unsupported path"])


def test_wrapped_token_creation_has_wrapped_accessor(sysv: Sys) -> None:
    reply = sysv.post("auth/token/create", {"policies": ["default"]}, wrap="2m")
    assert reply.status == 200 and reply.body["auth"] is None
    info = reply.body["wrap_info"]
    assert len(info["wrapped_accessor"]) == 24 and info["creation_path"] == "auth/token/create"
    unwrapped = sysv.post("sys/wrapping/unwrap", {"token": info["token"]})
    auth = unwrapped.body["auth"]
    assert auth["accessor"] == info["wrapped_accessor"] and auth["policies"] == ["default"]
    assert sysv.get("auth/token/lookup-self", token=auth["client_token"]).status == 200


def test_policy_wrapping_ttl_bounds(sysv: Sys) -> None:
    sysv.policy(
        "wrapped-only",
        'path "sys/tools/hash" { capabilities = ["update"] '
        'min_wrapping_ttl = "30s" max_wrapping_ttl = "2m" }',
    )
    token, _ = sysv.token(["wrapped-only"])
    assert sysv.post("sys/tools/hash", {"input": ""}, token=token).status == 403
    assert sysv.post("sys/tools/hash", {"input": ""}, token=token, wrap="10s").status == 403
    assert sysv.post("sys/tools/hash", {"input": ""}, token=token, wrap="5m").status == 403
    ok = sysv.post("sys/tools/hash", {"input": ""}, token=token, wrap="1m")
    assert ok.status == 200 and ok.body["wrap_info"]["ttl"] == 60


def test_revoking_a_wrapping_token_drops_its_cubbyhole(sysv: Sys) -> None:
    token = _wrap(sysv, {"a": "b"})
    accessor = sysv.post("sys/wrapping/lookup", {"token": token}, token=None)
    assert accessor.status == 200
    assert sysv.post("auth/token/revoke", {"token": token}).status == 204
    assert sysv.post("sys/wrapping/lookup", {"token": token}, token=None).status == 400
