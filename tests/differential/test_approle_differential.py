"""The AppRole auth method against OpenBao: the same requests, the same answers.

Covers roles (fields, legacy fields, warnings, role_id), the per-setting paths, secret IDs
(generated, custom, metadata forms, overrides, lookups by value and accessor, destruction)
and logins (tokens, identity alias, use counts, CIDR rules, renewal), bad requests included.

Known, deliberate differences are not compared: where OpenBao answers bad input with a 500
(a role without constraint, a role_id in use, a CIDR that is no block, a duplicate custom
secret ID, an unknown role on lookups, a login without role_id) we answer 400 with the same
message; ``role/:name/bind-secret-id`` answers 404 in OpenBao 2.x although it is declared
(we serve it, as Vault does); the tidy warning names OpenBao's logs.
"""

from __future__ import annotations

from typing import Any

from tests.differential.harness import Case, Step, assert_same
from tests.support.processes import ServerProcess

M = "auth/ar-{{uniq}}/"
RID = "web-rid-{{uniq}}"


def body(**fields: Any) -> dict[str, Any]:
    return fields


def mount() -> list[Step]:
    return [
        Step("POST", "sys/auth/ar-{{uniq}}", json=body(type="approle"), compare=[""]),
        Step("GET", "sys/auth/ar-{{uniq}}", capture={"acc": "data.accessor"}),
    ]


def err(method: str, path: str, json: Any = None, note: str = "", **kw: Any) -> Step:
    """A request both servers must refuse with the same status and message."""
    return Step(method, path, json=json, compare=["errors"], note=note, **kw)


ROLES = [
    *mount(),
    Step(
        "POST",
        M + "role/web",
        json=body(
            token_policies="p1",
            token_ttl="1h",
            secret_id_num_uses=3,
            secret_id_ttl="10m",
            role_id=RID,
        ),
        compare=[""],
    ),
    Step("GET", M + "role/web", compare=["data", "warnings"]),
    Step("GET", M + "role/web/role-id", compare=["data"]),
    Step(
        "POST",
        M + "role/r2",
        json=body(token_type="default-service"),
        compare=["warnings", "data"],
        note="legacy token_type",
    ),
    Step("GET", M + "role/r2", compare=["data.token_type", "data.secret_id_bound_cidrs"]),
    err("POST", M + "role/bad", body(token_type="bad")),
    Step(
        "POST",
        M + "role/r3",
        json=body(policies="A,b", period="1h", token_max_ttl="100000h"),
        compare=["warnings"],
        note="legacy fields, max TTL warning",
    ),
    Step("GET", M + "role/r3", compare=["data"]),
    err("POST", M + "role/r3", body(local_secret_ids=True), note="only at creation"),
    err("POST", M + "role/r4", body(secret_id_num_uses=-1)),
    err("POST", M + "role/r3", body(period="1000000h")),
    Step("POST", M + "role/loc", json=body(local_secret_ids=True), compare=[""]),
    Step("GET", M + "role/loc/local-secret-ids", compare=["data"]),
    Step("LIST", M + "role", compare=["data"]),
    Step("GET", M + "role?list=true&after=loc&limit=2", compare=["data"]),
    err("POST", M + "role/r2/role-id", {}),
    Step("POST", M + "role/nope/role-id", json=body(role_id="x"), compare=["errors"]),
    Step("GET", M + "role/nope", compare=["errors"]),
    Step("GET", M + "role/nope/token-ttl", compare=["errors"]),
    Step("DELETE", M + "role/nope", compare=[""]),
    Step("GET", M + "role/web/secret-id-num-uses", compare=["data"]),
    Step("POST", M + "role/web/token-ttl", json=body(token_ttl=100), compare=[""]),
    err("POST", M + "role/web/token-max-ttl", body(token_max_ttl=50)),
    err("POST", M + "role/web/token-max-ttl", {}),
    Step("DELETE", M + "role/web/token-ttl", compare=[""]),
    Step("GET", M + "role/web/token-ttl", compare=["data"]),
    Step("GET", M + "role/r3/policies", compare=["data"]),
    Step("POST", M + "role/r3/policies", json=body(token_policies="Z"), compare=[""]),
    Step("GET", M + "role/r3/policies", compare=["data"]),
    Step("GET", M + "role/r3/period", compare=["data"]),
    err("POST", M + "role/r3/period", {}),
    Step("DELETE", M + "role/r3/period", compare=[""]),
    Step("GET", M + "role/r3/period", compare=["data"]),
    err("POST", M + "role/r3/secret-id-bound-cidrs", body(secret_id_bound_cidrs="bogus")),
    err("POST", M + "role/r3/secret-id-bound-cidrs", body(secret_id_bound_cidrs="")),
    err("POST", M + "role/r3/token-bound-cidrs", body(token_bound_cidrs="bogus")),
    Step("POST", M + "role/r3/token-bound-cidrs", json=body(token_bound_cidrs="1.2.3.4")),
    Step("GET", M + "role/r3/token-bound-cidrs", compare=["data"]),
    Step(
        "POST", M + "role/r3/bound-cidr-list", json=body(bound_cidr_list="10.0.0.0/8"), compare=[""]
    ),
    Step("GET", M + "role/r3/bound-cidr-list", compare=["data", "warnings"]),
    Step("GET", M + "role/r3/secret-id-bound-cidrs", compare=["data"]),
    Step("DELETE", M + "role/r3/secret-id-bound-cidrs", compare=[""]),
    Step("GET", M + "role/r3/secret-id-bound-cidrs", compare=["data"]),
    err("POST", M + "role/r3/secret-id-num-uses", body(secret_id_num_uses=-3)),
    Step("DELETE", M + "role/web", compare=[""]),
    Step("GET", M + "role/web", compare=["errors"]),
]

SECRET_IDS = [
    *mount(),
    Step(
        "POST",
        M + "role/web",
        json=body(secret_id_num_uses=3, secret_id_ttl="1h", token_bound_cidrs="10.0.0.0/8"),
        compare=[""],
    ),
    Step(
        "POST",
        M + "role/web/secret-id",
        json=body(metadata='{"team":"ops"}', cidr_list="127.0.0.1/32", num_uses=2),
        capture={"sid": "data.secret_id", "sacc": "data.secret_id_accessor"},
        compare=["data"],
    ),
    Step("POST", M + "role/web/secret-id/lookup", json=body(secret_id="{{sid}}"), compare=["data"]),
    Step(
        "POST",
        M + "role/web/secret-id-accessor/lookup",
        json=body(secret_id_accessor="{{sacc}}"),
        compare=["data"],
    ),
    Step("LIST", M + "role/web/secret-id", compare=["data"]),
    Step(
        "POST",
        M + "role/web/custom-secret-id",
        json=body(secret_id="custom-{{uniq}}", ttl="30m", token_bound_cidrs="10.1.0.0/16"),
        capture={"cacc": "data.secret_id_accessor"},
        compare=["data"],
    ),
    Step(
        "POST",
        M + "role/web/secret-id/lookup",
        json=body(secret_id="custom-{{uniq}}"),
        compare=["data"],
    ),
    err("POST", M + "role/web/custom-secret-id", {}),
    Step("POST", M + "role/nope/secret-id", json={}, compare=["errors"]),
    Step("POST", M + "role/nope/custom-secret-id", json=body(secret_id="x"), compare=["errors"]),
    err("LIST", M + "role/nope/secret-id"),
    err("POST", M + "role/web/secret-id", body(num_uses=4)),
    err("POST", M + "role/web/secret-id", body(num_uses=0)),
    err("POST", M + "role/web/secret-id", body(num_uses=-1)),
    err("POST", M + "role/web/secret-id", body(ttl="2h")),
    err("POST", M + "role/web/secret-id", body(metadata="bad")),
    err("POST", M + "role/web/secret-id", body(metadata='{"a":1}')),
    err("POST", M + "role/web/secret-id", body(metadata='{"A":"B","c":""}')),
    Step(
        "POST",
        M + "role/web/secret-id",
        json=body(metadata="A=B,c=d"),
        capture={"sid3": "data.secret_id"},
        compare=["data"],
    ),
    Step(
        "POST",
        M + "role/web/secret-id/lookup",
        json=body(secret_id="{{sid3}}"),
        compare=["data.metadata"],
    ),
    err("POST", M + "role/web/secret-id/lookup", {}),
    Step(
        "POST",
        M + "role/web/secret-id/destroy",
        json=body(secret_id="{{sid3}}"),
        compare=[""],
    ),
    Step(
        "POST",
        M + "role/web/secret-id/lookup",
        json=body(secret_id="{{sid3}}"),
        compare=[""],
        note="destroyed",
    ),
    Step(
        "POST",
        M + "role/web/secret-id-accessor/lookup",
        json=body(secret_id_accessor="no-such-accessor"),
        compare=["data"],
    ),
    Step(
        "POST",
        M + "role/web/secret-id-accessor/destroy",
        json=body(secret_id_accessor="{{cacc}}"),
        compare=[""],
    ),
    Step(
        "POST",
        M + "role/web/secret-id-accessor/lookup",
        json=body(secret_id_accessor="{{cacc}}"),
        compare=["data"],
        note="destroyed",
    ),
    Step("POST", M + "role/long", json=body(token_policies="x"), compare=[""]),
    Step("POST", M + "role/long/secret-id", json=body(ttl="100000h"), compare=["data"]),
    Step(
        "POST",
        M + "role/nosec",
        json=body(bind_secret_id=False, secret_id_bound_cidrs="127.0.0.0/8"),
        compare=[""],
    ),
    err("POST", M + "role/nosec/secret-id", {}),
    Step("POST", M + "tidy/secret-id", json={}, note="status only: the warning names the logs"),
]

LOGINS = [
    *mount(),
    Step(
        "POST",
        M + "role/web",
        json=body(token_policies="p1", token_ttl="1h", token_max_ttl="2h", role_id=RID),
        compare=[""],
    ),
    Step(
        "POST",
        M + "role/web/secret-id",
        json=body(metadata='{"team":"x"}', num_uses=2),
        capture={"sid": "data.secret_id"},
    ),
    err("POST", M + "login", body(role_id="nope-{{uniq}}"), token=None),
    err("POST", M + "login", body(role_id=RID), token=None),
    err("POST", M + "login", body(role_id=RID, secret_id="wrong"), token=None),
    Step(
        "POST",
        M + "login",
        json=body(role_id=RID, secret_id="{{sid}}"),
        token=None,
        save_token="app",
        capture={"eid": "auth.entity_id"},
        compare=[
            "auth.policies",
            "auth.token_policies",
            "auth.metadata",
            "auth.lease_duration",
            "auth.renewable",
            "auth.token_type",
            "auth.orphan",
            "auth.num_uses",
        ],
    ),
    Step(
        "POST",
        M + "role/web/secret-id/lookup",
        json=body(secret_id="{{sid}}"),
        compare=["data.secret_id_num_uses", "data.metadata"],
    ),
    Step(
        "GET",
        "auth/token/lookup-self",
        token="app",
        compare=[
            "data.meta",
            "data.display_name",
            "data.path",
            "data.policies",
            "data.num_uses",
            "data.renewable",
        ],
    ),
    Step(
        "GET",
        "identity/entity/id/{{eid}}",
        compare=[
            "data.aliases.0.name",
            "data.aliases.0.metadata",
            "data.aliases.0.mount_type",
            "data.aliases.0.mount_path",
            "data.aliases.0.mount_accessor",
        ],
    ),
    Step(
        "POST",
        M + "login",
        json=body(role_id=RID, secret_id="{{sid}}"),
        token=None,
        compare=["auth.entity_id", "auth.metadata"],
        note="last use, same entity",
    ),
    err("POST", M + "login", body(role_id=RID, secret_id="{{sid}}"), token=None, note="used up"),
    Step(
        "POST",
        "auth/token/renew-self",
        json={},
        token="app",
        compare=["auth.lease_duration", "auth.policies"],
    ),
    Step(
        "POST",
        M + "role/web/secret-id",
        json=body(cidr_list="10.0.0.0/8"),
        capture={"far": "data.secret_id"},
    ),
    err("POST", M + "login", body(role_id=RID, secret_id="{{far}}"), token=None),
    Step(
        "POST",
        M + "role/web/secret-id",
        json=body(cidr_list="10.0.0.0/8", num_uses=1),
        capture={"far1": "data.secret_id"},
    ),
    err("POST", M + "login", body(role_id=RID, secret_id="{{far1}}"), token=None),
    Step(
        "POST",
        M + "role/web/secret-id/lookup",
        json=body(secret_id="{{far1}}"),
        compare=["data.secret_id_num_uses"],
        note="a refused login spends nothing",
    ),
    Step(
        "POST",
        M + "role/fenced",
        json=body(secret_id_bound_cidrs="10.0.0.0/8", role_id="fenced-{{uniq}}"),
        compare=[""],
    ),
    Step("POST", M + "role/fenced/secret-id", json={}, capture={"fsid": "data.secret_id"}),
    err("POST", M + "login", body(role_id="fenced-{{uniq}}", secret_id="{{fsid}}"), token=None),
    Step(
        "POST",
        M + "role/nosec",
        json=body(
            bind_secret_id=False,
            secret_id_bound_cidrs="127.0.0.0/8",
            role_id="nosec-{{uniq}}",
            token_policies="q",
        ),
        compare=[""],
    ),
    Step(
        "POST",
        M + "login",
        json=body(role_id="nosec-{{uniq}}"),
        token=None,
        compare=["auth.metadata", "auth.policies", "auth.lease_duration"],
    ),
    Step("DELETE", M + "role/web", compare=[""]),
    err("POST", M + "login", body(role_id=RID, secret_id="{{sid}}"), token=None),
]

ROLES_CASE = Case("approle roles and settings", ROLES)
SECRET_ID_CASE = Case("approle secret IDs", SECRET_IDS)
LOGIN_CASE = Case("approle logins", LOGINS)


def test_case_sizes() -> None:
    assert sum(len(c.steps) for c in (ROLES_CASE, SECRET_ID_CASE, LOGIN_CASE)) >= 20


def test_roles_match_openbao(openbao: ServerProcess, vab_server: ServerProcess) -> None:
    assert_same(ROLES_CASE, openbao, vab_server)


def test_secret_ids_match_openbao(openbao: ServerProcess, vab_server: ServerProcess) -> None:
    assert_same(SECRET_ID_CASE, openbao, vab_server)


def test_logins_match_openbao(openbao: ServerProcess, vab_server: ServerProcess) -> None:
    assert_same(LOGIN_CASE, openbao, vab_server)
