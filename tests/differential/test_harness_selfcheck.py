"""Self-check of the differential harness with OpenBao on both sides.

Two independent OpenBao dev servers must compare equal on a realistic case (so the
normalisers absorb ids, tokens, accessors and times), and a real difference in state must be
reported at the right step and field (so the harness is not vacuous).
"""

from __future__ import annotations

from collections.abc import Callable

import requests

from tests.differential.harness import (
    Case,
    Step,
    assert_same,
    lookup,
    normalise_generic,
    replace_known_values,
    run_case,
)
from tests.support.processes import ServerProcess

POLICY = """
path "secret/data/{{uniq}}/*" { capabilities = ["read", "list"] }
path "auth/token/create" { capabilities = ["update"] }
"""

TOKEN_AND_POLICY_CASE = Case(
    "policy, token tree, lookups, kv v1, errors",
    [
        Step(
            "PUT",
            "sys/policies/acl/reader-{{uniq}}",
            json={"policy": POLICY},
            compare=["", "errors"],
        ),
        Step("GET", "sys/policies/acl/reader-{{uniq}}", compare=["data"]),
        Step(
            "POST",
            "auth/token/create",
            json={"policies": ["reader-{{uniq}}"], "ttl": "1h", "meta": {"case": "{{uniq}}"}},
            save_token="parent",
            compare=["auth", "data", "lease_duration"],
            ignore=["auth.mfa_requirement"],
        ),
        Step(
            "POST",
            "auth/token/create",
            token="parent",
            json={"ttl": "30m"},
            save_token="child",
            compare=["auth.policies", "auth.lease_duration", "auth.orphan"],
        ),
        Step(
            "GET",
            "auth/token/lookup-self",
            token="child",
            compare=["data"],
            approx={"data.ttl": 5, "data.creation_ttl": 0},
        ),
        Step(
            "POST",
            "auth/token/lookup-accessor",
            json={"accessor": "{{child.accessor}}"},
            compare=["data.accessor", "data.policies", "data.id", "data.path"],
            note="lookup-accessor hides the token id",
        ),
        Step("POST", "auth/token/revoke", json={"token": "{{token:parent}}"}, compare=[""]),
        Step(
            "GET",
            "auth/token/lookup-self",
            token="child",
            compare=["errors"],
            note="child revoked with its parent",
        ),
        Step(
            "POST",
            "sys/mounts/kv1-{{uniq}}",
            json={"type": "kv", "options": {"version": "1"}},
        ),
        Step("PUT", "kv1-{{uniq}}/a", json={"x": "1"}),
        Step("LIST", "kv1-{{uniq}}", compare=["data", "lease_duration"]),
        Step("GET", "kv1-{{uniq}}/a", query={"ignored": "1"}, compare=["data"]),
        Step("GET", "kv1-{{uniq}}/missing", compare=["errors", ""]),
        Step("GET", "sys/mounts/kv1-{{uniq}}", compare_keys=["data"], compare=["data.type"]),
        Step("DELETE", "sys/mounts/kv1-{{uniq}}"),
        Step("GET", "sys/policies/acl/reader-{{uniq}}", token=None, compare=["errors"]),
    ],
)


def test_two_openbao_servers_compare_equal(
    openbao: ServerProcess, openbao_factory: Callable[..., ServerProcess]
) -> None:
    fresh = openbao_factory()
    result = assert_same(TOKEN_AND_POLICY_CASE, openbao, fresh)
    # The case really exercised the servers: statuses are the expected ones.
    statuses = [exchange.status for exchange in result.reference]
    assert statuses == [
        204,
        200,
        200,
        200,
        200,
        200,
        204,
        403,
        204,
        204,
        200,
        200,
        404,
        200,
        204,
        403,
    ]
    # Tokens were remembered per side and are different strings on each side.
    assert lookup(result.reference[2].normalised, "auth.client_token") == "<token:parent>"
    assert (
        result.reference[2].body["auth"]["client_token"]
        != result.candidate[2].body["auth"]["client_token"]
    )


def test_difference_in_state_is_reported(
    openbao: ServerProcess, openbao_factory: Callable[..., ServerProcess]
) -> None:
    fresh = openbao_factory()
    # Only the candidate has an extra policy: listing policies must differ, nothing else.
    response = requests.put(
        f"{fresh.url}/v1/sys/policies/acl/only-on-candidate",
        headers={"X-Vault-Token": fresh.root_token},
        json={"policy": 'path "x" { capabilities = ["read"] }'},
        timeout=10,
    )
    assert response.status_code == 204
    case = Case(
        "policy lists differ",
        [
            Step("GET", "sys/policies/acl/default", compare=["data.name"]),
            Step("GET", "sys/policies/acl/only-on-candidate", compare=["errors"]),
        ],
    )
    result = run_case(case, openbao, fresh)
    assert [(d.step_index, d.what) for d in result.differences] == [(1, "status"), (1, "errors")]
    assert result.differences[0].reference == 404
    assert result.differences[0].candidate == 200
    report = result.format()
    assert "only-on-candidate" in report and "reference" in report and "candidate" in report


def test_normalisers() -> None:
    body = {
        "request_id": "0c69c7ad-a45a-a660-f541-bb172a77a27f",
        "lease_id": "auth/token/create/h7a8b9",
        "data": {
            "id": "s.XxrcQxHq6xiJnm2Mi5afrk6f",
            "accessor": "uHr8NAG8mCAe8aLsOdU4z6u6",
            "creation_time": 1796323054,
            "expire_time": "2026-12-03T19:37:34.847640421Z",
            "note": "made at 2026-12-03T18:37:34Z by hvs.CAESIAbcdefghijklmnopqrstuvwxyz0123",
            "entity_id": "4e02879c-c360-fc88-5561-15cbfcc5613f",
            "policies": ["root", "default"],
            "ttl": 3599,
        },
    }
    assert normalise_generic(body) == {
        "request_id": "<request_id>",
        "lease_id": "auth/token/create/<id>",
        "data": {
            "id": "<token>",
            "accessor": "<accessor>",
            "creation_time": "<time>",
            "expire_time": "<time>",
            "note": "made at <time> by <token>",
            "entity_id": "<uuid>",
            "policies": ["root", "default"],
            "ttl": 3599,
        },
    }
    known = {"root": "<token:root>", "s.XxrcQxHq6xiJnm2Mi5afrk6f": "<token:t>"}
    replaced = replace_known_values(body, known)
    assert replaced["data"]["id"] == "<token:t>"
    assert replaced["data"]["policies"] == ["root", "default"]  # short values never replaced
