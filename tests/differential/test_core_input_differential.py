"""Input edge cases of the core, the same requests to OpenBao and to our server.

Status codes always, error texts where both servers produce them the same way. Each step
answered differently (or 500) before the fix that introduced this file; raw bodies JSON
cannot express (``1e400``, ``NaN``) are in ``tests/integration/test_core_input_edges.py``.
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest
import requests
import requests.models

from tests.differential.harness import Case, Step, assert_same
from tests.support.processes import ServerProcess

HUGE = "9" * 400 + "h"
LONG = "9" * 30 + "h"
DEFAULT = ["default"]


def _create(body: dict, note: str = "") -> Step:
    return Step("POST", "auth/token/create", json=body, note=note)


NUMBERS = Case(
    "durations, ints and bools out of range, nulls",
    [
        _create({"policies": DEFAULT, "ttl": HUGE}, "was a 500"),
        _create({"policies": DEFAULT, "explicit_max_ttl": LONG}),
        _create({"policies": DEFAULT, "period": 2**64}),
        _create({"policies": DEFAULT, "num_uses": 2**63}),
        _create({"policies": DEFAULT, "num_uses": 1e300}),
        _create({"policies": DEFAULT, "no_parent": 2}),
        _create({"policies": DEFAULT, "renewable": -1}),
        Step(
            "POST",
            "auth/token/create",
            json={"policies": DEFAULT, "ttl": "1h", "renewable": None, "num_uses": None},
            compare=["auth.renewable", "auth.num_uses", "auth.policies"],
            note="null is the zero value",
        ),
        Step("POST", "sys/mounts/secret/tune", json={"max_lease_ttl": HUGE}, note="was a 500"),
        Step("POST", "sys/auth/token/tune", json={"default_lease_ttl": LONG}),
        Step(
            "POST",
            "sys/mounts/edge-{{uniq}}",
            json={"type": "kv", "config": {"default_lease_ttl": HUGE}},
            note="was a 500",
        ),
        Step("GET", "auth/token/lookup-self", headers={"X-Vault-Wrap-TTL": HUGE}),
        Step("GET", "auth/token/lookup-self", headers={"X-Vault-Wrap-TTL": LONG}),
    ],
)

QUERY_AND_METHODS = Case(
    "?list= and ?help= parsing, HEAD",
    [
        # shared session servers hold other tests' policies: compare the shape, not the names
        Step("GET", "sys/policies/acl", query={"list": ["true", "false"]}, compare_keys=["data"]),
        Step("GET", "sys/policies/acl", query={"list": ["false", "true"]}, compare=["errors"]),
        Step("GET", "sys/policies/acl", query={"list": "t"}, compare_keys=["data"]),
        Step("GET", "sys/policies/acl", query={"list": "maybe"}, compare=["errors"]),
        Step("GET", "sys/policies/acl", query={"list": "tRuE"}, compare=["errors"]),
        Step("GET", "sys/policies/acl", query={"help": "0"}),
        Step("HEAD", "sys/health"),
        Step("HEAD", "sys/mounts"),
        Step("HEAD", "auth/token/lookup-self"),
        Step("HEAD", "sys/policies/acl/default"),
        Step("HEAD", "secret/data/none-{{uniq}}"),
    ],
)

HEALTH_QUERY = Case(
    "sys/health query parameters",
    [
        Step("GET", "sys/health", query=query, token=None, compare=["errors", "sealed"])
        for query in (
            {"standbyok": "maybe"},
            {"perfstandbyok": "yes"},
            {"activecode": "abc"},
            {"uninitcode": "x"},
            {"sealedcode": " 200"},
            {"activecode": ""},
            {"standbyok": ""},
            {"perfstandbyok": "T", "standbyok": "1"},
            {"activecode": "299"},
            {"standbyok": "true", "activecode": "201"},
        )
    ],
)

BEARER = Case(
    "a service token in Authorization: Bearer",
    [
        Step(
            "POST",
            "auth/token/create",
            json={"policies": DEFAULT, "ttl": "1h", "meta": {"k": "v"}},
            save_token="b",
            compare=["auth.policies"],
        ),
        *(
            Step(
                "GET",
                "auth/token/lookup-self",
                token=None,
                headers={"Authorization": header},
                compare=["data.id", "data.accessor", "data.policies", "data.meta", "errors"],
                note=header.split(" ")[0] + ("" if header.split(" ")[1] else " (empty)"),
            )
            for header in (
                "Bearer {{token:b}}",
                "Bearer   {{token:b}}  ",
                "Basic {{token:b}}",
                "Bearer ",
                "Bearer {{token:b}}x",
                "bearer {{token:b}}",
                "BEARER {{token:b}}",
            )
        ),
        Step(
            "GET",
            "sys/mounts",
            token=None,
            headers={"Authorization": "Bearer {{token:b}}"},
            compare=["errors"],
            note="the bearer's own policies apply",
        ),
        Step(
            "GET",
            "auth/token/lookup-self",
            token="b",
            headers={"Authorization": "Bearer {{token:root}}"},
            compare=["data.id", "data.policies"],
            note="X-Vault-Token wins",
        ),
    ],
)


def _relative(method: str, path: str, note: str = "", **kwargs: Any) -> Step:
    body = {"data": {"t": 1}} if method in ("POST", "PUT") else None
    return Step(method, path, json=body, compare=["errors"], note=note, **kwargs)


_REL = "secret/data/rel-{{uniq}}"
#: Percent-encoded dot segments are clean as sent (no 307), but OpenBao's core refuses a
#: decoded path with a ``.`` or ``..`` segment: 400 ``relative paths not supported``, before
#: the token, the route or the method (``logical.IsRelativePath``). Sent as written thanks to
#: ``raw_paths``; urllib3 still upper-cases the escapes (``%2e`` → ``%2E``), which neither
#: server minds (lower-case forms: ``tests/http/test_paths.py``). The refused requests
#: answered 200/204/404/405 here, and the first write stored a key named ``..``.
RELATIVE_PATHS = Case(
    "percent-encoded dot segments",
    [
        _relative("POST", f"{_REL}/%2e%2e/hello", "was a 200 storing a key '..'"),
        _relative("POST", f"{_REL}/%2E./hello"),
        _relative("POST", f"{_REL}/.%2e/hello"),
        _relative("POST", f"{_REL}/%2e/hello"),
        _relative("POST", f"{_REL}/a/%2e%2e", "at the end"),
        _relative("POST", f"{_REL}/a/%2e", "at the end"),
        _relative("POST", f"{_REL}/a/%2e/", "before a trailing slash"),
        _relative("POST", f"{_REL}/a%2f..%2fb", "decoded slashes around a raw .."),
        _relative("POST", f"{_REL}/a%2f.%2fb"),
        _relative("GET", f"{_REL}/%2e%2e/hello"),
        _relative("GET", f"{_REL}/%2e%2e/hello?x=1"),
        _relative("DELETE", f"{_REL}/%2e"),
        _relative("LIST", "secret/metadata/rel-{{uniq}}/%2e%2e"),
        _relative("GET", "secret/metadata/rel-{{uniq}}/%2e%2e/", query={"list": "true"}),
        _relative("HEAD", f"{_REL}/%2e%2e/hello", "not the 405 of a HEAD"),
        _relative("HEAD", "sys/health/%2e"),
        _relative("OPTIONS", f"{_REL}/%2e%2e/hello"),
        _relative("PUT", "sys/policies/acl/rel-{{uniq}}/%2e%2e/x"),
        _relative("GET", "sys/policies/acl/%2e%2e"),
        _relative("GET", "sys/policies/acl/%2e%2e", "before authentication", token=None),
        _relative(
            "GET",
            "sys/policies/acl/%2e%2e",
            "before the token",
            token=None,
            headers={"X-Vault-Token": "nope"},
        ),
        _relative("GET", "%2e%2e/sys/health", "the first segment"),
        _relative("GET", "%2e"),
        _relative("POST", "auth/token/create/%2e%2e"),
        Step("POST", "sys/mounts/kv1-{{uniq}}", json={"type": "kv"}),
        _relative("POST", "kv1-{{uniq}}/a/%2e%2e/b", "a KV v1 mount"),
        _relative("GET", "kv1-{{uniq}}/a/%2e%2e/b"),
        # what the HTTP layer refuses comes first
        _relative("GET", f"{_REL}/%2e%2e/b", query={"list": "maybe"}),
        _relative("GET", f"{_REL}/%2e%2e/b", headers={"X-Vault-Wrap-TTL": "xx"}),
        _relative("FOO", f"{_REL}/%2e%2e/b"),
        _relative("HEAD", f"{_REL}/b", headers={"X-Vault-Wrap-TTL": "xx"}),
        # dots that are not a whole segment, and dots in the query, are fine
        _relative("POST", f"{_REL}/%2e%2e%2e/x"),
        _relative("POST", f"{_REL}/%2e.y/x"),
        _relative("POST", f"{_REL}/z%2e%2e/x"),
        _relative("GET", f"{_REL}/z%2e%2e/x?v=%2e%2e"),
        Step("LIST", "secret/metadata/rel-{{uniq}}", compare=["data.keys"]),
        Step("DELETE", "sys/mounts/kv1-{{uniq}}"),
    ],
)

#: Go's encoding/json decodes a ``\\u`` escape of a lone UTF-16 surrogate as U+FFFD (keys
#: too); valid pairs stay the character. ``requests`` sends these strings as ``\\ud800``
#: escapes. We stored and answered the lone surrogates.
SURROGATES = {
    "lone": "\ud800",
    "low": "x\udc00y",
    "pair": "\ud83d\ude00",
    "reversed": "\udc00\ud800",
    "high-then-pair": "\ud800\ud800\udc00",
    "high-then-letter": "\ud800A",
    "escaped": "\\ud800",
    "\udbff": "key",
    "nested": ["\udfff", {"\udbff\udfff": "\ud800", "\udc01": ["\ud801"]}],
}
LONE_SURROGATES = Case(
    "lone UTF-16 surrogates in JSON strings",
    [
        Step("POST", "secret/data/sur-{{uniq}}", json={"data": SURROGATES}),
        Step("GET", "secret/data/sur-{{uniq}}", compare=["data.data"], note="was '\\ud800'"),
        Step("POST", "cubbyhole/sur-{{uniq}}", json=SURROGATES),
        Step("GET", "cubbyhole/sur-{{uniq}}", compare=["data"]),
        Step("POST", "sys/policies/acl/sur-{{uniq}}", json={"policy": 'path "\ud800" {}'}),
        Step("GET", "sys/policies/acl/sur-{{uniq}}", compare=["data.policy"]),
        Step("DELETE", "sys/policies/acl/sur-{{uniq}}"),
    ],
)

CASES = [NUMBERS, QUERY_AND_METHODS, HEALTH_QUERY, BEARER, RELATIVE_PATHS, LONE_SURROGATES]


@pytest.fixture
def raw_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    """Send request targets as written: ``requests`` would decode ``%2e`` (an unreserved
    character) to ``.``, and the servers would see a raw dot segment (a 307) instead."""
    monkeypatch.setattr(requests.models, "requote_uri", lambda uri: uri)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_core_input_like_openbao(
    case: Case, openbao: ServerProcess, vab_server: ServerProcess, raw_paths: None
) -> None:
    assert_same(case, openbao, vab_server)


#: Bodies JSON values cannot express, as bytes: UTF-8 that is not valid (the UTF-8 form of a
#: surrogate, cut sequences), which Go reads as one U+FFFD per byte; duplicate keys that
#: become the same once their lone surrogates are U+FFFD (the last one wins); escaped
#: backslashes before ``u``; UTF-16, which Go does not detect. We stored ``\\ud800`` for the
#: first, refused the second with a 400, kept a duplicate's first value, and read UTF-16.
RAW_BODIES = {
    "bad-utf8": b'{"data":{"raw":"\xed\xa0\x80|\xe6\x97A|\xf0\x9f\x98|\xc0\xaf|\xff"}}',
    "bad-utf8-in-key": b'{"data":{"\xed\xb0\x80":"\xf4\x90\x80\x80"}}',
    "duplicates": b'{"data":{"\\ud800":1,"\\udc00":2,"\\ud800":3,"\\udfff":4}}',
    "escapes": b'{"data":{"k":"\\ud800\\\\ud800\\\\\\ud800"}}',
    "utf16": '{"data":{"u":"x"}}'.encode("utf-16-le"),
    "trailing-garbage": b'  {"data":{"first":1}} trailing',
    "cut-short": b'{"data":{"first":1}',
}


def _write_and_read(server: ServerProcess, path: str, body: bytes) -> tuple[int, Any]:
    headers = {"X-Vault-Token": server.root_token, "Content-Type": "application/json"}
    url = f"{server.url}/v1/secret/data/{path}"
    with requests.Session() as session:
        written = session.post(url, data=body, headers=headers, timeout=30)
        read = session.get(url, headers=headers, timeout=30)
    return written.status_code, read.json().get("data", {}).get("data")


@pytest.mark.parametrize("name", list(RAW_BODIES))
def test_raw_json_bodies_like_openbao(
    name: str, openbao: ServerProcess, vab_server: ServerProcess
) -> None:
    path = f"raw-{name}-{secrets.token_hex(4)}"
    body = RAW_BODIES[name]
    assert _write_and_read(vab_server, path, body) == _write_and_read(openbao, path, body)


#: (method, path, body, token): successes and errors of several kinds.
CACHE_CONTROL_REQUESTS = [
    ("GET", "sys/mounts", None, "root"),
    ("GET", "sys/health", None, None),
    ("HEAD", "sys/health", None, None),
    ("GET", "sys/seal-status", None, None),
    ("POST", "auth/token/create", b'{"policies": ["default"]}', "root"),
    ("PUT", "cubbyhole/cache-control", b'{"v": "1"}', "root"),
    ("GET", "sys/mounts", None, None),
    ("GET", "sys/mounts", None, "not-a-token"),
    ("GET", "cubbyhole/cache-control-none", None, "root"),
    ("GET", "sys/no-such-path", None, "root"),
    ("POST", "auth/token/create", b"{bad json", "root"),
    ("HEAD", "sys/mounts", None, "root"),
    ("GET", "sys/mounts//x", None, "root"),
]


def test_cache_control_like_openbao(openbao: ServerProcess, vab_server: ServerProcess) -> None:
    """The same status and ``Cache-Control`` header as OpenBao (``no-store`` everywhere)."""
    answers: dict[str, list[tuple[str, int, str | None]]] = {}
    for side, server in (("openbao", openbao), ("vab", vab_server)):
        answers[side] = []
        for method, path, body, token in CACHE_CONTROL_REQUESTS:
            headers = {"X-Vault-Token": token} if token else {}
            response = requests.request(
                method,
                f"{server.url}/v1/{path}",
                data=body,
                headers=headers,
                allow_redirects=False,
                timeout=30,
            )
            cache = response.headers.get("Cache-Control")
            answers[side].append((f"{method} {path}", response.status_code, cache))
    assert answers["vab"] == answers["openbao"]
    assert {cache for _, _, cache in answers["vab"]} == {"no-store"}
