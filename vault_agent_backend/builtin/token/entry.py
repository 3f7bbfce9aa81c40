"""The token entry: everything Vault keeps about a token."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass
class TokenEntry:
    """A service or batch token (Vault's logical.TokenEntry)."""

    id: str
    accessor: str
    policies: list[str] = field(default_factory=list)
    parent: str = ""
    """The parent's token id ('' for orphans)."""
    path: str = "auth/token/create"
    meta: dict[str, str] = field(default_factory=dict)
    display_name: str = "token"
    num_uses: int = 0
    creation_time: float = field(default_factory=time.time)
    ttl: int = 0
    explicit_max_ttl: int = 0
    period: int = 0
    entity_id: str = ""
    type: str = "service"
    role: str = ""
    renewable: bool = True
    last_renewal_time: float = 0.0
    expire_at: float = 0.0
    """Unix time when the token expires (0 = never)."""
    no_identity_policies: bool = False
    bound_cidrs: list[str] = field(default_factory=list)
    internal: dict[str, Any] = field(default_factory=dict)
    mount_accessor: str = ""
    external_id: str = ""
    """For the built-in agent issuer and other derived credentials."""

    @property
    def orphan(self) -> bool:
        """A token without a parent."""
        return not self.parent

    @property
    def is_root(self) -> bool:
        """Whether the token carries the root policy."""
        return "root" in self.policies

    def remaining_ttl(self, now: float | None = None) -> int:
        """Seconds left (0 for a token that never expires)."""
        if not self.expire_at:
            return 0
        return max(0, int(self.expire_at - (now or time.time())))

    def expired(self, now: float | None = None) -> bool:
        """Whether the token's time is over."""
        return bool(self.expire_at) and (now or time.time()) >= self.expire_at

    def to_storage(self) -> dict[str, Any]:
        """Serialisable form."""
        return asdict(self)

    @classmethod
    def from_storage(cls, raw: dict[str, Any]) -> TokenEntry:
        """Inverse of to_storage (ignores unknown keys from newer versions)."""
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in raw.items() if k in known})

    def lookup_data(self, *, show_id: bool = True) -> dict[str, Any]:
        """The ``data`` of ``auth/token/lookup*``."""
        data: dict[str, Any] = {
            "accessor": self.accessor,
            "creation_time": int(self.creation_time),
            "creation_ttl": self.ttl,
            "display_name": self.display_name,
            "entity_id": self.entity_id,
            "expire_time": _iso(self.expire_at) if self.expire_at else None,
            "explicit_max_ttl": self.explicit_max_ttl,
            "id": self.id if show_id else "",
            "meta": self.meta or None,
            "num_uses": self.num_uses,
            "orphan": self.orphan,
            "path": self.path,
            "policies": self.policies,
            "renewable": self.renewable
            and self.type == "service"
            and bool(self.ttl or self.period),
            "ttl": self.remaining_ttl(),
            "type": self.type,
        }
        if self.expire_at or self.last_renewal_time:
            data["issue_time"] = _iso(self.creation_time)
        else:
            data["issue_time"] = _iso(self.creation_time)
        if self.last_renewal_time:
            data["last_renewal_time"] = int(self.last_renewal_time)
            data["last_renewal"] = _iso(self.last_renewal_time)
        if self.period:
            data["period"] = self.period
        if self.role:
            data["role"] = self.role
        if self.bound_cidrs:
            data["bound_cidrs"] = self.bound_cidrs
        return data


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
