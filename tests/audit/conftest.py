"""In-process fixtures for the audit tests: a dev core behind the real Flask app."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from vault_agent_backend.http import create_app
from vault_agent_backend.server.dev import build_dev_core


@dataclass
class Reply:
    """Status and decoded body of one request."""

    status: int
    body: Any

    @property
    def data(self) -> Any:
        """The envelope's ``data``."""
        return (self.body or {}).get("data") if isinstance(self.body, dict) else None

    @property
    def errors(self) -> list[str]:
        """The ``errors`` of an error body."""
        return (self.body or {}).get("errors", []) if isinstance(self.body, dict) else []


class Server:
    """A dev core (root token ``root``) behind the Flask test client."""

    def __init__(self, tmp: Path) -> None:
        self.core, _ = build_dev_core("root")
        self.client = create_app(self.core).test_client()
        self.tmp = tmp

    def call(self, method: str, path: str, body: Any = None, token: str | None = "root") -> Reply:
        headers = {"X-Vault-Token": token} if token else {}
        resp = self.client.open("/v1/" + path, method=method, json=body, headers=headers)
        return Reply(resp.status_code, resp.get_json(silent=True) if resp.data else None)

    def enable(self, name: str = "file", **options: str) -> Path:
        """Enable a file device writing ``tmp/<name>.log`` (unless ``file_path`` is given)."""
        options.setdefault("file_path", str(self.tmp / f"{name}.log"))
        reply = self.call("PUT", f"sys/audit/{name}", {"type": "file", "options": options})
        assert reply.status == 204, reply
        return Path(options["file_path"])


def entries(path: Path, prefix: str = "") -> list[dict[str, Any]]:
    """The decoded entries of an audit file."""
    out = []
    for line in path.read_text().splitlines():
        assert line.startswith(prefix), line
        out.append(json.loads(line[len(prefix) :]))
    return out


def by_request(path: Path, request_id: str) -> list[dict[str, Any]]:
    """The entries (request, then response) of one request."""
    return [e for e in entries(path) if e.get("request", {}).get("id") == request_id]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A fresh in-process dev server."""
    srv = Server(tmp_path)
    try:
        yield srv
    finally:
        srv.core.shutdown()
