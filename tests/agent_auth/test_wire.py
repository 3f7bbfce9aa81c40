"""The OAuth endpoints' wire format at its edges: every 401 carries ``WWW-Authenticate``,
repeated parameters and bodies that cannot be parsed are RFC 6749 ``invalid_request`` (raw
JSON, never Vault's envelope), and no parameter value is echoed into the audit file."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.agent_auth.conftest import Setup
from tests.agent_auth.support import TOKEN_EXCHANGE, oauth_error

FORM = "application/x-www-form-urlencoded"


def post(setup: Setup, path: str, body: bytes | str, content_type: str | None) -> Any:
    headers = {"Content-Type": content_type} if content_type else {}
    resp = setup.client.open(f"/v1/auth/agent/{path}", method="POST", data=body, headers=headers)
    return resp.status_code, resp.get_json(silent=True), dict(resp.headers)


def exchange_pairs(setup: Setup) -> list[tuple[str, str]]:
    """A valid token request (fresh client assertion) as form pairs."""
    form = {"grant_type": TOKEN_EXCHANGE, "delegation_id": setup.delegation}
    form.update(setup.bot.auth(setup.world.token_url))
    return list(form.items())


def client_secret(setup: Setup) -> str:
    _, body, _ = setup.world.send("POST", f"identity/agent/registration/id/{setup.bot.id}/secret")
    return body["data"]["client_secret"]


def test_every_invalid_client_answer_carries_a_challenge(setup: Setup) -> None:
    w, bot = setup.world, setup.bot
    secret = client_secret(setup)
    basic = base64.b64encode(f"{bot.id}:wrong".encode()).decode()
    cases = [
        ("token", {"grant_type": "client_credentials"}, {}),
        ("token", {"grant_type": "client_credentials", **bot.auth("http://elsewhere/token")}, {}),
        ("token", {"grant_type": "client_credentials", "client_id": bot.id,
                   "client_secret": secret + "x"}, {}),
        ("token", {"grant_type": "client_credentials"}, {"Authorization": f"Basic {basic}"}),
        ("introspect", {"token": "x"}, {}),
        ("revoke", {"token": "x", "client_id": bot.id, "client_secret": "nope"}, {}),
    ]  # fmt: skip
    for endpoint, form, headers in cases:
        reply = w.send("POST", f"auth/agent/{endpoint}", token=None, form=form, headers=headers)
        oauth_error(reply, "invalid_client", 401)
        assert reply[2].get("WWW-Authenticate", "").startswith("Basic realm="), (endpoint, form)


@pytest.mark.parametrize("name", ["grant_type", "delegation_id", "client_assertion"])
def test_a_repeated_parameter_is_invalid_request(setup: Setup, name: str) -> None:
    pairs = exchange_pairs(setup)
    pairs.append((name, dict(pairs)[name]))
    status, body, headers = post(setup, "token", urlencode(pairs), FORM)
    assert (status, body["error"]) == (400, "invalid_request"), body
    assert body["error_description"] == f'parameter "{name}" must not be repeated'
    assert headers.get("Cache-Control") == "no-store"


def test_repeated_authorization_details_are_invalid_request(setup: Setup) -> None:
    details = json.dumps(setup.details())
    pairs = exchange_pairs(setup) + [("authorization_details", details)] * 2
    status, body, _ = post(setup, "token", urlencode(pairs), FORM)
    assert (status, body["error"]) == (400, "invalid_request"), body
    assert "authorization_details" in body["error_description"]


def test_a_repeated_client_secret_is_not_echoed_into_the_audit_file(setup: Setup, tmp_path) -> None:
    audit = tmp_path / "audit.log"
    reply = setup.world.send(
        "PUT", "sys/audit/file", {"type": "file", "options": {"file_path": str(audit)}}
    )
    assert reply[0] == 204, reply
    secret = client_secret(setup)
    pairs = [("grant_type", "client_credentials"), ("client_id", setup.bot.id)]
    pairs += [("client_secret", secret)] * 2
    for endpoint in ("token", "login", "introspect", "revoke"):
        status, body, _ = post(setup, endpoint, urlencode([*pairs, ("token", "t")]), FORM)
        assert status == 400, (endpoint, body)
        assert secret not in json.dumps(body)
    assert secret not in audit.read_text()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("grant_type=client_credentials", "text/plain"),
        ("{not json", "application/json"),
        ("[1, 2]", "application/json"),
        ('"a string"', None),
    ],
)
@pytest.mark.parametrize("endpoint", ["token", "introspect", "revoke"])
def test_an_unparsable_body_is_invalid_request(
    setup: Setup, endpoint: str, body: str, content_type: str | None
) -> None:
    status, reply, headers = post(setup, endpoint, body, content_type)
    assert status == 400 and reply["error"] == "invalid_request", reply
    assert "failed to parse JSON input" in reply["error_description"]
    assert "errors" not in reply
    assert headers.get("Cache-Control") == "no-store"


def test_other_paths_keep_vaults_error_shape(setup: Setup) -> None:
    for path in ("/v1/auth/agent/keys/rotate", "/v1/auth/userpass/login/x", "/v1/sys/token"):
        resp = setup.client.open(
            path, method="POST", data="{bad", headers={"Content-Type": "application/json"}
        )
        assert resp.status_code == 400
        assert "failed to parse JSON input" in resp.get_json()["errors"][0]


def test_deep_authorization_details_in_a_form_are_invalid(setup: Setup) -> None:
    depth = 3000
    pairs = [*exchange_pairs(setup), ("authorization_details", "[" * depth + "]" * depth)]
    status, body, _ = post(setup, "token", urlencode(pairs), FORM)
    assert (status, body["error"]) == (400, "invalid_authorization_details"), body
    assert "nested too deeply" in body["error_description"]
