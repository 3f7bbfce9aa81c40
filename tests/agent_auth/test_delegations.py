"""Delegations (SPEC §4.2): who may create them, who sees and revokes them, and every way
one ends -- each taking effect on the agent's very next request."""

from __future__ import annotations

import time

from tests.agent_auth.conftest import HUMAN_HCL, Setup
from tests.agent_auth.support import denied, oauth_error, ok, path_access, poll

DELEGATION = "identity/agent/delegation"


def create(setup: Setup, token: str, details=None, **fields):
    body = {
        "agent": setup.bot.name,
        "authorization_details": details or setup.details(),
        **fields,
    }
    return setup.world.send("POST", DELEGATION, body, token=token)


# ----- creating ----------------------------------------------------------------------------------


def test_created_with_the_humans_own_token(setup: Setup) -> None:
    w = setup.world
    body = ok(create(setup, setup.human_token, purpose="quarterly report", ttl="1h"))["data"]
    assert body["agent"] == setup.bot.id and body["agent_display_name"] == setup.bot.name
    assert body["subject_entity_id"] == setup.human_entity
    assert body["purpose"] == "quarterly report" and body["status"] == "active"
    assert body["policies"] == sorted(["default", w.name("human")])
    lookup = ok(w.send("GET", "auth/token/lookup-self", token=setup.human_token))["data"]
    assert body["token_accessor"] == lookup["accessor"]
    assert 3590 <= body["ttl"] <= 3600 and body["expire_time"]
    read = ok(w.send("GET", f"{DELEGATION}/id/{body['delegation_id']}", token=setup.human_token))
    assert read["data"]["authorization_details"] == setup.details()


def test_root_token_cannot_delegate(setup: Setup) -> None:
    status, body, _ = create(setup, "root")
    assert status == 400 and "root token cannot create a delegation" in body["errors"][0]


def test_entity_less_token_cannot_delegate(setup: Setup) -> None:
    w = setup.world
    token = ok(w.send("POST", "auth/token/create", {"policies": [w.name("human")]}))
    status, body, _ = create(setup, token["auth"]["client_token"])
    assert status == 400 and "no identity entity" in body["errors"][0]


def test_creating_needs_update_on_the_path(setup: Setup) -> None:
    w = setup.world
    reader = w.policy("reader", 'path "secret/data/APP/*" { capabilities = ["read"] }')
    token, _ = w.human("carol", [reader])
    status, body, _ = create(setup, token)
    assert status == 403 and "permission denied" in body["errors"][0]


def test_cannot_delegate_more_than_you_have(setup: Setup) -> None:
    details = [path_access(f"secret/data/{setup.world.app}/db", "delete")]
    status, body, _ = create(setup, setup.human_token, details)
    assert status == 400
    assert 'capability "delete") is outside your own policies' in body["errors"][0]


def test_bad_input_is_400(setup: Setup) -> None:
    w = setup.world
    cases = [
        ({"agent": "no-such-agent", "authorization_details": setup.details()}, "not registered"),
        ({"agent": setup.bot.id}, "authorization_details"),
        ({"agent": setup.bot.id, "authorization_details": "nope"}, "JSON array"),
        ({"agent": setup.bot.id, "authorization_details": [{"type": "x"}]}, "unsupported"),
        ({"authorization_details": setup.details()}, '"agent" is required'),
        ({"agent": setup.bot.id, "authorization_details": setup.details(), "ttl": "-1"}, "ttl"),
    ]
    for body, message in cases:
        status, answer, _ = w.send("POST", DELEGATION, body, token=setup.human_token)
        assert status == 400 and message in " ".join(answer["errors"]), (body, answer)


def test_a_ttl_beyond_the_system_maximum_is_capped(setup: Setup) -> None:
    """A ttl of centuries used to be stored, then crash the answer (500); one beyond Go's
    time.Duration is refused as a bad duration."""
    body = {"agent": setup.bot.id, "authorization_details": setup.details(), "ttl": "999999999h"}
    status, answer, _ = setup.world.send("POST", DELEGATION, body, token=setup.human_token)
    assert status == 400 and "invalid duration" in answer["errors"][0], answer
    body["ttl"] = "2000000h"  # 228 years: a valid duration, far past max_lease_ttl
    status, answer, _ = setup.world.send("POST", DELEGATION, body, token=setup.human_token)
    assert status == 200, answer
    assert any("max_lease_ttl" in warning for warning in answer["warnings"]), answer
    assert 0 < answer["data"]["ttl"] <= 768 * 3600
    assert answer["data"]["expire_time"].startswith("20")


def test_warning_when_the_ceiling_does_not_cover_it(setup: Setup) -> None:
    details = [path_access(f"secret/data/{setup.world.app}/db", "update")]
    body = ok(create(setup, setup.human_token, details))
    assert any("ceiling" in warning for warning in body["warnings"])


def test_agent_tokens_cannot_delegate(setup: Setup) -> None:
    w = setup.world
    details = [path_access("identity/agent/delegation", "update")]
    token = w.token(setup.bot, delegation=setup.delegation, details=setup.details())
    status, body, _ = create(setup, token)
    assert status == 403, body
    oauth_error(
        w.token_reply(setup.bot, delegation=setup.delegation, details=details),
        "invalid_authorization_details",
    )


# ----- seeing and revoking -----------------------------------------------------------------------


def test_a_human_sees_and_revokes_only_their_own(setup: Setup) -> None:
    w = setup.world
    bob_token, bob_entity = w.human("bob", [w.name("human")])
    bobs = w.delegate(bob_token, setup.bot, setup.details())
    path = f"{DELEGATION}/id/{setup.delegation}"
    denied_read = w.send("GET", path, token=bob_token)
    assert denied_read[0] == 403 and "another entity" in denied_read[1]["errors"][0]
    assert w.send("DELETE", path, token=bob_token)[0] == 403
    assert w.send("DELETE", f"{DELEGATION}/subject/{setup.human_entity}", token=bob_token)[0] == 403
    listed = ok(w.send("LIST", DELEGATION, token=bob_token))["data"]["keys"]
    assert listed == [bobs]
    assert ok(w.send("LIST", DELEGATION, token=setup.human_token))["data"]["keys"] == [
        setup.delegation
    ]
    filtered = w.send(
        "LIST", f"{DELEGATION}?subject_entity_id={setup.human_entity}", token=bob_token
    )
    assert filtered[0] == 404
    # alice's delegation is still active and usable
    assert ok(w.send("GET", path, token=setup.human_token))["data"]["status"] == "active"
    ok(w.read(w.token(setup.bot, delegation=setup.delegation), "db"))
    assert bob_entity != setup.human_entity


def test_sudo_sees_and_revokes_all(setup: Setup) -> None:
    w = setup.world
    admin_policy = w.policy(
        "delegation-admin",
        'path "identity/agent/delegation" { capabilities = ["list", "sudo"] }\n'
        'path "identity/agent/delegation/*" { capabilities = ["read", "delete", "list"] }',
    )
    admin = ok(w.send("POST", "auth/token/create", {"policies": [admin_policy]}))["auth"][
        "client_token"
    ]
    bob_token, bob_entity = w.human("bob", [w.name("human")])
    bobs = w.delegate(bob_token, setup.bot, setup.details())
    keys = ok(w.send("LIST", DELEGATION, token=admin))["data"]["keys"]
    assert set(keys) == {setup.delegation, bobs}
    by_subject = ok(w.send("LIST", f"{DELEGATION}?subject_entity_id={bob_entity}", token=admin))
    assert by_subject["data"]["keys"] == [bobs]
    by_agent = ok(w.send("LIST", f"{DELEGATION}?agent={setup.bot.name}", token=admin))
    assert set(by_agent["data"]["keys"]) == {setup.delegation, bobs}
    assert w.send("LIST", f"{DELEGATION}?agent=unknown-agent", token=admin)[0] == 404
    ok(w.send("GET", f"{DELEGATION}/id/{setup.delegation}", token=admin))
    ended = ok(w.send("DELETE", f"{DELEGATION}/subject/{bob_entity}", token=admin))
    assert ended["data"]["revoked_delegation_ids"] == [bobs]
    info = ok(w.send("LIST", DELEGATION, token=admin))["data"]["key_info"]
    assert info[bobs]["status"] == "revoked" and info[setup.delegation]["status"] == "active"


def test_revoking_all_of_a_subject(setup: Setup) -> None:
    w = setup.world
    second = w.delegate(setup.human_token, setup.bot, setup.details("payments"))
    token = w.token(setup.bot, delegation=second)
    ok(w.read(token, "payments"))
    ended = ok(
        w.send("DELETE", f"{DELEGATION}/subject/{setup.human_entity}", token=setup.human_token)
    )
    assert sorted(ended["data"]["revoked_delegation_ids"]) == sorted([setup.delegation, second])
    denied(w.read(token, "payments"), "DELEGATION_ENDED")


def test_activity_counts_active_delegations(setup: Setup) -> None:
    w = setup.world
    body = ok(w.send("GET", f"identity/agent/activity/{setup.bot.id}"))["data"]
    assert body["active_delegations"] == 1
    ok(w.send("DELETE", f"{DELEGATION}/id/{setup.delegation}", token=setup.human_token))
    body = ok(w.send("GET", f"identity/agent/activity/{setup.bot.id}"))["data"]
    assert body["active_delegations"] == 0


# ----- ending ------------------------------------------------------------------------------------


def test_revocation_ends_access_on_the_next_request(setup: Setup) -> None:
    w = setup.world
    token = w.token(setup.bot, delegation=setup.delegation, details=setup.details())
    ok(w.read(token, "db"))
    assert (
        w.send("DELETE", f"{DELEGATION}/id/{setup.delegation}", token=setup.human_token)[0] == 204
    )
    denied(w.read(token, "db"), "has been revoked")
    reply = w.token_reply(setup.bot, delegation=setup.delegation)
    assert "has been revoked" in oauth_error(reply, "invalid_grant")
    body = ok(w.send("GET", f"{DELEGATION}/id/{setup.delegation}", token=setup.human_token))
    assert body["data"]["status"] == "revoked" and body["data"]["revocation_time"]


def test_expiry_ends_access(setup: Setup) -> None:
    w = setup.world
    short = w.delegate(setup.human_token, setup.bot, setup.details(), ttl="2s")
    token = w.token(setup.bot, delegation=short)
    ok(w.read(token, "db"))
    poll(lambda: w.read(token, "db")[0] == 403, timeout=10)

    def status() -> str:
        return ok(w.send("GET", f"{DELEGATION}/id/{short}", token=setup.human_token))["data"][
            "status"
        ]

    poll(lambda: status() == "expired", timeout=10)
    assert "expired" in oauth_error(w.token_reply(setup.bot, delegation=short), "invalid_grant")


def test_expiry_is_checked_per_request(setup: Setup) -> None:
    """The delegation's own expiry (not only the token's exp) is checked on each request."""
    w = setup.world
    token = w.token(setup.bot, delegation=setup.delegation)
    ok(w.read(token, "db"))
    store = setup.core.hooks["agent_delegations"].store
    record = store.get(setup.delegation)
    record["expire_at"] = time.time() - 1
    store.view.put_json("delegation/" + setup.delegation, record)
    denied(w.read(token, "db"), "has expired")


def test_revoking_the_creating_token_ends_the_delegation(setup: Setup) -> None:
    w = setup.world
    token = w.token(setup.bot, delegation=setup.delegation)
    ok(w.read(token, "db"))
    assert w.send("POST", "auth/token/revoke-self", token=setup.human_token)[0] == 204
    denied(w.read(token, "db"), "DELEGATION_ENDED")
    record = setup.core.hooks["agent_delegations"].store.get(setup.delegation)
    assert record["revoked"] and "creating token was revoked" in record["revocation_reason"]


def test_the_creating_tokens_expiry_ends_the_delegation(setup: Setup) -> None:
    w = setup.world
    token, _ = w.human("short", [w.name("human")], token_ttl="3s", token_max_ttl="1h")
    delegation = w.delegate(token, setup.bot, setup.details())
    agent_token = w.token(setup.bot, delegation=delegation)
    assert agent_token
    poll(lambda: w.token_reply(setup.bot, delegation=delegation)[0] == 400, timeout=10)
    denied(w.read(agent_token, "db"), "")


def test_a_renewed_creating_token_keeps_the_delegation(setup: Setup) -> None:
    w = setup.world
    token, _ = w.human("renews", [w.name("human")], token_ttl="3s", token_max_ttl="1h")
    delegation = w.delegate(token, setup.bot, setup.details())
    ok(w.send("POST", "auth/token/renew-self", {"increment": "1h"}, token=token))
    time.sleep(3.5)  # the creating token's original expiry must pass
    agent_token = w.token(setup.bot, delegation=delegation)
    ok(w.read(agent_token, "db"))


def test_humans_policy_change_binds_delegated_tokens(setup: Setup) -> None:
    """The human layer is current: removing the human's grant ends the agent's access."""
    w = setup.world
    token = w.token(setup.bot, delegation=setup.delegation)
    ok(w.read(token, "db"))
    w.policy("human", HUMAN_HCL.replace('"read", ', ""))
    denied(w.read(token, "db"), "HUMAN_POLICY_DENIED")


def test_tidy_forgets_long_ended_delegations(setup: Setup) -> None:
    service = setup.core.hooks["agent_delegations"]
    service.revoke(service.store.get(setup.delegation), "test")
    assert service.store.tidy(now=time.time() + 10) == 0
    assert service.store.tidy(now=time.time() + 7200) == 1
    assert service.store.get(setup.delegation) is None
