"""The token entry: everything kept about a token, and its ``lookup`` view."""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

SERVICE = "service"
BATCH = "batch"


@dataclass
class TokenEntry:
    """A service or batch token (Vault's logical.TokenEntry plus its lease times).

    Vault keeps a token's expiry in a separate lease entry; here the lease fields live
    on the entry itself: ``issue_time``, ``expire_at``, ``last_renewal_time``,
    ``lease_ttl`` (the TTL granted by the last issue or renewal, the default increment of
    the next renewal) and ``renewable``.
    """

    id: str
    accessor: str
    policies: list[str] = field(default_factory=list)
    parent: str = ""
    """The parent's token id ('' for orphans)."""
    path: str = "auth/token/create"
    meta: dict[str, str] | None = None
    display_name: str = "token"
    num_uses: int = 0
    """Uses left (0 = unlimited, -1 = the last use is in progress: revoked after it)."""
    creation_time: float = field(default_factory=time.time)
    ttl: int = 0
    """The TTL at creation (``creation_ttl``)."""
    explicit_max_ttl: int = 0
    period: int = 0
    entity_id: str = ""
    type: str = SERVICE
    role: str = ""
    renewable: bool = True
    last_renewal_time: float = 0.0
    expire_at: float = 0.0
    """Unix time when the token expires (0 = never)."""
    issue_time: float = 0.0
    """When the lease was issued (0 = the creation time)."""
    lease_ttl: int = 0
    """The TTL of the last issue or renewal."""
    lease_period: int = 0
    """For login tokens: the period the auth method asked for (used on renewal)."""
    lease_explicit_max_ttl: int = 0
    """For login tokens: the explicit max TTL the auth method asked for."""
    lease_max_ttl: int = 0
    """For login tokens: the max TTL the auth method asked for."""
    no_identity_policies: bool = False
    bound_cidrs: list[str] = field(default_factory=list)
    internal: dict[str, Any] = field(default_factory=dict)
    mount_accessor: str = ""
    external_id: str = ""
    """For the built-in agent issuer and other derived credentials."""
    revoking: bool = False
    """Set on every token of a subtree before any is deleted: such a token (and every
    descendant, through the ancestor walk) is dead at once, and tidy finishes a revocation
    that a crash interrupted."""

    @property
    def orphan(self) -> bool:
        """A token without a parent."""
        return not self.parent

    @property
    def is_root(self) -> bool:
        """Whether the token carries the root policy."""
        return "root" in self.policies

    @property
    def is_batch(self) -> bool:
        """Whether this is a batch token (not stored, cannot be renewed or revoked)."""
        return self.type == BATCH

    @property
    def issued_at(self) -> float:
        """The lease issue time."""
        return self.issue_time or self.creation_time

    def remaining_ttl(self, now: float | None = None) -> int:
        """Seconds left, as Vault computes them (0 for a token that never expires)."""
        if not self.expire_at:
            return 0
        current = time.time() if now is None else now
        return max(0, int(self.expire_at - round(current)))

    def expired(self, now: float | None = None) -> bool:
        """Whether the token's time is over."""
        current = time.time() if now is None else now
        return bool(self.expire_at) and current >= self.expire_at

    def lease_renewable(self, now: float | None = None) -> tuple[bool, str]:
        """Whether the token's lease can be renewed, and Vault's reason when not."""
        if not self.expire_at:
            return False, "lease is not renewable"
        if self.is_batch:
            return False, ""
        if self.expired(now):
            return False, "lease expired"
        if not self.renewable:
            return False, "lease is not renewable"
        return True, ""

    def to_storage(self) -> dict[str, Any]:
        """Serialisable form."""
        return asdict(self)

    @classmethod
    def from_storage(cls, raw: dict[str, Any]) -> TokenEntry:
        """Inverse of to_storage (ignores unknown keys from newer versions)."""
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in raw.items() if k in known})

    def lookup_data(self, *, show_id: bool = True, now: float | None = None) -> dict[str, Any]:
        """The ``data`` of ``auth/token/lookup*`` (identity policies are added by the caller)."""
        current = time.time() if now is None else now
        data: dict[str, Any] = {
            "accessor": self.accessor,
            "creation_time": int(self.creation_time),
            "creation_ttl": self.ttl,
            "display_name": self.display_name,
            "entity_id": self.entity_id,
            "expire_time": None,
            "explicit_max_ttl": self.explicit_max_ttl,
            "id": self.id if show_id else "",
            "meta": dict(self.meta) if self.meta is not None else None,
            "num_uses": self.num_uses,
            "orphan": self.orphan,
            "path": self.path,
            "policies": list(self.policies),
            "ttl": 0,
            "type": self.type,
        }
        if self.role:
            data["role"] = self.role
        if self.period:
            data["period"] = self.period
        if self.bound_cidrs:
            data["bound_cidrs"] = list(self.bound_cidrs)
        if self.last_renewal_time:
            data["last_renewal_time"] = int(self.last_renewal_time)
            data["last_renewal"] = format_time(self.last_renewal_time)
        if self.expire_at:
            data["expire_time"] = format_time(self.expire_at)
            data["ttl"] = self.remaining_ttl(current)
        data["renewable"] = self.lease_renewable(current)[0]
        data["issue_time"] = format_time(self.issued_at)
        return data


def format_time(ts: float) -> str:
    """A Unix time as Go marshals a UTC ``time.Time`` (RFC 3339, trailing zeros trimmed)."""
    whole = math.floor(ts)
    micros = round((ts - whole) * 1_000_000)
    if micros >= 1_000_000:
        whole, micros = whole + 1, 0
    text = datetime.fromtimestamp(whole, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if micros:
        text += "." + f"{micros:06d}".rstrip("0")
    return text + "Z"
