"""Behaviour checked by hand against a real OpenBao 2.7.2 dev server, one test each.

Capability answers are recorded wholesale in ``cases.py``; this file keeps what needed
real requests: the 400 messages of ``PUT sys/policies/acl/:name``, parameter and
response-wrapping constraints (KV v1 writes with and without ``X-Vault-Wrap-TTL``),
help requests, root-protected paths, ``sys/internal/ui/resultant-acl`` and templated
policies with forbidden substituted values. Where we deliberately follow Vault rather
than OpenBao the test says so.
"""

from __future__ import annotations

import pytest

from tests.policy.helpers import ALICE, acl_of, stanza
from vault_agent_backend.policy import ACL, ACLError, PolicyParseError, parse_policy

# -- PUT sys/policies/acl/:name error bodies ----------------------------------------

PARSE_ERRORS = [
    (
        'path "x" { capabilities = ["read"] ',
        "failed to parse policy: At 1:37: object expected closing RBRACE got: EOF",
    ),
    (
        'path "x" {\n capabilities = ["read"\n}',
        "failed to parse policy: At 3:1: error parsing list, expected comma or list end, "
        "got: RBRACE",
    ),
    (
        'foo = "bar"\npath "x" { capabilities = ["read"] }',
        'failed to parse policy: 1 error occurred:\n\t* invalid key "foo" on line 1\n\n',
    ),
    (
        'path "x" { capabilities = ["read"] }\n\nbar { }',
        'failed to parse policy: 1 error occurred:\n\t* invalid key "bar" on line 0\n\n',
    ),
    (
        'a = 1\nb = 2\npath "x" {}',
        'failed to parse policy: 2 errors occurred:\n\t* invalid key "a" on line 1\n'
        '\t* invalid key "b" on line 2\n\n',
    ),
    (
        'path "x" {\n  capabilities = ["read"]\n  bogus = 1\n}',
        'failed to parse policy: path "x": 1 error occurred:\n'
        '\t* invalid key "bogus" on line 3\n\n',
    ),
    (
        'path "/x" {\n a = 1\n b = 2 }',
        'failed to parse policy: path "/x": 2 errors occurred:\n'
        '\t* invalid key "a" on line 2\n\t* invalid key "b" on line 3\n\n',
    ),
    (
        'path "x" { capabilities = ["read", "y"] }',
        'failed to parse policy: path "x": path "x": invalid capability "y"',
    ),
    (
        'path "/x" { capabilities = ["y"] }',
        'failed to parse policy: path "/x": path "/x": invalid capability "y"',
    ),
    (
        'path "x" { capabilities = ["Read"] }',
        'failed to parse policy: path "x": path "x": invalid capability "Read"',
    ),
    (
        'path "x" {\n capabilities = ["read", 1] }',
        'failed to parse policy: path "x": path "x": invalid capability "1"',
    ),
    (
        'path "x" { capabilities = ["read"] }\npath "y" { capabilities = ["bad"] }\n'
        'path "z" { capabilities = ["bad2"] }',
        'failed to parse policy: path "y": path "y": invalid capability "bad"',
    ),
    (
        'path "x/+*" { capabilities = ["read"] }',
        'failed to parse policy: path "x/+*": path "x/+*": invalid use of wildcards (\'+*\' '
        "is forbidden)",
    ),
    (
        'path "/x/+*" { capabilities = ["read"] }',
        'failed to parse policy: path "/x/+*": path "x/+*": invalid use of wildcards (\'+*\' '
        "is forbidden)",
    ),
    (
        'path "x" { policy = "bogus" }',
        'failed to parse policy: path "x": path "x": invalid policy "bogus"',
    ),
    (
        'path "x" {\n capabilities = ["read"]\n policy = 5 }',
        'failed to parse policy: path "x": path "x": invalid policy "5"',
    ),
    (
        'path "x" { capabilities=["read"]\n min_wrapping_ttl = "2h"\n max_wrapping_ttl = "1h" }',
        'failed to parse policy: path "x": max_wrapping_ttl cannot be less than min_wrapping_ttl',
    ),
    (
        'path "x" { capabilities=["read"]\n min_wrapping_ttl = 60\n max_wrapping_ttl = 30 }',
        'failed to parse policy: path "x": max_wrapping_ttl cannot be less than min_wrapping_ttl',
    ),
    (
        'path "x" { capabilities=["read"]\n min_wrapping_ttl = "abc" }',
        'failed to parse policy: path "x": error parsing min_wrapping_ttl: time: invalid '
        'duration "abc"',
    ),
    (
        'path "x" {\n capabilities = ["read"]\n min_wrapping_ttl = "5d" \n'
        ' max_wrapping_ttl = "1x" }',
        'failed to parse policy: path "x": error parsing max_wrapping_ttl: time: unknown unit '
        '"x" in duration "1x"',
    ),
    (
        'path "x" {\n capabilities = ["read"]\n min_wrapping_ttl = "xd" }',
        'failed to parse policy: path "x": error parsing min_wrapping_ttl: strconv.ParseInt: '
        'parsing "x": invalid syntax',
    ),
    (
        'path "x" {\n capabilities = ["read"]\n min_wrapping_ttl = "1.5" }',
        'failed to parse policy: path "x": error parsing min_wrapping_ttl: time: missing unit '
        'in duration "1.5"',
    ),
    (
        'path "x" {\n capabilities = ["read"]\n min_wrapping_ttl = true }',
        'failed to parse policy: path "x": error parsing min_wrapping_ttl: could not parse '
        "duration from input",
    ),
    (
        'path "x/{{identity.entity.id" { capabilities=["read"] }',
        'failed to parse policy: path "x/{{identity.entity.id": failed to validate policy '
        "templating: unbalanced templating characters",
    ),
    (
        'path "x/}}" { capabilities=["read"] }',
        'failed to parse policy: path "x/}}": failed to validate policy templating: '
        "unbalanced templating characters",
    ),
    (
        'path "x/{{a}}/{{b" { capabilities = ["read"]}',
        'failed to parse policy: path "x/{{a}}/{{b": failed to validate policy templating: '
        "unbalanced templating characters",
    ),
    (
        'path "x" { capabilities = "read" }',
        'failed to parse policy: path "x": path "x": At 1:27: unknown slice type: *ast.LiteralType',
    ),
    (
        'path "/x" { capabilities = "read" }',
        'failed to parse policy: path "/x": path "/x": At 1:28: unknown slice type: '
        "*ast.LiteralType",
    ),
    (
        'path "x" {\n capabilities = ["read"]\n allowed_parameters = { "a" = "b" } }',
        'failed to parse policy: path "x": path "x": At 3:31: unknown slice type: *ast.LiteralType',
    ),
    (
        'path "x" {\n capabilities = ["read"]\n allowed_parameters = ["a"] }',
        'failed to parse policy: path "x": path "x": At 3:23: root.allowed_parameters: not an '
        "object type for map (*ast.ListType)",
    ),
    (
        'path "x" { capabilities=["read"]\n required_parameters = "a" }',
        'failed to parse policy: path "x": path "x": At 2:24: unknown slice type: *ast.LiteralType',
    ),
    (
        'path "x" {\n capabilities = ["read"]\n allowed_parameters = { "x" = [null] } }',
        "failed to parse policy: At 3:32: unexpected token while parsing list: IDENT",
    ),
    (
        'path "x" { capabilities = ["read"] } }',
        "failed to parse policy: At 1:38: expected: IDENT | STRING | ASSIGN | LBRACE got: RBRACE",
    ),
]


@pytest.mark.parametrize(("text", "message"), PARSE_ERRORS)
def test_parse_error_message_is_openbaos(text: str, message: str) -> None:
    with pytest.raises(PolicyParseError) as err:
        parse_policy("p", text)
    assert str(err.value) == message


ACCEPTED = [
    'path "x" { capabilities = ["deny", "y"] }',  # nothing after deny is checked
    'path "x" { capabilities=["deny"]\n min_wrapping_ttl = "2h"\n max_wrapping_ttl = "1h" }',
    '{"path": {"x": {"capabilities": ["read"]}}}',
    'name = "foo"\npath "x" { capabilities=["read"] }',
    'path { capabilities=["read"] }',
    "# only a comment",
    'path "x" {\n capabilities = ["read"]\n required_parameters = [1] }',
    'path "x" {\n capabilities = ["read"]\n min_wrapping_ttl = "-1h" }',
    'path "x" { capabilities = ["read"]}\n path "x/{{a}}}" { capabilities = ["read"]}',
    'path "x" "y" { capabilities = ["read"] }',
]


@pytest.mark.parametrize("text", ACCEPTED)
def test_openbao_accepts(text: str) -> None:
    parse_policy("p", text)


def test_scan_is_refused_unlike_openbao() -> None:
    # OpenBao accepts its own "scan" capability and refuses "subscribe"; we follow
    # Vault's capability set (spec section 2).
    with pytest.raises(PolicyParseError, match='invalid capability "scan"'):
        parse_policy("p", 'path "x" { capabilities = ["scan"] }')
    parse_policy("p", 'path "x" { capabilities = ["subscribe"] }')


# -- parameters (KV v1 writes with data; 403 vs 204) ---------------------------------

KV = "kv1/t"


def _kv(extra: str, *more: str) -> ACL:
    texts = [stanza("kv1/*", "create update read list", extra)]
    texts += [stanza("kv1/*", "create update read list", m) for m in more]
    return acl_of(*texts)


PARAMETER_FINDINGS = [
    # (stanza extras, request data, allowed?)
    ('allowed_parameters = { "x" = [1] }', {"x": 1}, False),  # JSON numbers never match
    ('allowed_parameters = { "x" = [1] }', {"x": "1"}, False),
    ('allowed_parameters = { "x" = [1] }', {"x": 1.0}, False),
    ('allowed_parameters = { "x" = [1.5] }', {"x": 1.5}, False),
    ('allowed_parameters = { "x" = [true] }', {"x": True}, True),
    ('allowed_parameters = { "x" = [true] }', {"x": "true"}, False),
    ('allowed_parameters = { "x" = [true] }', {"x": 1}, False),
    ('allowed_parameters = { "x" = [["a", "b"]] }', {"x": ["a", "b"]}, True),
    ('allowed_parameters = { "x" = [{"a" = "b"}] }', {"x": {"a": "b"}}, True),
    ('denied_parameters = { "x" = ["a"] }', {"x": "a"}, False),
    ('denied_parameters = { "x" = ["a"] }', {"y": "a"}, True),
    ('denied_parameters = { "*" = [] }', {"x": "q"}, False),
    ('denied_parameters = { "*" = [] }', {}, True),  # empty data always passes
    ('denied_parameters = { "x" = [] }', {"x": "q"}, False),
    ('denied_parameters = { "x" = [] }', {"y": "q"}, True),
    ('allowed_parameters = { "x" = [] }', {"x": "q"}, True),
    ('allowed_parameters = { "x" = [] }', {"y": "q"}, False),
    ('allowed_parameters = { "x" = [] }', {"X": "q"}, True),  # request keys lower-cased
    ('allowed_parameters = { "X" = [] }', {"x": "q"}, True),  # policy keys lower-cased
    ('allowed_parameters = { "X" = [] }', {"X": "q"}, True),
    ('allowed_parameters = { "*" = []\n "x" = ["a"] }', {"x": "q"}, False),
    ('allowed_parameters = { "*" = []\n "x" = ["a"] }', {"x": "a"}, True),
    ('allowed_parameters = { "*" = []\n "x" = ["a"] }', {"y": "q"}, True),
    ('allowed_parameters = { "*" = ["zz"] }', {"x": "q"}, True),
    ('allowed_parameters = { "x" = ["a*"] }', {"x": "abc"}, True),
    ('allowed_parameters = { "x" = ["a*"] }', {"x": "a"}, True),
    ('allowed_parameters = { "x" = ["a*"] }', {"x": "ba"}, False),
    ('allowed_parameters = { "x" = ["*c"] }', {"x": "abc"}, True),
    ('allowed_parameters = { "x" = ["*c"] }', {"x": "cb"}, False),
    ('allowed_parameters = { "x" = ["*b*"] }', {"x": "abc"}, True),
    ('allowed_parameters = { "x" = ["*b*"] }', {"x": "ac"}, False),
    ('allowed_parameters = { "x" = ["*"] }', {"x": "abc"}, False),  # < 2 chars: exact
    ('allowed_parameters = { "x" = ["*"] }', {"x": "*"}, True),
    ('allowed_parameters = { "x" = ["**"] }', {"x": "abc"}, True),
    ('required_parameters = ["Foo"]', {"foo": 1}, True),  # required name lower-cased...
    ('required_parameters = ["Foo"]', {"Foo": 1}, False),  # ...and looked up as is
    ('required_parameters = ["Foo"]', {}, False),
    ('required_parameters = ["foo"]', {"FOO": 1}, False),
]


@pytest.mark.parametrize(("extra", "data", "allowed"), PARAMETER_FINDINGS)
def test_parameter_constraint(extra: str, data: dict, allowed: bool) -> None:
    for op in ("create", "update"):
        assert _kv(extra).authorize(op, KV, data).allowed is allowed


LIST_VALUE_FINDINGS = [
    # OpenBao 2.7.2 answers the opposite for these: it compares a list value as a
    # whole. We follow Vault >= 1.21 (per-element matching), as the spec asks.
    ('allowed_parameters = { "x" = ["a", "b"] }', {"x": ["a", "b"]}, True),
    ('allowed_parameters = { "x" = ["a", "b"] }', {"x": ["a"]}, True),
    ('allowed_parameters = { "x" = ["a", "b"] }', {"x": "a,b"}, True),
    ('denied_parameters = { "x" = ["a"] }', {"x": ["a", "b"]}, False),
    ('denied_parameters = { "x" = ["a"] }', {"x": "a,b"}, False),
]


@pytest.mark.parametrize(("extra", "data", "allowed"), LIST_VALUE_FINDINGS)
def test_list_values_follow_vault_not_openbao(extra: str, data: dict, allowed: bool) -> None:
    assert _kv(extra).authorize("update", KV, data).allowed is allowed


MERGE_FINDINGS = [
    (('allowed_parameters = { "x" = ["a"] }', 'allowed_parameters = { "x" = ["b"] }'),
     [({"x": "a"}, True), ({"x": "b"}, True), ({"x": "c"}, False)]),
    (('allowed_parameters = { "x" = ["a"] }', 'allowed_parameters = { "x" = [] }'),
     [({"x": "c"}, True)]),
    (('allowed_parameters = { "x" = ["a"] }', ""),
     [({"x": "c"}, False), ({"y": "1"}, False), ({"x": "a"}, True)]),
    (("", 'allowed_parameters = { "x" = ["a"] }'), [({"y": "1"}, False)]),
    (('allowed_parameters = { "x" = ["a"] }', 'allowed_parameters = { "y" = ["b"] }'),
     [({"x": "a", "y": "b"}, True), ({"y": "b"}, True), ({"z": "c"}, False)]),
    (('denied_parameters = { "x" = ["a"] }', 'denied_parameters = { "x" = ["b"] }'),
     [({"x": "a"}, False), ({"x": "b"}, False), ({"x": "c"}, True)]),
    (('denied_parameters = { "x" = ["a"] }', 'denied_parameters = { "x" = [] }'),
     [({"x": "c"}, False)]),
    (('required_parameters = ["a"]', 'required_parameters = ["b"]'),
     [({"a": "1"}, False), ({"a": "1", "b": "2"}, True)]),
    (('denied_parameters = { "x" = [] }', 'allowed_parameters = { "x" = [] }'),
     [({"x": "1"}, False)]),
]  # fmt: skip


@pytest.mark.parametrize(("extras", "expectations"), MERGE_FINDINGS)
def test_parameters_merge_across_policies(extras: tuple, expectations: list) -> None:
    acl = _kv(*extras)
    for data, allowed in expectations:
        assert acl.authorize("update", KV, data).allowed is allowed, data


def test_deny_in_second_policy_absorbs_grant() -> None:
    acl = acl_of(stanza("kv1/*", "read update create"), stanza("kv1/*", "deny"))
    assert not acl.authorize("update", KV, {"a": "1"}).allowed


def test_query_parameters_of_reads_are_checked() -> None:
    acl = acl_of(stanza("kv1/*", "read", 'allowed_parameters = { "q" = ["ok"] }'))
    assert acl.authorize("read", KV).allowed
    assert acl.authorize("read", KV, {"q": "ok"}).allowed
    assert not acl.authorize("read", KV, {"q": "bad"}).allowed
    assert not acl.authorize("read", KV, {"z": "1"}).allowed


def test_required_parameters_do_not_apply_to_list_and_delete() -> None:
    acl = acl_of(stanza("kv1/*", "list delete", 'required_parameters = ["q"]'))
    assert acl.authorize("list", "kv1/").allowed
    assert acl.authorize("delete", "kv1/zz").allowed


# -- response wrapping ----------------------------------------------------------------

WRAP_FINDINGS = [
    # (extras per policy, wrap TTL seconds (0 = not wrapped), allowed?)
    (('max_wrapping_ttl = "1h"',), 0, False),
    (('max_wrapping_ttl = "1h"',), 1800, True),
    (('max_wrapping_ttl = "1h"',), 7200, False),
    (('min_wrapping_ttl = "1h"',), 0, False),
    (('min_wrapping_ttl = "1h"',), 1800, False),
    (('min_wrapping_ttl = "1h"',), 7200, True),
    (('max_wrapping_ttl = "1h"', 'max_wrapping_ttl = "2h"'), 5400, False),  # smaller max
    (('max_wrapping_ttl = "1h"', 'max_wrapping_ttl = "2h"'), 1800, True),
    (('min_wrapping_ttl = "1h"', 'min_wrapping_ttl = "2h"'), 5400, True),  # smaller min
    (('min_wrapping_ttl = "1h"', 'min_wrapping_ttl = "2h"'), 1800, False),
    (('max_wrapping_ttl = "1h"', 'min_wrapping_ttl = "2h"'), 5400, False),  # contradictory
    (('max_wrapping_ttl = "1h"', 'min_wrapping_ttl = "2h"'), 1800, False),
    (('max_wrapping_ttl = "1h"', 'min_wrapping_ttl = "2h"'), 10800, False),
]


@pytest.mark.parametrize(("extras", "wrap_ttl", "allowed"), WRAP_FINDINGS)
def test_wrapping_ttl(extras: tuple, wrap_ttl: int, allowed: bool) -> None:
    result = _kv(*extras).authorize("update", KV, {"a": "1"}, wrap_ttl=wrap_ttl)
    assert result.allowed is allowed


def test_wrapping_bounds_apply_to_list_and_delete() -> None:
    acl = acl_of(stanza("kv1/*", "list delete", 'max_wrapping_ttl = "1h"'))
    assert not acl.authorize("list", "kv1/").allowed
    assert acl.authorize("list", "kv1/", wrap_ttl=1800).allowed
    assert not acl.authorize("delete", "kv1/zz").allowed


# -- help, sudo, root ---------------------------------------------------------------


def test_help_needs_no_capability_even_on_root_protected_paths() -> None:
    acl = acl_of(stanza("unrelated"))
    assert acl.authorize("help", "kv1/t").allowed
    assert acl.authorize("help", "sys/audit", root_protected=True).allowed
    assert not acl.authorize("read", "kv1/t").allowed


def test_root_protected_path_needs_sudo() -> None:
    assert (
        not acl_of(stanza("sys/audit")).authorize("read", "sys/audit", root_protected=True).allowed
    )
    with_sudo = acl_of(stanza("sys/audit", "read sudo"))
    assert with_sudo.authorize("read", "sys/audit", root_protected=True).allowed


def test_root_capabilities() -> None:
    root = ACL([parse_policy("root", "")])
    assert root.capabilities("a") == ["root"]
    assert root.capabilities("b/") == ["root"]
    assert root.resultant_acl() == {"root": True}


def test_policy_names_are_trimmed_and_lower_cased() -> None:
    assert parse_policy(" MyPol ", "").name == "mypol"


# -- sys/internal/ui/resultant-acl ------------------------------------------------------


def test_resultant_acl_shape() -> None:
    text = """
path "a/*" { capabilities = ["read","patch","create","sudo"]
 allowed_parameters = { "X" = ["v"]
 "y" = [] }
 denied_parameters = { "z" = [1, true] }
 required_parameters = ["Q"]
 min_wrapping_ttl = "1m"
 max_wrapping_ttl = 3600 }
path "b" { capabilities = ["deny"] }
path "c/+/d" { capabilities = ["read"] }
path "e" { capabilities = [] }
path "sys/internal/ui/resultant-acl" { capabilities = ["read"] }
"""
    assert acl_of(text).resultant_acl() == {
        "exact_paths": {
            "b": {"capabilities": ["deny"]},
            "e": {"capabilities": ["deny"]},
            "sys/internal/ui/resultant-acl": {"capabilities": ["read"]},
        },
        "glob_paths": {
            "a/": {
                "allowed_parameters": {"x": ["v"], "y": []},
                "capabilities": ["create", "read", "sudo", "patch"],
                "denied_parameters": {"z": [1, True]},
                "max_wrapping_ttl": 3600,
                "min_wrapping_ttl": 60,
                "required_parameters": ["Q"],
            }
        },
        "root": False,
    }


# -- templated policies ---------------------------------------------------------------


@pytest.mark.parametrize(("key", "char"), [("slash", "/"), ("star", "*"), ("plus", "+")])
def test_forbidden_characters_in_substitutions_break_the_acl(key: str, char: str) -> None:
    text = stanza(f"t/{{{{identity.entity.metadata.{key}}}}}")
    with pytest.raises(ACLError) as err:
        acl_of(text, identity=ALICE)
    assert str(err.value) == (
        'error parsing templated policy "p0": failed to parse policy: path '
        f'"t/{{{{identity.entity.metadata.{key}}}}}": template substitution contains '
        f'forbidden value: "{char}"'
    )


def test_comma_and_closing_braces_are_fine_in_substitutions() -> None:
    from vault_agent_backend.policy import IdentityContext

    ctx = IdentityContext("e", "n", {"comma": "a,b", "brace": "a}}b", "sp": "x y"})
    acl = acl_of(
        stanza("t/{{identity.entity.metadata.comma}}"),
        stanza("u/{{identity.entity.metadata.brace}}"),
        stanza("v/{{identity.entity.metadata.sp}}"),
        identity=ctx,
    )
    assert acl.capabilities("t/a,b") == ["read"]
    assert acl.capabilities("u/a}}b") == ["read"]
    assert acl.capabilities("v/x y") == ["read"]
