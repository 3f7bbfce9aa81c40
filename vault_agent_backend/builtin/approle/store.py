"""Storage of an AppRole mount.

Layout below the mount's storage view (no secret ID is ever stored in clear)::

    salt                                   random per-mount salt (created once, atomically)
    role/<lower-cased name>                RoleEntry
    role_id/<HMAC(salt, role_id)>          {"name": role name}: login's role_id -> role
    secret_id/<HMAC(k, name)>/<HMAC(k, secret_id)>   SecretIDEntry; k = the role's hmac_key
    accessor/<HMAC(salt, accessor)>        {"secret_id_hmac": ...}: accessor -> secret ID
    secret_id_local/..., accessor_local/...   the same for roles with local_secret_ids

Multi-entry changes go through one atomic ``apply``; a secret ID's use count is consumed
with a compare-and-swap on its entry, so two workers cannot both spend its last use.
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass

from ...framework.errors import InvalidRequest
from ...storage.base import Op
from ...storage.view import StorageView, encode_json
from .model import (
    ACCESSOR_LOCAL_PREFIX,
    ACCESSOR_PREFIX,
    SECRET_ID_LOCAL_PREFIX,
    SECRET_ID_PREFIX,
    RoleEntry,
    SecretIDEntry,
)
from .util import hmac_hex, now

SALT_KEY = "salt"
CAS_ATTEMPTS = 8


@dataclass
class StoredSecret:
    """A secret ID entry as read: where it is, its raw bytes (for CAS) and its content."""

    key: str
    raw: bytes
    entry: SecretIDEntry


class AppRoleStore:
    """Roles, the role_id index, secret IDs and their accessor index of one mount."""

    def __init__(self, storage: StorageView):
        self.storage = storage
        self.lock = threading.RLock()
        self._salt: str | None = None

    # ----- salt --------------------------------------------------------------------------------

    def salt(self) -> str:
        """The mount's salt, created on first use (the first writer wins across workers)."""
        if self._salt is None:
            current = self.storage.get_json(SALT_KEY)
            if current is None:
                fresh = {"salt": secrets.token_hex(32)}
                self.storage.cas(SALT_KEY, None, [(SALT_KEY, encode_json(fresh))])
                current = self.storage.get_json(SALT_KEY)
            self._salt = str(current["salt"])
        return self._salt

    def salted(self, value: str, what: str) -> str:
        """HMAC of an identifier under the mount's salt (index keys)."""
        return hmac_hex(self.salt(), value, what)

    # ----- roles -------------------------------------------------------------------------------

    def role(self, name: str) -> RoleEntry | None:
        """The role (name case-insensitive), or None."""
        if not name:
            return None
        raw = self.storage.get_json("role/" + name.lower())
        if raw is None:
            return None
        role = RoleEntry.load(raw)
        role.name = name.lower()
        return role

    def role_names(self) -> list[str]:
        """Every role name, sorted."""
        return [k for k in self.storage.list("role/") if not k.endswith("/")]

    def role_by_role_id(self, role_id: str) -> RoleEntry | None:
        """The role a login's ``role_id`` belongs to, or None."""
        if not role_id:
            return None
        index = self.storage.get_json("role_id/" + self.salted(role_id, "role_id"))
        if index is None:
            return None
        role = self.role(str(index.get("name", "")))
        if role is None or role.role_id != role_id:
            return None
        return role

    def save_role(self, role: RoleEntry, previous_role_id: str = "") -> None:
        """Persist a role and its role_id index; 400 when the role_id belongs to another role
        or the role would have no constraint at all."""
        if not role.has_constraint():
            raise InvalidRequest("at least one constraint should be enabled on the role")
        index_key = "role_id/" + self.salted(role.role_id, "role_id")
        current = self.storage.get(index_key)
        if current is not None and json.loads(current).get("name") != role.name:
            raise InvalidRequest("role_id already in use")
        ops: list[Op] = [("role/" + role.name, encode_json(role.to_storage()))]
        if previous_role_id and previous_role_id != role.role_id:
            ops.append(("role_id/" + self.salted(previous_role_id, "role_id"), None))
        if current is None:
            ops.append((index_key, encode_json({"name": role.name})))
        if not self.storage.cas(index_key, current, ops):
            raise InvalidRequest("role_id already in use")

    def delete_role(self, role: RoleEntry) -> None:
        """Remove a role, its role_id index, its secret IDs and their accessors, atomically."""
        ops: list[Op] = [("role/" + role.name, None)]
        if role.role_id:
            ops.append(("role_id/" + self.salted(role.role_id, "role_id"), None))
        folder = self._secret_folder(role)
        for secret_hmac in self.storage.list(folder):
            loaded = self._load_secret(folder + secret_hmac)
            if loaded is not None and loaded.entry.accessor:
                ops.append((self._accessor_key(role, loaded.entry.accessor), None))
            ops.append((folder + secret_hmac, None))
        self.storage.apply(ops)

    # ----- secret IDs --------------------------------------------------------------------------

    def _secret_folder(self, role: RoleEntry) -> str:
        return f"{role.secret_id_prefix}{hmac_hex(role.hmac_key, role.name, 'role_name')}/"

    def _accessor_key(self, role: RoleEntry, accessor: str) -> str:
        return role.accessor_prefix + self.salted(accessor, "secret_id_accessor")

    def _load_secret(self, key: str) -> StoredSecret | None:
        raw = self.storage.get(key)
        if raw is None:
            return None
        return StoredSecret(key, raw, SecretIDEntry.load(json.loads(raw)))

    def secret(self, role: RoleEntry, secret_id: str) -> StoredSecret | None:
        """The live entry of a secret ID of ``role``, or None (unknown, expired or orphaned)."""
        key = self._secret_folder(role) + hmac_hex(role.hmac_key, secret_id, "secret_id")
        return self._live(role, self._load_secret(key))

    def _live(self, role: RoleEntry, stored: StoredSecret | None) -> StoredSecret | None:
        if stored is None or stored.entry.expired(now()):
            return None
        if self.storage.get(self._accessor_key(role, stored.entry.accessor)) is None:
            # An entry whose accessor index is gone was half-deleted: finish the job.
            self.storage.cas(stored.key, stored.raw, [(stored.key, None)])
            return None
        return stored

    def secret_by_accessor(self, role: RoleEntry, accessor: str) -> StoredSecret | None:
        """The live entry behind an accessor of ``role``, or None."""
        if not accessor:
            return None
        index = self.storage.get_json(self._accessor_key(role, accessor))
        if index is None:
            return None
        key = self._secret_folder(role) + str(index.get("secret_id_hmac", ""))
        stored = self._live(role, self._load_secret(key))
        if stored is None or stored.entry.accessor != accessor:
            return None
        return stored

    def accessor_known(self, role: RoleEntry, accessor: str) -> bool:
        """Whether the accessor index has an entry for ``accessor``."""
        return bool(accessor) and self.storage.get(self._accessor_key(role, accessor)) is not None

    def register_secret(self, role: RoleEntry, secret_id: str, entry: SecretIDEntry) -> None:
        """Store a new secret ID (hashed) and its accessor; 400 when it is already registered.

        ``entry.accessor`` and the times must be set by the caller.
        """
        secret_hmac = hmac_hex(role.hmac_key, secret_id, "secret_id")
        key = self._secret_folder(role) + secret_hmac
        existing = self._load_secret(key)
        ops: list[Op] = []
        if existing is not None:
            if self._live(role, existing) is not None:
                raise InvalidRequest("failed to store secret_id: SecretID is already registered")
            ops.append((self._accessor_key(role, existing.entry.accessor), None))
        ops.append(
            (self._accessor_key(role, entry.accessor), encode_json({"secret_id_hmac": secret_hmac}))
        )
        ops.append((key, encode_json(entry.to_storage())))
        expected = existing.raw if existing is not None else None
        if not self.storage.cas(key, expected, ops):
            raise InvalidRequest("failed to store secret_id: SecretID is already registered")

    def delete_secret(self, role: RoleEntry, stored: StoredSecret) -> None:
        """Remove a secret ID and its accessor index."""
        self.storage.apply(
            [(self._accessor_key(role, stored.entry.accessor), None), (stored.key, None)]
        )

    def consume(self, role: RoleEntry, stored: StoredSecret) -> bool:
        """Spend one use of a limited secret ID (the last one deletes it); False when the entry
        changed meanwhile (the caller re-reads and retries). Unlimited ones cost nothing."""
        entry = stored.entry
        if entry.num_uses <= 0:
            return True
        if entry.num_uses == 1:
            ops: list[Op] = [
                (self._accessor_key(role, entry.accessor), None),
                (stored.key, None),
            ]
        else:
            entry.num_uses -= 1
            entry.updated = now()
            ops = [(stored.key, encode_json(entry.to_storage()))]
        return self.storage.cas(stored.key, stored.raw, ops)

    def accessors(self, role: RoleEntry) -> list[str]:
        """The accessors of the role's live secret IDs, sorted."""
        folder = self._secret_folder(role)
        at = now()
        out = []
        for secret_hmac in self.storage.list(folder):
            stored = self._load_secret(folder + secret_hmac)
            if stored is not None and not stored.entry.expired(at) and stored.entry.accessor:
                out.append(stored.entry.accessor)
        return sorted(out)

    # ----- tidy --------------------------------------------------------------------------------

    def tidy(self) -> int:
        """Delete expired secret IDs, entries without an accessor and accessors without an
        entry; the number of storage entries removed."""
        removed = 0
        for secret_prefix, accessor_prefix in (
            (SECRET_ID_PREFIX, ACCESSOR_PREFIX),
            (SECRET_ID_LOCAL_PREFIX, ACCESSOR_LOCAL_PREFIX),
        ):
            with self.lock:
                removed += self._tidy_prefix(secret_prefix, accessor_prefix)
        return removed

    def _tidy_prefix(self, secret_prefix: str, accessor_prefix: str) -> int:
        at = now()
        accessor_keys = {k for k in self.storage.list(accessor_prefix) if not k.endswith("/")}
        keep: set[str] = set()
        ops: list[Op] = []
        for role_folder in self.storage.list(secret_prefix):
            if not role_folder.endswith("/"):
                continue
            for secret_hmac in self.storage.list(secret_prefix + role_folder):
                key = secret_prefix + role_folder + secret_hmac
                stored = self._load_secret(key)
                if stored is None:
                    continue
                salted = self.salted(stored.entry.accessor, "secret_id_accessor")
                if salted not in accessor_keys or stored.entry.expired(at):
                    ops.append((key, None))
                else:
                    keep.add(salted)
        ops.extend((accessor_prefix + k, None) for k in sorted(accessor_keys - keep))
        if ops:
            self.storage.apply(ops)
        return len(ops)
