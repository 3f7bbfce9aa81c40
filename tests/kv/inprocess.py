"""An in-process server for the KV tests: ``build_dev_core()`` behind the real Flask app."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from vault_agent_backend.http import create_app
from vault_agent_backend.server.dev import build_dev_core

MERGE_PATCH = "application/merge-patch+json"


@dataclass
class Reply:
    """Status, decoded JSON body and raw text of one response."""

    status: int
    body: Any
    text: str

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
        """The envelope's ``warnings`` (empty when none)."""
        return ((self.body or {}).get("warnings") or []) if isinstance(self.body, dict) else []


class KVServer:
    """A dev core (``secret/`` mounted as KV v2) reachable through Flask's test client."""

    def __init__(self) -> None:
        self.core, self.root = build_dev_core("root")
        self.client = create_app(self.core).test_client()

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = "root",
        query: dict[str, Any] | None = None,
    ) -> Reply:
        """Send one request below ``/v1/``; PATCH bodies go as merge-patch JSON."""
        headers = {"X-Vault-Token": token} if token else {}
        content_type = MERGE_PATCH if method.upper() == "PATCH" else "application/json"
        response = self.client.open(
            f"/v1/{path}",
            method=method.upper(),
            headers=headers,
            data=None if body is None else json.dumps(body),
            content_type=content_type if body is not None else None,
            query_string=query,
        )
        text = response.get_data(as_text=True)
        try:
            decoded = json.loads(text) if text else None
        except ValueError:
            decoded = None
        return Reply(response.status_code, decoded, text)

    # -- shortcuts ----------------------------------------------------------------------------

    def mount(self, path: str, version: str = "2", kind: str = "kv") -> None:
        """Enable a KV mount (asserting success)."""
        reply = self.call(
            "POST", f"sys/mounts/{path}", {"type": kind, "options": {"version": version}}
        )
        assert reply.status == 204, reply.text

    def put(self, path: str, data: Any, cas: int | None = None, mount: str = "secret") -> Reply:
        """Write a KV v2 secret."""
        body: dict[str, Any] = {"data": data}
        if cas is not None:
            body["options"] = {"cas": cas}
        return self.call("POST", f"{mount}/data/{path}", body)

    def get(self, path: str, version: int | None = None, mount: str = "secret") -> Reply:
        """Read a KV v2 secret (optionally one version)."""
        query = {"version": str(version)} if version is not None else None
        return self.call("GET", f"{mount}/data/{path}", query=query)

    def metadata(self, path: str, mount: str = "secret") -> Reply:
        """Read a KV v2 secret's metadata."""
        return self.call("GET", f"{mount}/metadata/{path}")

    def token(self, policy_name: str, policy: str) -> str:
        """A token holding one freshly written policy."""
        reply = self.call("PUT", f"sys/policies/acl/{policy_name}", {"policy": policy})
        assert reply.status == 204, reply.text
        reply = self.call("POST", "auth/token/create", {"policies": [policy_name]})
        assert reply.status == 200, reply.text
        return reply.body["auth"]["client_token"]


class Clock:
    """A settable clock in nanoseconds; starts at the real time, ticks 1 µs per reading."""

    def __init__(self) -> None:
        self.now = time.time_ns()

    def __call__(self) -> int:
        self.now += 1000
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.now += int(seconds * 1_000_000_000)
