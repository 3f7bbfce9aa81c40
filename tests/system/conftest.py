"""Fixtures of the ``sys/`` tests: a fresh in-process dev server per test.

Requests go through the real Flask app (HTTP parsing, pipeline, envelope) on a dev core
built by :func:`vault_agent_backend.server.dev.build_dev_core`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from vault_agent_backend.http import create_app
from vault_agent_backend.server.dev import build_dev_core

ROOT = "root"


@dataclass
class Reply:
    """Status, headers and decoded body of one request."""

    status: int
    body: Any
    text: str
    headers: dict[str, str]

    @property
    def data(self) -> Any:
        """The envelope's ``data``."""
        return (self.body or {}).get("data") if isinstance(self.body, dict) else None

    @property
    def errors(self) -> list[str]:
        """The ``errors`` of an error body."""
        return (self.body or {}).get("errors", []) if isinstance(self.body, dict) else []

    @property
    def warnings(self) -> list[str]:
        """The envelope's warnings (empty when none)."""
        return (self.body or {}).get("warnings") or [] if isinstance(self.body, dict) else []

    @property
    def wrap_token(self) -> str:
        """``wrap_info.token`` of a wrapped response."""
        return self.body["wrap_info"]["token"]


class Sys:
    """A dev core (root token ``root``) behind the Flask test client."""

    def __init__(self) -> None:
        self.core, self.root = build_dev_core(ROOT)
        self.app = create_app(self.core)
        self.client = self.app.test_client()

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = ROOT,
        headers: dict[str, str] | None = None,
        raw: bytes | str | None = None,
        content_type: str = "application/json",
        wrap: str | int | None = None,
    ) -> Reply:
        """Send one request below ``/v1/``."""
        hdrs = dict(headers or {})
        if token is not None:
            hdrs["X-Vault-Token"] = token
        if wrap is not None:
            hdrs["X-Vault-Wrap-TTL"] = str(wrap)
        kwargs: dict[str, Any] = {"headers": hdrs}
        if raw is not None:
            kwargs["data"] = raw
            kwargs["content_type"] = content_type
        elif body is not None:
            kwargs["json"] = body
        response = self.client.open("/v1/" + path, method=method, **kwargs)
        text = response.get_data(as_text=True)
        try:
            parsed = response.get_json(force=True, silent=True)
        except Exception:  # pragma: no cover - defensive
            parsed = None
        return Reply(response.status_code, parsed, text, dict(response.headers))

    def get(self, path: str, **kw: Any) -> Reply:
        """GET."""
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Reply:
        """POST with a JSON body."""
        return self.call("POST", path, body if body is not None else {}, **kw)

    def list(self, path: str, **kw: Any) -> Reply:
        """LIST."""
        return self.call("LIST", path, **kw)

    def delete(self, path: str, **kw: Any) -> Reply:
        """DELETE."""
        return self.call("DELETE", path, **kw)

    def policy(self, name: str, text: str) -> None:
        """Write an ACL policy."""
        reply = self.post(f"sys/policies/acl/{name}", {"policy": text})
        assert reply.status == 204, reply.text

    def token(self, policies: list[str], **extra: Any) -> tuple[str, str]:
        """Create a token; returns (token, accessor)."""
        reply = self.post("auth/token/create", {"policies": policies, **extra})
        assert reply.status == 200, reply.text
        auth = reply.body["auth"]
        return auth["client_token"], auth["accessor"]


@pytest.fixture
def sysv() -> Sys:
    """A fresh in-process dev server."""
    return Sys()
