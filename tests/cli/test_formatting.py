"""Unit tests of the pieces that make ``vab`` print like the Go CLI (no server needed)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from vab_client.cli.api import APIError, Secret
from vab_client.cli.gofmt import (
    Number,
    dumps,
    go_quote_list,
    go_value,
    human_duration,
    loads,
    parse_duration,
)
from vab_client.cli.kv_paths import add_prefix, join, parse_versions
from vab_client.cli.kvargs import KVArgError, parse_kv_args
from vab_client.cli.output import columns, header_for_map, pad_header, table


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (59, "59s"), (90, "1m30s"), (3600, "1h"), (3601, "1h1s"), (3660, "1h1m"),
     (2764800, "768h"), (86399, "23h59m59s")],
)  # fmt: skip
def test_human_duration(seconds: int, text: str) -> None:
    assert human_duration(seconds) == text


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30", 30), ("30s", 30), ("5m", 300), ("1h30m", 5400), ("2d", 172800), ("1.5h", 5400)],
)
def test_parse_duration(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "5x", "1h junk"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_go_value_formats_like_percent_v() -> None:
    value = loads('{"b": [1, "x", null, true], "a": {"z": 1.50, "y": ""}}')
    assert go_value(value) == "map[a:map[y: z:1.50] b:[1 x <nil> true]]"
    assert go_quote_list(["default", 'a"b']) == '["default" "a\\"b"]'
    assert go_quote_list(None) == "[]"


def test_json_like_go() -> None:
    value = loads('{"b": 1.50, "a": "<&>\\u2028", "c": [], "d": {}, "e": 12345678901234567890}')
    assert isinstance(value["b"], Number)
    assert dumps(value) == (
        "{\n"
        '  "a": "\\u003c\\u0026\\u003e\\u2028",\n'
        '  "b": 1.50,\n'
        '  "c": [],\n'
        '  "d": {},\n'
        '  "e": 12345678901234567890\n'
        "}"
    )
    assert dumps({"k": [1, None]}, indent=None) == '{"k":[1,null]}'


def test_secret_struct_order_and_defaults() -> None:
    secret = Secret(loads('{"data": {"k": "v"}, "auth": {"client_token": "t"}, "x": 1}'))
    encoded = dumps(secret.to_struct())
    keys = [line.split(":")[0].strip() for line in encoded.splitlines() if line.startswith("  ")]
    assert keys[:6] == ['"request_id"', '"lease_id"', '"lease_duration"', '"renewable"',
                        '"data"', '"k"']  # fmt: skip
    assert '"x"' not in encoded and '"identity_policies": null' in encoded


def test_tables() -> None:
    assert table(["Key", "Value"], [["a", "1"], ["long_key", ""]]) == (
        "Key         Value\n---         -----\na           1\nlong_key    n/a"
    )
    assert columns([["x"]]) == "x"
    assert pad_header("Secret Path", len("secret/data/foo")) == "= Secret Path ="
    assert header_for_map("Metadata", {"custom_metadata": 1}) == "======= Metadata ======="
    assert header_for_map("Data", {"a": 1}) == "== Data =="


def test_api_error_text() -> None:
    error = APIError("GET", "http://h/v1/x", 403, ["permission denied"])
    assert str(error) == (
        "Error making API request.\n\nURL: GET http://h/v1/x\nCode: 403. Errors:\n\n"
        "* permission denied"
    )
    raw = APIError("GET", "http://h/v1/x", 502, ["<html>"], raw=True)
    assert str(raw).endswith("Code: 502. Raw Message:\n\n<html>")


def test_kv_args(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("v.txt").write_text("file value\n")
    Path("d.json").write_text('{"j": 1}')
    stdin = io.StringIO('{"s": "in"}')
    data = parse_kv_args(["a=1", "a=2", "f=@v.txt", "lit=\\@x", "@d.json", "-"], stdin.read)
    assert data == {"a": ["1", "2"], "f": "file value\n", "lit": "@x", "j": "1", "s": "in"}
    assert isinstance(data["j"], Number)  # JSON numbers keep their literal text
    with pytest.raises(KVArgError, match='invalid key/value pair "a": format must be key=value'):
        parse_kv_args(["a"], stdin.read)
    with pytest.raises(KVArgError, match="stdin already consumed"):
        parse_kv_args(["-", "x=-"], lambda: "{}")


@pytest.mark.parametrize(
    ("path", "mount", "prefix", "expected"),
    [
        ("secret/foo", "secret/", "data", "secret/data/foo"),
        ("secret", "secret/", "metadata", "secret/metadata"),
        ("secret/", "secret/", "metadata", "secret/metadata"),
        ("team/kv/a/b", "team/kv/", "delete", "team/kv/delete/a/b"),
        ("kv/a", "ns1/kv/", "data", "kv/data/a"),
    ],
)
def test_add_prefix(path: str, mount: str, prefix: str, expected: str) -> None:
    assert add_prefix(path, mount, prefix) == expected


def test_join_and_versions() -> None:
    assert join("secret/", "", "a//b/") == "secret/a/b"
    assert join("", "") == ""
    assert parse_versions(("1,2", "3")) == [1, 2, 3]
