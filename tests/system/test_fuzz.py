"""Malformed input on the ``sys/`` paths of this area: always a Vault-style 4xx, never a 5xx."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.system.conftest import Sys

PATHS = [
    "sys/wrapping/wrap",
    "sys/wrapping/lookup",
    "sys/wrapping/unwrap",
    "sys/wrapping/rewrap",
    "sys/tools/hash",
    "sys/tools/hash/sha2-512",
    "sys/tools/hash/{x}",
    "sys/tools/random",
    "sys/tools/random/{x}",
    "sys/tools/random/{x}/{x}",
    "sys/leases/lookup",
    "sys/leases/lookup/{x}",
    "sys/leases/renew",
    "sys/leases/renew/{x}",
    "sys/leases/revoke",
    "sys/leases/revoke/{x}",
    "sys/leases/revoke-prefix/{x}",
    "sys/leases/revoke-force/{x}",
    "sys/leases/tidy",
    "sys/renew/{x}",
    "sys/revoke/{x}",
    "sys/capabilities",
    "sys/capabilities-self",
    "sys/capabilities-accessor",
    "sys/internal/ui/mounts",
    "sys/internal/ui/mounts/{x}",
    "sys/internal/ui/resultant-acl",
    "sys/internal/specs/openapi",
    "sys/metrics",
    "sys/host-info",
    "sys/version-history",
    "sys/mounts",
    "sys/mounts/{x}",
    "sys/mounts/{x}/tune",
    "sys/auth",
    "sys/auth/{x}",
    "sys/auth/{x}/tune",
    "sys/remount",
    "sys/remount/status/{x}",
    "sys/policies/acl/{x}",
    "sys/policy/{x}",
    "cubbyhole/{x}",
    "sys/wrapping/{x}",
    "sys/tools/{x}",
    "sys/leases/{x}",
    "sys/internal/{x}",
    "sys/internal/ui/{x}",
]
FIELDS = [
    "token",
    "input",
    "format",
    "algorithm",
    "bytes",
    "source",
    "lease_id",
    "increment",
    "sync",
    "prefix",
    "paths",
    "path",
    "accessor",
    "type",
    "config",
    "options",
    "description",
    "local",
    "default_lease_ttl",
    "max_lease_ttl",
    "listing_visibility",
    "token_type",
    "from",
    "to",
    "policy",
    "rules",
    "list",
]
METHODS = ["GET", "POST", "PUT", "DELETE", "LIST", "PATCH", "HEAD", "OPTIONS", "FOO"]

segment = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0, max_size=12
).map(lambda s: s.replace("?", "").replace("#", ""))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(["1h", "-5", "abc", "sha3-256", "hex", "base64", "unauth", "kv", "2", "all"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=8,
)
bodies = st.one_of(
    st.none(),
    st.dictionaries(st.sampled_from(FIELDS), values, max_size=5).map(json.dumps),
    st.dictionaries(st.text(max_size=10), values, max_size=4).map(json.dumps),
    values.map(json.dumps),
    st.binary(max_size=40).map(lambda b: b.decode("latin-1")),
    st.sampled_from(["{", "[1,2]", '"x"', "null", '{"a":}', "\ufeff{}", "{}" * 3]),
)
headers = st.fixed_dictionaries(
    {},
    optional={
        "X-Vault-Wrap-TTL": st.sampled_from(["60", "0", "-1", "abc", "1h", "99999999999", ""]),
        "Content-Type": st.sampled_from(
            ["application/json", "application/merge-patch+json", "text/plain", "x/y"]
        ),
    },
)


_SERVER: Sys | None = None


def server() -> Sys:
    """One server for all examples (state accumulates, as on a real server)."""
    global _SERVER
    if _SERVER is None:
        _SERVER = Sys()
        _SERVER.policy("fz", 'path "sys/*" { capabilities = ["read", "update"] }')
        token, _ = _SERVER.token(["fz"])
        _SERVER.fuzz_token = token  # type: ignore[attr-defined]
    return _SERVER


@settings(
    max_examples=600,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    method=st.sampled_from(METHODS),
    template=st.sampled_from(PATHS),
    parts=st.lists(segment, min_size=2, max_size=2),
    query=st.dictionaries(st.sampled_from(FIELDS), st.text(max_size=10), max_size=3),
    body=bodies,
    extra=headers,
    who=st.sampled_from(["root", "fz", "none", "bogus"]),
)
def test_sys_paths_never_answer_5xx(
    method: str,
    template: str,
    parts: list[str],
    query: dict[str, str],
    body: str | None,
    extra: dict[str, str],
    who: str,
) -> None:
    sysv = server()
    path = template.replace("{x}", parts[0], 1).replace("{x}", parts[1], 1)
    token = {
        "root": "root",
        "fz": sysv.fuzz_token,  # type: ignore[attr-defined]
        "none": None,
        "bogus": "hvs.bogus",
    }[who]
    hdrs = dict(extra)
    if token is not None:
        hdrs["X-Vault-Token"] = token
    response = sysv.client.open(
        "/v1/" + path,
        method=method,
        headers=hdrs,
        query_string=query,
        data=body.encode("utf-8", "surrogatepass") if body is not None else None,
    )
    assert response.status_code < 500, (method, path, body, response.get_data(as_text=True))
    if response.status_code >= 400 and response.status_code != 405 and method != "HEAD":
        payload = response.get_json(silent=True)
        assert isinstance(payload, dict) and isinstance(payload.get("errors"), list), (
            method,
            path,
            response.get_data(as_text=True),
        )


def test_oversized_body_is_413() -> None:
    sysv = Sys()
    sysv.core.options.max_request_size = 1024
    reply = sysv.call("POST", "sys/tools/hash", raw=b'{"input":"' + b"A" * 4096 + b'"}')
    assert (reply.status, reply.errors) == (413, ["http: request body too large"])


def test_bad_json_and_types() -> None:
    sysv = Sys()
    bad = sysv.call("POST", "sys/tools/hash", raw=b"{bad")
    assert bad.status == 400 and bad.errors[0].startswith("failed to parse JSON input")
    array = sysv.call("POST", "sys/tools/hash", raw=b"[1,2]")
    assert array.status == 400
    wrong = sysv.post("sys/tools/hash", {"input": ["a"]})
    assert wrong.status == 400 and 'field "input"' in wrong.errors[0]
    unknown = sysv.post("sys/tools/hash", {"input": "", "foo": 1})
    assert unknown.warnings == ["Endpoint ignored these unrecognized parameters: [foo]"]
    missing = sysv.get("sys/nonexistent")
    assert (missing.status, missing.errors) == (
        404,
        ["1 error occurred:\n\t* unsupported path\n\n"],
    )
    assert sysv.call("FOO", "sys/tools/hash").status == 405
