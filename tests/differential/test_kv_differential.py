"""The KV engine (v1 and v2) compared with OpenBao, request by request.

Every case mounts its own engines under ``{{uniq}}`` names on the session servers and plays
the same requests on OpenBao and on ours; statuses are always compared, and bodies wherever
they are Vault's (times, ids and accessors are normalised by the harness). Go's wording of
type-conversion errors (``'' expected type ...``) is not reproduced, so those steps compare
the status only.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from tests.differential.harness import Case, Step, assert_same
from tests.support.processes import ServerProcess

MP = {"Content-Type": "application/merge-patch+json"}
V1 = "kv1-{{uniq}}"
V2 = "kv2-{{uniq}}"
ENVELOPE = ["data", "warnings", "errors", "lease_duration", "lease_id", "renewable"]


def mount(path: str, version: str) -> Step:
    return Step(
        "POST",
        f"sys/mounts/{path}",
        json={"type": "kv", "options": {"version": version}},
        compare=[""],
    )


def whole(method: str, path: str, body: Any = None, **kwargs: Any) -> Step:
    """A step whose whole (normalised) body must match."""
    headers = MP if method == "PATCH" else None
    return Step(method, path, json=body, headers=headers, compare=[""], **kwargs)


def envelope(method: str, path: str, body: Any = None, **kwargs: Any) -> Step:
    """A step comparing data, warnings, errors and lease fields."""
    headers = MP if method == "PATCH" else None
    return Step(method, path, json=body, headers=headers, compare=ENVELOPE, **kwargs)


def status(method: str, path: str, body: Any = None, **kwargs: Any) -> Step:
    """A step comparing the status only (Go's type-conversion wording differs)."""
    headers = MP if method == "PATCH" else None
    return Step(method, path, json=body, headers=headers, **kwargs)


KV1_CASE = Case(
    "kv v1",
    [
        mount(V1, "1"),
        whole("PUT", f"{V1}/a", {"x": "1", "ttl": "30m"}),
        envelope("GET", f"{V1}/a"),
        whole("PUT", f"{V1}/b", {"n": 1, "nested": {"l": [1, None], "t": True}}),
        envelope("GET", f"{V1}/b"),
        whole("POST", f"{V1}/dir/c", {"x": 1}),
        whole("PUT", f"{V1}/dir/sub/d", {"x": 1}),
        envelope("LIST", f"{V1}"),
        envelope("LIST", f"{V1}/dir"),
        envelope("GET", f"{V1}/dir", query={"list": "true"}),
        whole("LIST", f"{V1}/nope"),
        whole("GET", f"{V1}/nope"),
        whole("GET", f"{V1}/dir"),
        whole("GET", f"{V1}"),
        whole("PUT", f"{V1}/e", {}),
        whole("PUT", f"{V1}/dir/", {"a": 1}),
        whole("PUT", f"{V1}/", {"a": 1}),
        whole("PUT", f"{V1}", {"a": 1}),
        whole("POST", f"{V1}/b", {"replaced": True}),
        envelope("GET", f"{V1}/b"),
        whole("PATCH", f"{V1}/b", {"y": 1}),
        whole("DELETE", f"{V1}/a"),
        whole("GET", f"{V1}/a"),
        whole("DELETE", f"{V1}/never-written"),
        whole("PUT", f"{V1}/t1", {"ttl": 3600}),
        envelope("GET", f"{V1}/t1"),
        whole("PUT", f"{V1}/t2", {"ttl": "1.5d"}),
        envelope("GET", f"{V1}/t2"),
        whole("PUT", f"{V1}/t3", {"ttl": "-5s", "lease": "1h"}),
        envelope("GET", f"{V1}/t3"),
        whole("PUT", f"{V1}/t4", {"lease": "2d"}),
        envelope("GET", f"{V1}/t4"),
        whole("PUT", f"{V1}/t5", {"ttl": 1.5}),
        envelope("GET", f"{V1}/t5"),
        whole("POST", f"sys/mounts/{V1}/tune", {"default_lease_ttl": "1h", "max_lease_ttl": "2h"}),
        envelope("GET", f"{V1}/b"),
        envelope("GET", f"{V1}/t4"),
        whole("DELETE", f"sys/mounts/{V1}"),
    ],
)

KV2_DATA_CASE = Case(
    "kv v2 data",
    [
        mount(V2, "2"),
        envelope("POST", f"{V2}/data/a", {"data": {"x": "1"}}),
        envelope("GET", f"{V2}/data/a"),
        envelope("PUT", f"{V2}/data/a", {"data": {"x": "2"}, "options": {"cas": 1}}),
        whole("PUT", f"{V2}/data/a", {"data": {"x": "3"}, "options": {"cas": 1}}),
        whole("PUT", f"{V2}/data/a", {"data": {"x": "3"}, "options": {"cas": "abc"}}),
        whole("PUT", f"{V2}/data/a", {"data": {"x": "3"}, "options": {"cas": 1.5}}),
        whole("PUT", f"{V2}/data/a", {"data": {"x": "3"}, "options": {"cas": -1}}),
        whole("PUT", f"{V2}/data/a", {"data": {"x": "3"}, "options": {"cas": [2]}}),
        envelope("PUT", f"{V2}/data/a", {"data": {"x": "3"}, "options": {"cas": "2"}}),
        envelope("PUT", f"{V2}/data/new", {"data": {"x": "1"}, "options": {"cas": 0}}),
        whole("PUT", f"{V2}/data/new", {"data": {"x": "1"}, "options": {"cas": 0}}),
        envelope("GET", f"{V2}/data/a", query={"version": "1"}),
        whole("GET", f"{V2}/data/a", query={"version": "9"}),
        status("GET", f"{V2}/data/a", query={"version": "abc"}),
        envelope("GET", f"{V2}/data/a", query={"version": "-1"}),
        whole("GET", f"{V2}/data/missing"),
        whole("POST", f"{V2}/data/b", {"x": "1"}),
        status("POST", f"{V2}/data/b", {"data": "str"}),
        status("POST", f"{V2}/data/b", {"data": {"x": 1}, "options": "zz"}),
        envelope("POST", f"{V2}/data/b", {"data": {}}),
        envelope("GET", f"{V2}/data/b"),
        envelope("POST", f"{V2}/data/c", {"data": None}),
        envelope("GET", f"{V2}/data/c"),
        # Vault's weak decoding: an empty array is an empty map (a non-empty one is not)
        envelope("POST", f"{V2}/data/e", {"data": []}),
        envelope("GET", f"{V2}/data/e"),
        envelope("POST", f"{V2}/data/e", {"data": {"x": 1}, "options": []}),
        status("POST", f"{V2}/data/e", {"data": [1]}),
        status("POST", f"{V2}/data/e", {"data": {"x": 1}, "options": [{"cas": 1}]}),
        envelope("POST", f"{V2}/data/d", {"data": {"x": 1}, "extra": 1}),
        whole("DELETE", f"{V2}/data/a"),
        envelope("GET", f"{V2}/data/a"),
        envelope("GET", f"{V2}/data/a", query={"version": "2"}),
        whole("POST", f"{V2}/undelete/a", {"versions": [3]}),
        envelope("GET", f"{V2}/data/a"),
        whole("POST", f"{V2}/destroy/a", {"versions": [3]}),
        envelope("GET", f"{V2}/data/a"),
        whole("DELETE", f"{V2}/data/a"),
        envelope("GET", f"{V2}/data/a"),
        whole("POST", f"{V2}/destroy/a", {}),
        whole("POST", f"{V2}/delete/a", {}),
        whole("POST", f"{V2}/undelete/a", {"versions": []}),
        whole("POST", f"{V2}/delete/a", {"versions": "1,2"}),
        envelope("GET", f"{V2}/data/a", query={"version": "1"}),
        status("POST", f"{V2}/delete/a", {"versions": ["x"]}),
        whole("POST", f"{V2}/delete/a", {"versions": [-1, 99]}),
        whole("POST", f"{V2}/delete/nope", {"versions": [1]}),
        whole("POST", f"{V2}/undelete/nope", {"versions": [1]}),
        whole("POST", f"{V2}/destroy/nope", {"versions": [1]}),
        whole("PATCH", f"{V2}/data/nope", {"data": {"a": 1}}),
        whole("PATCH", f"{V2}/data/nope", {}),
        envelope("POST", f"{V2}/data/p", {"data": {"a": 1, "b": {"c": 2, "d": 3}, "l": [1]}}),
        envelope(
            "PATCH",
            f"{V2}/data/p",
            {"data": {"a": None, "b": {"c": None, "x": 5}, "l": [None, {"y": None}], "n": {}}},
        ),
        envelope("GET", f"{V2}/data/p"),
        whole("PATCH", f"{V2}/data/p", {"data": {"z": 1}, "options": {"cas": 1}}),
        envelope("PATCH", f"{V2}/data/p", {"data": {"z": 1}, "options": {"cas": 2}}),
        status("PATCH", f"{V2}/data/p", {"data": "x"}),
        whole("DELETE", f"{V2}/data/p"),
        envelope("PATCH", f"{V2}/data/p", {"data": {"z": 2}}),
        Step("PATCH", f"{V2}/data/p", json={"data": {"z": 2}}, compare=[""]),
        envelope("POST", f"{V2}/data/s", {"data": {"a": 1, "b": {"c": {"d": 1}, "e": {}}}}),
        envelope("GET", f"{V2}/subkeys/s"),
        envelope("GET", f"{V2}/subkeys/s", query={"depth": "1"}),
        envelope("GET", f"{V2}/subkeys/s", query={"depth": "2"}),
        status("GET", f"{V2}/subkeys/s", query={"depth": "x"}),
        whole("GET", f"{V2}/subkeys/s", query={"version": "7"}),
        whole("GET", f"{V2}/subkeys/nope"),
        envelope("GET", f"{V2}/subkeys/p"),
        envelope("GET", f"{V2}/foo"),
        envelope("PUT", f"{V2}/foo", {"a": 1}),
        envelope("DELETE", f"{V2}/foo"),
        envelope("PATCH", f"{V2}/foo", {"a": 1}),
        envelope("LIST", f"{V2}/"),
        envelope("GET", f"{V2}/data"),
        envelope("GET", f"{V2}/metadata"),
        envelope("POST", f"{V2}/destroy", {"versions": [1]}),
        envelope("GET", f"{V2}/subkeys"),
        envelope("GET", f"{V2}/config/x"),
        whole("GET", f"{V2}/data/"),
        whole("PUT", f"{V2}/data/", {"data": {"a": 1}}),
        whole("PUT", f"{V2}/data/dir/", {"data": {"a": 1}}),
        whole("LIST", f"{V2}/data/dir"),
        # unclean paths: a 307 to the cleaned path (followed), so no key with an empty segment
        envelope("POST", f"{V2}/data/dd//x", {"data": {"a": 1}}),
        envelope("GET", f"{V2}/data/dd//x"),
        envelope("LIST", f"{V2}/metadata/dd"),
        whole("DELETE", f"{V2}/config"),
        whole("GET", f"{V2}/delete/a"),
        whole("DELETE", f"sys/mounts/{V2}"),
    ],
)

KV2_METADATA_CASE = Case(
    "kv v2 metadata and config",
    [
        mount(V2, "2"),
        envelope("GET", f"{V2}/config"),
        whole("POST", f"{V2}/config", {"max_versions": 3}),
        envelope("GET", f"{V2}/config"),
        whole("POST", f"{V2}/config", {}),
        whole("POST", f"{V2}/config", {"max_versions": -1}),
        envelope("GET", f"{V2}/config"),
        status("POST", f"{V2}/config", {"max_versions": "x"}),
        whole("POST", f"{V2}/config", {"delete_version_after": "-5m"}),
        envelope("GET", f"{V2}/config"),
        whole("POST", f"{V2}/config", {"delete_version_after": "90s", "max_versions": 0}),
        envelope("GET", f"{V2}/config"),
        whole("POST", f"{V2}/config", {"delete_version_after": 0}),
        envelope("GET", f"{V2}/config"),
        whole("GET", f"{V2}/metadata/nope"),
        whole(
            "POST",
            f"{V2}/metadata/m",
            {"max_versions": 2, "custom_metadata": {"a": "b", "n": 5, "t": True, "f": 1.5}},
        ),
        envelope("GET", f"{V2}/metadata/m"),
        whole("GET", f"{V2}/data/m"),
        envelope("POST", f"{V2}/data/m", {"data": {"v": 1}}),
        envelope("POST", f"{V2}/data/m", {"data": {"v": 2}}),
        envelope("POST", f"{V2}/data/m", {"data": {"v": 3}}),
        envelope("GET", f"{V2}/metadata/m"),
        whole("GET", f"{V2}/data/m", query={"version": "1"}),
        whole("POST", f"{V2}/metadata/m", {}),
        whole("POST", f"{V2}/metadata/m", {"foo": 1}),
        whole("PATCH", f"{V2}/metadata/m", {"custom_metadata": {"a": None, "c": "d"}}),
        envelope("GET", f"{V2}/metadata/m"),
        whole("PATCH", f"{V2}/metadata/m", {"custom_metadata": None}),
        envelope("GET", f"{V2}/metadata/m"),
        whole("PATCH", f"{V2}/metadata/m", {}),
        whole("PATCH", f"{V2}/metadata/nope", {"max_versions": 1}),
        whole("POST", f"{V2}/metadata/m", {"custom_metadata": {"": "x"}}),
        whole("POST", f"{V2}/metadata/m", {"custom_metadata": {"k": ""}}),
        whole("POST", f"{V2}/metadata/m", {"custom_metadata": {"k": None}}),
        whole("POST", f"{V2}/metadata/m", {"custom_metadata": {"k": {"a": 1}}}),
        whole("POST", f"{V2}/metadata/m", {"custom_metadata": {"k": "a\u0001"}}),
        whole("PATCH", f"{V2}/metadata/m", {"custom_metadata": {"x": [1]}}),
        status("POST", f"{V2}/metadata/m", {"custom_metadata": "a=b"}),
        status("POST", f"{V2}/metadata/m", {"delete_version_after": "-1s"}),
        status("POST", f"{V2}/metadata/m", {"cas_required": "maybe"}),
        whole("POST", f"{V2}/metadata/m", {"cas_required": True, "delete_version_after": "1h"}),
        whole("POST", f"{V2}/data/m", {"data": {"v": 4}}),
        envelope("POST", f"{V2}/data/m", {"data": {"v": 4}, "options": {"cas": 3}}),
        envelope("GET", f"{V2}/metadata/m"),
        whole("POST", f"{V2}/config", {"cas_required": True}),
        envelope("POST", f"{V2}/metadata/m2", {"cas_required": False}),
        envelope("PATCH", f"{V2}/metadata/m2", {"cas_required": False}),
        whole("POST", f"{V2}/data/m2", {"data": {"v": 1}}),
        envelope("POST", f"{V2}/data/m2", {"data": {"v": 1}, "options": {"cas": 0}}),
        whole("POST", f"{V2}/config", {"cas_required": False}),
        whole("POST", f"{V2}/metadata/mc", {"metadata_cas_required": True}),
        whole("POST", f"{V2}/metadata/mc", {"max_versions": 1}),
        whole("POST", f"{V2}/metadata/mc", {"max_versions": 1, "metadata_cas": 3}),
        whole("POST", f"{V2}/metadata/mc", {"max_versions": 1, "metadata_cas": 1}),
        whole("PATCH", f"{V2}/metadata/mc", {"max_versions": 2}),
        whole("PATCH", f"{V2}/metadata/mc", {"max_versions": 2, "metadata_cas": 2}),
        whole("POST", f"{V2}/metadata/new", {"max_versions": 1, "metadata_cas": 4}),
        whole("POST", f"{V2}/metadata/new", {"metadata_cas": 0}),
        whole("GET", f"{V2}/metadata/new"),
        envelope("POST", f"{V2}/data/dir/x", {"data": {"a": 1}}),
        envelope("POST", f"{V2}/data/dir/sub/y", {"data": {"a": 1}}),
        envelope("LIST", f"{V2}/metadata"),
        envelope("LIST", f"{V2}/metadata/dir"),
        envelope("GET", f"{V2}/metadata/dir", query={"list": "true"}),
        envelope("LIST", f"{V2}/metadata/dir", query={"limit": "1"}),
        envelope("LIST", f"{V2}/metadata/dir", query={"after": "sub/"}),
        whole("LIST", f"{V2}/metadata/nope"),
        envelope("LIST", f"{V2}/detailed-metadata/dir"),
        whole("GET", f"{V2}/metadata/"),
        whole("DELETE", f"{V2}/metadata/dir/x"),
        whole("GET", f"{V2}/metadata/dir/x"),
        whole("GET", f"{V2}/data/dir/x"),
        whole("DELETE", f"{V2}/metadata/dir/x"),
        envelope("LIST", f"{V2}/metadata/dir"),
        envelope("POST", f"{V2}/data/dir/x", {"data": {"again": 1}}),
        whole("POST", f"{V2}/metadata/e", {"max_versions": 2}),
        whole("POST", f"{V2}/config", {"max_versions": 4}),
        envelope("POST", f"{V2}/data/e", {"data": {"i": 1}}),
        envelope("POST", f"{V2}/data/e", {"data": {"i": 2}}),
        envelope("POST", f"{V2}/data/e", {"data": {"i": 3}}),
        envelope("POST", f"{V2}/data/e", {"data": {"i": 4}}),
        envelope("POST", f"{V2}/data/e", {"data": {"i": 5}}),
        envelope("GET", f"{V2}/metadata/e"),
        whole("DELETE", f"sys/mounts/{V2}"),
    ],
)

POLICY = """
path "kvp-{{uniq}}/data/*" { capabilities = ["create", "read"] }
path "kvp-{{uniq}}/metadata/*" { capabilities = ["create"] }
path "kvp-{{uniq}}/delete/*" { capabilities = ["update"] }
path "kvq-{{uniq}}/*" { capabilities = ["update", "read"] }
"""

POLICY_CASE = Case(
    "kv create vs update under a policy",
    [
        mount("kvp-{{uniq}}", "2"),
        mount("kvq-{{uniq}}", "1"),
        whole("PUT", "sys/policies/acl/kv-{{uniq}}", {"policy": POLICY}),
        Step(
            "POST",
            "auth/token/create",
            json={"policies": ["kv-{{uniq}}"], "ttl": "10m"},
            save_token="t",
            compare=["auth.policies"],
        ),
        envelope("POST", "kvp-{{uniq}}/data/x", {"data": {"a": 1}}, token="t"),
        whole("POST", "kvp-{{uniq}}/data/x", {"data": {"a": 2}}, token="t"),
        envelope("GET", "kvp-{{uniq}}/data/x", token="t"),
        whole("PATCH", "kvp-{{uniq}}/data/x", {"data": {"a": 3}}, token="t"),
        whole("DELETE", "kvp-{{uniq}}/data/x", token="t"),
        whole("POST", "kvp-{{uniq}}/delete/x", {"versions": [1]}, token="t"),
        envelope("GET", "kvp-{{uniq}}/data/x", token="t"),
        whole("POST", "kvp-{{uniq}}/metadata/y", {"max_versions": 2}, token="t"),
        whole("POST", "kvp-{{uniq}}/metadata/y", {"max_versions": 3}, token="t"),
        whole("GET", "kvp-{{uniq}}/metadata/y", token="t"),
        whole("PUT", "kvq-{{uniq}}/z", {"a": 1}, token="t"),
        whole("PUT", "kvq-{{uniq}}/z", {"a": 1}),
        whole("PUT", "kvq-{{uniq}}/z", {"a": 2}, token="t"),
        envelope("GET", "kvq-{{uniq}}/z", token="t"),
        whole("DELETE", "sys/mounts/kvp-{{uniq}}"),
        whole("DELETE", "sys/mounts/kvq-{{uniq}}"),
        whole("DELETE", "sys/policies/acl/kv-{{uniq}}"),
    ],
)


@pytest.mark.parametrize(
    "case", [KV1_CASE, KV2_DATA_CASE, KV2_METADATA_CASE, POLICY_CASE], ids=lambda c: c.name
)
def test_kv_like_openbao(case: Case, openbao: ServerProcess, vab_server: ServerProcess) -> None:
    result = assert_same(case, openbao, vab_server)
    assert len(result.reference) == len(case.steps)


def test_case_sizes() -> None:
    """The comparison covers at least 80 KV requests (v1 and v2, bad ones included)."""
    cases = (KV1_CASE, KV2_DATA_CASE, KV2_METADATA_CASE, POLICY_CASE)
    assert sum(len(c.steps) for c in cases) >= 80


def _call(server: ServerProcess, method: str, path: str, body: Any = None) -> requests.Response:
    return requests.request(
        method,
        f"{server.url}/v1/{path}",
        headers={"X-Vault-Token": server.root_token},
        json=body,
        timeout=30,
    )


def test_upgrade_from_v1_like_openbao(openbao: ServerProcess, vab_server: ServerProcess) -> None:
    """Tune a v1 mount to version 2 on both servers; the data reads the same afterwards."""
    uniq = f"{time.time_ns():x}"
    mount_path = f"up-{uniq}"
    for server in (openbao, vab_server):
        assert _call(server, "POST", f"sys/mounts/{mount_path}", {"type": "kv"}).status_code == 204
        assert _call(server, "PUT", f"{mount_path}/a", {"x": "1"}).status_code == 204
        assert _call(server, "PUT", f"{mount_path}/d/b", {"y": "2", "ttl": "1h"}).status_code == 204
        tune = _call(server, "POST", f"sys/mounts/{mount_path}/tune", {"options": {"version": "2"}})
        assert tune.status_code in (200, 204), tune.text
        # OpenBao converts in the background (400 "Upgrading ..." meanwhile): wait for it
        deadline = time.monotonic() + 30
        while _call(server, "GET", f"{mount_path}/data/a").status_code == 400:
            assert time.monotonic() < deadline, "upgrade did not finish"
    case = Case(
        "after the upgrade",
        [
            envelope("GET", f"{mount_path}/data/a"),
            envelope("GET", f"{mount_path}/data/d/b"),
            envelope("GET", f"{mount_path}/metadata/d/b"),
            envelope("LIST", f"{mount_path}/metadata"),
            envelope("GET", f"{mount_path}/a"),
            envelope("POST", f"{mount_path}/data/a", {"data": {"x": "2"}, "options": {"cas": 1}}),
            envelope("GET", f"{mount_path}/data/a", query={"version": "1"}),
            Step("GET", f"sys/mounts/{mount_path}", compare=["data.options", "data.type"]),
            status("POST", f"sys/mounts/{mount_path}/tune", {"options": {"version": "1"}}),
            whole("DELETE", f"sys/mounts/{mount_path}"),
        ],
    )
    assert_same(case, openbao, vab_server)
