"""Signing keys: the JWKS verifies tokens with pyjwt alone, rotation keeps earlier tokens
valid until they expire while new tokens use the new key, ES256, and the built-in
resource-server profile that trusts the keys in-process."""

from __future__ import annotations

import pytest

from tests.agent_auth.conftest import Setup
from tests.agent_auth.support import decode, denied, ok, verify_with_jwks
from vault_agent_backend.builtin.oauth_resource_server import keys as rs_keys


def test_jwks_has_the_current_key(setup: Setup) -> None:
    jwks = setup.world.jwks()
    assert len(jwks["keys"]) == 1
    key = jwks["keys"][0]
    assert key["kty"] == "OKP" and key["crv"] == "Ed25519" and key["alg"] == "EdDSA"
    assert key["use"] == "sig" and "d" not in key
    token = setup.world.token(setup.bot, delegation=setup.delegation)
    assert decode(token)[0]["kid"] == key["kid"]
    verify_with_jwks(token, jwks)


def test_rotation_keeps_old_tokens_until_they_expire(setup: Setup) -> None:
    w = setup.world
    old_token = w.token(setup.bot, delegation=setup.delegation, details=setup.details())
    old_kid = decode(old_token)[0]["kid"]
    body = ok(w.send("POST", "auth/agent/keys/rotate"))["data"]
    new_kid = body["current"]
    assert new_kid != old_kid
    listed = {k["kid"]: k for k in body["keys"]}
    assert listed[old_kid]["retire_at"] and listed[new_kid]["current"]
    jwks = w.jwks()
    assert {k["kid"] for k in jwks["keys"]} == {old_kid, new_kid}
    # the old token still works and verifies; new tokens use the new key
    ok(w.read(old_token, "db"))
    verify_with_jwks(old_token, jwks)
    new_token = w.token(setup.bot, delegation=setup.delegation, details=setup.details())
    assert decode(new_token)[0]["kid"] == new_kid
    ok(w.read(new_token, "db"))
    verify_with_jwks(new_token, jwks)
    profile = ok(w.send("GET", "sys/config/oauth-resource-server/builtin-auth-agent"))["data"]
    assert {k["key_id"] for k in profile["public_keys"]} == {old_kid, new_kid}


def test_keys_retire_after_the_overlap(setup: Setup) -> None:
    w = setup.world
    old_token = w.token(setup.bot, delegation=setup.delegation, details=setup.details())
    old_kid = decode(old_token)[0]["kid"]
    ok(w.send("POST", "auth/agent/keys/rotate", {"overlap": "0s"}))
    # the overlap was shorter than token lifetimes: warned, and the old key is gone at once
    ok(w.send("POST", "auth/agent/keys/rotate"))
    assert old_kid not in {k["kid"] for k in w.jwks()["keys"]}
    denied(w.read(old_token, "db"), f'no key with kid "{old_kid}"')


def test_short_overlap_is_warned(setup: Setup) -> None:
    body = ok(setup.world.send("POST", "auth/agent/keys/rotate", {"overlap": "10s"}))
    assert any("shorter than the longest token lifetime" in w for w in body["warnings"])


def test_default_overlap_covers_the_longest_max_ttl(setup: Setup) -> None:
    w = setup.world
    ok(w.send("POST", f"identity/agent/registration/id/{setup.bot.id}", {"max_ttl": "2h"}))
    body = ok(w.send("POST", "auth/agent/keys/rotate"))["data"]
    previous = next(k for k in body["keys"] if not k["current"])
    assert previous["retire_at"] - previous["created_at"] >= 7200


def test_es256_signing(setup: Setup) -> None:
    w = setup.world
    ok(w.send("POST", "auth/agent/config", {"signing_algorithm": "ES256"}))
    assert ok(w.send("GET", "auth/agent/config"))["data"]["signing_algorithm"] == "ES256"
    body = ok(w.send("POST", "auth/agent/keys/rotate"))["data"]
    assert body["algorithm"] == "ES256"
    token = w.token(setup.bot, delegation=setup.delegation, details=setup.details())
    header = decode(token)[0]
    assert header["alg"] == "ES256" and header["typ"] == "at+jwt"
    verify_with_jwks(token, w.jwks())
    ok(w.read(token, "db"))
    status, answer, _ = w.send("POST", "auth/agent/config", {"signing_algorithm": "HS256"})
    assert status == 400, answer


def test_rotation_needs_a_vault_token_with_update(setup: Setup) -> None:
    w = setup.world
    assert w.send("POST", "auth/agent/keys/rotate", token=None)[0] == 403
    assert w.send("POST", "auth/agent/keys/rotate", token=setup.human_token)[0] == 403
    rotator = w.policy("rotator", 'path "auth/agent/keys/rotate" { capabilities = ["update"] }')
    token = ok(w.send("POST", "auth/token/create", {"policies": [rotator]}))["auth"]["client_token"]
    ok(w.send("POST", "auth/agent/keys/rotate", token=token))
    assert w.send("POST", "auth/agent/keys/rotate", {"algorithm": "RS1"})[0] == 400


def test_the_builtin_profile_trusts_the_issuer_without_http(setup: Setup) -> None:
    """The built-in tokens are verified with the profile's static keys: no JWKS fetch."""
    w = setup.world
    profile = ok(w.send("GET", "sys/config/oauth-resource-server/builtin-auth-agent"))["data"]
    assert profile["issuer_id"] == w.issuer and profile["use_jwks"] is False
    assert profile["audiences"] == ["vault"]
    before = rs_keys.STATS.jwks_fetches
    token = w.token(setup.bot, delegation=setup.delegation, details=setup.details())
    ok(w.read(token, "db"))
    ok(w.send("POST", "auth/agent/keys/rotate"))
    ok(w.read(token, "db"))
    assert rs_keys.STATS.jwks_fetches == before


def test_profile_settings_are_kept_and_used(setup: Setup) -> None:
    """An operator may tune the built-in profile (audiences); issuance follows it."""
    w = setup.world
    ok(
        w.send(
            "POST",
            "sys/config/oauth-resource-server/builtin-auth-agent",
            {"audiences": ["vault", "billing"]},
        )
    )
    token = w.token(setup.bot, delegation=setup.delegation, audience="billing")
    assert decode(token)[1]["aud"] == "billing"
    ok(w.read(token, "db"))
    ok(w.send("POST", "auth/agent/keys/rotate"))
    profile = ok(w.send("GET", "sys/config/oauth-resource-server/builtin-auth-agent"))["data"]
    assert profile["audiences"] == ["vault", "billing"] and len(profile["public_keys"]) == 2


def test_a_deleted_profile_is_recreated_at_issuance(setup: Setup) -> None:
    w = setup.world
    assert w.send("DELETE", "sys/config/oauth-resource-server/builtin-auth-agent")[0] == 204
    token = w.token(setup.bot, delegation=setup.delegation, details=setup.details())
    ok(w.read(token, "db"))


@pytest.mark.parametrize("alg", ["EdDSA", "ES256"])
def test_keyring_generates_distinct_thumbprint_kids(alg: str) -> None:
    from vault_agent_backend.builtin.agent_auth.keys import generate, thumbprint

    kid1, key1 = generate(alg)
    kid2, _ = generate(alg)
    assert kid1 != kid2 and kid1 == thumbprint(key1.public_key())
