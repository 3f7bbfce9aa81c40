"""The identity store: entities (with their aliases) and groups in storage, plus caches.

Layout below the identity mount's storage view::

    entity/<id>                         the entity record, aliases embedded (as Vault)
    group/<id>                          the group record, its alias embedded
    index/entity-name/<sha256(name)>    entity id (names are case-insensitive)
    index/alias-id/<alias id>           entity id owning the alias
    index/alias/<sha256(acc\\0name)>     alias id for (mount accessor, lower-cased name)
    index/alias-ext/<sha256(iss\\0ext)>  alias id for (issuer, external_id)
    index/merged-entity/<id>            id of the entity a merged-away entity lives on in
                                        (every id of its ``merged_entity_ids``)
    index/merged-entity-ready           marker: the merged-entity index is complete
    version                             random token replaced by every write

Every write is a read-modify-write run in a transaction (``for attempt in
store.transaction(): with attempt: ...``): the attempt reads ``version`` first, reads the
records it needs fresh from storage (not from the caches, which may lag behind another
worker process), checks uniqueness and commits the records, their index keys and a new
``version`` in one compare-and-swap on ``version``. When another process (or node) wrote in
between, the swap fails and the whole attempt runs again on the new state (bounded), so a
name, an alias's (mount accessor, name) or (issuer, external_id), or an entity's one alias
per mount are never claimed twice and no acknowledged write is lost; the loser gets
Vault's answer for the state it then sees. Every write bumps the core's cache generation so
that all workers and nodes drop their caches. Reads outside transactions go through
per-process caches (entities one by one, groups as one snapshot) that are cleared when the
generation changes.
"""

from __future__ import annotations

import copy
import hashlib
import random
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from ...framework.errors import VaultError
from ...storage.view import StorageView, encode_json
from .models import Record, cloned, generated_name

if TYPE_CHECKING:
    from ...core.core import Core

_MISSING = object()
VERSION = "version"
_RETRIES = 40


class ConflictError(VaultError):
    """Concurrent writers kept winning; the client may retry."""

    status = 409


class _Conflict(Exception):
    """Raised by a commit whose compare-and-swap lost: the attempt runs again."""


class Attempt:
    """One try of a transaction: holds the store's lock, reads fresh, commits by CAS."""

    def __init__(self, store: IdentityStore):
        self.store = store
        self.version: bytes | None = None
        self.entities: dict[str, Any] = {}
        self.groups: dict[str, Record] | None = None
        self.committed = False
        self.conflicted = False

    def __enter__(self) -> Attempt:
        self.store.lock.acquire()
        try:
            self.version = self.store.view.get(VERSION)
        except BaseException:
            self.store.lock.release()
            raise
        self.store._local.attempt = self
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        self.store._local.attempt = None
        try:
            if exc_type is None:
                return False
            if exc_type is _Conflict:
                self.conflicted = True
                return True
            if not self.committed and isinstance(exc, Exception):
                # An answer (e.g. a 400) computed from a state another process changed
                # meanwhile is not trusted: run again on the new state.
                try:
                    moved = self.store.view.get(VERSION) != self.version
                except Exception:
                    return False
                if moved:
                    self.conflicted = True
                    return True
            return False
        finally:
            self.store.lock.release()

    def forget(self) -> None:
        """Drop what this attempt read (after it committed)."""
        self.entities.clear()
        self.groups = None


class _Joined:
    """A transaction opened inside another one on the same thread: part of the outer one."""

    conflicted = False

    def __enter__(self) -> _Joined:
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        return False


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def name_key(name: str) -> str:
    """Index key of an entity name."""
    return "index/entity-name/" + _digest(name.lower())


def alias_factor_key(mount_accessor: str, name: str) -> str:
    """Index key of an entity alias's (mount accessor, name)."""
    return "index/alias/" + _digest(mount_accessor, name.lower())


def alias_external_key(issuer: str, external_id: str) -> str:
    """Index key of an entity alias's (issuer, external_id)."""
    return "index/alias-ext/" + _digest(issuer, external_id)


MERGED_PREFIX = "index/merged-entity/"
MERGED_READY = "index/merged-entity-ready"


def _alias_keys(entity_id: str, alias: Record) -> dict[str, str]:
    keys = {"index/alias-id/" + alias["id"]: entity_id}
    if alias.get("mount_accessor"):
        keys[alias_factor_key(alias["mount_accessor"], alias["name"])] = alias["id"]
    if alias.get("issuer"):
        keys[alias_external_key(alias["issuer"], alias.get("external_id", ""))] = alias["id"]
    return keys


def _entity_keys(entity: Record) -> dict[str, str]:
    keys = {name_key(entity["name"]): entity["id"]}
    for alias in entity.get("aliases") or []:
        keys.update(_alias_keys(entity["id"], alias))
    for merged_id in entity.get("merged_entity_ids") or []:
        keys[MERGED_PREFIX + merged_id] = entity["id"]
    return keys


class IdentityStore:
    """Storage and caches of the identity mount; shared by its API and the core's hooks."""

    def __init__(self, core: Core | None, view: StorageView):
        self.core = core
        self.view = view
        self.lock = threading.RLock()
        """Held by every write (read-modify-write of records and indexes)."""
        self._entities: dict[str, Record | None] = {}
        self._groups: dict[str, Record] | None = None
        self._merged: dict[str, str | None] = {}
        self._merged_ready = False
        self.states: dict[str, Any] = {}
        """Caller states per entity id (filled by ``state.caller_state``)."""
        self.epoch = 0
        """Bumped by every invalidation: a value read before it changed is not cached."""
        self._local = threading.local()

    # ----- transactions ------------------------------------------------------------------------

    def current(self) -> Attempt | None:
        """The transaction attempt running on this thread, if any."""
        return getattr(self._local, "attempt", None)

    def transaction(self) -> Iterator[Attempt | _Joined]:
        """Attempts of one atomic read-modify-write::

            for attempt in store.transaction():
                with attempt:
                    ...  # read (fresh), check, save_entities / save_groups (at most once)

        An attempt whose commit lost the compare-and-swap (or whose error was computed from a
        state that changed meanwhile) runs again; 409 after too many losses.
        """
        if self.current() is not None:
            yield _Joined()
            return
        for n in range(_RETRIES):
            attempt = Attempt(self)
            yield attempt
            if not attempt.conflicted:
                return
            time.sleep(random.uniform(0, min(0.05, 0.001 * 2 ** min(n, 6))))
        raise ConflictError("identity store is being modified concurrently; retry the request")

    # ----- cache -------------------------------------------------------------------------------

    def invalidate(self) -> None:
        """Drop every cached record (another process, or this one, changed identity state)."""
        with self.lock:
            self.epoch += 1
            self._entities.clear()
            self._merged.clear()
            self._groups = None
            self.states.clear()

    def _commit(self, ops: dict[str, bytes | None]) -> None:
        new_version = uuid.uuid4().hex.encode()
        batch = [*ops.items(), (VERSION, new_version)]
        attempt = self.current()
        if attempt is None:  # (every write path runs in a transaction; this one is blind)
            self.view.apply(batch)
        else:
            if not self.view.cas(VERSION, attempt.version, batch):
                raise _Conflict()
            attempt.version = new_version
            attempt.committed = True
            attempt.forget()
        if self.core is not None:
            self.core.bump_generation()
        else:
            self.invalidate()

    # ----- entities ----------------------------------------------------------------------------

    def entity(self, entity_id: str, *, clone: bool = False) -> Record | None:
        """The entity with this id, or None. ``clone`` gives a private copy to modify."""
        if not entity_id:
            return None
        attempt = self.current()
        if attempt is not None:  # fresh from storage, once per attempt
            record = attempt.entities.get(entity_id, _MISSING)
            if record is _MISSING:
                record = None if "/" in entity_id else self.view.get_json("entity/" + entity_id)
                attempt.entities[entity_id] = record
            if record is None:
                return None
            return cloned(record) if clone else record  # type: ignore[arg-type]
        record = self._entities.get(entity_id, _MISSING)
        if record is _MISSING:
            epoch = self.epoch
            record = None if "/" in entity_id else self.view.get_json("entity/" + entity_id)
            with self.lock:
                if self.epoch == epoch:
                    self._entities[entity_id] = record
        if record is None:
            return None
        return cloned(record) if clone else record  # type: ignore[arg-type]

    def merged_into(self, entity_id: str) -> str | None:
        """The id of the entity that ``entity_id`` was merged into (directly or through later
        merges), or None: Vault's ``MemDBEntityByMergedEntityID``, which resolves the entity
        of a token whose own entity was merged away."""
        if not entity_id or "/" in entity_id:
            return None
        target = self._merged.get(entity_id, _MISSING) if self.current() is None else _MISSING
        if target is _MISSING:
            self._ensure_merged_index()
            epoch = self.epoch
            raw = self.view.get(MERGED_PREFIX + entity_id)
            target = None if raw is None else raw.decode()
            if target is not None:  # only an entity that still lists the id
                record = self.entity(target)
                if record is None or entity_id not in (record.get("merged_entity_ids") or []):
                    target = None
            with self.lock:
                if self.epoch == epoch and self.current() is None:
                    self._merged[entity_id] = target
        return target  # type: ignore[return-value]

    def _ensure_merged_index(self) -> None:
        """Index the ``merged_entity_ids`` of entities merged before the index existed (once
        per storage; every later merge writes its keys together with the entities)."""
        if self._merged_ready:
            return
        if self.view.get(MERGED_READY) is None:
            with self.lock:
                if self.view.get(MERGED_READY) is None:
                    ops: list[tuple[str, bytes | None]] = []
                    for entity_id in self.entity_ids():
                        record = self.view.get_json("entity/" + entity_id)
                        for merged_id in (record or {}).get("merged_entity_ids") or []:
                            ops.append((MERGED_PREFIX + merged_id, entity_id.encode()))
                    ops.append((MERGED_READY, b"1"))
                    self.view.apply(ops)
        self._merged_ready = True

    def entity_by_name(self, name: str, *, clone: bool = False) -> Record | None:
        """The entity with this name (case-insensitive), or None."""
        if not name:
            return None
        raw = self.view.get(name_key(name))
        return None if raw is None else self.entity(raw.decode(), clone=clone)

    def entity_by_alias_id(self, alias_id: str, *, clone: bool = False) -> Record | None:
        """The entity owning an entity alias, or None."""
        if not alias_id or "/" in alias_id:
            return None
        raw = self.view.get("index/alias-id/" + alias_id)
        return None if raw is None else self.entity(raw.decode(), clone=clone)

    def alias_by_id(self, alias_id: str) -> tuple[Record, Record] | None:
        """(entity, alias) for an entity alias id."""
        entity = self.entity_by_alias_id(alias_id)
        return _with_alias(entity, lambda a: a["id"] == alias_id)

    def alias_by_factors(self, mount_accessor: str, name: str) -> tuple[Record, Record] | None:
        """(entity, alias) for an entity alias's mount accessor and name (case-insensitive)."""
        if not mount_accessor or not name:
            return None
        raw = self.view.get(alias_factor_key(mount_accessor, name))
        return None if raw is None else self.alias_by_id(raw.decode())

    def alias_by_external(self, issuer: str, external_id: str) -> tuple[Record, Record] | None:
        """(entity, alias) for an alias bound to an issuer and external id."""
        if not issuer or not external_id:
            return None
        raw = self.view.get(alias_external_key(issuer, external_id))
        return None if raw is None else self.alias_by_id(raw.decode())

    def entity_ids(self) -> list[str]:
        """Every entity id, sorted."""
        return [k for k in self.view.list("entity/") if not k.endswith("/")]

    def entities(self) -> list[Record]:
        """Every entity, sorted by id."""
        out = []
        for entity_id in self.entity_ids():
            entity = self.entity(entity_id)
            if entity is not None:
                out.append(entity)
        return out

    def unique_name(self, kind: str) -> str:
        """A generated ``entity_xxxxxxxx``/``group_xxxxxxxx`` name not in use."""
        while True:
            name = generated_name(kind)
            taken = self.entity_by_name(name) if kind == "entity" else self.group_by_name(name)
            if taken is None:
                return name

    def save_entities(
        self,
        changes: Iterable[tuple[Record | None, Record | None]],
        groups: Iterable[Record] = (),
        deleted_groups: Iterable[Record] = (),
    ) -> None:
        """Persist (new, old) entity pairs atomically: ``new=None`` deletes ``old``.

        Index keys of the old versions are removed and those of the new versions written,
        all in one batch together with any group records given. Deleted entity ids are then
        passed to the ``core.hooks["entity_deleted"]`` callbacks (deletes and merges).
        """
        changes = list(changes)
        ops: dict[str, bytes | None] = {}
        puts: dict[str, bytes | None] = {}
        for new, old in changes:
            if old is not None:
                for key in _entity_keys(old):
                    ops[key] = None
                if new is None:
                    ops["entity/" + old["id"]] = None
            if new is not None:
                for key, value in _entity_keys(new).items():
                    puts[key] = value.encode()
                puts["entity/" + new["id"]] = encode_json(new)
        ops.update(puts)
        for group in groups:
            ops["group/" + group["id"]] = encode_json(group)
        for group in deleted_groups:
            ops["group/" + group["id"]] = None
        self._commit(ops)
        gone = [old["id"] for new, old in changes if new is None and old is not None]
        if gone and self.core is not None:
            for callback in self.core.hooks.get("entity_deleted", []):
                callback(gone)

    # ----- groups ------------------------------------------------------------------------------

    def groups(self) -> dict[str, Record]:
        """Every group by id (a cached snapshot; do not modify the records)."""
        attempt = self.current()
        if attempt is not None:  # fresh from storage, once per attempt
            if attempt.groups is None:
                attempt.groups = self._read_groups()
            return attempt.groups
        snapshot = self._groups
        if snapshot is None:
            epoch = self.epoch
            snapshot = self._read_groups()
            with self.lock:
                if self.epoch == epoch:
                    self._groups = snapshot
        return snapshot

    def _read_groups(self) -> dict[str, Record]:
        snapshot = {}
        for group_id in self.view.list("group/"):
            record = self.view.get_json("group/" + group_id)
            if record is not None:
                snapshot[group_id] = record
        return snapshot

    def group(self, group_id: str, *, clone: bool = False) -> Record | None:
        """The group with this id, or None."""
        record = self.groups().get(group_id) if group_id else None
        if record is None:
            return None
        return cloned(record) if clone else record

    def group_by_name(self, name: str, *, clone: bool = False) -> Record | None:
        """The group with this name (case-insensitive), or None."""
        if not name:
            return None
        lowered = name.lower()
        for record in self.groups().values():
            if record["name"].lower() == lowered:
                return cloned(record) if clone else record
        return None

    def group_by_alias_id(self, alias_id: str, *, clone: bool = False) -> Record | None:
        """The group whose alias has this id, or None."""
        for record in self.groups().values():
            alias = record.get("alias")
            if alias and alias["id"] == alias_id:
                return cloned(record) if clone else record
        return None

    def group_by_alias_factors(self, mount_accessor: str, name: str) -> Record | None:
        """The group whose alias has this mount accessor and name (case-insensitive)."""
        lowered = name.lower()
        for record in self.groups().values():
            alias = record.get("alias")
            if (
                alias
                and alias["mount_accessor"] == mount_accessor
                and alias["name"].lower() == lowered
            ):
                return record
        return None

    def child_groups(self, group_id: str) -> list[Record]:
        """Groups that list ``group_id`` among their parents (its member groups), by id."""
        return sorted(
            (g for g in self.groups().values() if group_id in (g.get("parent_group_ids") or [])),
            key=lambda g: g["id"],
        )

    def direct_groups(self, entity_id: str) -> list[Record]:
        """Groups that have the entity as a direct member, by id."""
        return sorted(
            (g for g in self.groups().values() if entity_id in (g.get("member_entity_ids") or [])),
            key=lambda g: g["id"],
        )

    def entity_groups(self, entity_id: str) -> tuple[list[Record], list[Record]]:
        """(direct groups, inherited groups) of an entity; inherited through parents."""
        direct = self.direct_groups(entity_id)
        seen = {g["id"] for g in direct}
        inherited: list[Record] = []
        stack = [pid for g in direct for pid in (g.get("parent_group_ids") or [])]
        groups = self.groups()
        while stack:
            parent_id = stack.pop()
            if parent_id in seen:
                continue
            seen.add(parent_id)
            parent = groups.get(parent_id)
            if parent is None:
                continue
            inherited.append(parent)
            stack.extend(parent.get("parent_group_ids") or [])
        inherited.sort(key=lambda g: g["id"])
        return direct, inherited

    def save_groups(self, groups: Iterable[Record], deleted: Iterable[Record] = ()) -> None:
        """Persist group records (and delete others) atomically."""
        ops: dict[str, bytes | None] = {}
        for group in deleted:
            ops["group/" + group["id"]] = None
        for group in groups:
            ops["group/" + group["id"]] = encode_json(group)
        self._commit(ops)

    # ----- mounts ------------------------------------------------------------------------------

    def mount_info(self, accessor: str) -> tuple[str, str] | None:
        """(mount type, mount path) of the mount with this accessor, or None."""
        if not accessor or self.core is None:
            return None
        for table in ("auth", "mounts"):
            for entry in self.core.mounts(table):
                if entry.accessor == accessor:
                    return entry.type, entry.route_path
        for resolve in self.core.hooks.get("alias_accessors", ()):  # e.g. OAuth profiles
            found = resolve(accessor)
            if found is not None:
                return found
        return None


def _with_alias(entity: Record | None, match) -> tuple[Record, Record] | None:
    if entity is None:
        return None
    for alias in entity.get("aliases") or []:
        if match(alias):
            return entity, alias
    return None


def private_copy(record: Record) -> Record:
    """A deep copy that may be modified freely."""
    return copy.deepcopy(record)
