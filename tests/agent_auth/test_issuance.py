"""Token issuance: grants, claims (RFC 9068), responses (RFC 6749/8693), the Vault-login
form, ttl capping, and the refusals of malformed requests."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from tests.agent_auth.conftest import Setup
from tests.agent_auth.support import (
    ACCESS_TOKEN_TYPE,
    TOKEN_EXCHANGE,
    decode,
    denied,
    oauth_error,
    ok,
    path_access,
    verify_with_jwks,
)


def test_delegated_token_claims_and_response(setup: Setup) -> None:
    w = setup.world
    reply = ok(
        w.token_reply(
            setup.bot,
            delegation=setup.delegation,
            details=setup.details("db"),
            txn="txn-1",
            purpose="read the db password",
        )
    )
    assert reply["token_type"] == "Bearer"
    assert reply["issued_token_type"] == ACCESS_TOKEN_TYPE
    assert 295 <= reply["expires_in"] <= 300
    assert reply["authorization_details"] == setup.details("db")
    token = reply["access_token"]
    header, claims = decode(token)
    assert header["typ"] == "at+jwt" and header["alg"] == "EdDSA" and header["kid"]
    assert claims["iss"] == w.issuer
    assert claims["aud"] == "vault"
    assert claims["sub"] == setup.human_entity
    assert claims["act"] == {"sub": setup.bot.entity_id}
    assert claims["client_id"] == setup.bot.id
    assert claims["delegation_id"] == setup.delegation
    assert claims["txn"] == "txn-1" and claims["purpose"] == "read the db password"
    assert claims["authorization_details"] == setup.details("db")
    assert claims["exp"] - claims["iat"] == reply["expires_in"]
    assert isinstance(claims["jti"], str) and len(claims["jti"]) >= 32
    assert verify_with_jwks(token, w.jwks()) == claims
    ok(w.read(token, "db"))


def test_defaults_come_from_the_delegation(setup: Setup) -> None:
    """No authorization_details: the delegation's; purpose defaults to the delegation's; a
    txn is generated."""
    token = setup.world.token(setup.bot, delegation=setup.delegation)
    claims = decode(token)[1]
    assert claims["authorization_details"] == [
        path_access(f"secret/data/{setup.world.app}/*", "read")
    ]
    assert claims["purpose"] == "tests" and claims["txn"]
    ok(setup.world.read(token, "payments"))


def test_json_body_and_delegation_id_shorthand(setup: Setup) -> None:
    w = setup.world
    form = {"delegation_id": setup.delegation, **setup.bot.auth(w.token_url)}
    form["authorization_details"] = setup.details("db")
    body = ok(w.send("POST", "auth/agent/token", form, token=None))
    assert decode(body["access_token"])[1]["delegation_id"] == setup.delegation


def test_ttl_is_capped_by_max_ttl(setup: Setup) -> None:
    w = setup.world
    reply = ok(w.token_reply(setup.bot, delegation=setup.delegation, ttl="1h"))
    assert reply["expires_in"] <= 300
    reply = ok(w.token_reply(setup.bot, delegation=setup.delegation, ttl="30s"))
    assert reply["expires_in"] == 30
    ok(w.send("POST", f"identity/agent/registration/id/{setup.bot.id}", {"max_ttl": "1m"}))
    assert ok(w.token_reply(setup.bot, delegation=setup.delegation))["expires_in"] == 60
    oauth_error(w.token_reply(setup.bot, delegation=setup.delegation, ttl="0"), "invalid_request")


def test_token_never_outlives_its_delegation(setup: Setup) -> None:
    w = setup.world
    short = w.delegate(setup.human_token, setup.bot, setup.details("db"), ttl="20s")
    assert ok(w.token_reply(setup.bot, delegation=short))["expires_in"] <= 20


def test_direct_mode_client_credentials(setup: Setup) -> None:
    w = setup.world
    own = w.policy("bot-own", 'path "secret/data/APP/*" { capabilities = ["read"] }')
    bot = w.agent("direct", ceiling=[], entity_policies=[own])
    token = w.token(bot, details=setup.details("db"))
    claims = decode(token)[1]
    assert claims["sub"] == bot.entity_id and "act" not in claims
    assert "delegation_id" not in claims and claims["client_id"] == bot.id
    ok(w.read(token, "db"))
    denied(w.read(token, "payments"), "RAR_NO_MATCH")


def test_login_answers_as_a_vault_login(setup: Setup) -> None:
    w = setup.world
    body = ok(
        w.token_reply(
            setup.bot, delegation=setup.delegation, details=setup.details(), endpoint="login"
        )
    )
    auth = body["auth"]
    assert auth["renewable"] is False and 0 < auth["lease_duration"] <= 300
    assert auth["entity_id"] == setup.human_entity
    assert auth["metadata"]["delegation_id"] == setup.delegation
    ok(w.read(auth["client_token"], "db"))


def test_login_errors_are_vault_errors(setup: Setup) -> None:
    w = setup.world
    status, body, _ = w.token_reply(setup.bot, delegation="nope", endpoint="login")
    assert status == 400 and "invalid_grant" in body["errors"][0]


def test_login_infers_the_grant_as_a_vault_login_would(setup: Setup) -> None:
    """``vault write auth/agent/login client_id=.. client_secret=.. subject_token=..`` has no
    grant_type: a subject means a token exchange, no subject means client credentials. The
    OAuth token endpoint still requires grant_type when no subject is given."""
    w = setup.world
    secret = ok(w.send("POST", f"identity/agent/registration/id/{setup.bot.id}/secret"))
    creds = {"client_id": setup.bot.id, "client_secret": secret["data"]["client_secret"]}
    exchanged = ok(
        w.send(
            "POST",
            "auth/agent/login",
            {
                **creds,
                "subject_token": setup.delegation,
                "subject_token_type": "urn:vab:params:oauth:token-type:delegation",
            },
            token=None,
        )
    )["auth"]
    assert exchanged["metadata"]["delegation_id"] == setup.delegation
    assert exchanged["entity_id"] == setup.human_entity
    own = w.policy("bot-own-login", 'path "secret/data/APP/*" { capabilities = ["read"] }')
    bot = w.agent("direct-login", ceiling=[], entity_policies=[own])
    secret = ok(w.send("POST", f"identity/agent/registration/id/{bot.id}/secret"))
    direct_creds = {"client_id": bot.id, "client_secret": secret["data"]["client_secret"]}
    details = json.dumps(setup.details("db"))
    direct = ok(
        w.send(
            "POST",
            "auth/agent/login",
            {**direct_creds, "authorization_details": details},
            token=None,
        )
    )["auth"]
    assert "delegation_id" not in direct["metadata"]
    assert direct["entity_id"] == bot.entity_id
    ok(w.read(direct["client_token"], "db"))
    oauth_error(w.send("POST", "auth/agent/token", token=None, form=creds), "invalid_request", 400)


def test_client_secret_basic_and_post(setup: Setup) -> None:
    w = setup.world
    secret = ok(w.send("POST", f"identity/agent/registration/id/{setup.bot.id}/secret"))
    value = secret["data"]["client_secret"]
    stored = ok(w.send("GET", f"identity/agent/registration/id/{setup.bot.id}"))["data"]
    assert stored["client_secret_set"] is True and value not in str(stored)
    basic = base64.b64encode(f"{setup.bot.id}:{value}".encode()).decode()
    form = {"grant_type": TOKEN_EXCHANGE, "delegation_id": setup.delegation}
    reply = w.send(
        "POST",
        "auth/agent/token",
        token=None,
        form=form,
        headers={"Authorization": f"Basic {basic}"},
    )
    ok(reply)
    form_post = {**form, "client_id": setup.bot.id, "client_secret": value}
    ok(w.send("POST", "auth/agent/token", token=None, form=form_post))
    wrong = {**form, "client_id": setup.bot.id, "client_secret": value + "x"}
    oauth_error(w.send("POST", "auth/agent/token", token=None, form=wrong), "invalid_client", 401)
    status, _, headers = w.send(
        "POST",
        "auth/agent/token",
        token=None,
        form=form,
        headers={"Authorization": "Basic " + base64.b64encode(b"x:y").decode()},
    )
    assert status == 401 and headers.get("WWW-Authenticate", "").startswith("Basic")


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"grant_type": "password"}, "unsupported_grant_type"),
        ({"grant_type": ""}, "invalid_request"),
        ({"grant_type": TOKEN_EXCHANGE, "delegation_id": ""}, "invalid_request"),
        (
            {"grant_type": TOKEN_EXCHANGE, "subject_token": "x", "subject_token_type": "urn:x"},
            "invalid_request",
        ),
        ({"delegation_id": "no-such-delegation"}, "invalid_grant"),
        ({"authorization_details": "not json"}, "invalid_authorization_details"),
        ({"authorization_details": '{"a": 1}'}, "invalid_authorization_details"),
        ({"authorization_details": "[]"}, "invalid_authorization_details"),
        (
            {"authorization_details": '[{"type": "x", "path": "a"}]'},
            "invalid_authorization_details",
        ),
        ({"audience": "elsewhere"}, "invalid_target"),
        ({"actor_token": "x"}, "invalid_request"),
    ],
)
def test_malformed_token_requests(setup: Setup, params: dict, error: str) -> None:
    w = setup.world
    form = {"grant_type": TOKEN_EXCHANGE, "delegation_id": setup.delegation}
    form.update(params)
    if not form["grant_type"]:
        form.pop("grant_type")
        form.pop("delegation_id")
    if form.get("subject_token"):
        form.pop("delegation_id")
    form.update(setup.bot.auth(w.token_url))
    status, body, headers = w.send("POST", "auth/agent/token", token=None, form=form)
    assert status == 400, body
    assert body["error"] == error and body["error_description"], body
    assert headers.get("Cache-Control") == "no-store"


def test_vault_token_is_never_a_subject_token(setup: Setup) -> None:
    reply = setup.world.token_reply(setup.bot, subject_token=setup.human_token)
    assert "Vault token is not accepted" in oauth_error(reply, "invalid_request")


def test_agent_cannot_use_another_agents_delegation(setup: Setup) -> None:
    w = setup.world
    other = w.agent("other", ceiling=[w.name("ceiling")])
    reply = w.token_reply(other, delegation=setup.delegation)
    assert "not granted to this agent" in oauth_error(reply, "invalid_grant")
    # a token of bot carries bot as act.sub: it cannot be presented as other's
    token = w.token(setup.bot, delegation=setup.delegation, details=setup.details())
    assert decode(token)[1]["act"]["sub"] == setup.bot.entity_id


def test_suspended_agent_gets_no_token_and_loses_access(setup: Setup) -> None:
    w = setup.world
    token = w.token(setup.bot, delegation=setup.delegation, details=setup.details())
    ok(w.send("POST", f"identity/agent/registration/id/{setup.bot.id}", {"status": "suspended"}))
    denied(w.read(token, "db"), "suspended")
    oauth_error(w.token_reply(setup.bot, delegation=setup.delegation), "unauthorized_client")


def test_tokens_are_unique_and_audited_claims_present(setup: Setup) -> None:
    w = setup.world
    first = decode(w.token(setup.bot, delegation=setup.delegation))[1]
    second = decode(w.token(setup.bot, delegation=setup.delegation))[1]
    assert first["jti"] != second["jti"] and first["txn"] != second["txn"]
    assert first["iat"] <= int(time.time()) + 1


def test_token_signed_by_another_key_is_refused(setup: Setup) -> None:
    """A token that copies our claims but is signed by another Ed25519 key."""
    from cryptography.hazmat.primitives.asymmetric import ed25519

    w = setup.world
    token = w.token(setup.bot, delegation=setup.delegation, details=setup.details())
    header, claims = decode(token)
    forged = jwt.encode(
        claims, ed25519.Ed25519PrivateKey.generate(), algorithm="EdDSA", headers=header
    )
    denied(w.read(forged, "db"), "signature verification failed")
