"""Token storage: create, look up, count uses, renew, revoke (whole subtrees) and tidy.

Layout below ``sys/token/`` (token ids never appear in keys):

- ``id/<h(id)>`` the entry, where ``h`` is :meth:`TokenStore.hash_token` (a salted HMAC);
- ``accessor/<accessor>`` → ``h(id)``;
- ``parent/<h(parent)>/<h(child)>`` the parent → child index;
- ``roles/<name>`` token roles; ``batch-key`` the batch token sealing key; ``salt`` the
  HMAC key of ``h``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
from typing import TYPE_CHECKING, Any

from ...core.ids import accessor_id, random_string
from ...framework.errors import InvalidRequest, PermissionDenied
from ...storage.view import StorageView, encode_json
from .batch import BatchTokenCodec
from .entry import BATCH, SERVICE, TokenEntry
from .ttl import TTLResult, calculate_ttl

if TYPE_CHECKING:
    from ...core.core import Core

SALT_KEY = "salt"
log = logging.getLogger(__name__)

ROOT_PATH = "auth/token/root"
TOKEN_MOUNT_PATH = "auth/token/"
_MAX_DEPTH = 256


class TokenStore:
    """Service tokens in storage under ``sys/token/``; batch tokens sealed in themselves."""

    SERVICE_PREFIX = "hvs."
    BATCH_PREFIX = "hvb."
    LEGACY_PREFIXES = ("s.", "b.")

    def __init__(self, core: Core):
        self.core = core
        self.view = StorageView(core.storage, "sys/token/")
        self._salt: bytes | None = None
        self.batch = BatchTokenCodec(self.view)
        self._use_lock = threading.Lock()
        self._tidy_lock = threading.Lock()
        core.hooks.setdefault("tidy", []).append(self.tidy)  # expired tokens, in the background

    def setup(self) -> None:
        """Make sure the batch token key and the token salt exist (the dev root token is
        created by the server)."""
        self.batch.key()
        self._salt = self._load_salt()

    # ----- keys --------------------------------------------------------------------------------

    def _load_salt(self) -> bytes:
        """The salt of token hashes, created once for all processes and nodes (it is stored
        behind the barrier, so the clear storage keys reveal nothing about a token)."""
        salt = self.view.get(SALT_KEY)
        if salt is None:
            self.view.apply_if_absent(SALT_KEY, [(SALT_KEY, secrets.token_hex(32).encode())])
            salt = self.view.get(SALT_KEY)
        assert salt is not None
        return salt

    def hash_token(self, token_id: str) -> str:
        """Salted HMAC-SHA256 of a token id, as Vault's salted token hashes: what every
        storage key derived from a token uses (its entry, parent index, cubbyhole, leases,
        wrapping claims). Whoever reads the database cannot test a token against it."""
        salt = self._salt or self._load_salt()
        self._salt = salt
        return hmac.new(salt, token_id.encode(), hashlib.sha256).hexdigest()

    def _id_key(self, token_id: str) -> str:
        return "id/" + self.hash_token(token_id)

    @staticmethod
    def _accessor_key(accessor: str) -> str:
        return "accessor/" + accessor

    def _parent_key(self, parent_id: str, child_id: str) -> str:
        return f"parent/{self.hash_token(parent_id)}/{self.hash_token(child_id)}"

    # ----- TTLs --------------------------------------------------------------------------------

    def mount_ttls(self, path: str = TOKEN_MOUNT_PATH) -> tuple[int, int]:
        """(default, max) TTL of the mount serving ``path`` (the system's when unmounted)."""
        routed = self.core.route(path)
        return self.core.mount_ttls(routed[0] if routed else None)

    def calculate_ttl(self, path: str, **kwargs: Any) -> TTLResult:
        """:func:`ttl.calculate_ttl` with the TTLs of the mount serving ``path``."""
        default_ttl, max_ttl = self.mount_ttls(path)
        return calculate_ttl(default_ttl=default_ttl, max_ttl=max_ttl, **kwargs)

    # ----- create ------------------------------------------------------------------------------

    def new_id(self, token_type: str = SERVICE) -> str:
        """A fresh service token id with Vault's prefix."""
        return self.SERVICE_PREFIX + random_string(24)

    def create(self, entry: TokenEntry) -> TokenEntry:
        """Store a new service token (with accessor and parent index, atomically) or seal a
        batch token. A caller-chosen id is validated as Vault does (400 on a bad one)."""
        if entry.type == BATCH:
            entry.id = self.BATCH_PREFIX + self.batch.seal(entry)
            entry.accessor = ""
            entry.renewable = False
            return entry
        entry.type = SERVICE
        custom = bool(entry.id)
        if custom:
            self._check_custom_id(entry.id)
        else:
            entry.id = self.new_id()
        if not entry.accessor:
            entry.accessor = accessor_id()
        if not entry.issue_time:
            entry.issue_time = entry.creation_time
        if not entry.lease_ttl:
            entry.lease_ttl = entry.ttl
        ops: list[tuple[str, bytes | None]] = [
            (self._id_key(entry.id), encode_json(entry.to_storage())),
            (self._accessor_key(entry.accessor), self.hash_token(entry.id).encode()),
        ]
        if entry.parent:
            ops.append((self._parent_key(entry.parent, entry.id), b"1"))
        if not self.view.apply_if_absent(self._id_key(entry.id), ops):
            raise InvalidRequest("cannot create a token with a duplicate ID")
        if entry.parent:
            # The parent may have been revoked while this child was being written; its
            # revocation marks it before listing its children, so either that listing saw
            # this child or this check sees the mark (or the parent gone).
            parent = self._load(entry.parent)
            if parent is None or parent.revoking:
                self._delete(entry)
                raise PermissionDenied()
        return entry

    def _check_custom_id(self, token_id: str) -> None:
        if token_id.startswith(self.SERVICE_PREFIX):
            raise InvalidRequest("custom token ID cannot have the 'hvs.' prefix")
        if token_id.startswith("s."):
            raise InvalidRequest("custom token ID cannot have the 's.' prefix")
        if "." in token_id:
            raise InvalidRequest("custom token ID cannot have a '.' in the value")

    def create_root(self, token_id: str = "") -> TokenEntry:
        """A root token without TTL. With a chosen id it looks like the one ``server -dev
        -dev-root-token-id`` creates (made through ``auth/token/create``)."""
        entry = TokenEntry(
            id="",
            accessor="",
            policies=["root"],
            path="auth/token/create" if token_id else ROOT_PATH,
            display_name="token" if token_id else "root",
            renewable=False,
            ttl=0,
        )
        if token_id:
            existing = self.lookup(token_id)
            if existing is not None:
                return existing
            entry.id = token_id
            entry.accessor = accessor_id()
            entry.issue_time = entry.creation_time
            ops: list[tuple[str, bytes | None]] = [
                (self._id_key(entry.id), encode_json(entry.to_storage())),
                (self._accessor_key(entry.accessor), self.hash_token(entry.id).encode()),
            ]
            if not self.view.apply_if_absent(self._id_key(entry.id), ops):
                raise InvalidRequest("cannot create a token with a duplicate ID")
            return entry
        return self.create(entry)

    # ----- read --------------------------------------------------------------------------------

    def _load_hashed(self, hashed: str) -> TokenEntry | None:
        raw = self.view.get("id/" + hashed)
        return None if raw is None else TokenEntry.from_storage(json.loads(raw))

    def _load(self, token_id: str) -> TokenEntry | None:
        return self._load_hashed(self.hash_token(token_id))

    def is_batch_id(self, token_id: str) -> bool:
        """Whether an id has the batch token prefix."""
        return token_id.startswith((self.BATCH_PREFIX, "b."))

    def lookup(self, token_id: str, *, usable_only: bool = False) -> TokenEntry | None:
        """The live entry of a token, or None (unknown, expired, revoked, or an ancestor
        expired).

        A token whose last use is in progress (``num_uses == -1``) is returned unless
        ``usable_only`` (Vault's ``Lookup`` versus its "tainted" lookup).
        """
        if not token_id:
            return None
        if self.is_batch_id(token_id):
            return self._lookup_batch(token_id)
        entry = self._load(token_id)
        if entry is None or entry.revoking:
            return None
        if entry.num_uses < 0 and usable_only:
            return None
        if entry.policies == ["root"] and not entry.ttl and not entry.expire_at:
            return entry
        if entry.expired():
            self.revoke(entry)
            return None
        if entry.parent and not self._ancestors_alive(entry):
            return None
        return entry

    def _lookup_batch(self, token_id: str) -> TokenEntry | None:
        body = token_id.split(".", 1)[1]
        entry = self.batch.unseal(token_id, body)
        if entry is None or entry.expired():
            return None
        if entry.parent and self.lookup(entry.parent, usable_only=True) is None:
            return None
        return entry

    def _ancestors_alive(self, entry: TokenEntry) -> bool:
        """Walk up the parent chain; an expired ancestor is revoked with its whole subtree.

        A missing ancestor does not invalidate the token (Vault's tidy turns such children
        into orphans); expiry is what a timer would have revoked in Vault.
        """
        seen = {entry.id}
        parent_id = entry.parent
        for _ in range(_MAX_DEPTH):
            if not parent_id or parent_id in seen:
                return True
            seen.add(parent_id)
            parent = self._load(parent_id)
            if parent is None:
                return True
            if parent.revoking:
                return False
            if parent.expired():
                self.revoke(parent)
                return False
            parent_id = parent.parent
        return True

    def lookup_accessor(self, accessor: str, *, usable_only: bool = False) -> TokenEntry | None:
        """The live entry behind an accessor (see :meth:`lookup`)."""
        if not accessor:
            return None
        hashed = self.view.get(self._accessor_key(accessor))
        if hashed is None:
            return None
        entry = self._load_hashed(hashed.decode())
        if entry is None:
            return None
        return self.lookup(entry.id, usable_only=usable_only)

    def accessor_exists(self, accessor: str) -> bool:
        """Whether an accessor index entry exists (even if its token is gone)."""
        return bool(accessor) and self.view.get(self._accessor_key(accessor)) is not None

    def accessors(self) -> list[str]:
        """Every accessor in the index."""
        return [a for a in self.view.list("accessor/") if not a.endswith("/")]

    def save(self, entry: TokenEntry) -> None:
        """Persist a changed entry (renewal, use count, orphaning)."""
        if entry.type == BATCH:
            return
        self.view.put(self._id_key(entry.id), encode_json(entry.to_storage()))

    # ----- use ---------------------------------------------------------------------------------

    def use(self, entry: TokenEntry) -> TokenEntry | None:
        """Count one use of a limited-use token (atomically, across processes).

        Returns the fresh entry (``num_uses`` is -1 when this is its last use: the caller
        revokes it after the request), or None when the token is gone or used up.
        """
        if entry.num_uses == 0 or entry.type == BATCH:
            return entry
        key = self._id_key(entry.id)
        with self._use_lock:
            for _ in range(100):
                raw = self.view.get(key)
                if raw is None:
                    return None
                fresh = TokenEntry.from_storage(json.loads(raw))
                if fresh.num_uses < 0 or self.lookup(fresh.id, usable_only=True) is None:
                    return None
                if fresh.num_uses == 0:
                    return fresh
                fresh.num_uses = -1 if fresh.num_uses == 1 else fresh.num_uses - 1
                if self.view.cas(key, raw, [(key, encode_json(fresh.to_storage()))]):
                    return fresh
        raise RuntimeError("could not record a token use: too much contention")

    # ----- renew -------------------------------------------------------------------------------

    def renew(
        self,
        entry: TokenEntry,
        increment: int,
        *,
        period: int,
        explicit_max_ttl: int,
        backend_ttl: int | None = None,
        backend_max_ttl: int = 0,
    ) -> TTLResult:
        """Extend a token's lease (Vault's RenewToken); 400 when it is not renewable."""
        renewable, reason = entry.lease_renewable()
        if not renewable:
            raise InvalidRequest(reason or "lease is not renewable")
        result = self.calculate_ttl(
            entry.path,
            increment=increment,
            backend_ttl=entry.lease_ttl if backend_ttl is None else backend_ttl,
            period=period,
            backend_max_ttl=backend_max_ttl,
            explicit_max_ttl=explicit_max_ttl,
            start_time=entry.issued_at,
        )
        now = time.time()
        entry.lease_ttl = result.ttl
        entry.expire_at = now + result.ttl
        entry.last_renewal_time = now
        self.save(entry)
        return result

    # ----- revoke ------------------------------------------------------------------------------

    def children(self, token_id: str) -> list[TokenEntry]:
        """Direct children of a token."""
        out = []
        for child_hash in self.view.list(f"parent/{self.hash_token(token_id)}/"):
            child = self._load_hashed(child_hash)
            if child is not None:
                out.append(child)
        return out

    def revoke_by_id(self, token_id: str, *, orphan_children: bool = False) -> bool:
        """Revoke a service token by id (even one whose last use is in progress)."""
        entry = self._load(token_id) if token_id and not self.is_batch_id(token_id) else None
        if entry is None:
            return False
        self.revoke(entry, orphan_children=orphan_children)
        return True

    def revoke(self, entry: TokenEntry, *, orphan_children: bool = False) -> None:
        """Revoke a token and, unless orphaning, its whole subtree (leaves first)."""
        if entry.type == BATCH:
            return
        if orphan_children:
            for child in self.children(entry.id):
                child.parent = ""
                self.view.apply(
                    [
                        (self._id_key(child.id), encode_json(child.to_storage())),
                        (self._parent_key(entry.id, child.id), None),
                    ]
                )
            self._delete(entry)
            return
        order: list[TokenEntry] = []
        seen: set[str] = set()
        stack = [entry]
        while stack:
            current = stack.pop()
            if current.id in seen:
                continue
            seen.add(current.id)
            if not current.revoking:
                # Marked before its children are listed: a child created from now on
                # finds the mark and removes itself (see create).
                current.revoking = True
                self.view.put(self._id_key(current.id), encode_json(current.to_storage()))
            order.append(current)
            stack.extend(self.children(current.id))
        for item in reversed(order):
            self._delete(item)

    def _delete(self, entry: TokenEntry) -> None:
        for callback in self.core.hooks.get("token_revoked", []):
            try:
                callback(entry)
            except Exception:  # a cleanup hook must not keep the token alive
                log.exception("token_revoked hook failed")
        ops: list[tuple[str, bytes | None]] = [(self._id_key(entry.id), None)]
        if entry.accessor:
            ops.append((self._accessor_key(entry.accessor), None))
        if entry.parent:
            ops.append((self._parent_key(entry.parent, entry.id), None))
        self.view.apply(ops)
        self.view.sub(f"parent/{self.hash_token(entry.id)}/").delete_prefix()

    # ----- tidy --------------------------------------------------------------------------------

    def try_tidy(self) -> bool:
        """Start a tidy in the background; False when one is already running here."""
        if not self._tidy_lock.acquire(blocking=False):
            return False

        def run() -> None:
            try:
                stats = self._tidy()
                log.info("token tidy finished: %s", stats)
            except Exception:
                log.exception("token tidy failed")
            finally:
                self._tidy_lock.release()

        threading.Thread(target=run, name="token-tidy", daemon=True).start()
        return True

    def tidy(self) -> dict[str, int]:
        """Run a tidy now (waits for a running one); returns what was cleaned."""
        with self._tidy_lock:
            return self._tidy()

    def _tidy(self) -> dict[str, int]:
        stats = {"orphaned": 0, "parent_index": 0, "accessors": 0, "expired": 0, "cubbyholes": 0}
        # 1. Parent index: children of a missing parent become orphans; dead children go.
        for parent_hash in self.view.list("parent/"):
            parent_hash = parent_hash.rstrip("/")
            parent_exists = self._load_hashed(parent_hash) is not None
            for child_hash in self.view.list(f"parent/{parent_hash}/"):
                child = self._load_hashed(child_hash)
                key = f"parent/{parent_hash}/{child_hash}"
                if child is not None and not parent_exists:
                    child.parent = ""
                    self.view.apply([(self._id_key(child.id), encode_json(child.to_storage()))])
                    stats["orphaned"] += 1
                if child is None or not parent_exists:
                    self.view.delete(key)
                    stats["parent_index"] += 1
        # 2. Accessors whose token is gone; expired tokens.
        live_hashes: set[str] = set()
        for accessor in self.accessors():
            hashed = self.view.get(self._accessor_key(accessor))
            entry = self._load_hashed(hashed.decode()) if hashed else None
            if entry is None:
                self.view.delete(self._accessor_key(accessor))
                stats["accessors"] += 1
                continue
            if entry.revoking or (
                entry.expired() and not (entry.policies == ["root"] and not entry.expire_at)
            ):
                self.revoke(entry)
                stats["expired"] += 1
                continue
            live_hashes.add(self.hash_token(entry.id))
        for hashed in self.view.list("id/"):
            if hashed not in live_hashes and self._load_hashed(hashed) is not None:
                live_hashes.add(hashed)
        # 3. Cubbyholes of tokens that no longer exist.
        cubby = self.core.mount_by_path("mounts", "cubbyhole/")
        if cubby is not None:
            view = StorageView(self.core.storage, cubby.storage_prefix)
            for key in view.list(""):
                name = key.rstrip("/")
                if name not in live_hashes and len(name) == 64:
                    view.sub(key if key.endswith("/") else key + "/").delete_prefix()
                    stats["cubbyholes"] += 1
        return stats
