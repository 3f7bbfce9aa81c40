"""Client authentication with RFC 7523 assertions: every rule, and single use of ``jti``."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import jwt
import pytest

from tests.agent_auth.conftest import Setup
from tests.agent_auth.support import (
    ASSERTION_TYPE,
    TOKEN_EXCHANGE,
    Agent,
    new_key,
    oauth_error,
    ok,
)


def exchange(setup: Setup, assertion: str, **extra: str):
    form = {
        "grant_type": TOKEN_EXCHANGE,
        "delegation_id": setup.delegation,
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
        **extra,
    }
    return setup.world.send("POST", "auth/agent/token", token=None, form=form)


def test_replayed_assertion_is_refused(setup: Setup) -> None:
    assertion = setup.bot.assertion(setup.world.token_url)
    ok(exchange(setup, assertion))
    text = oauth_error(exchange(setup, assertion), "invalid_client", 401)
    assert "already been used" in text


def test_concurrent_replays_have_one_winner(setup: Setup) -> None:
    assertion = setup.bot.assertion(setup.world.token_url)
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: exchange(setup, assertion)[0], range(16)))
    assert sorted(statuses) == [200] + [401] * 15


def test_the_issuer_is_an_accepted_audience(setup: Setup) -> None:
    ok(exchange(setup, setup.bot.assertion(setup.world.issuer)))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"aud": "https://elsewhere.example/token"}, '"aud" must be the token endpoint URL'),
        ({"aud": None}, "aud"),
        ({"exp": None}, "exp"),
        ({"jti": None}, "jti"),
        ({"exp": int(time.time()) + 3600}, "at most 300 seconds ahead"),
        ({"exp": int(time.time()) - 120, "iat": int(time.time()) - 180}, "expired"),
        ({"iss": "someone-else"}, '"iss" and "sub" must both be the client id'),
        ({"sub": "no-such-client", "iss": "no-such-client"}, "unknown client"),
        ({"jti": ""}, "jti"),
    ],
)
def test_assertion_rules(setup: Setup, overrides: dict, message: str) -> None:
    assertion = setup.bot.assertion(setup.world.token_url, **overrides)
    text = oauth_error(exchange(setup, assertion), "invalid_client", 401)
    assert message in text, text


def test_signed_by_an_unregistered_key(setup: Setup) -> None:
    key, _ = new_key()
    impostor = Agent(setup.bot.name, setup.bot.id, setup.bot.entity_id, key, "EdDSA")
    text = oauth_error(
        exchange(setup, impostor.assertion(setup.world.token_url)), "invalid_client", 401
    )
    assert "signature verification failed" in text


def test_symmetric_and_none_algorithms_are_refused(setup: Setup) -> None:
    w = setup.world
    now = int(time.time())
    claims = {
        "iss": setup.bot.id,
        "sub": setup.bot.id,
        "aud": w.token_url,
        "exp": now + 60,
        "jti": str(uuid.uuid4()),
    }
    hs = jwt.encode(claims, "a-shared-secret-of-enough-length-1234", algorithm="HS256")
    assert "not accepted" in oauth_error(exchange(setup, hs), "invalid_client", 401)
    none = jwt.encode(claims, None, algorithm="none")
    assert "not accepted" in oauth_error(exchange(setup, none), "invalid_client", 401)


def test_wrong_assertion_type_and_garbage(setup: Setup) -> None:
    assertion = setup.bot.assertion(setup.world.token_url)
    reply = exchange(setup, assertion, client_assertion_type="urn:other")
    assert "client_assertion_type" in oauth_error(reply, "invalid_client", 401)
    assert "malformed" in oauth_error(exchange(setup, "garbage"), "invalid_client", 401)


def test_client_id_must_match_the_assertion(setup: Setup) -> None:
    reply = exchange(setup, setup.bot.assertion(setup.world.token_url), client_id="other")
    oauth_error(reply, "invalid_client", 401)


def test_one_method_per_request(setup: Setup) -> None:
    reply = exchange(
        setup, setup.bot.assertion(setup.world.token_url), client_id=setup.bot.id, client_secret="x"
    )
    assert "exactly one" in oauth_error(reply, "invalid_request")


def test_no_client_authentication(setup: Setup) -> None:
    form = {"grant_type": TOKEN_EXCHANGE, "delegation_id": setup.delegation}
    reply = setup.world.send("POST", "auth/agent/token", token=None, form=form)
    assert "required" in oauth_error(reply, "invalid_client", 401)


def test_keys_with_kid_and_jwk_form(app, world) -> None:
    """A registered key with a kid is chosen by the assertion's kid; JWK keys work too."""
    bot = world.agent("kid", alg="ES256", kid="key-1", entity_policies=[])
    ok_reply = world.token_reply(bot, details=None)
    # direct mode without details and without optional_authorization_details: 400, but the
    # client was authenticated (not 401)
    assert ok_reply[0] == 400 and ok_reply[1]["error"] == "invalid_request"
    wrong_kid = Agent(bot.name, bot.id, bot.entity_id, bot.key, "ES256", kid="key-2")
    reply = world.token_reply(wrong_kid)
    assert 'kid "key-2"' in oauth_error(reply, "invalid_client", 401)
    key, _ = new_key("EdDSA")
    jwk = jwt.algorithms.OKPAlgorithm.to_jwk(key.public_key(), as_dict=True)
    jwk["kid"] = "jwk-1"
    ok(
        world.send(
            "POST",
            f"identity/agent/registration/id/{bot.id}",
            {"client_public_keys": [jwk]},
        )
    )
    jwk_agent = Agent(bot.name, bot.id, bot.entity_id, key, "EdDSA", kid="jwk-1")
    assert world.token_reply(jwk_agent)[1]["error"] == "invalid_request"


def test_used_jtis_are_purged_after_expiry(setup: Setup) -> None:
    backend = next(
        b
        for e in setup.core.mounts("auth")
        if (b := setup.core.backend_for(e)) is not None and e.type == "agent"
    )
    ok(exchange(setup, setup.bot.assertion(setup.world.token_url)))
    assert backend.client_auth.purge() == 0
    assert backend.client_auth.purge(now=time.time() + 3600) == 1
