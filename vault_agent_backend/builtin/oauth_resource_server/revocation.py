"""Revoked JWT ids, shared by every worker and node through storage.

The authorization server (RFC 7009 ``revoke``) records a token's unique id here; the
resource server refuses a token whose id is recorded, on every request. Entries are kept
until the token would have expired anyway, then purged.

Layout: ``core/oauth-resource-server/revoked-jti/<sha256(issuer NUL jti)>`` holds
``{"exp": <unix seconds>}``. The issuer is normalised like profiles' ``issuer_id``.

A token exchanged from another token (an agent-to-agent chain) depends on it: the issuer
records ``chained-jti/<digest of the subject token>/<digest of the new token>`` =
``{"jti", "exp"}`` when it signs, and revoking a token revokes the tokens chained from it,
transitively. The per-request check stays one read (the token's own ``jti``).
"""

from __future__ import annotations

import hashlib
import json
import time

from ...storage.base import Storage
from .profiles import PREFIX, normalize_issuer

__all__ = [
    "CHAINED_PREFIX",
    "REVOKED_PREFIX",
    "is_revoked",
    "purge_expired",
    "record_chained",
    "revoke",
    "revoked_key",
]

REVOKED_PREFIX = PREFIX + "revoked-jti/"
CHAINED_PREFIX = PREFIX + "chained-jti/"
#: A chain is bounded by max_delegation_depth; this only guards against a damaged index.
_MAX_CHAIN = 64


def _digest(issuer: str, jti: str) -> str:
    return hashlib.sha256(f"{normalize_issuer(issuer)}\x00{jti}".encode()).hexdigest()


def revoked_key(issuer: str, jti: str) -> str:
    """The storage key recording that ``jti`` of ``issuer`` is revoked."""
    return REVOKED_PREFIX + _digest(issuer, jti)


def record_chained(storage: Storage, issuer: str, parent_jti: str, jti: str, exp: int) -> None:
    """Remember that token ``jti`` was exchanged from ``parent_jti`` (both of ``issuer``)."""
    key = f"{CHAINED_PREFIX}{_digest(issuer, parent_jti)}/{_digest(issuer, jti)}"
    storage.put(key, json.dumps({"jti": jti, "exp": int(exp)}).encode())


def revoke(storage: Storage, issuer: str, jti: str, exp: int) -> None:
    """Record ``jti`` as revoked until ``exp`` (unix seconds), and every token chained
    from it."""
    pending = [(jti, int(exp))]
    seen: set[str] = set()
    while pending and len(seen) < _MAX_CHAIN:
        current, until = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        storage.put(revoked_key(issuer, current), json.dumps({"exp": until}).encode())
        folder = f"{CHAINED_PREFIX}{_digest(issuer, current)}/"
        for name in storage.list(folder):
            raw = storage.get(folder + name)
            try:
                child = json.loads(raw) if raw else {}
                pending.append((str(child["jti"]), int(child["exp"])))
            except (ValueError, KeyError, TypeError):
                continue


def is_revoked(storage: Storage, issuer: str, jti: str) -> bool:
    """Whether ``jti`` of ``issuer`` was revoked (one storage read)."""
    return storage.get(revoked_key(issuer, jti)) is not None


def purge_expired(storage: Storage, now: float | None = None) -> int:
    """Delete entries (revoked and chained) of tokens that have expired; returns how many
    were removed."""
    now = time.time() if now is None else now
    names = [REVOKED_PREFIX + n for n in storage.list(REVOKED_PREFIX)]
    for folder in storage.list(CHAINED_PREFIX):
        if folder.endswith("/"):
            names += [CHAINED_PREFIX + folder + n for n in storage.list(CHAINED_PREFIX + folder)]
    stale = []
    for name in names:
        raw = storage.get(name)
        try:
            exp = json.loads(raw)["exp"] if raw else 0
        except (ValueError, KeyError, TypeError):
            exp = 0
        if exp < now:
            stale.append((name, None))
    if stale:
        storage.apply(stale)
    return len(stale)
