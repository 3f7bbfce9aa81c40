"""Property tests over random policies built from a tiny path alphabet.

Note on "adding a policy never removes a capability": that is false in Vault as
stated -- a new policy may add a *more specific* rule (say ``a/b`` with ``list``) that
takes over a path that ``a/*`` granted ``read`` on (recorded from OpenBao in
``cases.py``, scenario ``merge_more_specific_rule_narrows``). What holds, and is
tested here, is: without a deny, capabilities only shrink on paths whose deciding rule
changed, and never shrink when the new policy only reuses existing path keys.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vault_agent_backend.policy import ACL, Policy, parse_policy

SETTINGS = settings(
    deadline=None,
    derandomize=True,
    max_examples=75,
    suppress_health_check=[HealthCheck.too_slow],
)
SEGMENTS = ["a", "b", "c"]
GRANTS = ["create", "read", "update", "patch", "delete", "list", "sudo"]
OPERATIONS = ["create", "read", "update", "patch", "delete", "list"]


@st.composite
def rule_paths(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.sampled_from([*SEGMENTS, "+"]), min_size=1, max_size=3))
    path = "/".join(parts)
    ending = draw(st.sampled_from(["", "*", "/", "/*"]))
    if ending.startswith("*") and path.endswith("+"):
        ending = ""  # '+*' is invalid
    return path + ending


@st.composite
def stanzas(draw: st.DrawFn, allow_deny: bool = True) -> tuple[str, tuple[str, ...]]:
    path = draw(rule_paths())
    if allow_deny and draw(st.integers(0, 5)) == 0:
        return path, ("deny",)
    caps = draw(st.lists(st.sampled_from(GRANTS), min_size=0, max_size=4, unique=True))
    return path, tuple(caps)


def render(rules: list[tuple[str, tuple[str, ...]]]) -> str:
    out = []
    for path, caps in rules:
        quoted = ", ".join(f'"{c}"' for c in caps)
        out.append(f'path "{path}" {{\n  capabilities = [{quoted}]\n}}\n')
    return "".join(out)


def policy_st(name: str, allow_deny: bool = True) -> st.SearchStrategy[Policy]:
    return st.lists(stanzas(allow_deny), min_size=1, max_size=5).map(
        lambda rules: parse_policy(name, render(rules))
    )


def _names(rule) -> tuple[str, ...]:
    return tuple(rule.capability_names) if rule.capabilities else ()


request_paths = st.builds(
    lambda parts, slash: "/".join(parts) + ("/" if slash else ""),
    st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=4),
    st.booleans(),
)


@SETTINGS
@given(policy_st("p1"), policy_st("p2", allow_deny=False), st.lists(request_paths, max_size=8))
def test_adding_a_policy_without_deny_only_narrows_where_the_rule_changed(
    base: Policy, extra: Policy, paths: list[str]
) -> None:
    before, after = ACL([base]), ACL([base, extra])
    for path in paths:
        old, new = set(before.capabilities(path)) - {"deny"}, set(after.capabilities(path))
        if not old <= new:
            old_rule = before.authorize("list", path).matched_path
            new_rule = after.authorize("list", path).matched_path
            assert old_rule != new_rule, (path, old, new)


@SETTINGS
@given(policy_st("p1"), st.data(), st.lists(request_paths, max_size=8))
def test_adding_grants_on_existing_keys_never_removes(
    base: Policy, data: st.DataObject, paths: list[str]
) -> None:
    extra_rules = [
        (rule.path, tuple(data.draw(st.lists(st.sampled_from(GRANTS), max_size=3, unique=True))))
        for rule in base.paths
    ]
    extra = parse_policy("p2", render(extra_rules))
    before, after = ACL([base]), ACL([base, extra])
    for path in paths:
        old = set(before.capabilities(path)) - {"deny"}
        assert old <= set(after.capabilities(path))


@SETTINGS
@given(st.lists(policy_st("p"), min_size=0, max_size=3), request_paths)
def test_exact_deny_always_wins_on_its_path(policies: list[Policy], path: str) -> None:
    deny = parse_policy("deny", f'path "{path}" {{ capabilities = ["deny"] }}')
    for order in ([*policies, deny], [deny, *policies]):
        acl = ACL(order)
        assert acl.capabilities(path) == ["deny"]
        for op in OPERATIONS:
            assert not acl.authorize(op, path).allowed


@SETTINGS
@given(st.lists(policy_st("p"), min_size=1, max_size=3), request_paths)
def test_capabilities_agree_with_authorize(policies: list[Policy], path: str) -> None:
    acl = ACL([parse_policy(f"p{i}", p.raw) for i, p in enumerate(policies)])
    caps = acl.capabilities(path)
    # capabilities() models a LIST request, so LIST agrees on every path; the other
    # operations do not fall back to the path without its trailing slash.
    assert acl.authorize("list", path).allowed == ("list" in caps)
    bare = path.rstrip("/")
    bare_caps = acl.capabilities(bare)
    for op in OPERATIONS:
        assert acl.authorize(op, bare).allowed == (op in bare_caps), (op, bare, bare_caps)
    assert acl.authorize("read", bare, root_protected=True).allowed == (
        "read" in bare_caps and "sudo" in bare_caps
    )


@SETTINGS
@given(policy_st("p1"), policy_st("p2"), st.lists(request_paths, max_size=8))
def test_policy_order_does_not_matter(a: Policy, b: Policy, paths: list[str]) -> None:
    ab, ba = ACL([a, b]), ACL([b, a])
    for path in paths:
        assert ab.capabilities(path) == ba.capabilities(path)
    assert ab.resultant_acl()["glob_paths"].keys() == ba.resultant_acl()["glob_paths"].keys()


@SETTINGS
@given(policy_st("p1"), st.lists(request_paths, max_size=8))
def test_splitting_a_policy_per_stanza_changes_nothing(policy: Policy, paths: list[str]) -> None:
    """Merging inside one policy and across policies is the same operation."""
    whole = ACL([policy])
    pieces = ACL(
        [
            parse_policy(f"s{i}", render([(rule.path, _names(rule))]))
            for i, rule in enumerate(policy.paths)
        ]
    )
    for path in paths:
        if whole.capabilities(path) != ["deny"] or pieces.capabilities(path) != ["deny"]:
            assert whole.capabilities(path) == pieces.capabilities(path)
