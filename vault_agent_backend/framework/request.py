"""The logical request a backend handles, independent of HTTP."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..storage.base import Storage


class Operation(enum.StrEnum):
    """Vault's logical operations."""

    CREATE = "create"
    READ = "read"
    UPDATE = "update"
    PATCH = "patch"
    DELETE = "delete"
    LIST = "list"
    HELP = "help"

    def __str__(self) -> str:
        return self.value


@dataclass
class Caller:
    """Who is making a request, once the token has been resolved."""

    token: Any = None
    """The token entry (``TokenEntry``) or, for agent JWTs, the agent context."""
    policies: list[str] = field(default_factory=list)
    token_policies: list[str] = field(default_factory=list)
    identity_policies: list[str] = field(default_factory=list)
    entity_id: str = ""
    is_root: bool = False
    acl: Any = None
    kind: str = "token"
    """``token`` for Vault tokens, ``agent`` for agent JWTs."""
    agent: Any = None
    """The per-request agent context for agent JWTs (decision layers, claims)."""


@dataclass
class Request:
    """One logical request routed to a backend."""

    operation: Operation
    path: str
    data: dict[str, Any] = field(default_factory=dict)
    client_token: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    remote_addr: str = ""
    wrap_ttl: int = 0
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    mount_point: str = ""
    mount_type: str = ""
    mount_accessor: str = ""
    mount_class: str = ""
    storage: Storage | None = None
    caller: Caller | None = None
    unauthenticated: bool = False
    raw_body: bytes = b""
    query: dict[str, Any] = field(default_factory=dict)
    http_method: str = ""
    base_url: str = ""
    decision: Any = None
    """The ACL decision on this request (``.allowed``, ``.granting_policies``; an agent's
    also ``.layer``), set before the handler runs; read by the audit."""

    @property
    def rel_path(self) -> str:
        """The path below the mount point."""
        return self.path[len(self.mount_point) :]

    @property
    def entity_id(self) -> str:
        """The caller's entity id, or empty."""
        return self.caller.entity_id if self.caller else ""
