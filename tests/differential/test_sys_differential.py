"""``sys/`` requests (good and bad) played against OpenBao and against our server.

Covers response wrapping, cubbyhole, tools, leases, capabilities, the UI mount paths and
mount management. Fields known to differ by design (server names, plugin versions, the
wording of OpenBao's branding in warnings) are left out of the comparison.
"""

from __future__ import annotations

import pytest

from tests.differential.harness import Case, Step, assert_same
from tests.support.processes import ServerProcess

WRAP60 = {"X-Vault-Wrap-TTL": "60"}
ENVELOPE = ["data", "auth", "lease_id", "lease_duration", "renewable", "warnings", "errors"]
MOUNT_FIELDS = ["data.type", "data.options", "data.config", "data.path", "data.description"]

WRAPPING = Case(
    "response wrapping",
    [
        Step(
            "POST",
            "sys/wrapping/wrap",
            json={"a": "b", "n": 1},
            headers=WRAP60,
            capture={"w": "wrap_info.token"},
            compare=["request_id", "data", "wrap_info.ttl", "wrap_info.creation_path"],
            compare_keys=["wrap_info"],
        ),
        Step("POST", "sys/wrapping/wrap", json={"a": "b"}, compare=["errors"]),
        Step("POST", "sys/wrapping/lookup", json={"token": "{{w}}"}, token=None, compare=ENVELOPE),
        Step("GET", "sys/wrapping/lookup", query={"token": "{{w}}"}, token=None, compare=ENVELOPE),
        Step("POST", "sys/wrapping/lookup", json={}, token=None, compare=["errors"]),
        Step("POST", "sys/wrapping/lookup", json={"token": "bogus"}, compare=["errors"]),
        Step("POST", "sys/wrapping/lookup", json={"token": 5}, compare=["errors"]),
        Step("POST", "sys/wrapping/unwrap", json={"token": ""}, compare=["errors"]),
        Step(
            "POST",
            "sys/wrapping/unwrap",
            json={},
            token=None,
            headers={"X-Vault-Token": "{{w}}"},
            compare=ENVELOPE,
        ),
        Step(
            "POST",
            "sys/wrapping/unwrap",
            json={},
            token=None,
            headers={"X-Vault-Token": "{{w}}"},
            compare=["errors"],
            note="single use",
        ),
        Step(
            "POST",
            "sys/wrapping/wrap",
            json={"x": "y"},
            headers={"X-Vault-Wrap-TTL": "5m"},
            capture={"w2": "wrap_info.token"},
            compare=["wrap_info.ttl"],
        ),
        Step(
            "POST",
            "sys/wrapping/rewrap",
            json={"token": "{{w2}}"},
            capture={"w3": "wrap_info.token"},
            compare=["request_id", "wrap_info.ttl", "wrap_info.creation_path"],
        ),
        Step("POST", "sys/wrapping/lookup", json={"token": "{{w2}}"}, compare=["errors"]),
        Step("POST", "sys/wrapping/lookup", json={"token": "{{w3}}"}, compare=["data"]),
        Step("POST", "sys/wrapping/unwrap", json={"token": "{{w3}}"}, compare=ENVELOPE),
        Step("POST", "sys/wrapping/unwrap", json={}, compare=["errors"], note="root is no wrap"),
        Step(
            "GET",
            "sys/mounts",
            headers={"X-Vault-Wrap-TTL": "-5"},
            compare=["errors"],
        ),
        Step("GET", "sys/mounts", headers={"X-Vault-Wrap-TTL": "abc"}, compare=["errors"]),
        Step(
            "POST",
            "auth/token/create",
            json={"policies": ["default"], "ttl": "10m"},
            headers=WRAP60,
            capture={"wt": "wrap_info.token"},
            compare=["auth", "data", "wrap_info.creation_path"],
            compare_keys=["wrap_info"],
        ),
        Step(
            "POST",
            "sys/wrapping/unwrap",
            json={"token": "{{wt}}"},
            compare=["auth.policies", "auth.lease_duration", "auth.renewable", "data"],
        ),
        Step(
            "POST",
            "sys/wrapping/wrap",
            json={"r": 1},
            headers=WRAP60,
            capture={"w4": "wrap_info.token"},
            compare=["wrap_info.ttl"],
        ),
        Step(
            "GET",
            "cubbyhole/response",
            token=None,
            headers={"X-Vault-Token": "{{w4}}"},
            compare=["warnings"],
            compare_keys=["data"],
        ),
        Step("POST", "sys/wrapping/lookup", json={"token": "{{w4}}"}, compare=["errors"]),
        Step(
            "LIST",
            "cubbyhole/nothing-{{uniq}}",
            headers=WRAP60,
            compare=["errors"],
            note="empty listings are not wrapped",
        ),
    ],
)

CUBBYHOLE = Case(
    "cubbyhole",
    [
        Step("POST", "cubbyhole/{{uniq}}/a", json={"k": "v"}, compare=[""]),
        Step("POST", "cubbyhole/{{uniq}}/b", json={"n": {"x": [1, 2]}}, compare=[""]),
        Step("GET", "cubbyhole/{{uniq}}/a", compare=ENVELOPE),
        Step("GET", "cubbyhole/{{uniq}}/b", query={"zz": "1"}, compare=ENVELOPE),
        Step("LIST", "cubbyhole/{{uniq}}", compare=ENVELOPE),
        Step("GET", "cubbyhole/{{uniq}}", query={"list": "true"}, compare=ENVELOPE),
        Step("GET", "cubbyhole/{{uniq}}/zz", compare=[""]),
        Step("LIST", "cubbyhole/{{uniq}}/zz", compare=[""]),
        Step("POST", "cubbyhole/{{uniq}}/c/", json={"k": "v"}, compare=["errors"]),
        Step("DELETE", "cubbyhole/{{uniq}}/a", compare=[""]),
        Step("GET", "cubbyhole/{{uniq}}/a", compare=[""]),
        Step(
            "POST",
            "auth/token/create",
            json={"policies": ["default"]},
            save_token="child",
            compare=["auth.policies"],
        ),
        Step("POST", "cubbyhole/{{uniq}}/b", token="child", json={"c": 1}, compare=[""]),
        Step("GET", "cubbyhole/{{uniq}}/b", token="child", compare=["data"]),
        Step("GET", "cubbyhole/{{uniq}}/b", compare=["data"], note="root still sees its own"),
        Step("GET", "cubbyhole/{{uniq}}/b", token=None, compare=["errors"]),
        Step(
            "POST",
            "cubbyhole/{{uniq}}/e",
            json={},
            compare=["errors"],
            compare_status=False,
            note="OpenBao answers 500 here; we answer 400 (spec: no 5xx for input)",
        ),
    ],
)

TOOLS = Case(
    "tools",
    [
        Step("POST", "sys/tools/hash", json={"input": "aGVsbG8="}, compare=ENVELOPE),
        Step(
            "POST",
            "sys/tools/hash/sha2-512",
            json={"input": "aGVsbG8=", "format": "base64"},
            compare=ENVELOPE,
        ),
        Step(
            "POST",
            "sys/tools/hash",
            json={"input": "aGVsbG8=", "algorithm": "sha3-384", "junk": 1},
            compare=ENVELOPE,
        ),
        Step("POST", "sys/tools/hash", json={"input": "hello"}, compare=["errors"]),
        Step("POST", "sys/tools/hash", json={"input": "aGVsbA=x"}, compare=["errors"]),
        Step("POST", "sys/tools/hash/md5", json={}, compare=["errors"]),
        Step("POST", "sys/tools/hash/sha2-256/x", json={}, compare=["errors"]),
        Step("POST", "sys/tools/hash", json={"format": "hexx"}, compare=["errors"]),
        Step("GET", "sys/tools/hash", compare=["errors"]),
        Step("POST", "sys/tools/random/8", json={"format": "hex"}, compare_keys=["data"]),
        Step("POST", "sys/tools/random/seal/8", json={}, compare=["warnings"]),
        Step("POST", "sys/tools/random", json={"bytes": 0}, compare=["errors"]),
        Step("POST", "sys/tools/random", json={"bytes": 131073}, compare=["errors"]),
        Step("POST", "sys/tools/random/abc", json={}, compare=["errors"]),
        Step("POST", "sys/tools/random/foo/8", json={}, compare=["errors"]),
        Step("POST", "sys/tools/random", json={"format": "b32"}, compare=["errors"]),
    ],
)

LEASES = Case(
    "leases",
    [
        Step("PUT", "sys/leases/lookup", json={}, compare=["errors"]),
        Step("PUT", "sys/leases/lookup", json={"lease_id": "foo/bar"}, compare=["errors"]),
        Step("PUT", "sys/leases/lookup", json={"lease_id": 5}, compare=["errors"]),
        Step("GET", "sys/leases/lookup", compare=["errors"]),
        Step("PUT", "sys/leases/renew", json={"lease_id": "foo/bar"}, compare=["errors"]),
        Step("PUT", "sys/leases/renew/foo/bar", json={"increment": "1h"}, compare=["errors"]),
        Step(
            "PUT",
            "sys/leases/renew",
            json={"lease_id": "x", "increment": "abc"},
            compare=["errors"],
        ),
        Step("PUT", "sys/leases/revoke", json={"lease_id": "foo/bar"}, compare=[""]),
        Step("PUT", "sys/leases/revoke", json={}, compare=["errors"]),
        Step("PUT", "sys/leases/revoke/foo/bar", json={"sync": False}, compare=[""]),
        Step("PUT", "sys/leases/revoke-prefix/{{uniq}}", json={}, compare=[""]),
        Step("PUT", "sys/leases/revoke-force/{{uniq}}", json={}, compare=[""]),
        Step("PUT", "sys/leases/tidy", json={}, compare=["data"]),
        Step("LIST", "sys/leases/lookup/nothing-{{uniq}}", compare=[""]),
        Step("POST", "auth/token/create", json={"policies": ["default"]}, save_token="plain"),
        Step("LIST", "sys/leases/lookup/", token="plain", compare=["errors"]),
    ],
)

CAPABILITIES = Case(
    "capabilities",
    [
        Step(
            "PUT",
            "sys/policies/acl/capt-{{uniq}}",
            json={
                "policy": 'path "secret/data/{{uniq}}/*" { capabilities = ["read", "list"] }\n'
                'path "sys/x" { capabilities = ["deny"] }\n'
                'path "kvz/+/foo" { capabilities = ["update"] }'
            },
            compare=[""],
        ),
        Step(
            "POST",
            "auth/token/create",
            json={"policies": ["capt-{{uniq}}"]},
            save_token="t",
            compare=["auth.policies"],
        ),
        Step(
            "POST",
            "sys/capabilities-self",
            token="t",
            json={"paths": ["secret/data/{{uniq}}/a", "sys/x", "kvz/a/foo", "cubbyhole/q"]},
            compare=["data"],
        ),
        Step(
            "POST",
            "sys/capabilities-self",
            token="t",
            json={"path": "secret/data/{{uniq}}/a"},
            compare=["data", "capabilities"],
        ),
        Step(
            "POST",
            "sys/capabilities",
            json={"paths": ["kvz/b/foo"], "token": "{{token:t}}"},
            compare=["data", "capabilities"],
        ),
        Step(
            "POST",
            "sys/capabilities-accessor",
            json={"paths": "sys/x,secret/data/{{uniq}}/z", "accessor": "{{t.accessor}}"},
            compare=["data"],
        ),
        Step("POST", "sys/capabilities-self", json={"paths": ["a", "b"]}, compare=["data"]),
        Step("POST", "sys/capabilities-self", json={}, compare=["errors"]),
        Step("POST", "sys/capabilities-self", json={"paths": [""]}, compare=["errors"]),
        Step(
            "POST",
            "sys/capabilities",
            json={"paths": ["a"], "token": "bogus"},
            compare=["errors"],
        ),
        Step("POST", "sys/capabilities-accessor", json={"paths": ["a"]}, compare=["errors"]),
        Step(
            "POST",
            "sys/capabilities-accessor",
            json={"paths": ["a"], "accessor": "bogus"},
            compare=["errors"],
        ),
        Step(
            "POST",
            "sys/capabilities",
            token="t",
            json={"paths": ["a"], "token": "root"},
            compare=["errors"],
        ),
        Step("GET", "sys/internal/ui/resultant-acl", compare=["data"]),
        Step(
            "GET",
            "sys/internal/ui/resultant-acl",
            token="t",
            compare=["data.glob_paths", "data.exact_paths.sys/x", "data.root"],
        ),
        Step("GET", "sys/internal/ui/resultant-acl", token=None, compare=["errors"]),
    ],
)

UI_MOUNTS = Case(
    "internal ui mounts",
    [
        Step("GET", "sys/internal/ui/mounts/secret", compare=MOUNT_FIELDS),
        Step("GET", "sys/internal/ui/mounts/secret/data/{{uniq}}/x", compare=["data.path"]),
        Step("GET", "sys/internal/ui/mounts/auth/token/create", compare=["data.path", "data.type"]),
        Step("GET", "sys/internal/ui/mounts/nonexist-{{uniq}}/x", compare=["errors"]),
        Step("GET", "sys/internal/ui/mounts/secret", token=None, compare=["errors"]),
        Step(
            "GET",
            "sys/internal/ui/mounts",
            token=None,
            headers={"X-Vault-Token": "hvs.bogusbogusbogusbogus0"},
            compare=["errors"],
        ),
        Step("POST", "sys/mounts/ui-{{uniq}}", json={"type": "kv"}, compare=[""]),
        Step("GET", "sys/internal/ui/mounts/ui-{{uniq}}/k", compare=MOUNT_FIELDS),
        Step(
            "POST",
            "auth/token/create",
            json={"policies": ["default"]},
            save_token="d",
            compare=["auth.policies"],
        ),
        Step("GET", "sys/internal/ui/mounts/ui-{{uniq}}", token="d", compare=["errors"]),
        Step("GET", "sys/internal/ui/mounts/cubbyhole", token="d", compare=["data.path"]),
        Step(
            "POST",
            "sys/mounts/ui-{{uniq}}/tune",
            json={"listing_visibility": "unauth"},
            compare=[""],
        ),
        Step(
            "GET",
            "sys/internal/ui/mounts",
            token=None,
            compare=["data.secret.ui-{{uniq}}/"],
        ),
        Step("DELETE", "sys/mounts/ui-{{uniq}}", compare=[""]),
    ],
)

MOUNTS = Case(
    "mount management",
    [
        Step("POST", "sys/mounts/m-{{uniq}}", json={"type": "kv"}, compare=[""]),
        Step("GET", "sys/mounts/m-{{uniq}}", compare=MOUNT_FIELDS),
        Step("POST", "sys/mounts/m-{{uniq}}/sub", json={"type": "kv"}, compare=["errors"]),
        Step("POST", "sys/mounts/sys/x", json={"type": "kv"}, compare=["errors"]),
        Step("POST", "sys/mounts/x-{{uniq}}", json={"type": "nope"}, compare=["errors"]),
        Step("POST", "sys/mounts/x-{{uniq}}", json={}, compare=["errors"]),
        Step("POST", "sys/mounts/x-{{uniq}}", json={"type": "cubbyhole"}, compare=["errors"]),
        Step(
            "POST",
            "sys/mounts/x-{{uniq}}",
            json={"type": "kv", "config": {"default_lease_ttl": "abc"}},
            compare=["errors"],
        ),
        Step(
            "POST",
            "sys/mounts/x-{{uniq}}",
            json={"type": "kv", "config": {"default_lease_ttl": "9999h"}},
            compare=["errors"],
        ),
        Step("POST", "sys/mounts/x-{{uniq}}/", json={"type": "kv"}, compare=["errors"]),
        Step("GET", "sys/mounts/none-{{uniq}}", compare=["errors"]),
        Step("DELETE", "sys/mounts/sys", compare=["errors"]),
        Step("GET", "sys/mounts/m-{{uniq}}/tune", compare=["data"]),
        Step(
            "POST",
            "sys/mounts/m-{{uniq}}/tune",
            json={"default_lease_ttl": "1h", "max_lease_ttl": "2h", "description": "x"},
            compare=[""],
        ),
        Step("GET", "sys/mounts/m-{{uniq}}/tune", compare=["data"]),
        Step(
            "POST",
            "sys/mounts/m-{{uniq}}/tune",
            json={"default_lease_ttl": "3h"},
            compare=["errors"],
        ),
        Step(
            "POST",
            "sys/mounts/m-{{uniq}}/tune",
            json={"options": {"version": "2"}},
            compare=["data"],
            compare_keys=[""],
        ),
        Step("GET", "sys/mounts/m-{{uniq}}/tune", compare=["data"]),
        Step(
            "POST",
            "sys/mounts/m-{{uniq}}/tune",
            json={"options": {"version": "1"}},
            compare=["errors"],
        ),
        Step("GET", "sys/mounts/none-{{uniq}}/tune", compare=["errors"]),
        Step("POST", "sys/mounts/none-{{uniq}}/tune", json={}, compare=["errors"]),
        Step(
            "POST",
            "sys/mounts/cubbyhole/tune",
            json={"default_lease_ttl": "1h"},
            compare=["errors"],
        ),
        Step(
            "POST",
            "sys/remount",
            json={"from": "m-{{uniq}}", "to": "n-{{uniq}}"},
            capture={"mig": "data.migration_id"},
            compare_keys=["data"],
        ),
        Step(
            "GET",
            "sys/remount/status/{{mig}}",
            compare=["data"],
            until={"data.migration_info.status": "success"},  # OpenBao migrates in background
        ),
        Step("GET", "sys/mounts/n-{{uniq}}", compare=MOUNT_FIELDS),
        Step("POST", "sys/remount", json={"from": "none-{{uniq}}", "to": "y"}, compare=["errors"]),
        Step(
            "POST", "sys/remount", json={"from": "n-{{uniq}}", "to": "secret"}, compare=["errors"]
        ),
        Step("POST", "sys/remount", json={"from": "sys", "to": "foo"}, compare=["errors"]),
        Step("POST", "sys/remount", json={}, compare=["errors"]),
        Step("DELETE", "sys/mounts/n-{{uniq}}", compare=[""]),
        Step("POST", "sys/auth/up-{{uniq}}", json={"type": "userpass"}, compare=[""]),
        Step("GET", "sys/auth/up-{{uniq}}", compare=["data.type", "data.config", "data.options"]),
        Step("GET", "sys/auth/up-{{uniq}}/tune", compare=["data"]),
        Step("POST", "sys/auth/up-{{uniq}}/tune", json={"token_type": "bogus"}, compare=["errors"]),
        Step("POST", "sys/auth/up-{{uniq}}", json={"type": "userpass"}, compare=["errors"]),
        Step("POST", "sys/auth/t-{{uniq}}", json={"type": "token"}, compare=["errors"]),
        Step("GET", "sys/auth/none-{{uniq}}", compare=["errors"]),
        Step("GET", "sys/auth/none-{{uniq}}/tune", compare=["errors"]),
        Step("DELETE", "sys/auth/token", compare=["errors"]),
        Step("DELETE", "sys/auth/up-{{uniq}}", compare=[""]),
    ],
)

TTL_CONFIG = ["data.config.default_lease_ttl", "data.config.max_lease_ttl"]
TTL_TUNE = ["data.default_lease_ttl", "data.max_lease_ttl"]


def _enable_ttls(table: str, name: str, kind: str, config: dict[str, object]) -> list[Step]:
    """Enable a mount with TTLs from ``config``, then read them back (mount, tune, listing)."""
    listed = f"data.{name}/.config"
    return [
        Step("POST", f"sys/{table}/{name}", json={"type": kind, "config": config}, compare=[""]),
        Step("GET", f"sys/{table}/{name}", compare=TTL_CONFIG),
        Step("GET", f"sys/{table}/{name}/tune", compare=TTL_TUNE),
        Step(
            "GET",
            f"sys/{table}",
            compare=[f"{listed}.default_lease_ttl", f"{listed}.max_lease_ttl"],
        ),
        Step("DELETE", f"sys/{table}/{name}", compare=[""]),
    ]


def _tune_ttls(tune: str, body: dict[str, object], ok: bool = True) -> list[Step]:
    """Reset a mount to 1h/2h, tune it with ``body`` and read the TTLs back (same path)."""
    return [
        Step("POST", tune, json={"default_lease_ttl": "1h", "max_lease_ttl": "2h"}, compare=[""]),
        Step("POST", tune, json=body, compare=[""] if ok else ["errors"]),
        Step("GET", tune, compare=TTL_TUNE),
    ]


# Vault keeps negative mount TTLs (parseutil takes a sign) and treats "system", "", 0 and
# "-0s" as "the system's". ``bao secrets enable -default-lease-ttl=system`` sends "-1s" (its
# duration flag turns "system" into -1), ``bao secrets tune``/``auth tune`` send "system".
MOUNT_TTLS = Case(
    "mount TTL values",
    [
        *_enable_ttls(
            "mounts",
            "ts-{{uniq}}",
            "kv",
            {"default_lease_ttl": "system", "max_lease_ttl": "system"},
        ),
        *_enable_ttls(
            "mounts", "tc-{{uniq}}", "kv", {"default_lease_ttl": "-1s", "max_lease_ttl": "-1s"}
        ),
        *_enable_ttls("mounts", "td-{{uniq}}", "kv", {"default_lease_ttl": "-1s"}),
        *_enable_ttls("mounts", "ti-{{uniq}}", "kv", {"default_lease_ttl": -1}),
        *_enable_ttls(
            "mounts", "tz-{{uniq}}", "kv", {"default_lease_ttl": "0", "max_lease_ttl": "0"}
        ),
        *_enable_ttls(
            "mounts", "tf-{{uniq}}", "kv", {"default_lease_ttl": "-5s", "max_lease_ttl": "1h"}
        ),
        *_enable_ttls(
            "mounts", "tm-{{uniq}}", "kv", {"default_lease_ttl": "-0s", "max_lease_ttl": "-0s"}
        ),
        Step(
            "POST",
            "sys/mounts/tx-{{uniq}}",
            json={"type": "kv", "config": {"max_lease_ttl": "-1s"}},
            compare=["errors"],
            note="default (system) greater than max -1",
        ),
        Step(
            "POST",
            "sys/mounts/tx-{{uniq}}",
            json={"type": "kv", "config": {"default_lease_ttl": "-1s", "max_lease_ttl": "-5s"}},
            compare=["errors"],
        ),
        *_enable_ttls("auth", "ua-{{uniq}}", "userpass", {"default_lease_ttl": "-1s"}),
        *_enable_ttls(
            "auth", "ub-{{uniq}}", "userpass", {"default_lease_ttl": "-5", "max_lease_ttl": "-5s"}
        ),
        *_enable_ttls("auth", "uc-{{uniq}}", "userpass", {"max_lease_ttl": "system"}),
        Step(
            "POST",
            "sys/auth/ux-{{uniq}}",
            json={"type": "userpass", "config": {"max_lease_ttl": "-5s"}},
            compare=["errors"],
        ),
        Step("POST", "sys/mounts/tt-{{uniq}}", json={"type": "kv"}, compare=[""]),
        *_tune_ttls(
            "sys/mounts/tt-{{uniq}}/tune",
            {"default_lease_ttl": "system"},
        ),
        *_tune_ttls(
            "sys/mounts/tt-{{uniq}}/tune",
            {"max_lease_ttl": "system"},
        ),
        *_tune_ttls(
            "sys/mounts/tt-{{uniq}}/tune",
            {"default_lease_ttl": "-1s"},
        ),
        *_tune_ttls(
            "sys/mounts/tt-{{uniq}}/tune",
            {"max_lease_ttl": "-5s"},
            ok=False,
        ),
        *_tune_ttls(
            "sys/mounts/tt-{{uniq}}/tune",
            {"default_lease_ttl": "-5s", "max_lease_ttl": "-1"},
        ),
        *_tune_ttls(
            "sys/mounts/tt-{{uniq}}/tune",
            {"default_lease_ttl": "0", "max_lease_ttl": "-0s"},
        ),
        Step("GET", "sys/mounts/tt-{{uniq}}", compare=TTL_CONFIG),
        Step("GET", "sys/mounts/tt-{{uniq}}/any/path/tune", compare=TTL_TUNE),
        Step("DELETE", "sys/mounts/tt-{{uniq}}", compare=[""]),
        Step("POST", "sys/auth/ut-{{uniq}}", json={"type": "userpass"}, compare=[""]),
        *_tune_ttls("sys/auth/ut-{{uniq}}/tune", {"default_lease_ttl": "-1s"}),
        *_tune_ttls(
            "sys/mounts/auth/ut-{{uniq}}/tune",
            {"default_lease_ttl": "system", "max_lease_ttl": "system"},
        ),
        Step(
            "POST",
            "sys/mounts/auth/ut-{{uniq}}/tune",
            json={"max_lease_ttl": "-1"},
            compare=[""],
            note="bao auth tune's path; a negative max under a system default passes on tune",
        ),
        Step("GET", "sys/auth/ut-{{uniq}}", compare=TTL_CONFIG),
        Step("GET", "sys/mounts/auth/ut-{{uniq}}", compare=["data.type", *TTL_CONFIG]),
        Step("DELETE", "sys/auth/ut-{{uniq}}", compare=[""]),
    ],
)

BAD_INPUT = Case(
    "bad input",
    [
        Step("GET", "sys/nonexistent-{{uniq}}", compare=["errors"]),
        Step("POST", "sys/tools/hash", json={"input": ["a"]}, compare_status=True),
        Step("POST", "sys/tools/hash", json=[1, 2], compare_status=True),
        Step("FOO", "sys/tools/hash", json={}, compare=["errors"]),
        Step("POST", "sys/mounts/z-{{uniq}}", json={"type": ["kv"]}, compare_status=True),
        Step("POST", "sys/tools/random", json={"bytes": 1.5}, compare_status=True),
        Step("PATCH", "sys/tools/hash", json={}, compare=["errors"]),
        # Vault's shape has name and policy only; OpenBao adds its CAS metadata.
        Step("GET", "sys/policies/acl/root", compare=["data.name", "data.policy"]),
        Step("DELETE", "sys/policies/acl/root", compare=["errors"]),
        Step("DELETE", "sys/policies/acl/default", compare=["errors"]),
        Step("GET", "sys/policies/acl/response-wrapping", compare=["data.name", "data.policy"]),
        Step("DELETE", "sys/policies/acl/response-wrapping", compare=["errors"]),
        Step(
            "PUT",
            "sys/policy/rules-{{uniq}}",
            json={"rules": 'path "a" { capabilities = ["read"] }'},
            compare=["warnings"],
        ),
    ],
)

CASES = [
    WRAPPING,
    CUBBYHOLE,
    TOOLS,
    LEASES,
    CAPABILITIES,
    UI_MOUNTS,
    MOUNTS,
    MOUNT_TTLS,
    BAD_INPUT,
]


def test_at_least_forty_requests() -> None:
    assert sum(len(case.steps) for case in CASES) >= 40


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_sys_like_openbao(case: Case, openbao: ServerProcess, vab_server: ServerProcess) -> None:
    assert_same(case, openbao, vab_server)
