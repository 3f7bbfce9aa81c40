"""How the core uses the policy engine: caching, invalidation, never re-parsing.

* Through the real server process: a policy change (write, rewrite, delete) takes effect on
  the very next request of a token holding that policy.
* In process (a dev core behind the real Flask app, ``parse_policy`` and ``ACL`` counted
  with monkeypatch): once a token's policy set has been compiled, requests neither parse HCL
  nor build an ACL again; a policy write invalidates, and the next request compiles once.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import Any

import pytest
import requests

import vault_agent_backend.core.policy_store as policy_store_module
from tests.support.processes import ServerProcess
from vault_agent_backend.http import create_app
from vault_agent_backend.server.dev import build_dev_core


def _policy(path: str, caps: str) -> str:
    quoted = ", ".join(f'"{c}"' for c in caps.split())
    return f'path "{path}" {{ capabilities = [{quoted}] }}'


def test_policy_change_takes_effect_on_next_request(vab_server: ServerProcess) -> None:
    uniq = secrets.token_hex(4)
    mount, name = f"pc-{uniq}", f"pc-{uniq}"

    def call(method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        return requests.request(
            method,
            f"{vab_server.url}/v1/{path}",
            json=body,
            headers={"X-Vault-Token": token or vab_server.root_token},
            timeout=30,
        )

    assert call("POST", f"sys/mounts/{mount}", {"type": "kv", "options": {"version": "1"}}).ok
    assert call("PUT", f"{mount}/k", {"v": "1"}).ok
    assert call("PUT", f"sys/policies/acl/{name}", {"policy": _policy(f"{mount}/*", "read")}).ok
    created = call("POST", "auth/token/create", {"policies": [name], "no_default_policy": True})
    token = created.json()["auth"]["client_token"]

    assert call("GET", f"{mount}/k", token=token).status_code == 200
    assert call("POST", f"{mount}/k", {"v": "2"}, token=token).status_code == 403
    # rewrite: the grant moves from read to update
    assert call("PUT", f"sys/policies/acl/{name}", {"policy": _policy(f"{mount}/*", "update")}).ok
    assert call("GET", f"{mount}/k", token=token).status_code == 403
    assert call("POST", f"{mount}/k", {"v": "2"}, token=token).status_code == 204
    # an added exact deny wins at once
    both = _policy(f"{mount}/*", "update read") + "\n" + _policy(f"{mount}/k", "deny")
    assert call("PUT", f"sys/policies/acl/{name}", {"policy": both}).ok
    assert call("GET", f"{mount}/k", token=token).status_code == 403
    # deleting the policy takes every grant away
    assert call("DELETE", f"sys/policies/acl/{name}").status_code == 204
    assert call("GET", f"{mount}/k2", token=token).status_code == 403
    # and re-creating it restores them
    assert call("PUT", f"sys/policies/acl/{name}", {"policy": _policy(f"{mount}/*", "read")}).ok
    assert call("GET", f"{mount}/k", token=token).status_code == 200


class _Counter:
    """Wraps a callable and counts its calls."""

    def __init__(self, wrapped: Callable[..., Any]) -> None:
        self.wrapped = wrapped
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self.wrapped(*args, **kwargs)


@pytest.fixture
def inprocess() -> tuple[Callable[..., Any], str]:
    """``call(method, path, body=None, token=root)`` against a fresh in-process dev core."""
    core, root = build_dev_core("root")
    client = create_app(core).test_client()

    def call(method: str, path: str, body: Any = None, token: str = root) -> Any:
        return client.open(
            f"/v1/{path}",
            method=method,
            headers={"X-Vault-Token": token},
            data=None if body is None else json.dumps(body),
            content_type="application/json",
        )

    return call, root


def test_steady_state_requests_never_parse_or_compile(
    inprocess: tuple[Callable[..., Any], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    call, _root = inprocess
    mount = {"type": "kv", "options": {"version": "1"}}
    assert call("POST", "sys/mounts/kv1", mount).status_code == 204
    text = _policy("kv1/*", "create read update list") + "\n" + _policy("kv1/no", "deny")
    assert call("PUT", "sys/policies/acl/steady", {"policy": text}).status_code == 204
    created = call("POST", "auth/token/create", {"policies": ["steady", "default"]})
    token = created.get_json()["auth"]["client_token"]

    parses = _Counter(policy_store_module.parse_policy)
    builds = _Counter(policy_store_module.ACL)
    monkeypatch.setattr(policy_store_module, "parse_policy", parses)
    monkeypatch.setattr(policy_store_module, "ACL", builds)

    def traffic() -> None:
        assert call("POST", "kv1/a", {"v": "1"}, token=token).status_code == 204
        assert call("GET", "kv1/a", token=token).status_code == 200
        assert call("LIST", "kv1/", token=token).status_code == 200
        assert call("GET", "kv1/no", token=token).status_code == 403
        caps = call("POST", "sys/capabilities-self", {"paths": ["kv1/a"]}, token=token)
        assert caps.get_json()["data"]["kv1/a"] == ["create", "list", "read", "update"]

    traffic()  # warm-up: compiles this token's policy set once (it may already be cached)
    parses.calls = builds.calls = 0
    for _ in range(20):
        traffic()
    assert (parses.calls, builds.calls) == (0, 0)

    # A policy write invalidates: the next request parses and compiles once, then steady again.
    assert (
        call("PUT", "sys/policies/acl/other", {"policy": _policy("x", "read")}).status_code == 204
    )
    parses.calls = builds.calls = 0
    traffic()
    assert builds.calls == 1
    assert parses.calls <= 2  # "steady" and "default", at most once each
    parses.calls = builds.calls = 0
    for _ in range(5):
        traffic()
    assert (parses.calls, builds.calls) == (0, 0)
