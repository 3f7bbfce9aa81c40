"""Agent-to-agent chains: RFC 8693 token exchange of another agent's token gives nested
``act`` claims, bounded by ``max_delegation_depth`` (at issuance and on every request)."""

from __future__ import annotations

from tests.agent_auth.conftest import Setup
from tests.agent_auth.support import decode, denied, oauth_error, ok, path_access


def depth(setup: Setup, agent, value: int) -> None:
    ok(
        setup.world.send(
            "POST",
            f"identity/agent/registration/id/{agent.id}",
            {"max_delegation_depth": value},
        )
    )


def test_chain_depth_is_enforced_at_issuance(setup: Setup) -> None:
    w = setup.world
    helper = w.agent("helper", ceiling=[w.name("ceiling")])
    first = w.token(setup.bot, delegation=setup.delegation, details=setup.details())
    reply = w.token_reply(helper, subject_token=first)
    assert "act chain depth 2 exceeds max_delegation_depth 1" in oauth_error(reply, "invalid_grant")
    depth(setup, helper, 2)
    assert "max_delegation_depth 1" in oauth_error(
        w.token_reply(helper, subject_token=first), "invalid_grant"
    )  # the first agent must allow the depth too
    depth(setup, setup.bot, 2)
    chained = w.token(helper, subject_token=first)
    claims = decode(chained)[1]
    parent = decode(first)[1]
    assert claims["sub"] == setup.human_entity
    assert claims["act"] == {"sub": helper.entity_id, "act": {"sub": setup.bot.entity_id}}
    assert claims["delegation_id"] == setup.delegation and claims["txn"] == parent["txn"]
    assert claims["client_id"] == helper.id and claims["exp"] <= parent["exp"]
    assert claims["authorization_details"] == setup.details()
    ok(w.read(chained, "db"))

    third = w.agent("third", ceiling=[w.name("ceiling")], max_delegation_depth=3)
    assert "act chain depth 3 exceeds" in oauth_error(
        w.token_reply(third, subject_token=chained), "invalid_grant"
    )


def test_chain_depth_is_enforced_per_request(setup: Setup) -> None:
    w = setup.world
    helper = w.agent("helper", ceiling=[w.name("ceiling")], max_delegation_depth=2)
    depth(setup, setup.bot, 2)
    first = w.token(setup.bot, delegation=setup.delegation, details=setup.details())
    chained = w.token(helper, subject_token=first)
    ok(w.read(chained, "db"))
    depth(setup, setup.bot, 1)
    denied(w.read(chained, "db"), "act chain depth 2 exceeds max_delegation_depth 1")
    depth(setup, setup.bot, 2)
    ok(w.read(chained, "db"))
    ok(w.send("POST", f"identity/agent/registration/id/{setup.bot.id}", {"status": "suspended"}))
    denied(w.read(chained, "db"), "of the act chain is suspended")


def test_chained_token_is_bounded_by_its_subject_token(setup: Setup) -> None:
    w = setup.world
    helper = w.agent("helper", ceiling=[w.name("ceiling")], max_delegation_depth=2)
    depth(setup, setup.bot, 2)
    first = w.token(setup.bot, delegation=setup.delegation, details=setup.details("db"))
    reply = w.token_reply(helper, subject_token=first, details=setup.details("payments"))
    assert "outside the subject_token layer" in oauth_error(reply, "invalid_authorization_details")
    chained = w.token(helper, subject_token=first)
    denied(w.read(chained, "payments"), "RAR_NO_MATCH")


def test_chained_token_dies_with_the_delegation_and_the_subject_token(setup: Setup) -> None:
    w = setup.world
    helper = w.agent("helper", ceiling=[w.name("ceiling")], max_delegation_depth=2)
    depth(setup, setup.bot, 2)
    first = w.token(setup.bot, delegation=setup.delegation, details=setup.details())
    chained = w.token(helper, subject_token=first)
    ok(
        w.send(
            "DELETE", f"identity/agent/delegation/id/{setup.delegation}", token=setup.human_token
        )
    )
    denied(w.read(chained, "db"), "DELEGATION_ENDED")
    assert "subject_token is not valid" in oauth_error(
        w.token_reply(helper, subject_token=first), "invalid_grant"
    )


def test_cycles_and_foreign_tokens_are_refused(setup: Setup) -> None:
    w = setup.world
    helper = w.agent("helper", ceiling=[w.name("ceiling")], max_delegation_depth=3)
    depth(setup, setup.bot, 3)
    first = w.token(setup.bot, delegation=setup.delegation, details=setup.details())
    chained = w.token(helper, subject_token=first)
    assert "already part" in oauth_error(
        w.token_reply(setup.bot, subject_token=chained), "invalid_grant"
    )
    assert "not valid" in oauth_error(w.token_reply(helper, subject_token="a.b.c"), "invalid_grant")


def test_chain_from_a_direct_token(setup: Setup) -> None:
    """An agent acting as itself hands a task to another agent: sub stays the first agent."""
    w = setup.world
    own = w.policy("own", 'path "secret/data/APP/*" { capabilities = ["read"] }')
    lead = w.agent("lead", entity_policies=[own], ceiling=[w.name("ceiling")])
    helper = w.agent("helper", ceiling=[w.name("ceiling")])
    details = [path_access(f"secret/data/{w.app}/db", "read")]
    direct = w.token(lead, details=details)
    chained = w.token(helper, subject_token=direct)
    claims = decode(chained)[1]
    assert claims["sub"] == lead.entity_id and claims["act"] == {"sub": helper.entity_id}
    assert "delegation_id" not in claims
    ok(w.read(chained, "db"))


def test_revoking_a_subject_token_revokes_the_tokens_chained_from_it(setup: Setup) -> None:
    """RFC 7009 revocation of the first agent's token ends the helper's token made from it,
    and the one made from that (the chain depends on its subject token)."""
    w = setup.world
    helper = w.agent("helper", ceiling=[w.name("ceiling")], max_delegation_depth=3)
    third = w.agent("third", ceiling=[w.name("ceiling")], max_delegation_depth=3)
    depth(setup, setup.bot, 3)
    first = w.token(setup.bot, delegation=setup.delegation, details=setup.details())
    chained = w.token(helper, subject_token=first)
    grandchild = w.token(third, subject_token=chained)
    unrelated = w.token(setup.bot, delegation=setup.delegation, details=setup.details())
    for token in (chained, grandchild, unrelated):
        ok(w.read(token, "db"))
    form = {"token": first, **setup.bot.auth(w.token_url)}
    assert w.send("POST", "auth/agent/revoke", token=None, form=form)[0] == 200
    for token in (first, chained, grandchild):
        denied(w.read(token, "db"), "token has been revoked")
    ok(w.read(unrelated, "db"))
