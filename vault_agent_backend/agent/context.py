"""What one request knows about its agent token (``Caller.agent``); built per request."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..policy.rar import RAREntry
from .decision import AgentACL

__all__ = ["AgentContext"]


_LATEST = 253402300799  # 9999-12-31T23:59:59Z
"""The last instant :mod:`datetime` can format (year 9999)."""


def _rfc3339(ts: Any) -> str | None:
    """RFC 3339 UTC time of a JWT time claim; a time past year 9999 (an issuer may sign
    any ``exp``) is shown as the last representable second, never an error."""
    if not isinstance(ts, int | float) or isinstance(ts, bool) or ts != ts:
        return None
    return datetime.fromtimestamp(max(0, min(ts, _LATEST)), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class AgentContext:
    """A verified agent token resolved against current state (nothing of it is stored)."""

    mode: str
    """``delegated`` (the token names an actor) or ``direct``."""
    claims: Mapping[str, Any]
    issuer: str
    profile_name: str
    subject_entity_id: str
    subject_entity_name: str
    actor_entity_id: str
    actor_entity_name: str
    registration: dict[str, Any]
    rar: tuple[RAREntry, ...] | None
    jti: str
    policies: list[str] = field(default_factory=list)
    """The identity policies of the principal (the human when delegated, else the agent)."""
    acl: AgentACL | None = None
    delegation: dict[str, Any] | None = None
    """The delegation record the token was minted from (``delegation_id`` claim), if any."""

    @property
    def registration_id(self) -> str:
        """The id of the acting agent's registration."""
        return str(self.registration.get("id", ""))

    @property
    def agent_display_name(self) -> str:
        """The acting agent's display name."""
        return str(self.registration.get("display_name", ""))

    def capabilities_self(self, path: str) -> list[str]:
        """``sys/capabilities-self`` for the agent token: the intersection of every layer."""
        return self.acl.capabilities(path) if self.acl is not None else ["deny"]

    def lookup_data(self) -> dict[str, Any]:
        """``auth/token/lookup-self`` for an agent token (the JWT itself is not echoed)."""
        iat = self.claims.get("iat")
        exp = self.claims.get("exp")
        now = time.time()
        ttl = max(0, int(exp - now)) if isinstance(exp, int | float) else 0
        creation_ttl = (
            int(exp - iat) if isinstance(exp, int | float) and isinstance(iat, int | float) else ttl
        )
        meta = {
            "agent_registration_id": self.registration_id,
            "agent_display_name": self.agent_display_name,
            "mode": self.mode,
            "issuer": self.issuer,
            "profile": self.profile_name,
            "subject_entity_id": self.subject_entity_id,
        }
        if self.mode == "delegated":
            meta["actor_entity_id"] = self.actor_entity_id
        if self.jti:
            meta["jti"] = self.jti
        return {
            "accessor": "",
            "creation_time": int(iat) if isinstance(iat, int | float) else int(now),
            "creation_ttl": creation_ttl,
            "display_name": f"agent-{self.agent_display_name}",
            "entity_id": self.subject_entity_id,
            "expire_time": _rfc3339(exp),
            "explicit_max_ttl": 0,
            "id": "",
            "issue_time": _rfc3339(iat),
            "meta": meta,
            "num_uses": 0,
            "orphan": True,
            "path": "",
            "policies": sorted(self.policies),
            "renewable": False,
            "ttl": ttl,
            "type": "service",
        }

    def audit_metadata(self) -> dict[str, str]:
        """Vault 2.x's OAuth JWT audit metadata (``auth.metadata``) for this request."""
        aud = self.claims.get("aud")
        out = {
            "jwt_issuer": self.issuer,
            "jwt_unique_id": self.jti,
            "jwt_audience_claim": json.dumps(aud) if not isinstance(aud, str) else aud,
            "jwt_transaction_claim": str(self.claims.get("txn") or ""),
            "jwt_authorization_details": json.dumps(self.claims.get("authorization_details"))
            if self.claims.get("authorization_details") is not None
            else "",
            "agent_registration_id": self.registration_id,
        }
        if self.mode == "delegated":
            out["actor_entity_id"] = self.actor_entity_id
            out["actor_entity_name"] = self.actor_entity_name
        return out
