"""Revoked JWT ids, shared by every worker and node through storage.

The authorization server (RFC 7009 ``revoke``) records a token's unique id here; the
resource server refuses a token whose id is recorded, on every request. Entries are kept
until the token would have expired anyway, then purged.

Layout: ``core/oauth-resource-server/revoked-jti/<sha256(issuer NUL jti)>`` holds
``{"exp": <unix seconds>}``. The issuer is normalised like profiles' ``issuer_id``.
"""

from __future__ import annotations

import hashlib
import json
import time

from ...storage.base import Storage
from .profiles import PREFIX, normalize_issuer

__all__ = ["REVOKED_PREFIX", "is_revoked", "purge_expired", "revoke", "revoked_key"]

REVOKED_PREFIX = PREFIX + "revoked-jti/"


def revoked_key(issuer: str, jti: str) -> str:
    """The storage key recording that ``jti`` of ``issuer`` is revoked."""
    digest = hashlib.sha256(f"{normalize_issuer(issuer)}\x00{jti}".encode()).hexdigest()
    return REVOKED_PREFIX + digest


def revoke(storage: Storage, issuer: str, jti: str, exp: int) -> None:
    """Record ``jti`` as revoked until ``exp`` (unix seconds)."""
    storage.put(revoked_key(issuer, jti), json.dumps({"exp": int(exp)}).encode())


def is_revoked(storage: Storage, issuer: str, jti: str) -> bool:
    """Whether ``jti`` of ``issuer`` was revoked (one storage read)."""
    return storage.get(revoked_key(issuer, jti)) is not None


def purge_expired(storage: Storage, now: float | None = None) -> int:
    """Delete entries of tokens that have expired; returns how many were removed."""
    now = time.time() if now is None else now
    stale = []
    for name in storage.list(REVOKED_PREFIX):
        raw = storage.get(REVOKED_PREFIX + name)
        try:
            exp = json.loads(raw)["exp"] if raw else 0
        except (ValueError, KeyError, TypeError):
            exp = 0
        if exp < now:
            stale.append((REVOKED_PREFIX + name, None))
    if stale:
        storage.apply(stale)
    return len(stale)
