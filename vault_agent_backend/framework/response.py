"""The logical response a backend returns; the HTTP layer wraps it in Vault's envelope."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Alias:
    """The identity alias a login maps to (Vault's logical.Alias)."""

    name: str
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass
class Auth:
    """The auth block of a login response, or of a token the core created."""

    policies: list[str] = field(default_factory=list)
    token_policies: list[str] = field(default_factory=list)
    identity_policies: list[str] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)
    display_name: str = ""
    client_token: str = ""
    accessor: str = ""
    ttl: int = 0
    max_ttl: int = 0
    explicit_max_ttl: int = 0
    period: int = 0
    renewable: bool = True
    num_uses: int = 0
    entity_id: str = ""
    token_type: str = "service"
    orphan: bool = True
    no_default_policy: bool = False
    bound_cidrs: list[str] = field(default_factory=list)
    """CIDR blocks the login's token may be used from (empty: anywhere)."""
    alias: Alias | None = None
    internal: dict[str, Any] = field(default_factory=dict)
    """Backend data kept with the token (never shown), e.g. for renewals."""
    mfa_requirement: Any = None
    lease_duration: int | None = None
    """Set after the core created the token."""

    def to_json(self) -> dict[str, Any]:
        """The ``auth`` object of Vault's response envelope."""
        return {
            "client_token": self.client_token,
            "accessor": self.accessor,
            "policies": self.policies,
            **({"token_policies": self.token_policies} if self.token_policies else {}),
            **({"identity_policies": self.identity_policies} if self.identity_policies else {}),
            "metadata": self.metadata or None,
            "lease_duration": self.lease_duration if self.lease_duration is not None else self.ttl,
            "renewable": self.renewable,
            "entity_id": self.entity_id,
            "token_type": self.token_type,
            "orphan": self.orphan,
            "mfa_requirement": self.mfa_requirement,
            "num_uses": self.num_uses,
        }


@dataclass
class Secret:
    """A leased secret (the lease is registered by the core)."""

    ttl: int = 0
    max_ttl: int = 0
    renewable: bool = False
    internal: dict[str, Any] = field(default_factory=dict)
    lease_id: str = ""


@dataclass
class WrapInfo:
    """The wrap_info block of a wrapped response."""

    token: str
    accessor: str
    ttl: int
    creation_time: str
    creation_path: str
    wrapped_accessor: str = ""
    format: str = ""

    def to_json(self) -> dict[str, Any]:
        """The ``wrap_info`` object of Vault's response envelope."""
        body = {
            "token": self.token,
            "accessor": self.accessor,
            "ttl": self.ttl,
            "creation_time": self.creation_time,
            "creation_path": self.creation_path,
        }
        if self.wrapped_accessor:
            body["wrapped_accessor"] = self.wrapped_accessor
        return body


@dataclass
class RawResponse:
    """A response sent as-is, without Vault's envelope (health, OAuth endpoints)."""

    status: int = 200
    body: Any = None
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Response:
    """What a handler returns. ``None`` from a handler means 204 No Content."""

    data: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)
    auth: Auth | None = None
    secret: Secret | None = None
    wrap_info: WrapInfo | None = None
    raw: RawResponse | None = None
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    wrap_ttl: int = 0
    """A handler may ask for its response to be wrapped (sys/wrapping/wrap)."""
    wrap_format: str = ""
    top_level: bool = False
    """Also copy ``data`` to the top level of the envelope (Vault's legacy ``sys/`` reads)."""

    def add_warning(self, message: str) -> None:
        """Attach a warning shown to the client."""
        self.warnings.append(message)
