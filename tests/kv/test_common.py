"""The Go-compatible helpers of the KV engine, unit by unit."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vault_agent_backend.builtin.kv.common import (
    custom_metadata_errors,
    go_duration_string,
    go_uint32,
    merge_patch,
    parse_go_duration,
    parse_ttl,
    rfc3339nano,
    subkeys,
    weak_int,
    weak_string,
)
from vault_agent_backend.builtin.kv.model import KeyMetadata, KVConfig, deletion_time

NS = 1_000_000_000


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (None, ""),
        (0, "1970-01-01T00:00:00Z"),
        (1796323391 * NS + 854296119, "2026-12-03T18:43:11.854296119Z"),
        (1796323391 * NS + 500_000_000, "2026-12-03T18:43:11.5Z"),
        (1796323391 * NS + 1000, "2026-12-03T18:43:11.000001Z"),
    ],
)
def test_rfc3339nano(ns: int | None, text: str) -> None:
    assert rfc3339nano(ns) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "0s"),
        (0, "0s"),
        (5, "5s"),
        (90, "1m30s"),
        (3600, "1h0m0s"),
        (-1, "-1s"),
        (7776000, "2160h0m0s"),
    ],
)
def test_go_duration_string(seconds: int | None, text: str) -> None:
    assert go_duration_string(seconds) == text


def test_parse_go_duration() -> None:
    assert parse_go_duration("1h30m") == 5400
    assert parse_go_duration("1.5h") == 5400
    assert parse_go_duration("-5s") == -5
    assert parse_go_duration("0") == 0
    assert parse_go_duration("500ms") == 0.5
    for bad in ("", "1", "1d", "h", "1h 2m", "1.5.5s"):
        with pytest.raises(ValueError):
            parse_go_duration(bad)


def test_parse_ttl() -> None:
    assert parse_ttl(60) == 60
    assert parse_ttl("60") == 60
    assert parse_ttl("2d") == 172800
    assert parse_ttl("") == 0
    assert parse_ttl(None) == 0
    assert parse_ttl(1.0) is None
    assert parse_ttl([1]) is None
    assert parse_ttl("x") is None


def test_weak_int() -> None:
    assert [weak_int(v) for v in (None, True, False, 7, "7", "", "0x10", "010", "-3")] == [
        0,
        1,
        0,
        7,
        7,
        0,
        16,
        8,
        -3,
    ]
    for bad in (1.0, 1.5, "1.5", "abc", [1], {}, 2**64):
        with pytest.raises(ValueError):
            weak_int(bad)


def test_weak_string_and_uint32() -> None:
    assert [weak_string(v) for v in ("s", 5, True, False, 1.5, 2.0, None)] == [
        "s",
        "5",
        "1",
        "0",
        "1.5",
        "2",
        "",
    ]
    with pytest.raises(ValueError, match=r"\[\]interface \{\}"):
        weak_string([1])
    assert go_uint32(-1) == 4294967295
    assert go_uint32(2**32 + 3) == 3


def test_custom_metadata_errors_are_sorted_and_complete() -> None:
    errors = custom_metadata_errors({"b": "", "a": "\x07"})
    assert errors == [
        'custom_metadata validation failed: value for key "a" contains unprintable characters',
        'custom_metadata validation failed: length of value for key "b" is 0 but must be '
        "0 < len(value) <= 512",
    ]
    # lengths count bytes, as Go does
    assert custom_metadata_errors({"é" * 64: "v"}) == []
    assert len(custom_metadata_errors({"é" * 65: "v"})) == 1


def test_merge_patch_examples_of_rfc7396() -> None:
    cases = [
        ({"a": "b"}, {"a": "c"}, {"a": "c"}),
        ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
        ({"a": "b"}, {"a": None}, {}),
        ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
        ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
        ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
        ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
        ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
        (["a", "b"], ["c", "d"], ["c", "d"]),
        ({"a": "b"}, ["c"], ["c"]),
        ({"a": "foo"}, None, None),
        ({"a": "foo"}, "bar", "bar"),
        ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
        ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
        ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
    ]
    for target, patch, expected in cases:
        assert merge_patch(target, patch) == expected


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text("ab", max_size=2),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text("abc", max_size=2), children, max_size=3)
    ),
    max_leaves=10,
)
json_objects = st.dictionaries(st.text("abc", max_size=2), json_values, max_size=4)


@settings(deadline=None, derandomize=True, max_examples=100)
@given(target=json_objects, patch=json_objects)
def test_merge_patch_properties(target: dict, patch: dict) -> None:
    result = merge_patch(target, patch)
    assert merge_patch(result, patch) == result  # idempotent
    for key, value in patch.items():
        if value is None:
            assert key not in result
        else:
            assert key in result
    for key, value in target.items():
        if key not in patch:
            assert result[key] == value
    assert merge_patch(target, {}) == target


def test_subkeys() -> None:
    data = {"a": 1, "b": {"c": {"d": 1}, "e": {}}, "f": [{"g": 1}]}
    assert subkeys(data, 0) == {"a": None, "b": {"c": {"d": None}, "e": None}, "f": None}
    assert subkeys(data, 1) == {"a": None, "b": None, "f": None}
    assert subkeys(data, 2) == {"a": None, "b": {"c": None, "e": None}, "f": None}
    assert subkeys(None, 0) is None
    assert subkeys({}, 0) == {}


def test_deletion_time_rules() -> None:
    meta = KeyMetadata(key="k")
    assert deletion_time(0, KVConfig(), meta) is None
    assert deletion_time(0, KVConfig(delete_version_after=10), meta) == 10 * NS
    meta.delete_version_after = 5
    assert deletion_time(0, KVConfig(delete_version_after=10), meta) == 5 * NS
    assert deletion_time(0, KVConfig(), meta) == 5 * NS
    meta.delete_version_after = 20
    assert deletion_time(0, KVConfig(delete_version_after=10), meta) == 10 * NS
    assert deletion_time(0, KVConfig(delete_version_after=-1), meta) is None


def test_add_version_prunes_oldest() -> None:
    meta = KeyMetadata(key="k", max_versions=3)
    pruned_all = []
    for i in range(1, 7):
        _, pruned = meta.add_version(i, None, 0)
        pruned_all += pruned
    assert sorted(meta.versions) == [4, 5, 6]
    assert meta.oldest_version == 4
    assert pruned_all == [1, 2, 3]
    assert KeyMetadata.from_json(meta.to_json()) == meta
