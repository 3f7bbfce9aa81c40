"""Input edge cases of the core, the same requests to OpenBao and to our server.

Status codes always, error texts where both servers produce them the same way. Each step
answered differently (or 500) before the fix that introduced this file; raw bodies JSON
cannot express (``1e400``, ``NaN``) are in ``tests/integration/test_core_input_edges.py``.
"""

from __future__ import annotations

import pytest
import requests

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
                note=header.split(" ")[0] or "empty",
            )
            for header in (
                "Bearer {{token:b}}",
                "Bearer   {{token:b}}  ",
                "Basic {{token:b}}",
                "Bearer ",
                "Bearer {{token:b}}x",
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

CASES = [NUMBERS, QUERY_AND_METHODS, HEALTH_QUERY, BEARER]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_core_input_like_openbao(
    case: Case, openbao: ServerProcess, vab_server: ServerProcess
) -> None:
    assert_same(case, openbao, vab_server)


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
