"""On-behalf-of delegations: the explicit record of a human letting an agent act for them
(SPEC §4.2, **extension**).

A delegation names the subject (the human's entity), the agent (a registration), the most
the agent may ever request for that human (RFC 9396 ``authorization_details``), a purpose,
the policy names and accessor of the Vault token that created it, and an optional ttl. It
ends when it is revoked, when its ttl ends, or when the creating token is revoked or
expires. Nothing about a delegation is cached: every agent request made with a token
minted from it reads the record again (one storage read, plus one to see that the creating
token still exists), so an end takes effect on the very next request, on every node.

Layout below ``core/agent-delegations/`` in the core's storage::

    delegation/<id>                   the record (JSON)
    accessor/<token accessor>/<id>    index: delegations created by a token (revocation)
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..storage.view import StorageView, encode_json

if TYPE_CHECKING:
    from ..core.core import Core

__all__ = [
    "ACTIVE",
    "EXPIRED",
    "PREFIX",
    "REVOKED",
    "DelegationStore",
    "rfc3339",
]

log = logging.getLogger(__name__)

PREFIX = "core/agent-delegations/"
ACTIVE, REVOKED, EXPIRED = "active", "revoked", "expired"
RETENTION = 3600.0
"""Seconds an ended delegation stays readable before the tidy removes it."""

Record = dict[str, Any]


def rfc3339(ts: float | None) -> str | None:
    """RFC 3339 UTC time (None for 0/None)."""
    if not ts:
        return None
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class DelegationStore:
    """Delegation records in storage (no cache: every read is fresh)."""

    def __init__(self, core: Core):
        self.core = core
        self.view = StorageView(core.storage, PREFIX)

    # ----- reads -------------------------------------------------------------------------------

    def get(self, delegation_id: str) -> Record | None:
        """The record with this id, or None."""
        if not isinstance(delegation_id, str) or not delegation_id or "/" in delegation_id:
            return None
        return self.view.get_json("delegation/" + delegation_id)

    def ids(self) -> list[str]:
        """Every stored delegation id."""
        return [k for k in self.view.list("delegation/") if not k.endswith("/")]

    def all(self) -> list[Record]:
        """Every stored record (active or ended), sorted by creation time."""
        records = [r for r in (self.get(i) for i in self.ids()) if r is not None]
        return sorted(records, key=lambda r: (r.get("creation_time", 0), r["id"]))

    def by_accessor(self, accessor: str) -> list[str]:
        """Ids of the delegations created by the token with this accessor."""
        if not accessor or "/" in accessor:
            return []
        return [k for k in self.view.list(f"accessor/{accessor}/") if not k.endswith("/")]

    # ----- writes ------------------------------------------------------------------------------

    def create(self, record: Record) -> Record:
        """Store a new record (and its accessor index) atomically."""
        record = dict(record)
        record.setdefault("id", str(uuid.uuid4()))
        ops: list[tuple[str, bytes | None]] = [("delegation/" + record["id"], encode_json(record))]
        if record.get("token_accessor"):
            ops.append((f"accessor/{record['token_accessor']}/{record['id']}", b"1"))
        self.view.apply(ops)
        return record

    def end(self, delegation_id: str, reason: str, now: float | None = None) -> Record | None:
        """Mark a delegation revoked (idempotent); the updated record, None when unknown."""
        key = "delegation/" + delegation_id
        for _ in range(8):
            raw = self.view.get(key)
            if raw is None:
                return None
            record = json.loads(raw)
            if record.get("revoked"):
                return record
            record["revoked"] = True
            record["revoked_at"] = time.time() if now is None else now
            record["revocation_reason"] = reason
            ops: list[tuple[str, bytes | None]] = [(key, encode_json(record))]
            if self.view.cas(key, raw, ops):
                return record
        raise RuntimeError("could not revoke the delegation: too much contention")

    def touch_token_expiry(self, record: Record, expire_at: float) -> None:
        """Remember a renewed creating token's new expiry (best effort)."""
        key = "delegation/" + record["id"]
        raw = self.view.get(key)
        if raw is None:
            return
        fresh = json.loads(raw)
        if fresh.get("revoked"):
            return
        fresh["token_expire_at"] = expire_at
        self.view.cas(key, raw, [(key, encode_json(fresh))])

    def remove(self, record: Record) -> None:
        """Delete a record and its index entry."""
        ops: list[tuple[str, bytes | None]] = [("delegation/" + record["id"], None)]
        if record.get("token_accessor"):
            ops.append((f"accessor/{record['token_accessor']}/{record['id']}", None))
        self.view.apply(ops)

    # ----- state -------------------------------------------------------------------------------

    def status(self, record: Record, now: float | None = None) -> str:
        """``active``, ``revoked`` or ``expired`` from the record alone (the creating token
        is checked by :meth:`creator_alive`)."""
        now = time.time() if now is None else now
        if record.get("revoked"):
            return REVOKED
        expire_at = float(record.get("expire_at") or 0)
        if expire_at and now >= expire_at:
            return EXPIRED
        token_expire = float(record.get("token_expire_at") or 0)
        if token_expire and now >= token_expire and not record.get("token_accessor"):
            return EXPIRED  # a batch token cannot be renewed: its expiry is final
        return ACTIVE

    def creator_alive(self, record: Record, now: float | None = None) -> bool:
        """Whether the Vault token that created the delegation still exists and is unexpired.

        One read of the token store's accessor index; the token entry itself is read only
        once the expiry remembered at creation has passed (the token may have been renewed).
        An ended creator ends the delegation (recorded, so that lists show it).
        """
        now = time.time() if now is None else now
        accessor = record.get("token_accessor") or ""
        if not accessor:  # batch token: its expiry (status) is all there is
            return True
        tokens = self.core.token_store
        if not tokens.accessor_exists(accessor):
            self.end(record["id"], "the creating token was revoked", now)
            return False
        token_expire = float(record.get("token_expire_at") or 0)
        if token_expire and now >= token_expire:
            entry = tokens.lookup_accessor(accessor)
            if entry is None:
                self.end(record["id"], "the creating token expired", now)
                return False
            if entry.expire_at and entry.expire_at > token_expire:
                self.touch_token_expiry(record, entry.expire_at)
        return True

    def creator_expire_at(self, record: Record) -> float:
        """When the creating token expires now (0: never), renewals included."""
        accessor = record.get("token_accessor") or ""
        if not accessor:
            return float(record.get("token_expire_at") or 0)
        entry = self.core.token_store.lookup_accessor(accessor)
        return float(entry.expire_at or 0) if entry is not None else time.time()

    def is_active(self, record: Record, now: float | None = None) -> bool:
        """Active by its own state and its creating token's."""
        return self.status(record, now) == ACTIVE and self.creator_alive(record, now)

    def effective_status(self, record: Record, now: float | None = None) -> str:
        """:meth:`status`, with an ended creating token shown as ``revoked``."""
        state = self.status(record, now)
        if state == ACTIVE and not self.creator_alive(record, now):
            return REVOKED
        return state

    def tidy(self, now: float | None = None) -> int:
        """Remove delegations that ended more than :data:`RETENTION` seconds ago."""
        now = time.time() if now is None else now
        removed = 0
        for record in self.all():
            ended_at = 0.0
            if record.get("revoked"):
                ended_at = float(record.get("revoked_at") or 0)
            elif self.status(record, now) == EXPIRED:
                ended_at = min(
                    t for t in (record.get("expire_at"), record.get("token_expire_at")) if t
                )
            if ended_at and ended_at + RETENTION < now:
                self.remove(record)
                removed += 1
        return removed
