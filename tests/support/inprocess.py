"""An in-process server for fast tests: a dev Core behind the real Flask app.

``Vab()`` builds a core on in-memory storage with root token ``root`` and talks to it
through Flask's test client, so requests pass the same HTTP parsing, pipeline
(authentication, ACL, use counting) and envelope rules as the real server, without a
subprocess.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vault_agent_backend.core import Core, CoreOptions
from vault_agent_backend.http import create_app
from vault_agent_backend.storage import MemoryStorage

ROOT = "root"


@dataclass
class Reply:
    """Status and decoded JSON body of one request."""

    status: int
    body: Any

    @property
    def data(self) -> Any:
        """The envelope's ``data``."""
        return (self.body or {}).get("data")

    @property
    def auth(self) -> Any:
        """The envelope's ``auth``."""
        return (self.body or {}).get("auth")

    @property
    def errors(self) -> list[str]:
        """The ``errors`` of an error body."""
        return (self.body or {}).get("errors", [])

    @property
    def warnings(self) -> list[str]:
        """The envelope's warnings (empty when none)."""
        return (self.body or {}).get("warnings") or []

    @property
    def token(self) -> str:
        """``auth.client_token`` of a creation or login."""
        return self.auth["client_token"]


class Vab:
    """A dev core (root token ``root``) reachable through the Flask test client."""

    def __init__(self) -> None:
        self.core = Core(MemoryStorage(), CoreOptions(dev=True))
        self.core.setup()
        self.core.token_store.create_root(ROOT)
        self.app = create_app(self.core)
        self.client = self.app.test_client()

    def request(
        self,
        method: str,
        path: str,
        json: Any = None,
        *,
        token: str | None = ROOT,
        remote_addr: str = "127.0.0.1",
    ) -> Reply:
        """Send one request below ``/v1/``."""
        headers = {"X-Vault-Token": token} if token else {}
        response = self.client.open(
            "/v1/" + path.lstrip("/"),
            method=method,
            json=json,
            headers=headers,
            environ_base={"REMOTE_ADDR": remote_addr},
        )
        body = response.get_json(silent=True) if response.data else None
        return Reply(response.status_code, body)

    def get(self, path: str, **kw: Any) -> Reply:
        """GET."""
        return self.request("GET", path, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> Reply:
        """POST with a JSON body."""
        return self.request("POST", path, json if json is not None else {}, **kw)

    def list(self, path: str, **kw: Any) -> Reply:
        """LIST."""
        return self.request("LIST", path, **kw)

    def delete(self, path: str, **kw: Any) -> Reply:
        """DELETE."""
        return self.request("DELETE", path, **kw)

    def create(
        self, body: dict[str, Any] | None = None, *, token: str = ROOT, path: str = "create"
    ) -> Reply:
        """Create a token (``auth/token/<path>``), asserting success; the reply."""
        reply = self.post(f"auth/token/{path}", body or {}, token=token)
        assert reply.status == 200, reply
        return reply

    def policy(self, name: str, hcl: str) -> None:
        """Write an ACL policy."""
        reply = self.post(f"sys/policies/acl/{name}", {"policy": hcl})
        assert reply.status in (200, 204), reply

    def enable_userpass(self, path: str = "userpass") -> str:
        """Mount userpass at ``auth/<path>/``; its accessor."""
        reply = self.post(f"sys/auth/{path}", {"type": "userpass"})
        assert reply.status == 204, reply
        return self.get("sys/auth").data[f"{path}/"]["accessor"]
