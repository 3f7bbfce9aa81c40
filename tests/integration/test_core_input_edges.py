"""Edge cases of request input against our real server process, over raw HTTP.

Each case was a 500 (``internal error``) or a status OpenBao does not give before it was
fixed: numbers JSON cannot hold, durations longer than Go's ``time.Duration``, integers
outside int64, JSON ``null`` for bool/int fields, repeated ``?list=`` keys and HEAD on
paths other than ``sys/health``. The same requests are compared with OpenBao in
``tests/differential/test_sys_differential.py`` (case "input edge cases") where a JSON
body can express them.

Also: a service token in ``Authorization: Bearer`` and ``Cache-Control: no-store`` on every
answer (both compared with OpenBao in ``tests/differential/test_core_input_differential.py``).
"""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest

from tests.support.processes import ServerProcess

HUGE_HOURS = "9" * 400 + "h"  # float("9"*400) is inf: int() of it raised OverflowError


def _exchange(
    server: ServerProcess,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    token: str | None = "root",
) -> tuple[int, dict | None, http.client.HTTPMessage]:
    """One request on a fresh connection (``X-Vault-Token: token`` unless None); the status,
    the JSON body (None if empty) and the response headers."""
    url = urlsplit(server.url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    sent = {"X-Vault-Token": token} if token is not None else {}
    try:
        conn.request(method, "/v1/" + path, body=body, headers={**sent, **(headers or {})})
        response = conn.getresponse()
        raw = response.read()
    finally:
        conn.close()
    return response.status, json.loads(raw) if raw.strip() else None, response.headers


def _send(
    server: ServerProcess,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict | None]:
    """One request on a fresh connection with the root token; the status and the JSON body."""
    status, parsed, _headers = _exchange(server, method, path, body, headers)
    return status, parsed


@pytest.mark.parametrize(
    "raw",
    [
        b'{"num_uses": 1e400}',
        b'{"ttl": NaN}',
        b'{"ttl": Infinity}',
        b'{"ttl": -Infinity}',
        b'{"num_uses": ' + b"9" * 5000 + b"}",
    ],
)
def test_numbers_json_cannot_hold_are_400(vab_server: ServerProcess, raw: bytes) -> None:
    status, body = _send(vab_server, "POST", "auth/token/create", raw)
    assert status == 400, body
    assert body is not None and body["errors"][0].startswith("failed to parse JSON input")
    assert "int_max_str_digits" not in body["errors"][0]  # about the number, not Python


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("auth/token/create", "ttl"),
        ("auth/token/create", "explicit_max_ttl"),
        ("auth/token/create", "period"),
        ("sys/mounts/secret/tune", "default_lease_ttl"),
        ("sys/auth/token/tune", "max_lease_ttl"),
    ],
)
def test_durations_beyond_go_are_400(vab_server: ServerProcess, path: str, field: str) -> None:
    for value in (HUGE_HOURS, "9" * 30 + "h", 2**64):
        status, body = _send(vab_server, "POST", path, json.dumps({field: value}).encode())
        assert status == 400, (field, value, body)
        assert "invalid duration" in body["errors"][0], body


def test_mount_config_duration_beyond_go_is_400(vab_server: ServerProcess) -> None:
    raw = json.dumps({"type": "kv", "config": {"max_lease_ttl": HUGE_HOURS}}).encode()
    status, body = _send(vab_server, "POST", "sys/mounts/edge-huge-ttl", raw)
    assert status == 400, body


@pytest.mark.parametrize("header", [HUGE_HOURS, "9" * 30 + "h"])
def test_wrap_ttl_beyond_go_is_400(vab_server: ServerProcess, header: str) -> None:
    status, body = _send(
        vab_server, "GET", "auth/token/lookup-self", headers={"X-Vault-Wrap-TTL": header}
    )
    assert status == 400, body
    assert body["errors"][0].startswith("error parsing X-Vault-Wrap-TTL header"), body


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 1e300])
def test_int_outside_int64_is_400(vab_server: ServerProcess, value: float) -> None:
    raw = json.dumps({"num_uses": value}).encode()
    status, body = _send(vab_server, "POST", "auth/token/create", raw)
    assert status == 400, body
    assert 'field "num_uses"' in body["errors"][0], body


def test_null_bool_and_int_fields_are_their_zero_value(vab_server: ServerProcess) -> None:
    raw = json.dumps(
        {"policies": ["default"], "ttl": "1h", "renewable": None, "num_uses": None}
    ).encode()
    status, body = _send(vab_server, "POST", "auth/token/create", raw)
    assert status == 200, body
    assert body["auth"]["renewable"] is False and body["auth"]["num_uses"] == 0


@pytest.mark.parametrize("value", [2, -1, 1.5])
def test_bool_from_other_numbers_is_400(vab_server: ServerProcess, value: float) -> None:
    raw = json.dumps({"policies": ["default"], "no_parent": value}).encode()
    status, body = _send(vab_server, "POST", "auth/token/create", raw)
    assert status == 400, body


def test_repeated_list_key_uses_the_first_value(vab_server: ServerProcess) -> None:
    status, body = _send(vab_server, "GET", "sys/policies/acl?list=true&list=false")
    assert status == 200 and "default" in body["data"]["keys"], body
    status, _ = _send(vab_server, "GET", "sys/policies/acl?list=false&list=true")
    assert status == 405  # a read of sys/policies/acl/, which has no read


@pytest.mark.parametrize(("query", "status"), [("list=t", 200), ("list=maybe", 400)])
def test_list_query_is_go_parse_bool(vab_server: ServerProcess, query: str, status: int) -> None:
    got, body = _send(vab_server, "GET", f"sys/policies/acl?{query}")
    assert got == status, body


def test_help_query_with_any_value(vab_server: ServerProcess) -> None:
    status, body = _send(vab_server, "GET", "sys/policies/acl?help=0")
    assert status == 200 and body["data"]["help"], body


@pytest.mark.parametrize(
    "path", ["sys/mounts", "auth/token/lookup-self", "sys/policies/acl/default", "sys/seal-status"]
)
def test_head_is_405_except_on_health(vab_server: ServerProcess, path: str) -> None:
    assert _send(vab_server, "HEAD", path)[0] == 405
    assert _send(vab_server, "HEAD", "sys/health") == (200, None)


def test_head_does_not_spend_a_token_use(vab_server: ServerProcess) -> None:
    raw = json.dumps({"policies": ["default"], "num_uses": 2}).encode()
    token = _send(vab_server, "POST", "auth/token/create", raw)[1]["auth"]["client_token"]
    own = {"X-Vault-Token": token}
    assert _send(vab_server, "HEAD", "auth/token/lookup-self", headers=own)[0] == 405
    status, body = _send(vab_server, "GET", "auth/token/lookup-self", headers=own)
    assert status == 200 and body["data"]["num_uses"] == 1, body


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("sys/policies/acl/edge-letters", "policy"),
        ("sys/policy/edge-letters", "policy"),
        ("sys/policy/edge-letters", "rules"),
    ],
)
def test_policy_of_non_ascii_letters_is_a_parse_error(
    vab_server: ServerProcess, path: str, key: str
) -> None:
    # str.isalnum() is true for "กา": it was taken for base64, and b64decode's ValueError
    # for non-ASCII input was a 500.
    status, body = _send(vab_server, "PUT", path, json.dumps({key: "กา"}).encode())
    assert status == 400, body
    assert body["errors"][0].startswith("failed to parse policy"), body


def test_a_long_path_and_a_large_header_get_vault_json(vab_server: ServerProcess) -> None:
    """Past gunicorn's defaults (4094-byte request line, 8190-byte header): Vault answers a
    long KV path as usual, and a 200 KB token as a bad token."""
    key = "k" * 5000
    status, body = _send(vab_server, "POST", f"cubbyhole/{key}", b'{"v": "1"}')
    assert status == 204, body
    status, body = _send(vab_server, "GET", f"cubbyhole/{key}")
    assert status == 200 and body is not None and body["data"] == {"v": "1"}
    status, body = _send(
        vab_server, "GET", "auth/token/lookup-self", headers={"X-Vault-Token": "x" * 200_000}
    )
    assert status == 403 and body is not None and "permission denied" in body["errors"][0]


def _child_token(server: ServerProcess, **fields: object) -> dict:
    raw = json.dumps({"policies": ["default"], "ttl": "1h", **fields}).encode()
    status, body = _send(server, "POST", "auth/token/create", raw)
    assert status == 200, body
    return body["auth"]


def test_authorization_bearer_service_token(vab_server: ServerProcess) -> None:
    """``Authorization: Bearer <service token>`` (not a JWT) authenticates an ordinary request,
    as ``X-Vault-Token`` does; ``X-Vault-Token`` wins when both are sent, as in Vault."""
    auth = _child_token(vab_server, meta={"edge": "bearer"})
    token = auth["client_token"]
    for header in (f"Bearer {token}", f"Bearer  {token} "):
        status, body, _ = _exchange(
            vab_server,
            "GET",
            "auth/token/lookup-self",
            headers={"Authorization": header},
            token=None,
        )
        assert status == 200, (header, body)
        data = body["data"]
        assert data["id"] == token and data["accessor"] == auth["accessor"], body
        assert data["policies"] == ["default"] and data["meta"] == {"edge": "bearer"}, body
    status, body, _ = _exchange(
        vab_server, "GET", "sys/mounts", headers={"Authorization": f"Bearer {token}"}, token=None
    )
    assert status == 403 and "permission denied" in body["errors"][0], body  # default policy
    status, body, _ = _exchange(
        vab_server, "GET", "sys/mounts", headers={"Authorization": "Bearer root"}, token=None
    )
    assert status == 200 and "sys/" in body["data"], body
    status, body, _ = _exchange(
        vab_server,
        "GET",
        "auth/token/lookup-self",
        headers={"Authorization": "Bearer root"},
        token=token,
    )
    assert status == 200 and body["data"]["id"] == token, body
    for header in (f"Basic {token}", f"Bearer {token}x", "Bearer "):
        status, body, _ = _exchange(
            vab_server,
            "GET",
            "auth/token/lookup-self",
            headers={"Authorization": header},
            token=None,
        )
        assert status == 403 and "permission denied" in body["errors"][0], (header, body)


@pytest.mark.parametrize(
    ("method", "path", "body", "token", "status"),
    [
        ("GET", "sys/mounts", None, "root", 200),
        ("GET", "sys/health", None, None, 200),
        ("GET", "sys/seal-status", None, None, 200),
        ("POST", "auth/token/create", b'{"policies": ["default"]}', "root", 200),
        ("PUT", "cubbyhole/edge-cache", b'{"v": "1"}', "root", 204),
        ("GET", "sys/mounts", None, None, 403),
        ("GET", "sys/mounts", None, "not-a-token", 403),
        ("GET", "cubbyhole/edge-cache-none", None, "root", 404),
        ("GET", "sys/no-such-path", None, "root", 404),
        ("POST", "auth/token/create", b"{bad json", "root", 400),
        ("HEAD", "sys/mounts", None, "root", 405),
        ("GET", "sys/mounts//x", None, "root", 307),
    ],
)
def test_responses_are_cache_control_no_store(
    vab_server: ServerProcess,
    method: str,
    path: str,
    body: bytes | None,
    token: str | None,
    status: int,
) -> None:
    """Vault sends ``Cache-Control: no-store`` on every answer, successes and errors alike."""
    got, parsed, headers = _exchange(vab_server, method, path, body, token=token)
    assert got == status, parsed
    assert headers.get_all("Cache-Control") == ["no-store"], dict(headers)
