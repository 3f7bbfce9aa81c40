"""``auth/token/*``: the same requests to OpenBao and to our server, compared step by step.

Status codes always; bodies where both servers must agree (policies, TTLs within a tolerance,
orphan, num_uses, renewable, type, error texts of the token store). Field-conversion error
texts come from each server's framework and are compared by status only.
"""

from __future__ import annotations

import pytest

from tests.differential.harness import Case, Step, assert_same
from tests.support.processes import ServerProcess

TOKEN_PATHS = 'path "auth/token/*" { capabilities = ["create", "read", "update", "list"] }'
PLAIN = 'path "secret/*" { capabilities = ["read"] }'
TC = "tc-{{uniq}}"
PA = "pa-{{uniq}}"
PB = "pb-{{uniq}}"
UNKNOWN_TOKEN = "hvs.AAAAAAAAAAAAAAAAAAAAAAAA"
LOOKUP_TTL = {"data.ttl": 3}


def _policies() -> list[Step]:
    return [
        Step("PUT", f"sys/policies/acl/{TC}", json={"policy": TOKEN_PATHS}),
        Step("PUT", f"sys/policies/acl/{PA}", json={"policy": PLAIN}),
        Step("PUT", f"sys/policies/acl/{PB}", json={"policy": PLAIN}),
    ]


def _create(body, *, token="root", save=None, path="auth/token/create", note="") -> Step:
    return Step(
        "POST",
        path,
        json=body,
        token=token,
        save_token=save,
        compare=["auth", "warnings", "errors"],
        note=note,
    )


def _error(method: str, path: str, body=None, *, token="root", note="") -> Step:
    headers = None
    if token == UNKNOWN_TOKEN:  # not an alias: sent as is
        token, headers = None, {"X-Vault-Token": UNKNOWN_TOKEN}
    return Step(
        method, path, json=body, token=token, headers=headers, compare=["errors"], note=note
    )


def _status(method: str, path: str, body=None, *, token="root", note="") -> Step:
    return Step(method, path, json=body, token=token, note=note)


def _lookup(token_alias: str, *, as_token="root", note="") -> Step:
    return Step(
        "POST",
        "auth/token/lookup",
        json={"token": f"{{{{token:{token_alias}}}}}"},
        token=as_token,
        compare=["data", "errors"],
        approx=LOOKUP_TTL,
        note=note,
    )


CREATE_AND_LOOKUP = Case(
    "create, lookups and the policy subset rule",
    [
        *_policies(),
        _create(
            {"policies": [PA, TC], "ttl": "1h", "meta": {"k": "v"}, "display_name": "My App"},
            save="parent",
        ),
        Step("GET", "auth/token/lookup-self", token="parent", compare=["data"], approx=LOOKUP_TTL),
        _lookup("parent"),
        Step(
            "GET",
            "auth/token/lookup",
            query={"token": "{{token:parent}}"},
            compare=["data"],
            approx=LOOKUP_TTL,
        ),
        Step(
            "POST",
            "auth/token/lookup-accessor",
            json={"accessor": "{{parent.accessor}}"},
            compare=["data"],
            approx=LOOKUP_TTL,
        ),
        _error("POST", "auth/token/lookup", {"token": UNKNOWN_TOKEN}, note="bad token"),
        _error("POST", "auth/token/lookup-accessor", {"accessor": "nope"}),
        _error("POST", "auth/token/lookup-accessor", {}),
        Step("GET", "auth/token/lookup-self", compare=["data"], note="the dev root token"),
        _create({}, token="parent", save="child", note="inherits the parent's policies"),
        _create({"policies": [PA]}, token="parent", note="subset"),
        _create({"policies": [PA], "no_default_policy": True}, token="parent"),
        _create({"policies": [PB]}, token="parent", note="not a subset"),
        _create({"policies": ["root"]}, token="parent", note="root from non-root"),
        _create({"id": "custom{{uniq}}"}, token="parent", note="id needs sudo"),
        _create({"no_parent": True}, token="parent", note="no_parent needs sudo"),
        _create({"period": "1h"}, token="parent", note="period needs sudo"),
        _create({"ttl": "800h"}, token="parent", note="capped by the mount max"),
        _create({}, token="parent", path="auth/token/create-orphan"),
        _create({"policies": ["missing-{{uniq}}"]}, note="missing policy only warns"),
        _create({"policies": ["default"], "bogus": 1}, note="unknown field warns"),
        _create({"policies": [PB], "id": "custom{{uniq}}"}, save="custom", note="sudo: any id"),
        _create({"id": "custom{{uniq}}"}, note="duplicate id"),
        _create({"policies": [" PA-{{uniq}} ", PB, ""], "explicit_max_ttl": "1h", "ttl": "2h"}),
        _create({"policies": ["default"], "no_default_policy": True}),
    ],
)

CREATE_ERRORS = Case(
    "creation errors",
    [
        _create({"num_uses": -1}),
        _create({"ttl": "abc"}),
        _create({"ttl": -5}),
        _create({"explicit_max_ttl": "-1h"}),
        _create({"period": "-1h"}),
        _create({"type": "foo"}),
        _create({"id": "has.dot"}),
        _create({"entity_alias": "someone"}),
        _create({"policies": ["response-wrapping"]}),
        _status("POST", "auth/token/create", {"num_uses": "abc"}, note="field conversion"),
        _status("POST", "auth/token/create", {"renewable": "maybe"}),
        _status("POST", "auth/token/create", {"meta": "x"}),
        _status("POST", "auth/token/create", {"policies": {"a": 1}}),
        _error("POST", "auth/token/create", {}, token=None, note="no token"),
        _error("POST", "auth/token/create", {}, token=UNKNOWN_TOKEN),
    ],
)

REVOCATION = Case(
    "the token tree: revoke, revoke-orphan, revoke-self, revoke-accessor",
    [
        *_policies(),
        _create({"policies": [PA, TC]}, save="parent"),
        _create({"policies": [PA, TC]}, token="parent", save="child"),
        _create({"policies": [PA]}, token="child", save="grandchild"),
        _create({"policies": [PA, TC]}, save="other"),
        _error("POST", "auth/token/revoke-orphan", {"token": "{{token:parent}}"}, token="other"),
        _status("POST", "auth/token/revoke-orphan", {"token": "{{token:parent}}"}),
        _lookup("parent", note="revoked"),
        _lookup("child", note="orphaned, alive"),
        _status("POST", "auth/token/revoke", {"token": "{{token:child}}"}),
        _lookup("grandchild", note="revoked with its parent"),
        _error("GET", "auth/token/lookup-self", token="grandchild"),
        _status("POST", "auth/token/revoke", {"token": UNKNOWN_TOKEN}),
        _error("POST", "auth/token/revoke", {}),
        _error("POST", "auth/token/revoke-orphan", {"token": UNKNOWN_TOKEN}),
        _error("POST", "auth/token/revoke-orphan", {}),
        _status("POST", "auth/token/revoke-self", token="other"),
        _error("GET", "auth/token/lookup-self", token="other"),
        _create({"policies": [PA]}, save="byaccessor"),
        _status("POST", "auth/token/revoke-accessor", {"accessor": "{{byaccessor.accessor}}"}),
        _lookup("byaccessor"),
        Step(
            "POST",
            "auth/token/revoke-accessor",
            json={"accessor": "{{byaccessor.accessor}}"},
            compare=["warnings", "data"],
        ),
        _error("POST", "auth/token/revoke-accessor", {}),
    ],
)

NUM_USES = Case(
    "num_uses: counting down, last use, limited-use parents",
    [
        *_policies(),
        _create({"policies": ["default"], "num_uses": 2}, save="twice"),
        Step("GET", "auth/token/lookup-self", token="twice", compare=["data"], approx=LOOKUP_TTL),
        Step("GET", "auth/token/lookup-self", token="twice", compare=["data"], approx=LOOKUP_TTL),
        _error("GET", "auth/token/lookup-self", token="twice", note="used up"),
        _lookup("twice", note="revoked after its last use"),
        _create({"policies": [TC], "num_uses": 3}, save="limited"),
        _create({}, token="limited", note="limited-use parent"),
        _lookup("limited", note="the refused request used one use"),
        _create({"policies": [TC], "num_uses": 1}, save="once"),
        _create({}, token="once", note="its last use"),
        _error("POST", "auth/token/create", {}, token="once"),
        _create({"policies": ["default"], "num_uses": 1}, save="renewonce"),
        _error("POST", "auth/token/renew-self", {}, token="renewonce"),
    ],
)

RENEWALS = Case(
    "renewals, explicit max TTL and periodic tokens",
    [
        _create({"policies": ["default"], "ttl": "1h", "explicit_max_ttl": "2h"}, save="t"),
        Step(
            "POST",
            "auth/token/renew",
            json={"token": "{{token:t}}", "increment": "3h"},
            compare=["auth"],
            approx={"auth.lease_duration": 2},
            note="capped by explicit_max_ttl",
        ),
        Step(
            "POST",
            "auth/token/renew",
            json={"token": "{{token:t}}"},
            compare=["auth"],
            approx={"auth.lease_duration": 2},
        ),
        Step(
            "POST",
            "auth/token/renew-self",
            json={"increment": "10m"},
            token="t",
            compare=["auth", "warnings"],
        ),
        Step(
            "POST",
            "auth/token/renew-accessor",
            json={"accessor": "{{t.accessor}}", "increment": "20m"},
            compare=["auth", "warnings"],
        ),
        _lookup("t"),
        _error("POST", "auth/token/renew", {"token": "root"}, note="never expires"),
        _error("POST", "auth/token/renew", {"token": UNKNOWN_TOKEN}),
        _error("POST", "auth/token/renew", {}),
        _error("POST", "auth/token/renew-accessor", {"accessor": "nope"}),
        _status("POST", "auth/token/renew", {"token": "{{token:t}}", "increment": -5}),
        _create({"policies": ["default"], "renewable": False}, save="fixed"),
        _error("POST", "auth/token/renew", {"token": "{{token:fixed}}"}),
        _create({"policies": ["default"], "period": "2h", "ttl": "10m"}, save="periodic"),
        _lookup("periodic"),
        Step(
            "POST",
            "auth/token/renew",
            json={"token": "{{token:periodic}}", "increment": "5m"},
            compare=["auth", "warnings"],
        ),
    ],
)

BATCH = Case(
    "batch tokens and their limits",
    [
        *_policies(),
        _create({"policies": [TC], "type": "batch", "ttl": "1h"}, save="batch"),
        Step("GET", "auth/token/lookup-self", token="batch", compare=["data"], approx=LOOKUP_TTL),
        _lookup("batch"),
        _create({}, token="batch", note="batch tokens cannot create tokens"),
        _error("POST", "auth/token/renew-self", {}, token="batch"),
        _error("POST", "auth/token/renew", {"token": "{{token:batch}}"}),
        _error("POST", "auth/token/revoke", {"token": "{{token:batch}}"}),
        _error("POST", "auth/token/revoke-self", {}, token="batch"),
        _error("POST", "auth/token/revoke-orphan", {"token": "{{token:batch}}"}),
        _create({"type": "batch", "num_uses": 2, "policies": ["default"]}),
        _create({"type": "batch", "period": "1h", "policies": ["default"]}),
        _create({"type": "batch", "explicit_max_ttl": "1h", "policies": ["default"]}),
        _create({"type": "batch", "explicit_max_ttl": "x", "policies": ["default"]}),
        _create({"type": "batch"}, note="root batch token"),
        _create({"type": "batch", "renewable": True, "policies": [PA]}),
        _create({"type": "batch", "policies": [PA]}, path="auth/token/create-orphan"),
        _create({"policies": [PA, TC]}, save="parent"),
        _create({"policies": [PA], "type": "batch"}, token="parent", save="child"),
        _status("POST", "auth/token/revoke", {"token": "{{token:parent}}"}),
        _lookup("child", note="a batch token dies with its parent"),
    ],
)

ROLE = "role-{{uniq}}"
ROLES = Case(
    "token roles: CRUD, validation and creation against a role",
    [
        *_policies(),
        _status(
            "POST",
            f"auth/token/roles/{ROLE}",
            {
                "allowed_policies": f"{PA}, {PB}",
                "disallowed_policies": TC,
                "orphan": True,
                "token_period": "1h",
                "path_suffix": "v1x",
                "token_explicit_max_ttl": "5h",
                "token_num_uses": 5,
            },
        ),
        Step("GET", f"auth/token/roles/{ROLE}", compare=["data"]),
        _status("LIST", "auth/token/roles"),
        _create({}, path=f"auth/token/create/{ROLE}", save="r1"),
        _lookup("r1"),
        _create({"policies": [PA]}, path=f"auth/token/create/{ROLE}"),
        _create({"policies": [TC]}, path=f"auth/token/create/{ROLE}", note="not allowed"),
        _create(
            {"policies": [PA], "num_uses": 10, "period": "2h", "explicit_max_ttl": "10h"},
            path=f"auth/token/create/{ROLE}",
            note="the lesser of role and request",
        ),
        _create({"entity_alias": "x"}, path=f"auth/token/create/{ROLE}"),
        _create({}, path="auth/token/create/missing-{{uniq}}", note="unknown role"),
        _status("POST", f"auth/token/roles/{ROLE}-d", {"disallowed_policies_glob": "pb-*"}),
        _create({"policies": [PA, PB]}, path=f"auth/token/create/{ROLE}-d"),
        _status(
            "POST",
            f"auth/token/roles/{ROLE}-b",
            {"token_type": "default-batch", "orphan": True, "renewable": False},
        ),
        Step("GET", f"auth/token/roles/{ROLE}-b", compare=["data"]),
        _create({"policies": [PA]}, path=f"auth/token/create/{ROLE}-b", note="a batch token"),
        _create({"policies": [PA], "type": "service"}, path=f"auth/token/create/{ROLE}-b"),
        _error("POST", f"auth/token/roles/{ROLE}-x", {"token_type": "batch"}),
        _error("POST", f"auth/token/roles/{ROLE}-x", {"token_type": "batch", "orphan": True}),
        _error("POST", f"auth/token/roles/{ROLE}-x", {"token_type": "bogus"}),
        _error("POST", f"auth/token/roles/{ROLE}-x", {"token_type": None}),
        _error("POST", f"auth/token/roles/{ROLE}-x", {"path_suffix": "v1"}),
        _error("POST", f"auth/token/roles/{ROLE}-x", {"token_num_uses": -1}),
        _error("POST", f"auth/token/roles/{ROLE}-x", {"token_bound_cidrs": "notacidr"}),
        _error("POST", f"auth/token/roles/{ROLE}-b", {"token_period": "1h"}),
        Step(
            "POST",
            f"auth/token/roles/{ROLE}-w",
            json={"period": "1h", "token_period": "2h", "explicit_max_ttl": "3h"},
            compare=["warnings"],
        ),
        Step("GET", f"auth/token/roles/{ROLE}-w", compare=["data"]),
        _status("DELETE", f"auth/token/roles/{ROLE}"),
        _error("GET", f"auth/token/roles/{ROLE}"),
        _create({}, path=f"auth/token/create/{ROLE}", note="deleted role"),
    ],
)

ACCESSORS_TIDY = Case(
    "accessor list (sudo) and tidy",
    [
        *_policies(),
        _create({"policies": [TC]}, save="plain"),
        _status("LIST", "auth/token/accessors"),
        _error("GET", "auth/token/accessors"),
        _error("LIST", "auth/token/accessors", token="plain", note="needs sudo"),
        _status("POST", "auth/token/tidy"),
    ],
)

CASES = [
    CREATE_AND_LOOKUP,
    CREATE_ERRORS,
    REVOCATION,
    NUM_USES,
    RENEWALS,
    BATCH,
    ROLES,
    ACCESSORS_TIDY,
]


def test_enough_requests() -> None:
    assert sum(len(case.steps) for case in CASES) >= 40


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_token_case(case: Case, openbao: ServerProcess, vab_server: ServerProcess) -> None:
    assert_same(case, openbao, vab_server)
