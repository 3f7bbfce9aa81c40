"""Agent registrations in storage: one store served by ``agent-registry/`` and ``identity/agent/``.

Layout below ``core/agent-registry/`` in the core's storage (independent of where, or
whether, the ``agent-registry`` mount is mounted)::

    registration/<id>                       the record (JSON)
    index/display-name/<sha256(name)>       registration id
    index/entity/<entity id>                registration id
    version                                 bumped by every write (optimistic concurrency)
    activity/<id>                           flushed request counters (see activity.py)

Every write re-reads what it depends on and commits with a compare-and-swap on
``version``, so two workers or nodes can never create two records for one entity or
one display name. Reads go through a per-process cache dropped when the core's cache
generation changes (every write bumps it): a change is seen on the next request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import uuid
from typing import TYPE_CHECKING, Any

from ...framework.errors import InvalidRequest, VaultError
from ...storage.view import StorageView, encode_json
from ..userpass.passwords import hash_password, verify_password
from .model import Record

if TYPE_CHECKING:
    from ...core.core import Core

__all__ = ["PREFIX", "RegistryStore"]

PREFIX = "core/agent-registry/"
_MISSING = object()
_RETRIES = 8


def _name_key(display_name: str) -> str:
    return "index/display-name/" + hashlib.sha256(display_name.encode()).hexdigest()


def _entity_key(entity_id: str) -> str:
    return "index/entity/" + entity_id


class ConflictError(VaultError):
    """Concurrent writers kept winning; the client may retry."""

    status = 409


class RegistryStore:
    """CRUD of registrations with per-process caching; thread- and process-safe writes."""

    def __init__(self, core: Core):
        self.core = core
        self.view = StorageView(core.storage, PREFIX)
        self._lock = threading.RLock()
        self._by_id: dict[str, Record | None] = {}
        self._by_entity: dict[str, str | None] = {}
        self._epoch = 0  # bumped by invalidate(): reads from before it are not cached after it

    def invalidate(self) -> None:
        """Forget cached records (the cache generation changed)."""
        with self._lock:
            self._epoch += 1
            self._by_id.clear()
            self._by_entity.clear()

    # ----- reads -------------------------------------------------------------------------------

    def get(self, reg_id: str) -> Record | None:
        """The registration with this id (cached)."""
        if not reg_id or "/" in reg_id:
            return None
        cached = self._by_id.get(reg_id, _MISSING)
        if cached is _MISSING:
            epoch = self._epoch
            cached = self.view.get_json("registration/" + reg_id)
            with self._lock:
                if self._epoch == epoch:
                    self._by_id[reg_id] = cached
        return cached  # type: ignore[return-value]

    def by_entity(self, entity_id: str) -> Record | None:
        """The registration of an entity (cached, negative answers too)."""
        if not entity_id or "/" in entity_id:
            return None
        reg_id = self._by_entity.get(entity_id, _MISSING)
        if reg_id is _MISSING:
            epoch = self._epoch
            raw = self.view.get(_entity_key(entity_id))
            reg_id = raw.decode() if raw is not None else None
            with self._lock:
                if self._epoch == epoch:
                    self._by_entity[entity_id] = reg_id
        return self.get(reg_id) if reg_id else None  # type: ignore[arg-type]

    def by_display_name(self, display_name: str) -> Record | None:
        """The registration with this display name."""
        if not display_name:
            return None
        raw = self.view.get(_name_key(display_name))
        return self.get(raw.decode()) if raw is not None else None

    def resolve(self, ref: str) -> Record | None:
        """A registration by id, else by display name."""
        return self.get(ref) or self.by_display_name(ref)

    def ids(self) -> list[str]:
        """Every registration id, sorted."""
        return [k for k in self.view.list("registration/") if not k.endswith("/")]

    def all(self) -> list[Record]:
        """Every registration, sorted by id."""
        return [r for r in (self.get(i) for i in self.ids()) if r is not None]

    # ----- writes ------------------------------------------------------------------------------

    def _commit(self, build) -> Any:
        """Run ``build(fresh_get) -> (ops, result)`` and commit it atomically with the version
        guard, retrying when another writer committed in between."""
        for _ in range(_RETRIES):
            version = self.view.get("version")

            def fresh(key: str) -> Any:
                return self.view.get_json(key)

            ops, result = build(fresh)
            ops = [*ops, ("version", uuid.uuid4().hex.encode())]
            if self.view.cas("version", version, ops):
                self.core.bump_generation()
                return result
        raise ConflictError("agent registry is being modified concurrently; retry the request")

    def save(self, record: Record, previous: Record | None) -> Record:
        """Create or replace a registration; 400 when its display name or entity is taken."""

        def build(fresh) -> tuple[list[tuple[str, bytes | None]], Record]:
            current = fresh("registration/" + record["id"]) if previous is not None else None
            if previous is not None and current is None:
                raise InvalidRequest("registration was deleted concurrently")
            owner = self.view.get(_name_key(record["display_name"]))
            if owner is not None and owner.decode() != record["id"]:
                raise InvalidRequest(
                    f'display_name "{record["display_name"]}" is already in use by another '
                    "registration"
                )
            owner = self.view.get(_entity_key(record["entity_id"]))
            if owner is not None and owner.decode() != record["id"]:
                raise InvalidRequest(
                    f'entity "{record["entity_id"]}" already has an agent registration '
                    f"({owner.decode()})"
                )
            ops: list[tuple[str, bytes | None]] = []
            if current is not None:
                if current["display_name"] != record["display_name"]:
                    ops.append((_name_key(current["display_name"]), None))
                if current["entity_id"] != record["entity_id"]:
                    ops.append((_entity_key(current["entity_id"]), None))
            ops.append((_name_key(record["display_name"]), record["id"].encode()))
            ops.append((_entity_key(record["entity_id"]), record["id"].encode()))
            ops.append(("registration/" + record["id"], encode_json(record)))
            return ops, record

        with self._lock:
            return self._commit(build)

    def delete(self, reg_id: str) -> bool:
        """Remove a registration and its indexes; False when it did not exist."""

        def build(fresh) -> tuple[list[tuple[str, bytes | None]], bool]:
            current = fresh("registration/" + reg_id)
            if current is None:
                return [], False
            return [
                (_name_key(current["display_name"]), None),
                (_entity_key(current["entity_id"]), None),
                ("registration/" + reg_id, None),
                ("activity/" + reg_id, None),
            ], True

        with self._lock:
            if self.view.get("registration/" + reg_id) is None:
                return False
            return self._commit(build)

    # ----- client secrets (agents that do not manage keys) ------------------------------------

    def new_client_secret(self, reg_id: str) -> str:
        """Generate, store (hashed) and return a new client secret for a registration."""
        record = self.get(reg_id)
        if record is None:
            raise InvalidRequest("registration not found")
        secret = "vab-cs-" + secrets.token_urlsafe(32)
        updated = dict(record)
        updated["client_secret_hash"] = hash_password(secret)  # scrypt (as userpass passwords)
        self.save(updated, record)
        return secret

    def verify_client_secret(self, reg_id: str, secret: str) -> bool:
        """Whether ``secret`` is the registration's current client secret."""
        record = self.get(reg_id)
        stored = (record or {}).get("client_secret_hash") or ""
        if stored.startswith("scrypt$"):
            return verify_password(secret, stored)
        try:
            _, salt, digest = stored.split("$")
        except ValueError:
            return False
        candidate = hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()
        return hmac.compare_digest(candidate, digest)
