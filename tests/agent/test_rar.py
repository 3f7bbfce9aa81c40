"""``vault:path_access`` authorization details: validation and the RAR layer (pure)."""

from __future__ import annotations

import pytest

from vault_agent_backend.policy import ACL, IdentityContext, parse_policy
from vault_agent_backend.policy.rar import (
    RAR_NO_MATCH,
    RARError,
    RARLayer,
    parse_authorization_details,
)


def entry(path: str, *caps: str, **extra):
    return {"type": "vault:path_access", "path": path, "capabilities": list(caps), **extra}


def layer(*entries, identity=None) -> RARLayer:
    return RARLayer(parse_authorization_details(list(entries)), identity)


# ----- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claim", "message"),
    [
        ({"type": "vault:path_access"}, "must be a JSON array"),
        (["x"], "authorization_details[0] must be a JSON object"),
        ([{"path": "a", "capabilities": ["read"]}], '"type" must be a non-empty string'),
        (
            [entry("a", "read") | {"type": "payments"}],
            'unsupported authorization_details type "payments"',
        ),
        (
            [{"type": "vault:path_access", "capabilities": ["read"]}],
            '"path" must be a non-empty string',
        ),
        ([entry("a") | {"capabilities": "read"}], '"capabilities" must be a non-empty array'),
        ([entry("a")], '"capabilities" must be a non-empty array'),
        ([entry("a", "read", "fly")], 'invalid capability "fly"'),
        ([entry("a", "read", allowed_parameters=["x"])], '"allowed_parameters" must be an object'),
        (
            [entry("a", "read", allowed_parameters={"x": "y"})],
            '"allowed_parameters" must be an object',
        ),
        ([entry("a", "read", denied_parameters={"x": 1})], '"denied_parameters" must be an object'),
        ([entry("a", "read", required_parameters="x")], '"required_parameters" must be an array'),
        ([entry("a", "read", locations=["x"])], 'unknown field "locations"'),
        ([entry("a/+*", "read")], "'+*' is forbidden"),
        ([entry("a/{{identity.entity.id", "read")], "unbalanced templating"),
        ([entry("a", "read"), 7], "authorization_details[1] must be a JSON object"),
    ],
)
def test_malformed_claims_are_refused(claim, message) -> None:
    with pytest.raises(RARError) as info:
        parse_authorization_details(claim)
    assert message in str(info.value)


def test_allowed_types_restrict_entries() -> None:
    with pytest.raises(RARError, match="not allowed for this agent"):
        parse_authorization_details([entry("a", "read")], allowed_types=["other:type"])
    assert parse_authorization_details([entry("a", "read")], allowed_types=["vault:path_access"])


# ----- matching ------------------------------------------------------------------------------


def test_exact_glob_and_segment_paths() -> None:
    rar = layer(
        entry("kv/data/exact", "read"), entry("kv/data/team/*", "read"), entry("kv/+/x", "read")
    )
    assert rar.authorize("read", "kv/data/exact").allowed
    assert not rar.authorize("read", "kv/data/exact2").allowed
    assert rar.authorize("read", "kv/data/team/a/b").allowed
    assert rar.authorize("read", "kv/metadata/x").allowed
    assert not rar.authorize("read", "kv/metadata/y").allowed
    denied = rar.authorize("read", "other/x")
    assert not denied.allowed and denied.denied_reason == RAR_NO_MATCH


def test_capability_must_match_and_any_entry_may_grant() -> None:
    rar = layer(entry("kv/data/*", "read"), entry("kv/data/w", "create", "update"))
    assert rar.authorize("update", "kv/data/w").allowed
    refused = rar.authorize("update", "kv/data/r")
    assert not refused.allowed and refused.detail == "update capability not granted"
    assert rar.capabilities("kv/data/w") == ["create", "read", "update"]
    assert rar.capabilities("nothing") == ["deny"]


def test_a_matching_deny_entry_wins() -> None:
    rar = layer(entry("kv/data/*", "read"), entry("kv/data/secret", "deny"))
    assert not rar.authorize("read", "kv/data/secret").allowed
    assert rar.capabilities("kv/data/secret") == ["deny"]
    assert rar.authorize("read", "kv/data/other").allowed


def test_list_also_matches_the_path_without_slash() -> None:
    rar = layer(entry("kv/metadata/team", "list"))
    assert rar.authorize("list", "kv/metadata/team/").allowed


def test_parameters() -> None:
    rar = layer(
        entry(
            "kv/data/cfg",
            "create",
            "update",
            allowed_parameters={"data": [], "Options": []},
            denied_parameters={"version": ["1"]},
            required_parameters=["data"],
        )
    )
    assert rar.authorize("update", "kv/data/cfg", {"data": {"a": 1}}).allowed
    assert rar.authorize("update", "kv/data/cfg", {"data": {}, "options": {}}).allowed
    assert not rar.authorize("update", "kv/data/cfg", {"data": {}, "metadata": {}}).allowed
    assert not rar.authorize("update", "kv/data/cfg", {"options": {}}).allowed
    assert not rar.authorize("update", "kv/data/cfg", {"data": {}, "version": "1"}).allowed


def test_templates_resolve_against_the_identity_and_unresolvable_entries_are_skipped() -> None:
    ident = IdentityContext(entity_id="e-123", entity_name="alice")
    rar = layer(
        entry("kv/data/users/{{identity.entity.id}}/*", "read"),
        entry("kv/data/{{identity.entity.metadata.team}}", "read"),
        entry("kv/data/fallback", "read"),
        identity=ident,
    )
    assert rar.authorize("read", "kv/data/users/e-123/x").allowed
    assert not rar.authorize("read", "kv/data/users/e-999/x").allowed
    assert rar.authorize("read", "kv/data/fallback").allowed
    assert not rar.authorize("read", "kv/data/").allowed


def test_template_values_with_wildcards_never_match() -> None:
    ident = IdentityContext(entity_id="e", entity_name="a*b")
    rar = layer(entry("kv/data/{{identity.entity.name}}", "read"), identity=ident)
    assert not rar.authorize("read", "kv/data/a*b").allowed


def test_rar_combines_with_acl_parameters() -> None:
    # Vault's documented example: the policy allows data and metadata, the RAR only data.
    acl = ACL(
        [
            parse_policy(
                "p",
                'path "secret/data/*" { capabilities = ["create", "update"]\n'
                '  allowed_parameters = { "data" = [] "metadata" = [] } }',
            )
        ]
    )
    rar = layer(
        entry("secret/data/app-config", "create", "update", allowed_parameters={"data": []})
    )

    def both(data):
        return all(
            x.authorize("update", "secret/data/app-config", data).allowed for x in (acl, rar)
        )

    assert both({"data": {}})
    assert not both({"data": {}, "metadata": {}})
    assert not both({"other": 1})


@pytest.mark.parametrize(
    ("path", "mount", "expected"),
    [
        ("secret/data/app/db", "secret/", True),
        ("secret/data/app/*", "secret/", True),
        ("secret*", "secret/", True),
        ("*", "kv/", True),
        ("secret/+/app/db", "secret/", True),
        ("+/data/*", "kv/", True),
        ("sec+/x", "secret/", False),
        ("secret/data/app/db", "kv/", False),
        ("secretive/x", "secret/", False),
        ("secret/+/app", "auth/userpass/", False),
    ],
)
def test_mount_access_asks_whether_an_entry_reaches_under_the_mount(path, mount, expected) -> None:
    assert layer(entry(path, "read")).has_mount_access(mount) is expected


def test_a_deny_entry_gives_no_mount_access() -> None:
    assert layer(entry("secret/*", "deny")).has_mount_access("secret/") is False


@pytest.mark.parametrize(
    "path", ["secret/../sys/x", "secret/./x", "secret//x", "secret/..", "a\x00b", "a\nb"]
)
def test_paths_that_no_request_can_have_are_refused(path) -> None:
    with pytest.raises(RARError, match='"path" must'):
        parse_authorization_details([entry(path, "read")])
