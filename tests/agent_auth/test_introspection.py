"""RFC 7662 introspection and RFC 7009 revocation of the built-in issuer's tokens."""

from __future__ import annotations

from tests.agent_auth.conftest import Setup
from tests.agent_auth.support import denied, oauth_error, ok, poll


def introspect(setup: Setup, token: str, agent=None, vault_token: str | None = None):
    w = setup.world
    form = {"token": token}
    if agent is not None:
        form.update(agent.auth(w.token_url))
    return w.send("POST", "auth/agent/introspect", token=vault_token, form=form)


def test_active_token_as_the_operator_and_as_the_agent(setup: Setup) -> None:
    w = setup.world
    token = w.token(setup.bot, delegation=setup.delegation, details=setup.details(), txn="t-1")
    for reply in (
        introspect(setup, token, vault_token="root"),
        introspect(setup, token, setup.bot),
    ):
        body = ok(reply)
        assert body["active"] is True and body["token_type"] == "Bearer"
        assert body["sub"] == setup.human_entity
        assert body["act"] == {"sub": setup.bot.entity_id}
        assert body["client_id"] == setup.bot.id and body["iss"] == w.issuer
        assert body["authorization_details"] == setup.details()
        assert body["delegation_id"] == setup.delegation and body["txn"] == "t-1"
        assert body["exp"] > body["iat"] and body["jti"]


def test_inactive_after_revocation(setup: Setup) -> None:
    w = setup.world
    token = w.token(setup.bot, delegation=setup.delegation, details=setup.details())
    ok(w.read(token, "db"))
    form = {"token": token, **setup.bot.auth(w.token_url)}
    status, body, _ = w.send("POST", "auth/agent/revoke", token=None, form=form)
    assert status == 200 and body is None
    assert ok(introspect(setup, token, vault_token="root")) == {"active": False}
    denied(w.read(token, "db"), "token has been revoked")
    # revoking again, or an unknown/garbage token, is still 200 (RFC 7009 §2.2)
    for value in (token, "not-a-token", "a.b.c"):
        form = {"token": value, **setup.bot.auth(w.token_url)}
        assert w.send("POST", "auth/agent/revoke", token=None, form=form)[0] == 200


def test_inactive_after_expiry(setup: Setup) -> None:
    w = setup.world
    token = w.token(setup.bot, delegation=setup.delegation, details=setup.details(), ttl="1s")
    poll(lambda: ok(introspect(setup, token, vault_token="root"))["active"] is False, timeout=10)
    denied(w.read(token, "db"), "token has expired")


def test_inactive_when_the_delegation_ends(setup: Setup) -> None:
    w = setup.world
    token = w.token(setup.bot, delegation=setup.delegation)
    assert ok(introspect(setup, token, setup.bot))["active"] is True
    ok(
        w.send(
            "DELETE", f"identity/agent/delegation/id/{setup.delegation}", token=setup.human_token
        )
    )
    assert ok(introspect(setup, token, setup.bot)) == {"active": False}


def test_an_agent_sees_only_its_own_tokens(setup: Setup) -> None:
    w = setup.world
    other = w.agent("other", ceiling=[w.name("ceiling")])
    token = w.token(setup.bot, delegation=setup.delegation)
    assert ok(introspect(setup, token, other)) == {"active": False}
    form = {"token": token, **other.auth(w.token_url)}
    reply = w.send("POST", "auth/agent/revoke", token=None, form=form)
    oauth_error(reply, "unauthorized_client")
    ok(w.read(token, "db"))


def test_operator_needs_update_on_the_path(setup: Setup) -> None:
    w = setup.world
    token = w.token(setup.bot, delegation=setup.delegation)
    assert introspect(setup, token, vault_token=setup.human_token)[0] == 403
    oauth_error(introspect(setup, token), "invalid_client", 401)
    policy = w.policy("introspector", 'path "auth/agent/introspect" { capabilities = ["update"] }')
    reader = ok(w.send("POST", "auth/token/create", {"policies": [policy]}))["auth"]["client_token"]
    assert ok(introspect(setup, token, vault_token=reader))["active"] is True
    # an operator may revoke with a Vault token that has update on auth/agent/revoke
    assert w.send("POST", "auth/agent/revoke", {"token": token})[0] == 200
    assert ok(introspect(setup, token, vault_token=reader))["active"] is False


def test_foreign_and_malformed_tokens_are_inactive(setup: Setup) -> None:
    for value in ("", "hvs.something", "x.y.z"):
        reply = introspect(setup, value, vault_token="root")
        if value:
            assert ok(reply) == {"active": False}
        else:
            oauth_error(reply, "invalid_request")
    assert ok(introspect(setup, setup.human_token, vault_token="root")) == {"active": False}
