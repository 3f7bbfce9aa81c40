"""Small helpers shared by the AppRole tests."""

from __future__ import annotations

from typing import Any

from tests.support.inprocess import Reply, Vab

A = "auth/approle/"


def make_role(vab: Vab, name: str = "web", **fields: Any) -> Reply:
    """Create or update a role; asserts success."""
    reply = vab.post(f"{A}role/{name}", fields)
    assert reply.status in (200, 204), reply
    return reply


def new_secret(vab: Vab, role: str = "web", **fields: Any) -> dict[str, Any]:
    """Generate a secret ID; its response data."""
    reply = vab.post(f"{A}role/{role}/secret-id", fields)
    assert reply.status == 200, reply
    return reply.data


def role_id(vab: Vab, role: str = "web") -> str:
    """The role_id of a role."""
    return vab.get(f"{A}role/{role}/role-id").data["role_id"]


def login(vab: Vab, rid: str, sid: str | None = None, remote_addr: str = "127.0.0.1") -> Reply:
    """Log in (no token)."""
    body = {"role_id": rid} if sid is None else {"role_id": rid, "secret_id": sid}
    return vab.request("POST", f"{A}login", body, token=None, remote_addr=remote_addr)
