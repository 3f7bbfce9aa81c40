"""The compiled ACL: rule selection, operations, merging, results, built-in policies."""

from __future__ import annotations

import pytest

from tests.policy.helpers import ALICE, acl_of, stanza
from vault_agent_backend.policy import (
    ACL,
    ACLError,
    default_ceiling_policy,
    default_policy,
    parse_policy,
    root_policy,
)

# -- which rule applies -----------------------------------------------------------------

PRIORITY = [
    # (rules as (path, caps), request path, expected capabilities)
    ([("foo/a*", "read"), ("foo/+", "update")], "foo/abc", ["read"]),  # later wildcard wins
    ([("foo/a*", "read"), ("foo/+", "update")], "foo/b", ["update"]),
    ([("foo/bar/+/baz", "read"), ("foo/+/bar/baz", "update")], "foo/bar/bar/baz", ["read"]),
    ([("foo/+/bar", "read"), ("foo/+/ba*", "update")], "foo/x/bar", ["read"]),  # non-prefix
    ([("foo/+", "read"), ("foo/*", "update")], "foo/x", ["read"]),
    ([("foo/bar/+/baz", "read"), ("foo/+/+/baz", "update")], "foo/bar/x/baz", ["read"]),
    ([("foo/+/bar/ba*", "read"), ("foo/+/bar/b*", "update")], "foo/x/bar/baz", ["read"]),
    ([("secret/+/+/foo/*", "deny"), ("secret/*", "read")], "secret/a/b/foo/c", ["read"]),
    ([("secret/*", "read"), ("secret/foo/*", "update")], "secret/foo/x", ["update"]),  # longest
    ([("secret/*", "deny"), ("secret/ok", "read")], "secret/ok", ["read"]),  # exact wins
    ([("secret/*", "read"), ("secret/no", "deny")], "secret/no", ["deny"]),
    ([("secret/+/x", "read"), ("secret/a/x", "update")], "secret/a/x", ["update"]),
    ([("a/+/c", "read"), ("a/*", "update")], "a/b/c", ["read"]),  # tie on position
    ([("*", "read"), ("+/x", "update")], "a/x", ["update"]),
    ([("x/+/y/*", "deny"), ("x/+/*", "read")], "x/a/y/z", ["deny"]),  # longer prefix
]


@pytest.mark.parametrize(("rules", "path", "expected"), PRIORITY)
def test_priority(rules: list[tuple[str, str]], path: str, expected: list[str]) -> None:
    acl = acl_of("".join(stanza(p, c) for p, c in rules))
    assert acl.capabilities(path) == expected
    # the order in which the rules are written does not matter
    assert acl_of("".join(stanza(p, c) for p, c in reversed(rules))).capabilities(path) == expected


def test_plus_matches_exactly_one_segment() -> None:
    acl = acl_of(stanza("s/+/c"))
    assert acl.capabilities("s/x/c") == ["read"]
    assert acl.capabilities("s//c") == ["read"]  # an empty segment is a segment
    assert acl.capabilities("s/x/y/c") == ["deny"]
    assert acl.capabilities("s/c") == ["deny"]


def test_star_only_at_the_end() -> None:
    acl = acl_of(stanza("a*b"), stanza("c/*", "list"))
    assert acl.capabilities("a*b") == ["read"]
    assert acl.capabilities("axb") == ["deny"]
    assert acl.capabilities("c/") == ["list"]
    assert acl.capabilities("c") == ["deny"]


# -- LIST and trailing slashes ------------------------------------------------------


def test_list_falls_back_to_the_bare_exact_rule_but_read_does_not() -> None:
    acl = acl_of(stanza("secret/dir", "list read"))
    assert acl.authorize("list", "secret/dir/").allowed
    assert not acl.authorize("read", "secret/dir/").allowed
    assert acl.authorize("read", "secret/dir").allowed


def test_list_deny_bypass_is_fixed() -> None:
    # GHSA-xp3c-3jw3-4vcr: the full path's wildcard rules are tried before the bare path's.
    acl = acl_of(stanza("foo/metadata/*", "list"), stanza("foo/metadata/private/*", "deny"))
    assert not acl.authorize("list", "foo/metadata/private/").allowed
    assert acl.authorize("list", "foo/metadata/other/").allowed
    assert acl.authorize("list", "foo/metadata/private").allowed  # no slash: private* ≠ match


def test_list_uses_bare_path_wildcards_when_full_path_matches_nothing() -> None:
    acl = acl_of(stanza("+/sys/policies/acl", "list"))
    assert acl.authorize("list", "ns/sys/policies/acl/").allowed
    assert not acl.authorize("read", "ns/sys/policies/acl/").allowed


def test_exact_deny_covers_list_with_trailing_slash() -> None:
    acl = acl_of(stanza("kv/*", "list read"), stanza("kv/hidden", "deny"))
    assert not acl.authorize("list", "kv/hidden/").allowed
    assert acl.authorize("list", "kv/hidden/x/").allowed


# -- operations ---------------------------------------------------------------------

OPS = ["create", "read", "update", "patch", "delete", "list"]


@pytest.mark.parametrize("op", OPS)
def test_each_operation_needs_its_capability(op: str) -> None:
    assert acl_of(stanza("x", op)).authorize(op, "x").allowed
    others = " ".join(o for o in OPS if o != op) + " sudo"
    assert not acl_of(stanza("x", others)).authorize(op, "x").allowed


@pytest.mark.parametrize("op", ["renew", "revoke", "rollback"])
def test_update_like_operations(op: str) -> None:
    assert acl_of(stanza("x", "update")).authorize(op, "x").allowed
    assert not acl_of(stanza("x", "read")).authorize(op, "x").allowed


def test_unknown_operation() -> None:
    with pytest.raises(ValueError, match="unknown operation"):
        acl_of(stanza("x")).authorize("scan", "x")


def test_leading_slashes_are_ignored() -> None:
    acl = acl_of(stanza("secret/x"))
    assert acl.authorize("read", "//secret/x").allowed
    assert acl.capabilities("/secret/x") == ["read"]


def test_result_fields_when_allowed() -> None:
    acl = acl_of(stanza("s/*", "read sudo"), stanza("s/*", "read"), stanza("s/*", "list"))
    result = acl.authorize("read", "s/x")
    assert result.allowed and result.root_privs and not result.is_root
    assert result.capabilities == ["list", "read", "sudo"]
    assert result.granting_policies == ["p0", "p1"]
    assert result.matched_path == "s/*"
    assert result.denied_reason is None


def test_result_fields_when_denied() -> None:
    acl = acl_of(stanza("s/*", "read"), stanza("s/x", "deny"), stanza("s/x", "deny"))
    result = acl.authorize("read", "s/x")
    assert not result.allowed
    assert result.capabilities == ["deny"]
    assert result.matched_path == "s/x"
    assert result.deciding_policies == ["p1", "p2"]
    assert result.denied_reason == "permission denied"
    assert result.detail == "explicitly denied"
    nothing = acl.authorize("read", "elsewhere")
    assert (nothing.allowed, nothing.matched_path, nothing.capabilities) == (False, None, ["deny"])
    missing = acl.authorize("update", "s/y")
    assert missing.detail == "update capability not granted"
    assert missing.deciding_policies == ["p0"]


def test_sudo_and_root_protected() -> None:
    acl = acl_of(stanza("sys/audit", "read"), stanza("sys/raw/*", "read sudo"))
    assert not acl.authorize("read", "sys/audit", root_protected=True).allowed
    assert acl.authorize("read", "sys/audit").allowed
    result = acl.authorize("read", "sys/raw/x", root_protected=True)
    assert result.allowed and result.root_privs


def test_empty_acl_denies_everything() -> None:
    acl = ACL([])
    assert acl.capabilities("x") == ["deny"]
    assert not acl.authorize("read", "x").allowed
    assert acl.authorize("help", "x").allowed


# -- root ---------------------------------------------------------------------------


def test_root_allows_everything() -> None:
    acl = ACL([root_policy()])
    result = acl.authorize("delete", "sys/raw/x", root_protected=True)
    assert result.allowed and result.is_root and result.root_privs
    assert result.capabilities == ["root"] and result.granting_policies == ["root"]
    assert acl.capabilities("anything") == ["root"]
    assert acl.has_mount_access("secret/")


def test_root_must_stand_alone() -> None:
    with pytest.raises(ACLError, match="other policies present along with root"):
        ACL([root_policy(), default_policy()])


# -- merging --------------------------------------------------------------------------


def test_capabilities_or_across_policies() -> None:
    assert acl_of(stanza("s/*"), stanza("s/*", "list")).capabilities("s/a") == ["list", "read"]


@pytest.mark.parametrize("order", [0, 1])
def test_deny_absorbs_in_any_order(order: int) -> None:
    texts = [stanza("s/*", "read update"), stanza("s/*", "deny")]
    if order:
        texts.reverse()
    assert acl_of(*texts).capabilities("s/a") == ["deny"]


def test_deny_in_one_policy_does_not_touch_other_path_keys() -> None:
    acl = acl_of(stanza("s/a", "read"), stanza("s/a*", "deny"))
    assert acl.capabilities("s/a") == ["read"]
    assert acl.capabilities("s/ab") == ["deny"]


def test_merged_rules_in_resultant_acl() -> None:
    acl = acl_of(
        stanza(
            "kv/*", "read", 'allowed_parameters = { "a" = ["1"] }\n required_parameters = ["r"]'
        ),
        stanza("kv/*", "list", 'allowed_parameters = { "a" = ["2"], "b" = [] }'),
        stanza("kv/*", "update", 'required_parameters = ["r", "s"]\n max_wrapping_ttl = "1h"'),
        stanza("kv/*", "create", 'max_wrapping_ttl = "2h"\n min_wrapping_ttl = 30'),
    )
    entry = acl.resultant_acl()["glob_paths"]["kv/"]
    assert entry["capabilities"] == ["create", "list", "read", "update"]
    assert entry["allowed_parameters"] == {"a": ["2", "1"], "b": []}
    assert entry["required_parameters"] == ["r", "s"]
    assert (entry["min_wrapping_ttl"], entry["max_wrapping_ttl"]) == (30, 3600)


def test_deny_drops_parameters_in_resultant_acl() -> None:
    acl = acl_of(
        stanza("kv/x", "read", 'allowed_parameters = { "a" = [] }'), stanza("kv/x", "deny")
    )
    assert acl.resultant_acl()["exact_paths"] == {"kv/x": {"capabilities": ["deny"]}}


# -- mounts (checked against OpenBao's sys/internal/ui/mounts/:path: 200 vs 403) -----


@pytest.mark.parametrize(
    ("rules", "mount", "expected"),
    [
        ([("secret/*", "read")], "secret/", True),
        ([("secret/a/b", "read")], "secret/", True),  # something under the mount
        ([("secret/a/b", "deny")], "secret/", False),
        ([("secretx/a", "read")], "secret/", False),
        ([("+/data/*", "read")], "kv/", True),
        ([("kv/+/x", "list")], "kv/", True),
        ([("other/+/x", "list")], "kv/", False),
        ([("kv/+/x", "deny")], "kv/", False),
        ([("kv", "read")], "kv/", True),  # the bare mount path, via the LIST fallback
        ([], "kv/", False),
    ],
)
def test_has_mount_access(rules: list, mount: str, expected: bool) -> None:
    acl = acl_of("".join(stanza(p, c) for p, c in rules))
    assert acl.has_mount_access(mount) is expected


# -- built-in policies ------------------------------------------------------------------

DEFAULT_GRANTS = [
    ("auth/token/lookup-self", ["read"]),
    ("auth/token/renew-self", ["update"]),
    ("auth/token/revoke-self", ["update"]),
    ("sys/capabilities-self", ["update"]),
    ("identity/entity/id/e-123", ["read"]),
    ("identity/entity/name/alice", ["read"]),
    ("identity/entity/id/other", ["deny"]),
    ("sys/internal/ui/resultant-acl", ["read"]),
    ("sys/renew", ["update"]),
    ("sys/leases/renew", ["update"]),
    ("sys/leases/lookup", ["update"]),
    ("cubbyhole/x", ["create", "delete", "list", "read", "update"]),
    ("sys/wrapping/wrap", ["update"]),
    ("sys/wrapping/lookup", ["update"]),
    ("sys/wrapping/unwrap", ["update"]),
    ("sys/tools/hash", ["update"]),
    ("sys/tools/hash/sha2-512", ["update"]),
    ("sys/control-group/request", ["update"]),
    ("identity/oidc/provider/p/authorize", ["read", "update"]),
    ("secret/data/x", ["deny"]),
    ("auth/token/create", ["deny"]),
]


@pytest.mark.parametrize(("path", "caps"), DEFAULT_GRANTS)
def test_default_policy_grants(path: str, caps: list[str]) -> None:
    assert ACL([default_policy()], ALICE).capabilities(path) == caps


def test_default_ceiling_lets_an_agent_read_its_registration() -> None:
    acl = ACL([default_ceiling_policy()], ALICE)
    assert acl.capabilities("agent-registry/registration/entity-id/e-123") == ["read"]
    assert acl.capabilities("identity/agent/registration/entity-id/e-123") == ["read"]
    assert acl.capabilities("agent-registry/registration/entity-id/other") == ["deny"]
    assert ACL([default_ceiling_policy()]).capabilities(
        "agent-registry/registration/entity-id/"
    ) == ["deny"]


@pytest.mark.parametrize(
    ("path", "caps"),
    [
        ("sys/policies/acl/default", ["read"]),
        ("sys/policies/acl/default-ceiling", ["read"]),
        ("sys/policy/default", ["read"]),
        ("sys/policy/default-ceiling", ["read"]),
        ("sys/policies/acl/other", ["deny"]),
        ("sys/policies/acl", ["deny"]),
        ("sys/policy/default-ceiling-2", ["deny"]),
        ("agent-registry/registration/id/x", ["deny"]),
    ],
)
def test_default_ceiling_lets_an_agent_read_the_built_in_policies(path, caps) -> None:
    """Vault 2.x: default-ceiling also permits reading the definitions of the ``default``
    and ``default-ceiling`` policies (and nothing else)."""
    assert ACL([default_ceiling_policy()], ALICE).capabilities(path) == caps


# -- templated policies in the ACL ----------------------------------------------------


def test_templates_resolve_per_identity() -> None:
    text = stanza("kv/{{identity.entity.name}}/*", "read list")
    assert acl_of(text, identity=ALICE).capabilities("kv/alice/x") == ["list", "read"]
    assert acl_of(text).capabilities("kv/alice/x") == ["deny"]  # no entity: dropped


def test_unresolvable_stanza_is_dropped_not_the_policy() -> None:
    text = stanza("a/{{identity.entity.metadata.nope}}") + stanza("b")
    acl = acl_of(text, identity=ALICE)
    assert acl.capabilities("a/") == ["deny"]
    assert acl.capabilities("b") == ["read"]


def test_templated_path_can_become_prefix_or_segment_rule() -> None:
    acl = acl_of(
        stanza("t/{{identity.entity.id}}/*"),
        stanza("t/+/{{identity.entity.name}}", "update"),
        identity=ALICE,
    )
    assert acl.capabilities("t/e-123/zz") == ["read"]
    assert acl.capabilities("t/q/alice") == ["update"]


def test_forbidden_value_raises() -> None:
    with pytest.raises(ACLError, match="forbidden value"):
        ACL([parse_policy("t", stanza("t/{{identity.entity.metadata.slash}}"))], ALICE)
