"""Token storage: create, look up, count uses, renew and revoke (with the whole subtree)."""

from __future__ import annotations

import json
import threading
import time
from typing import TYPE_CHECKING

from ...core.ids import accessor_id, random_string, sha256_hex
from ...storage.view import StorageView, encode_json
from .entry import TokenEntry

if TYPE_CHECKING:
    from ...core.core import Core

ROOT_PATH = "auth/token/root"


class TokenStore:
    """Service tokens in storage under ``sys/token/``; ids never appear in keys."""

    SERVICE_PREFIX = "hvs."
    BATCH_PREFIX = "hvb."

    def __init__(self, core: Core):
        self.core = core
        self.view = StorageView(core.storage, "sys/token/")
        self._use_lock = threading.Lock()

    def setup(self) -> None:
        """Nothing to prepare yet; the dev root token is created by the server."""

    # ----- keys --------------------------------------------------------------------------------

    @staticmethod
    def _id_key(token_id: str) -> str:
        return "id/" + sha256_hex(token_id)

    @staticmethod
    def _accessor_key(accessor: str) -> str:
        return "accessor/" + accessor

    @staticmethod
    def _parent_key(parent_id: str, child_id: str) -> str:
        return f"parent/{sha256_hex(parent_id)}/{sha256_hex(child_id)}"

    # ----- create / read -----------------------------------------------------------------------

    def new_id(self, token_type: str = "service") -> str:
        """A fresh token id with Vault's prefix."""
        prefix = self.BATCH_PREFIX if token_type == "batch" else self.SERVICE_PREFIX
        return prefix + random_string(24 if token_type == "service" else 90)

    def create(self, entry: TokenEntry) -> TokenEntry:
        """Store a new token with its accessor and parent index, atomically."""
        if not entry.id:
            entry.id = self.new_id(entry.type)
        if not entry.accessor:
            entry.accessor = accessor_id()
        if self.view.get(self._id_key(entry.id)) is not None:
            from ...framework.errors import InvalidRequest

            raise InvalidRequest("cannot create a token with a duplicate ID")
        ops: list[tuple[str, bytes | None]] = [
            (self._id_key(entry.id), encode_json(entry.to_storage())),
            (self._accessor_key(entry.accessor), sha256_hex(entry.id).encode()),
        ]
        if entry.parent:
            ops.append((self._parent_key(entry.parent, entry.id), b"1"))
        self.view.apply(ops)
        return entry

    def create_root(self, token_id: str = "") -> TokenEntry:
        """A root token (no TTL), as ``vault server -dev`` prints."""
        entry = TokenEntry(
            id=token_id or self.new_id(),
            accessor="",
            policies=["root"],
            path=ROOT_PATH,
            display_name="root",
            renewable=False,
            ttl=0,
        )
        return self.create(entry)

    def _load_hashed(self, hashed: str) -> TokenEntry | None:
        raw = self.view.get("id/" + hashed)
        return None if raw is None else TokenEntry.from_storage(json.loads(raw))

    def lookup(self, token_id: str) -> TokenEntry | None:
        """The live entry of a token, or None (unknown, expired or revoked)."""
        if not token_id:
            return None
        entry = self._load_hashed(sha256_hex(token_id))
        if entry is None:
            return None
        if entry.expired():
            self.revoke(entry)
            return None
        return entry

    def lookup_accessor(self, accessor: str) -> TokenEntry | None:
        """The entry behind an accessor."""
        hashed = self.view.get(self._accessor_key(accessor))
        if hashed is None:
            return None
        entry = self._load_hashed(hashed.decode())
        if entry is None or entry.expired():
            return None
        return entry

    def accessors(self) -> list[str]:
        """Every live accessor."""
        return self.view.list("accessor/")

    def save(self, entry: TokenEntry) -> None:
        """Persist a changed entry (renewal, use count)."""
        self.view.put(self._id_key(entry.id), encode_json(entry.to_storage()))

    # ----- use ---------------------------------------------------------------------------------

    def use(self, entry: TokenEntry) -> tuple[TokenEntry, bool]:
        """Count one use of a limited-use token; returns (entry, this was the last use)."""
        if entry.num_uses <= 0:
            return entry, False
        with self._use_lock:
            fresh = self.lookup(entry.id)
            if fresh is None or fresh.num_uses <= 0:
                return entry, False
            fresh.num_uses -= 1
            last = fresh.num_uses == 0
            if last:
                fresh.num_uses = -1
            self.save(fresh)
            return fresh, last

    # ----- revoke ------------------------------------------------------------------------------

    def children(self, token_id: str) -> list[TokenEntry]:
        """Direct children of a token."""
        out = []
        for child_hash in self.view.list(f"parent/{sha256_hex(token_id)}/"):
            child = self._load_hashed(child_hash)
            if child is not None:
                out.append(child)
        return out

    def revoke(self, entry: TokenEntry, *, orphan_children: bool = False) -> None:
        """Revoke a token and, unless orphaning, its whole subtree (leaves first)."""
        if orphan_children:
            for child in self.children(entry.id):
                child.parent = ""
                self.view.apply(
                    [
                        (self._id_key(child.id), encode_json(child.to_storage())),
                        (self._parent_key(entry.id, child.id), None),
                    ]
                )
        else:
            stack = [entry]
            order: list[TokenEntry] = []
            while stack:
                current = stack.pop()
                order.append(current)
                stack.extend(self.children(current.id))
            for item in reversed(order[1:]):
                self._delete(item)
        self._delete(entry)

    def _delete(self, entry: TokenEntry) -> None:
        for callback in self.core.hooks.get("token_revoked", []):
            callback(entry)
        ops: list[tuple[str, bytes | None]] = [
            (self._id_key(entry.id), None),
            (self._accessor_key(entry.accessor), None),
        ]
        if entry.parent:
            ops.append((self._parent_key(entry.parent, entry.id), None))
        self.view.apply(ops)
        self.view.sub(f"parent/{sha256_hex(entry.id)}/").delete_prefix()

    def expire_at(self, ttl: int, now: float | None = None) -> float:
        """The expiry time for a TTL (0 = never)."""
        return (now or time.time()) + ttl if ttl else 0.0
