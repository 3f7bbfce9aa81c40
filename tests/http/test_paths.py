"""Paths Vault's HTTP layer redirects or refuses before routing (see ``http/paths.py``)."""

from __future__ import annotations

import json

import pytest

from tests.kv.inprocess import KVServer
from vault_agent_backend.http.paths import go_clean_path, is_relative_path

ROOT = {"X-Vault-Token": "root"}


@pytest.mark.parametrize(
    ("path", "cleaned"),
    [
        ("/v1/a/b", "/v1/a/b"),
        ("/v1/a//b", "/v1/a/b"),
        ("/v1/a/./b/", "/v1/a/b/"),
        ("/v1/a/b/.", "/v1/a/b"),
        ("/v1/a/../b", "/v1/b"),
        ("//v1/a", "/v1/a"),
        ("/v1/../../x", "/x"),
        ("v1/a", "/v1/a"),
        ("", "/"),
        ("/", "/"),
    ],
)
def test_go_clean_path(path: str, cleaned: str) -> None:
    assert go_clean_path(path) == cleaned


@pytest.fixture
def vab() -> KVServer:
    """A dev core with ``secret/`` (KV v2) behind Flask's test client."""
    return KVServer()


@pytest.mark.parametrize(
    ("target", "location"),
    [
        ("/v1/secret/data/a//b", "/v1/secret/data/a/b"),
        ("/v1/secret/data/a/./b?version=1", "/v1/secret/data/a/b?version=1"),
        ("/v1/secret/data/x/../a/b", "/v1/secret/data/a/b"),
        ("/v1//sys/health", "/v1/sys/health"),
        ("/v1/secret/metadata/a//?list=true", "/v1/secret/metadata/a/?list=true"),
    ],
)
def test_unclean_paths_are_redirected(vab: KVServer, target: str, location: str) -> None:
    for method in ("GET", "POST"):
        response = vab.client.open(target, method=method, json={"data": {}}, headers=ROOT)
        assert response.status_code == 307
        assert response.headers["Location"] == location
        assert response.data == b""


def test_a_write_after_the_redirect_lands_on_the_clean_key(vab: KVServer) -> None:
    body = {"data": {"k": "v"}}
    first = vab.client.post("/v1/secret/data/d//x", json=body, headers=ROOT)
    assert first.status_code == 307
    again = vab.client.post(first.headers["Location"], json=body, headers=ROOT)
    assert again.status_code == 200
    assert vab.call("LIST", "secret/metadata/d").data == {"keys": ["x"]}


@pytest.mark.parametrize("char", ["%00", "%01", "%09", "%0A", "%7F", "%C2%85", "%E2%80%8B"])
def test_unprintable_characters_are_refused(vab: KVServer, char: str) -> None:
    for target in (f"/v1/secret/data/a{char}b", f"/v1/cubbyhole/{char}"):
        response = vab.client.post(target, json={"data": {"k": 1}}, headers=ROOT)
        assert response.status_code == 400
        assert response.get_json() == {
            "errors": ["the request path contains unprintable characters"]
        }
    assert vab.call("LIST", "secret/metadata").status == 404


@pytest.mark.parametrize("char", ["%C3%A9", "%20", "%E6%97%A5", "%25", "%3F"])
def test_printable_characters_pass(vab: KVServer, char: str) -> None:
    response = vab.client.post(f"/v1/secret/data/a{char}b", json={"data": {}}, headers=ROOT)
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("path", "relative"),
    [
        (".", True),
        ("..", True),
        ("./a", True),
        ("../a", True),
        ("a/.", True),
        ("a/..", True),
        ("a/./b", True),
        ("a/../b", True),
        ("a/../", True),
        ("", False),
        ("a//b", False),
        ("a/.../b", False),
        ("a/..b/c", False),
        ("a/b../c", False),
        ("a/.b", False),
        ("...", False),
    ],
)
def test_is_relative_path(path: str, relative: bool) -> None:
    """OpenBao's ``logical.IsRelativePath``: a ``.`` or ``..`` segment."""
    assert is_relative_path(path) is relative


@pytest.mark.parametrize(
    "target",
    [
        "/v1/secret/data/a/%2e%2e/b",
        "/v1/secret/data/a/%2E%2e/b",
        "/v1/secret/data/a/%2e./b",
        "/v1/secret/data/a/.%2E/b",
        "/v1/secret/data/a/%2e/b",
        "/v1/secret/data/a/%2e%2e",
        "/v1/secret/data/a/%2e",
        "/v1/secret/data/a%2f..%2fb",
        "/v1/secret/data/a%2F.%2Fb",
        "/v1/%2e%2e/secret/data/a",
        "/v1/sys/policies/acl/%2e%2e",
    ],
)
def test_encoded_dot_segments_are_refused(vab: KVServer, target: str) -> None:
    """Clean as sent (no 307) but relative once decoded: 400, as OpenBao's core answers."""
    for method in ("GET", "POST", "DELETE", "LIST", "HEAD", "OPTIONS"):
        response = vab.client.open(target, method=method, json={"data": {"k": 1}}, headers=ROOT)
        assert response.status_code == 400, (method, target)
        if method != "HEAD":
            assert response.get_json() == {"errors": ["relative paths not supported"]}
    for method in ("GET", "POST"):  # before authentication too
        response = vab.client.open(target, method=method, json={"data": {"k": 1}})
        assert response.status_code == 400
    assert vab.call("LIST", "secret/metadata").status == 404


@pytest.mark.parametrize("segment", ["%2e%2e%2e", "%2e.x", "x%2e%2e", ".%2eb"])
def test_dots_inside_a_segment_pass(vab: KVServer, segment: str) -> None:
    response = vab.client.post(f"/v1/secret/data/a/{segment}/b", json={"data": {}}, headers=ROOT)
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("target", "error"),
    [
        ("/v1/secret/data/a%zz", 'invalid URL escape "%zz"'),
        ("/v1/secret/data/a%", 'invalid URL escape "%"'),
        ("/v1/secret/data/a%4", 'invalid URL escape "%4"'),
        ("/v1/secret/data/%c3%28", "the request path is not valid UTF-8"),
        ("/v1/secret/data/%ff", "the request path is not valid UTF-8"),
        ("/v1/secret/data/a%00b", "the request path contains unprintable characters"),
    ],
)
def test_malformed_paths_are_refused_with_a_json_error(
    vab: KVServer, target: str, error: str
) -> None:
    """Go's URL parser refuses a bad escape (400); escapes that are not UTF-8 would alias
    one key (every bad byte becomes U+FFFD), so they are refused too. The answer is a Vault
    error body like every other (compact JSON, ``Cache-Control: no-store``)."""
    response = vab.client.post(target, json={"data": {"k": 1}}, headers=ROOT)
    assert response.status_code == 400
    assert response.get_json() == {"errors": [error]}
    assert response.headers["Cache-Control"] == "no-store"
    assert (
        response.get_data(as_text=True)
        == json.dumps({"errors": [error]}, separators=(",", ":")) + "\n"
    )
    assert vab.call("LIST", "secret/metadata").status == 404
