"""Input nested deeper than the parsers can follow (JSON bodies, JWT segments, policy text,
JSON-encoded parameters) is a 4xx saying so, never a 500 from a ``RecursionError``."""

from __future__ import annotations

import base64
import json

import pytest

from tests.system.conftest import Sys

DEPTH = 3000


def nested(depth: int = DEPTH) -> str:
    return "[" * depth + "]" * depth


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize("path", ["secret/data/deep", "sys/policies/acl/deep", "auth/token/create"])
def test_a_deeply_nested_body_is_400(sysv: Sys, path: str) -> None:
    reply = sysv.call("POST", path, raw='{"data": ' + nested() + "}")
    assert reply.status == 400, reply.text
    assert reply.errors == ["failed to parse JSON input: nested too deeply"]


def test_moderate_nesting_still_works(sysv: Sys) -> None:
    value = json.loads(nested(200))
    assert sysv.post("secret/data/deep", {"data": {"v": value}}).status == 200
    assert sysv.get("secret/data/deep").body["data"]["data"]["v"] == value


@pytest.mark.parametrize("segment", ["header", "payload"])
def test_a_bearer_jwt_with_a_deep_segment_is_refused_not_a_crash(sysv: Sys, segment: str) -> None:
    parts = {"header": '{"alg":"EdDSA"}', "payload": '{"iss":"x"}'}
    parts[segment] = '{"x":' + nested() + "}"
    token = f"{b64(parts['header'])}.{b64(parts['payload'])}.c2ln"
    reply = sysv.call(
        "GET", "secret/data/x", token=None, headers={"Authorization": f"Bearer {token}"}
    )
    assert reply.status == 403, reply.text
    assert f"invalid {segment}: nested too deeply" in reply.errors[0]


@pytest.mark.parametrize(
    "policy",
    [
        'path "a" { capabilities = ' + nested() + " }",
        'path "a" ' + "{ x = " * DEPTH + "1" + "}" * DEPTH,
        '{"path": {"a": ' + nested() + "}}",
    ],
    ids=["hcl-list", "hcl-blocks", "json"],
)
def test_a_deeply_nested_policy_is_400(sysv: Sys, policy: str) -> None:
    reply = sysv.post("sys/policies/acl/deep", {"policy": policy})
    assert reply.status == 400, reply.text
    assert reply.errors == ["failed to parse policy: nested too deeply"]


def test_a_deep_body_at_the_token_endpoint_is_an_oauth_error(sysv: Sys) -> None:
    reply = sysv.call("POST", "auth/agent/token", token=None, raw='{"a": ' + nested() + "}")
    assert reply.status == 400 and reply.body["error"] == "invalid_request", reply.text
    assert "nested too deeply" in reply.body["error_description"]


def test_a_deep_delegation_details_string_is_400(sysv: Sys) -> None:
    userpass = sysv.post("sys/auth/userpass", {"type": "userpass"})
    assert userpass.status == 204
    human_policy = 'path "identity/agent/delegation" { capabilities = ["update"] }'
    sysv.policy("human", human_policy)
    assert sysv.post("auth/userpass/users/h", {"password": "pw", "policies": "human"}).status == 204
    login = sysv.post("auth/userpass/login/h", {"password": "pw"}, token=None)
    human = login.body["auth"]["client_token"]
    delegation = sysv.post(
        "identity/agent/delegation", {"agent": "x", "authorization_details": nested()}, token=human
    )
    assert delegation.status == 400, delegation.text
    assert delegation.errors == ["authorization_details must be a JSON array"]
