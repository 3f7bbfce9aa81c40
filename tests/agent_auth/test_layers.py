"""Issuance refuses authorization details outside any layer (SPEC §6/§7): each layer in turn,
the entry and the layer named in a 400 ``invalid_authorization_details``; and per-request
enforcement stays authoritative afterwards."""

from __future__ import annotations

from tests.agent_auth.conftest import CEILING_HCL, HUMAN_HCL, Setup
from tests.agent_auth.support import World, decode, denied, oauth_error, ok, path_access


def refused(reply, layer: str, index: int = 0, capability: str | None = None) -> str:
    description = oauth_error(reply, "invalid_authorization_details")
    assert f"authorization_details[{index}]" in description, description
    assert f"outside the {layer} layer" in description, description
    if capability:
        assert f'capability "{capability}"' in description, description
    return description


def test_every_layer_allows_the_reference_request(setup: Setup) -> None:
    ok(setup.world.token_reply(setup.bot, delegation=setup.delegation, details=setup.details()))


def test_human_layer(setup: Setup) -> None:
    """The human's policies changed after the delegation: issuance follows current state."""
    w = setup.world
    w.policy("human", HUMAN_HCL + '\npath "secret/data/APP/payments" { capabilities = ["deny"] }')
    reply = w.token_reply(
        setup.bot,
        delegation=setup.delegation,
        details=setup.details("db") + setup.details("payments"),
    )
    text = refused(reply, "human", index=1, capability="read")
    assert w.name("human") in text
    ok(w.token_reply(setup.bot, delegation=setup.delegation, details=setup.details("db")))


def test_human_layer_for_a_glob_at_its_literal_prefix(setup: Setup) -> None:
    w = setup.world
    wide = [path_access("secret/data/*", "read")]
    delegation = ok(
        w.send(
            "POST",
            "identity/agent/delegation",
            {"agent": setup.bot.id, "authorization_details": wide},
            token=setup.human_token,
        ),
        400,
    )
    assert "outside your own policies" in delegation["errors"][0]


def test_baseline_layer(app, world: World) -> None:
    human = world.policy("human", HUMAN_HCL)
    ceiling = world.policy("ceiling", CEILING_HCL)
    baseline = world.policy("baseline", 'path "secret/data/APP/db" { capabilities = ["read"] }')
    token, _ = world.human("alice", [human])
    bot = world.agent("bot", ceiling=[ceiling], baseline=[baseline])
    delegation = world.delegate(token, bot, [path_access(f"secret/data/{world.app}/*", "read")])
    db = [path_access(f"secret/data/{world.app}/db", "read")]
    payments = [path_access(f"secret/data/{world.app}/payments", "read")]
    ok(world.token_reply(bot, delegation=delegation, details=db))
    text = refused(world.token_reply(bot, delegation=delegation, details=payments), "baseline")
    assert baseline in text


def test_ceiling_layer(setup: Setup) -> None:
    reply = setup.world.token_reply(
        setup.bot, delegation=setup.delegation, details=setup.details("db", "update")
    )
    text = refused(reply, "ceiling", capability="update")
    assert "default-ceiling" in text


def test_delegation_layer(setup: Setup) -> None:
    """Human and ceiling grant list; the delegation grants read only."""
    reply = setup.world.token_reply(
        setup.bot, delegation=setup.delegation, details=setup.details("db", "read", "list")
    )
    refused(reply, "delegation", capability="list")


def test_delegation_layer_glob_checked_at_its_prefix(app, world: World) -> None:
    human = world.policy("human", HUMAN_HCL)
    ceiling = world.policy("ceiling", CEILING_HCL)
    token, _ = world.human("alice", [human])
    bot = world.agent("bot", ceiling=[ceiling])
    narrow = world.delegate(token, bot, [path_access(f"secret/data/{world.app}/db", "read")])
    wide = [path_access(f"secret/data/{world.app}/*", "read")]
    refused(world.token_reply(bot, delegation=narrow, details=wide), "delegation")


def test_agent_layer_in_direct_mode(app, world: World) -> None:
    own = world.policy("own", 'path "secret/data/APP/db" { capabilities = ["read"] }')
    bot = world.agent("direct", entity_policies=[own])
    payments = [path_access(f"secret/data/{world.app}/payments", "read")]
    text = refused(world.token_reply(bot, details=payments), "agent")
    assert own in text and "default" in text
    ok(world.token_reply(bot, details=[path_access(f"secret/data/{world.app}/db", "read")]))


def test_deny_entries_need_no_grant(setup: Setup) -> None:
    details = [*setup.details("db"), path_access(f"secret/data/{setup.world.app}/payments", "deny")]
    token = setup.world.token(setup.bot, delegation=setup.delegation, details=details)
    ok(setup.world.read(token, "db"))
    denied(setup.world.read(token, "payments"), "RAR_NO_MATCH")


def test_allowed_authorization_types_are_enforced(setup: Setup) -> None:
    w = setup.world
    details = [{"type": "payment_initiation", "amount": 1}]
    reply = w.token_reply(setup.bot, delegation=setup.delegation, details=details)
    assert "unsupported authorization_details type" in oauth_error(
        reply, "invalid_authorization_details"
    )


def test_per_request_enforcement_stays_authoritative(setup: Setup) -> None:
    """A token issued while the ceiling allowed it is refused once the ceiling changes."""
    w = setup.world
    token = w.token(setup.bot, delegation=setup.delegation, details=setup.details())
    ok(w.read(token, "db"))
    w.policy("ceiling", 'path "secret/data/other/*" { capabilities = ["read"] }')
    denied(w.read(token, "db"), "CEILING_POLICY_DENIED")


def test_delegation_layer_is_evaluated_per_request(setup: Setup) -> None:
    """The delegation's own details bound the token on every request (explain shows it)."""
    w = setup.world
    token = w.token(setup.bot, delegation=setup.delegation)
    assert decode(token)[1]["delegation_id"] == setup.delegation
    body = ok(
        w.send(
            "POST",
            "sys/agent/explain",
            {
                "token": token,
                "requests": [{"path": f"secret/data/{w.app}/db", "operation": "read"}],
            },
        )
    )
    layers = [v["layer"] for v in body["data"]["results"][0]["layers"]]
    assert layers == ["human", "ceiling", "authorization_details", "delegation"]
    human = body["data"]["results"][0]["layers"][0]
    assert w.name("human") in human["policies"]
