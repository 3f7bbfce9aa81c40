"""``sys/internal/specs/openapi``, ``sys/metrics`` and the small sys info paths."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from tests.system.conftest import Sys
from vault_agent_backend.framework.openapi import expand_pattern


@pytest.fixture
def mounted(sysv: Sys) -> Sys:
    """Extra mounts: KV v1 at ``kv1/`` and userpass at ``auth/up/``."""
    assert sysv.post("sys/mounts/kv1", {"type": "kv"}).status == 204
    assert sysv.post("sys/auth/up", {"type": "userpass"}).status == 204
    return sysv


def test_openapi_document_covers_every_declared_path(mounted: Sys) -> None:
    reply = mounted.get("sys/internal/specs/openapi")
    assert reply.status == 200
    doc = reply.body
    assert set(doc) == {"openapi", "info", "paths", "components"}
    validate(doc)
    core = mounted.core
    missing = []
    for table in ("mounts", "auth"):
        for entry in core.mounts(table):
            backend = core.backend_for(entry)
            for path in backend.paths:
                for template in expand_pattern(path.pattern):
                    url = "/" + entry.route_path + template
                    if url not in doc["paths"]:
                        missing.append(url)
    assert not missing
    assert "/auth/up/login/{username}" in doc["paths"]
    assert "/kv1/{path}" in doc["paths"]


def test_openapi_operations_and_schemas(mounted: Sys) -> None:
    doc = mounted.get("sys/internal/specs/openapi").body
    paths = doc["paths"]
    hash_item = paths["/sys/tools/hash/{urlalgorithm}"]
    assert hash_item["parameters"][0]["in"] == "path"
    post = hash_item["post"]
    ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = doc["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert schema["properties"]["format"] == {
        "type": "string",
        "description": 'Encoding format to use: "hex" or "base64".',
        "default": "hex",
    }
    assert paths["/sys/wrapping/lookup"]["x-vault-unauthenticated"] is True
    assert paths["/sys/leases/lookup/{prefix}"]["x-vault-sudo"] is True
    listing = paths["/sys/policies/acl"]["get"]["parameters"]
    assert listing == [
        {
            "name": "list",
            "in": "query",
            "description": "Must be set to `true`",
            "schema": {"type": "string", "enum": ["true"]},
            "required": True,
        }
    ]
    cubby = paths["/cubbyhole/{path}"]
    assert {"get", "post", "delete"} <= set(cubby) and cubby["x-vault-createSupported"]
    assert cubby["get"]["parameters"][0]["name"] == "list"
    assert cubby["delete"]["responses"] == {"204": {"description": "empty body"}}
    ids = [
        op["operationId"]
        for item in paths.values()
        for k, op in item.items()
        if k in ("get", "post", "patch", "delete")
    ]
    assert len(ids) == len(set(ids))


def test_openapi_is_limited_to_visible_mounts(mounted: Sys) -> None:
    anonymous = mounted.get("sys/internal/specs/openapi", token=None).body
    assert anonymous["paths"] == {} and anonymous["openapi"].startswith("3.")
    token, _ = mounted.token(["default"])
    limited = mounted.get("sys/internal/specs/openapi", token=token).body["paths"]
    assert "/cubbyhole/{path}" in limited and "/sys/tools/hash" in limited
    assert not any(p.startswith("/kv1/") for p in limited)
    validate(mounted.get("sys/internal/specs/openapi", token=token).body)


def test_metrics_json_and_prometheus(sysv: Sys) -> None:
    sysv.get("sys/mounts")
    sysv.get("sys/nonexistent")
    reply = sysv.get("sys/metrics")
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("application/json")
    body = reply.body
    assert set(body) == {"Timestamp", "Gauges", "Points", "Counters", "Samples"}
    names = {g["Name"] for g in body["Gauges"]}
    assert {"vault.core.active", "vault.core.mount_table.num_entries"} <= names
    samples = {s["Name"]: s for s in body["Samples"]}
    assert samples["vault.core.handle_request"]["Count"] >= 2
    counters = {(c["Name"], c["Labels"].get("status")) for c in body["Counters"]}
    assert ("vab.core.requests", "404") in counters
    text = sysv.get("sys/metrics?format=prometheus")
    assert text.status == 200 and text.headers["Content-Type"].startswith("text/plain")
    assert "# TYPE vault_core_handle_request summary" in text.text
    assert "vault_core_handle_request_count " in text.text
    assert 'vab_core_requests{operation="read",status="200"}' in text.text
    bad = sysv.get("sys/metrics?format=xml")
    assert (bad.status, bad.text) == (400, 'metric response format "xml" unknown')


def test_metrics_unauthenticated_in_dev_mode(sysv: Sys) -> None:
    assert sysv.get("sys/metrics", token=None).status == 200


def test_version_history_and_host_info(sysv: Sys) -> None:
    history = sysv.list("sys/version-history")
    version = sysv.core.options.version
    assert history.data["keys"] == [version]
    assert set(history.data["key_info"][version]) >= {"previous_version", "timestamp_installed"}
    info = sysv.get("sys/host-info")
    assert info.status == 200 and info.data["host"]["hostname"]
    token, _ = sysv.token(["default"])
    assert sysv.get("sys/host-info", token=token).status == 403
