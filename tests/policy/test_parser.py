"""Parsing: stanza shapes, legacy ``policy =``, durations, names, HCL/JSON forms."""

from __future__ import annotations

import pytest

from vault_agent_backend.policy import (
    Capability,
    DurationError,
    PolicyParseError,
    capabilities_from_names,
    capability_names,
    normalize_policy_name,
    parse_duration_seconds,
    parse_policy,
)


def one(text: str):
    (rule,) = parse_policy("p", text).paths
    return rule


@pytest.mark.parametrize(
    ("written", "path", "key", "is_prefix", "segment"),
    [
        ("secret/foo", "secret/foo", "secret/foo", False, False),
        ("secret/*", "secret/*", "secret/", True, False),
        ("secret*", "secret*", "secret", True, False),
        ("/secret/foo", "secret/foo", "secret/foo", False, False),
        ("//secret", "/secret", "/secret", False, False),  # only one slash is stripped
        ("*", "*", "", True, False),
        ("a*b", "a*b", "a*b", False, False),  # '*' elsewhere is literal
        ("secret/+/x", "secret/+/x", "secret/+/x", False, True),
        ("+", "+", "+", False, True),
        ("+/x", "+/x", "+/x", False, True),
        ("a/+/b*", "a/+/b*", "a/+/b*", False, True),  # keeps its '*'
        ("a+/b", "a+/b", "a+/b", False, False),  # '+' inside a segment is literal
        ("a/x+", "a/x+", "a/x+", False, False),
    ],
)
def test_path_shapes(written: str, path: str, key: str, is_prefix: bool, segment: bool) -> None:
    rule = one(f'path "{written}" {{ capabilities = ["read"] }}')
    assert (rule.path, rule.key, rule.is_prefix, rule.has_segment_wildcard) == (
        path,
        key,
        is_prefix,
        segment,
    )


@pytest.mark.parametrize(
    ("legacy", "names"),
    [
        ("deny", ["deny"]),
        ("read", ["list", "read"]),
        ("write", ["create", "delete", "list", "read", "update"]),
        ("sudo", ["create", "delete", "list", "read", "sudo", "update"]),
    ],
)
def test_legacy_policy_field(legacy: str, names: list[str]) -> None:
    assert one(f'path "x" {{ policy = "{legacy}" }}').capability_names == names


def test_legacy_adds_to_capabilities_but_deny_replaces() -> None:
    assert one('path "x" { policy = "read"\n capabilities = ["update"] }').capability_names == [
        "list",
        "read",
        "update",
    ]
    assert one('path "x" { policy = "deny"\n capabilities = ["update"] }').capability_names == [
        "deny"
    ]


def test_deny_wipes_everything_else() -> None:
    rule = one(
        'path "x" {\n capabilities = ["read", "deny"]\n allowed_parameters = { "a" = [] }\n'
        ' denied_parameters = { "b" = [] }\n min_wrapping_ttl = "1h" }'
    )
    assert rule.capabilities is Capability.DENY
    assert (rule.allowed_parameters, rule.denied_parameters, rule.min_wrapping_ttl) == ({}, {}, 0)


def test_parameters_are_parsed_with_lower_cased_keys() -> None:
    rule = one(
        'path "x" {\n capabilities = ["update"]\n'
        ' allowed_parameters = { "Name" = ["a*", true, ["n"], {k = "v"}], "Ttl" = [] }\n'
        ' denied_parameters = { "POLICIES" = ["root"] }\n'
        ' required_parameters = ["Name", "other"]\n'
        ' min_wrapping_ttl = "90s"\n max_wrapping_ttl = 3600 }'
    )
    assert rule.allowed_parameters == {"name": ["a*", True, ["n"], {"k": "v"}], "ttl": []}
    assert rule.denied_parameters == {"policies": ["root"]}
    assert rule.required_parameters == ("Name", "other")
    assert (rule.min_wrapping_ttl, rule.max_wrapping_ttl) == (90, 3600)


def test_repeated_stanzas_and_keys_are_kept() -> None:
    policy = parse_policy("p", 'path "x" { capabilities = ["read"] }\npath "x" { policy = "deny" }')
    assert [r.capability_names for r in policy.paths] == [["read"], ["deny"]]
    assert one(
        'path "x" {\n capabilities = ["read"]\n capabilities = ["list"] }'
    ).capability_names == [
        "list",
        "read",
    ]


def test_json_policies() -> None:
    policy = parse_policy(
        "p",
        '{"path": {"a": {"capabilities": ["read"]}, "b/*": {"policy": "write"}}}',
    )
    assert [(r.path, r.capability_names) for r in policy.paths] == [
        ("a", ["read"]),
        ("b/*", ["create", "delete", "list", "read", "update"]),
    ]
    with pytest.raises(PolicyParseError, match='invalid key "bogus" on line 1'):
        parse_policy("p", '{"path": {"x": {"capabilities": ["read"], "bogus": 1}}}')


def test_block_forms() -> None:
    assert one('path { capabilities = ["read"] }').path == "path"
    assert one('path "x" "y" { capabilities = ["read"] }').path == "x"


def test_templated_flag_and_policy_metadata() -> None:
    policy = parse_policy(
        " Team ", 'path "a/{{identity.entity.id}}" { capabilities = ["read"] }\npath "b" {}'
    )
    assert policy.name == "team"
    assert policy.templated
    assert [r.is_templated for r in policy.paths] == [True, False]
    assert all(r.policy == "team" for r in policy.paths)
    assert parse_policy("x", "").paths == ()
    assert parse_policy("a", "# x").digest != parse_policy("b", "# x").digest


def test_stanza_without_capabilities_grants_nothing() -> None:
    assert one('path "x" {}').capabilities == Capability(0)
    assert one('path "x" { comment = "c"\n mfa_methods = ["m"] }').capability_names == ["deny"]


def test_subscribe_capability_and_event_types_key() -> None:
    rule = one('path "x" {\n capabilities = ["subscribe"]\n subscribe_event_types = ["kv*"] }')
    assert rule.capability_names == ["subscribe"]


def test_syntax_error_shape() -> None:
    with pytest.raises(PolicyParseError, match=r"^failed to parse policy: At \d+:\d+: "):
        parse_policy("p", 'path "x" { capabilities = ["read"] = }')
    with pytest.raises(PolicyParseError, match=r"^failed to parse policy: At 1:\d+: "):
        parse_policy("p", 'path "x" { capabilities = ["read"')


def test_parse_error_is_a_value_error() -> None:
    assert issubclass(PolicyParseError, ValueError)


@pytest.mark.parametrize(
    ("name", "normal"), [("Foo", "foo"), ("  bar ", "bar"), ("ROOT", "root"), ("a-b", "a-b")]
)
def test_normalize_policy_name(name: str, normal: str) -> None:
    assert normalize_policy_name(name) == normal


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (None, 0),
        ("", 0),
        (90, 90),
        (1.9, 1),
        ("90", 90),
        ("+5", 5),
        ("90s", 90),
        ("1h30m", 5400),
        ("1.5h", 5400),
        (".5m", 30),
        ("2d", 172800),
        ("1500ms", 1),
        ("-1h", -3600),
        ("0", 0),
    ],
)
def test_durations(value: object, seconds: int) -> None:
    assert parse_duration_seconds(value) == seconds


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", 'time: invalid duration "abc"'),
        ("1x", 'time: unknown unit "x" in duration "1x"'),
        ("1.5", 'time: missing unit in duration "1.5"'),
        ("xd", 'strconv.ParseInt: parsing "x": invalid syntax'),
        (True, "could not parse duration from input"),
        ([1], "could not parse duration from input"),
    ],
)
def test_duration_errors(value: object, message: str) -> None:
    with pytest.raises(DurationError) as err:
        parse_duration_seconds(value)
    assert str(err.value) == message


def test_capability_helpers() -> None:
    flags = capabilities_from_names(["read", "list"])
    assert flags == Capability.READ | Capability.LIST
    assert capability_names(flags) == ["list", "read"]
    assert capabilities_from_names(["read", "deny"]) is Capability.DENY
    assert capability_names(Capability(0)) == ["deny"]
    assert Capability.from_name("patch") is Capability.PATCH
    with pytest.raises(ValueError):
        Capability.from_name("root")


@pytest.mark.parametrize(
    ("written", "path"),
    [
        (r"s/\u0061dmin", "s/admin"),
        (r"s/\x61\x62", "s/ab"),
        (r"s/\101", "s/A"),
        (r"s/\303\251", "s/é"),
        (r"s/\U0001F600", "s/\U0001f600"),
        (r"s/\t\n\r\a\b\f\v", "s/\t\n\r\a\b\f\v"),
        (r"s/\\", "s/\\"),  # an escaped backslash does not escape the closing quote
        (r"s/a\\\\b", "s/a\\\\b"),
        (r"s/\"q", 's/"q'),
        (r"s/${a\nb}", r"s/${a\nb}"),  # ${...} is copied as written
    ],
)
def test_string_escapes_are_go_hcls(written: str, path: str) -> None:
    """Go's HCL scanner decodes these escapes, so the policy names the decoded path."""
    assert one(f'path "{written}" {{ capabilities = ["deny"] }}').path == path


@pytest.mark.parametrize(
    ("written", "column"),
    [
        (r"\/", 10),
        (r"\q", 10),
        (r"\'", 10),
        (r"\$", 10),
        (r"\x4", 12),
        (r"\u00g0", 13),
        (r"\18", 11),
    ],
)
def test_bad_string_escapes_are_refused_with_their_position(written: str, column: int) -> None:
    with pytest.raises(PolicyParseError) as err:
        parse_policy("p", f'path "s/{written}" {{ capabilities = ["read"] }}')
    assert str(err.value) == f"failed to parse policy: At 1:{column}: illegal char escape"


def test_escapes_in_parameter_values_are_decoded() -> None:
    params = 'allowed_parameters = { "v" = ["\\u0078*", "a\\\\"] }'
    rule = one(f'path "x" {{\n capabilities = ["read"]\n {params}\n}}')
    assert rule.allowed_parameters == {"v": ["x*", "a\\"]}


def test_heredocs_keep_their_backslashes() -> None:
    """Go does not decode escapes in a heredoc (and it may hold ``\\"``)."""
    params = 'allowed_parameters = { "v" = [<<EOT\na\\\\"b\\n\nEOT\n] }'
    rule = one(f'path "x" {{\n capabilities = ["read"]\n {params}\n}}')
    assert rule.allowed_parameters["v"][0].rstrip("\n") == 'a\\\\"b\\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'path "x" { capabilities = ["read", true] }',
            'path "x": path "x": At 1:36: root.Capabilities[1]: unknown type for string '
            "*ast.LiteralType",
        ),
        (
            'path "x" { required_parameters = [["a"]] }',
            'path "x": path "x": At 1:35: root.required_parameters[0]: unknown type for string '
            "*ast.ListType",
        ),
        ('path "x" { policy = 1.5 }', 'path "x": path "x": At 1:21: root.Policy: unknown type '),
        ('path "a\\tb" { capabilities = ["r\\u0001"] }', r'path "a\tb": path "a\tb": invalid '),
        ('path "x" { policy = <<EOF\nread\nEOF\n}', r'path "x": path "x": invalid policy "read\n"'),
        ("path = 1", 'path "path": cannot check HCL keys of type *ast.LiteralType'),
        ('path "x" {}\n/* open', "At 2:8: comment not terminated"),
        ('path "x" { capabilities != [] }', "At 1:25: illegal char"),
        ('path "x" { capabilities == [] }', "At 1:26: Unknown token: 1:26 ASSIGN ="),
    ],
)
def test_decoding_errors_are_go_hcls(text: str, message: str) -> None:
    with pytest.raises(PolicyParseError) as err:
        parse_policy("p", text)
    assert str(err.value).startswith("failed to parse policy: " + message)


def test_exponents_and_json_trailing_commas_are_accepted() -> None:
    rule = one('path "x" {\n capabilities = ["read"]\n min_wrapping_ttl = 1.5e1\n}')
    assert rule.min_wrapping_ttl == 15
    rule = one('{"path": {"x": {"capabilities": ["read", "list",],},},}')
    assert rule.capability_names == ["list", "read"]
