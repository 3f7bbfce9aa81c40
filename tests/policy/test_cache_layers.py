"""ACLCache and layered intersection."""

from __future__ import annotations

import pytest

from tests.policy.helpers import ALICE, stanza
from vault_agent_backend.policy import (
    ACL,
    ACLCache,
    ACLError,
    AuthorizationResult,
    IdentityContext,
    intersect,
    intersect_capabilities,
    parse_policy,
    root_policy,
)
from vault_agent_backend.policy import parser as parser_module

KV = parse_policy("kv", stanza("secret/*", "read list"))
OPS = parse_policy("ops", stanza("sys/*", "sudo read"))
MINE = parse_policy("mine", stanza("home/{{identity.entity.name}}/*", "read update"))
TEAM = parse_policy("team", stanza("team/{{identity.entity.metadata.team}}/*"))


def test_hit_returns_the_same_acl() -> None:
    cache = ACLCache()
    first = cache.get_acl([KV, OPS])
    assert cache.get_acl([KV, OPS]) is first
    assert (cache.hits, cache.misses, len(cache)) == (1, 1, 1)


def test_changed_policy_text_is_a_new_entry() -> None:
    cache = ACLCache()
    old = cache.get_acl([KV])
    changed = parse_policy("kv", stanza("secret/*", "deny"))
    new = cache.get_acl([changed])
    assert new is not old
    assert new.capabilities("secret/x") == ["deny"]


def test_untemplated_policies_ignore_identity() -> None:
    cache = ACLCache()
    assert cache.get_acl([KV], ALICE) is cache.get_acl([KV], None)
    assert cache.key_for([KV], ALICE) == cache.key_for([KV], IdentityContext("other"))


def test_templated_policies_key_on_the_values_they_use() -> None:
    cache = ACLCache()
    alice = cache.get_acl([MINE], ALICE)
    assert alice.capabilities("home/alice/x") == ["read", "update"]
    same_name = IdentityContext("other-id", "alice", {"team": "red"})
    assert cache.get_acl([MINE], same_name) is alice  # MINE only reads the name
    bob = cache.get_acl([MINE], IdentityContext("b", "bob"))
    assert bob is not alice
    assert bob.capabilities("home/alice/x") == ["deny"]
    assert cache.get_acl([TEAM], ALICE) is not cache.get_acl([TEAM], same_name)


def test_decisions_never_parse_hcl(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_args: object) -> None:
        raise AssertionError("HCL parsed during a decision")

    monkeypatch.setattr(parser_module, "parse_document", boom)
    cache = ACLCache()
    acl = cache.get_acl([MINE, KV], ALICE)
    assert acl.authorize("update", "home/alice/x").allowed
    assert cache.get_acl([MINE, KV], IdentityContext("z", "zed")).capabilities("home/zed/1") == [
        "read",
        "update",
    ]


def test_invalidate_and_clear() -> None:
    cache = ACLCache()
    a = cache.get_acl([KV, OPS])
    b = cache.get_acl([OPS])
    c = cache.get_acl([MINE], ALICE)
    cache.invalidate("kv")
    assert cache.get_acl([OPS]) is b
    assert cache.get_acl([KV, OPS]) is not a
    cache.invalidate("nope")
    cache.clear()
    assert len(cache) == 0
    assert cache.get_acl([MINE], ALICE) is not c


def test_lru_bound() -> None:
    cache = ACLCache(maxsize=2)
    a = cache.get_acl([KV])
    cache.get_acl([OPS])
    cache.get_acl([KV])  # touch: KV is now the most recent
    cache.get_acl([MINE], ALICE)  # evicts OPS
    assert len(cache) == 2
    assert cache.get_acl([KV]) is a
    misses = cache.misses
    cache.get_acl([OPS])
    assert cache.misses == misses + 1
    with pytest.raises(ValueError):
        ACLCache(maxsize=0)


def test_errors_are_not_cached() -> None:
    cache = ACLCache()
    bad = parse_policy("bad", stanza("x/{{identity.entity.metadata.slash}}"))
    with pytest.raises(ACLError):
        cache.get_acl([bad], ALICE)
    assert len(cache) == 0


# -- layers -----------------------------------------------------------------------------


def test_intersect_capabilities() -> None:
    assert intersect_capabilities([["list", "read"], ["read", "update"]]) == ["read"]
    assert intersect_capabilities([["root"], ["read"]]) == ["read"]
    assert intersect_capabilities([["root"], ["root"]]) == ["root"]
    assert intersect_capabilities([["read"], ["deny"]]) == ["deny"]
    assert intersect_capabilities([["read"], ["update"]]) == ["deny"]
    assert intersect_capabilities([]) == ["deny"]


def test_intersect_results() -> None:
    human = ACL([parse_policy("h", stanza("secret/*", "read update list"))])
    ceiling = ACL([parse_policy("c", stanza("secret/app/*", "read list"))])
    both = intersect(
        [human.authorize("read", "secret/app/x"), ceiling.authorize("read", "secret/app/x")]
    )
    assert both.allowed
    assert both.capabilities == ["list", "read"]
    assert both.granting_policies == ["h", "c"]
    denied = intersect(
        [human.authorize("update", "secret/app/x"), ceiling.authorize("update", "secret/app/x")]
    )
    assert not denied.allowed
    assert denied.matched_path == "secret/app/*"
    assert denied.deciding_policies == ["c"]
    assert denied.denied_reason == "permission denied"
    outside = intersect(
        [human.authorize("read", "secret/x"), ceiling.authorize("read", "secret/x")]
    )
    assert not outside.allowed and outside.capabilities == ["deny"]


def test_intersect_with_root_and_empty() -> None:
    root = ACL([root_policy()]).authorize("read", "x")
    layer = ACL([parse_policy("p", stanza("x"))]).authorize("read", "x")
    combined = intersect([root, layer])
    assert combined.allowed and not combined.is_root and combined.capabilities == ["read"]
    assert intersect([root, root]).is_root
    assert not intersect([]).allowed
    assert not intersect([AuthorizationResult(allowed=False), root]).allowed
