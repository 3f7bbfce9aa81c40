"""Parameter constraints, each kind in isolation (see also test_openbao_findings)."""

from __future__ import annotations

import pytest

from vault_agent_backend.policy.params import (
    check_parameters,
    glob_match,
    value_allowed,
    value_denied,
)


@pytest.mark.parametrize(
    ("pattern", "value", "match"),
    [
        ("abc", "abc", True),
        ("abc", "abcd", False),
        ("a*", "abc", True),
        ("a*", "a", True),
        ("a*", "ba", False),
        ("*c", "abc", True),
        ("*c", "cb", False),
        ("*b*", "abc", True),
        ("*b*", "ac", False),
        ("**", "", True),  # contains ""
        ("*", "*", True),  # shorter than two characters: exact
        ("*", "x", False),
        ("", "", True),
        ("", "x", False),
        ("a", "a", True),
        ("a*b", "axb", False),  # a '*' in the middle is literal
        ("a*b", "a*b", True),
    ],
)
def test_glob_match(pattern: str, value: str, match: bool) -> None:
    assert glob_match(pattern, value) is match


@pytest.mark.parametrize(
    ("value", "patterns", "allowed"),
    [
        ("x", [], True),  # empty list: any value
        (1, [], True),
        ("x", ["x"], True),
        ("y", ["x"], False),
        (1, [1], False),  # request numbers are JSON numbers: never equal
        (1.5, [1.5], False),
        (True, [True], True),
        (True, [1], False),
        (False, [True], False),
        (None, [None], True),
        (None, ["x"], False),
        ("x", [None], False),
        ({"a": "b"}, [{"a": "b"}], True),
        ({"a": "b"}, [{"a": "c"}], False),
        ({"a": 1}, [{"a": 1}], False),  # numbers nested in values never equal either
        (["a", "b"], [["a", "b"]], True),  # whole-value match
        (["a", "b"], ["a", "b"], True),  # per element
        (["a", "c"], ["a", "b"], False),
        ([], ["a"], True),  # no element to refuse
        (["a*"], ["a*"], True),
        (["ab"], ["a*"], True),
        ("a,b", ["a", "b"], True),  # comma-separated string read as a list
        ("a, b", ["a", "b"], True),
        ("a,c", ["a", "b"], False),
        ("", ["a"], True),  # Vault: "" splits into no elements
        (" a ", ["a"], True),
        ([1], ["1"], False),
    ],
)
def test_value_allowed(value: object, patterns: list, allowed: bool) -> None:
    assert value_allowed(value, patterns) is allowed


@pytest.mark.parametrize(
    ("value", "patterns", "denied"),
    [
        ("x", [], True),
        ("x", ["x"], True),
        ("x", ["y"], False),
        ("root", ["r*"], True),
        (["a", "b"], ["b"], True),  # any element denied
        (["a", "b"], ["c"], False),
        ("default,root", ["root"], True),
        ("default, root", ["root"], True),
        ("", ["x"], False),
        (5, [5], False),
        (True, [True], True),
    ],
)
def test_value_denied(value: object, patterns: list, denied: bool) -> None:
    assert value_denied(value, patterns) is denied


@pytest.mark.parametrize(
    ("data", "allowed", "denied", "required", "ok"),
    [
        ({}, {"a": ["x"]}, {"*": []}, [], True),  # empty data passes...
        (None, {"a": ["x"]}, {}, [], True),
        ({}, {}, {}, ["a"], False),  # ...unless something is required
        ({"a": 1}, {}, {}, ["A"], True),
        ({"A": 1}, {}, {}, ["a"], False),
        ({"a": "x"}, {}, {"*": ["zzz"]}, [], False),  # "*" denies any data
        ({"a": "x"}, {}, {"b": []}, [], True),
        ({"a": "x"}, {}, {"a": []}, [], False),
        ({"A": "x"}, {}, {"a": ["x"]}, [], False),
        ({"a": "x"}, {"*": []}, {}, [], True),
        ({"a": "x"}, {"*": [], "b": ["y"]}, {}, [], True),
        ({"b": "x"}, {"*": [], "b": ["y"]}, {}, [], False),
        ({"a": "x"}, {"b": []}, {}, [], False),
        ({"a": "x", "b": "y"}, {"a": [], "b": ["y*"]}, {}, [], True),
        ({"a": "x"}, {"a": []}, {"a": ["x"]}, [], False),  # denied is checked first
    ],
)
def test_check_parameters(data, allowed, denied, required, ok: bool) -> None:
    assert (check_parameters(data, allowed, denied, required) is None) is ok


def test_check_parameters_reasons() -> None:
    assert check_parameters({}, {}, {}, ["Ttl"]) == "required parameter 'ttl' missing"
    assert check_parameters({"x": 1}, {}, {"*": []}, []) == "all parameters are denied"
    assert check_parameters({"x": 1}, {}, {"x": []}, []) == "parameter 'x' denied"
    assert check_parameters({"x": 1}, {"y": []}, {}, []) == "parameter 'x' not allowed"
    assert check_parameters({"x": "a"}, {"x": ["b"]}, {}, []) == (
        "value of parameter 'x' not allowed"
    )
