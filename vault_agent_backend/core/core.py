"""The Core owns storage, the mount table and the services every backend shares."""

from __future__ import annotations

import json
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from ..builtin import load_factory
from ..framework.backend import Backend, BackendConfig
from ..framework.errors import InvalidRequest
from ..storage.base import Storage
from ..storage.view import StorageView, encode_json
from .mounts import AUTH_TABLE_KEY, MOUNT_TABLE_KEY, MountConfig, MountEntry

if TYPE_CHECKING:
    from ..builtin.token.store import TokenStore
    from .policy_store import PolicyStore

log = logging.getLogger(__name__)

GENERATION_KEY = "core/cache-generation"
DEFAULT_LEASE_TTL = 768 * 3600
MAX_LEASE_TTL = 768 * 3600
TABLE_UPDATE_ATTEMPTS = 50
"""Compare-and-swap attempts of one mount-table update before it is refused."""
_T = TypeVar("_T")


@dataclass
class CoreOptions:
    """How the core was configured (dev mode, TTLs, addresses, limits)."""

    dev: bool = False
    dev_root_token_id: str = ""
    default_lease_ttl: int = DEFAULT_LEASE_TTL
    max_lease_ttl: int = MAX_LEASE_TTL
    api_addr: str = "http://127.0.0.1:8200"
    max_request_size: int = 32 * 1024 * 1024
    version: str = "1.17.0"
    cluster_name: str = "vault-agent-backend"


DEFAULT_MOUNTS: list[tuple[str, str, str, str]] = [
    # (table, path, type, description)
    ("mounts", "agent-registry/", "agent-registry", "agent registry"),
    ("mounts", "cubbyhole/", "cubbyhole", "per-token private secret storage"),
    ("mounts", "identity/", "identity", "identity store"),
    ("mounts", "sys/", "system", "system endpoints used for control, policy and debugging"),
    ("auth", "token/", "token", "token based credentials"),
]


class Core:
    """One server's state: mounts, routing and shared services. Thread-safe."""

    def __init__(self, storage: Storage, options: CoreOptions | None = None):
        self.storage = storage
        self.options = options or CoreOptions()
        self.cluster_id = ""
        self._lock = threading.RLock()
        self._routes: dict[str, tuple[MountEntry, Backend]] = {}
        self._generation: bytes | None = None
        self.sealed = False
        self.initialized = True
        self.seal: Any = None
        """The ``SealManager`` when storage sits behind the encrypting barrier (None: a core
        that is always unsealed, e.g. in unit tests)."""
        self.hooks: dict[str, Any] = {}
        """Optional services registered by backends (identity store, audit, agent auth)."""
        from ..builtin.token.store import TokenStore
        from .policy_store import PolicyStore

        self.policy_store: PolicyStore = PolicyStore(self)
        self.token_store: TokenStore = TokenStore(self)
        from ..agent import install as install_agent_features

        install_agent_features(self)

    # ----- setup -------------------------------------------------------------------------------

    def setup(self) -> None:
        """Load (or create) the mount tables and start every backend."""
        with self._lock:
            cluster = self.storage.get("core/cluster-id")
            if cluster is None:
                # the first process to store one wins; the others use it
                fresh = str(uuid.uuid4()).encode()
                self.storage.apply_if_absent("core/cluster-id", [("core/cluster-id", fresh)])
                cluster = self.storage.get("core/cluster-id") or fresh
            self.cluster_id = cluster.decode()
            self.policy_store.setup()
            if self.storage.get(MOUNT_TABLE_KEY) is None:
                # both default tables in one write, only when no process stored them first
                tables: dict[str, list[dict[str, Any]]] = {"mounts": [], "auth": []}
                for table, path, kind, description in DEFAULT_MOUNTS:
                    entry = MountEntry(path=path, type=kind, description=description, table=table)
                    tables[table].append(entry.to_storage())
                ops = [(self._table_key(t), encode_json(rows)) for t, rows in tables.items()]
                self.storage.apply_if_absent(MOUNT_TABLE_KEY, [*ops, (GENERATION_KEY, _new_gen())])
            # read the generation before the tables: a change another process makes while
            # they load must leave this process stale (reloaded on the next request)
            generation = self.storage.get(GENERATION_KEY)
            self._load_tables()
            self.token_store.setup()
            self._generation = generation

    def _table_key(self, table: str) -> str:
        return AUTH_TABLE_KEY if table == "auth" else MOUNT_TABLE_KEY

    def _read_table(self, table: str) -> list[dict[str, Any]]:
        raw = self.storage.get(self._table_key(table))
        return json.loads(raw) if raw else []

    def _update_table(self, table: str, change: Callable[[list[dict[str, Any]]], _T]) -> _T:
        """Read-modify-write of one stored mount table, atomic across processes and nodes.

        ``change`` edits the freshly read rows in place (raising, e.g. ``InvalidRequest``, to
        refuse) and its result is returned once the new table is stored. The write is a
        compare-and-swap against the table just read: when another process changed the table
        meanwhile, the change is run again on the newer table (a bounded number of times; Vault
        serialises these updates itself, so callers should rarely see the final refusal).
        Every successful write also stores a new cache generation.
        """
        key = self._table_key(table)
        for attempt in range(TABLE_UPDATE_ATTEMPTS):
            raw = self.storage.get(key)
            rows: list[dict[str, Any]] = json.loads(raw) if raw else []
            result = change(rows)
            rows.sort(key=lambda r: r["path"])
            ops = [(key, encode_json(rows)), (GENERATION_KEY, _new_gen())]
            if self.storage.cas(key, raw, ops):
                # the stored generation changed: the next request reloads what others did
                self._generation = None
                return result
            time.sleep(random.uniform(0, 0.002 * (attempt + 1)))
        name = "auth" if table == "auth" else "mount"
        raise InvalidRequest(f"the {name} table changed meanwhile; try again")

    def _load_tables(self) -> None:
        routes: dict[str, tuple[MountEntry, Backend]] = {}
        for table in ("mounts", "auth"):
            for raw in self._read_table(table):
                entry = MountEntry.from_storage(raw)
                existing = self._routes.get(entry.route_path)
                # same mount and same options: keep the live backend (new options, e.g. a KV
                # v1 -> v2 tune made by another worker, need a new backend, as in Vault)
                if (
                    existing
                    and existing[0].uuid == entry.uuid
                    and (existing[0].options or {}) == (entry.options or {})
                ):
                    existing[0].__dict__.update(entry.__dict__)
                    routes[entry.route_path] = existing
                    continue
                backend = self._instantiate(entry)
                if backend is not None:
                    routes[entry.route_path] = (entry, backend)
        for path, (_entry, backend) in self._routes.items():
            if path not in routes or routes[path][1] is not backend:
                backend.cleanup()
        self._routes = routes

    def _instantiate(self, entry: MountEntry) -> Backend | None:
        factory = load_factory(entry.table, entry.type)
        if factory is None:
            log.warning("no backend for mount type %s at %s", entry.type, entry.route_path)
            return None
        config = BackendConfig(
            storage=StorageView(self.storage, entry.storage_prefix),
            mount_path=entry.route_path,
            mount_type=entry.type,
            mount_accessor=entry.accessor,
            mount_uuid=entry.uuid,
            options=dict(entry.options or {}),
            core=self,
        )
        backend = factory(config)
        backend.initialize()
        return backend

    # ----- cache coherence ---------------------------------------------------------------------

    def bump_generation(self) -> None:
        """Tell every worker and node that cached state (policies, mounts, ...) changed."""
        self.storage.put(GENERATION_KEY, _new_gen())
        self._invalidate()
        # Not recording the new value: another process may have changed state just before
        # this write, so the next request reloads from storage rather than trusting memory.
        self._generation = None

    def refresh_if_stale(self) -> None:
        """One small read per request: reload caches when another process changed state."""
        current = self.storage.get(GENERATION_KEY)
        if current != self._generation:
            with self._lock:
                self._invalidate()
                self._load_tables()
                self._generation = current

    def _invalidate(self) -> None:
        self.policy_store.invalidate()
        for callback in self.hooks.get("invalidate", []):
            callback()

    # ----- seal --------------------------------------------------------------------------------

    def after_unseal(self) -> None:
        """Storage became readable: run the setup a sealed server postponed, then serve."""
        self.setup()
        self.sealed = False

    def before_seal(self) -> None:
        """Stop serving and drop every cache derived from storage (keys go next)."""
        with self._lock:
            self.sealed = True
            self._invalidate()
            self._generation = None

    # ----- mounts ------------------------------------------------------------------------------

    def route(self, path: str) -> tuple[MountEntry, Backend] | None:
        """The mount with the longest route path that prefixes ``path``."""
        routes = self._routes
        best: tuple[MountEntry, Backend] | None = None
        best_len = -1
        for route_path, pair in routes.items():
            if (path.startswith(route_path) or path + "/" == route_path) and len(
                route_path
            ) > best_len:
                best, best_len = pair, len(route_path)
        return best

    def mounts(self, table: str) -> list[MountEntry]:
        """The entries of one table (``mounts`` or ``auth``), sorted by path."""
        return sorted(
            (e for e, _ in self._routes.values() if e.table == table), key=lambda e: e.path
        )

    def mount_by_path(self, table: str, path: str) -> MountEntry | None:
        """The entry mounted at exactly ``path`` in ``table``."""
        for entry in self.mounts(table):
            if entry.path == path:
                return entry
        return None

    def backend_for(self, entry: MountEntry) -> Backend | None:
        """The live backend of a mount entry."""
        pair = self._routes.get(entry.route_path)
        return pair[1] if pair else None

    def mount(self, entry: MountEntry) -> MountEntry:
        """Mount a new backend; 400 when the path is taken or the type unknown.

        The conflict check is made against the table as stored when the entry is added (not
        only this process's cache), inside the compare-and-swap of _update_table."""
        with self._lock:
            if load_factory(entry.table, entry.type) is None:
                raise InvalidRequest(f"plugin not found in the catalog: {entry.type}")
            route = entry.route_path

            def change(rows: list[dict[str, Any]]) -> None:
                for existing in self._routes_besides(entry.table, rows):
                    if existing.startswith(route) or route.startswith(existing):
                        if entry.table == "auth" and not existing.startswith("auth/"):
                            continue
                        raise InvalidRequest(
                            f"path is already in use at {existing}"
                            if existing == route
                            else f"existing mount at {existing}"
                        )
                rows.append(entry.to_storage())

            try:
                self._update_table(entry.table, change)
            finally:
                self._load_tables()
            return entry

    def _routes_besides(self, table: str, rows: list[dict[str, Any]]) -> list[str]:
        """Route paths of the stored rows of ``table`` and of the other table's cached mounts."""
        routes = [f"auth/{r['path']}" if table == "auth" else r["path"] for r in rows]
        routes += [route for route, (e, _) in self._routes.items() if e.table != table]
        return routes

    def unmount(self, table: str, path: str) -> bool:
        """Remove a mount and all its data; False when nothing was mounted there (or another
        request removed it meanwhile: that one removes the data)."""
        with self._lock:
            raw = next((r for r in self._read_table(table) if r["path"] == path), None)
            if raw is None:
                self._load_tables()
                return False
            entry = self.mount_by_path(table, path)
            if entry is None or entry.uuid != raw["uuid"]:
                entry = MountEntry.from_storage(raw)
            # leases are revoked while the backend still serves (as Vault, before the entry
            # leaves the table)
            for callback in self.hooks.get("unmount", []):
                callback(entry)

            def change(rows: list[dict[str, Any]]) -> bool:
                kept = [r for r in rows if not (r["path"] == path and r["uuid"] == entry.uuid)]
                removed = len(kept) != len(rows)
                rows[:] = kept
                return removed

            try:
                removed = self._update_table(table, change)
            except Exception:
                self._load_tables()
                raise
            # the data goes only once this request took the entry out of the stored table
            if removed:
                backend = self.backend_for(entry)
                if backend is not None:
                    backend.cleanup()
                StorageView(self.storage, entry.storage_prefix).delete_prefix()
            self._load_tables()
            return removed

    def remount(self, table: str, src: str, dst: str) -> None:
        """Move a mount (keeping its data and uuid)."""
        with self._lock:
            dst_route = f"auth/{dst}" if table == "auth" else dst
            moved: list[str] = []

            def change(rows: list[dict[str, Any]]) -> None:
                moved.clear()
                row = next((r for r in rows if r["path"] == src), None)
                if row is None:
                    raise InvalidRequest(f"no matching mount at '{src}'")
                others = [r for r in rows if r is not row]
                for existing in self._routes_besides(table, others):
                    if table == "auth" and not existing.startswith("auth/"):
                        continue
                    if existing.startswith(dst_route) or dst_route.startswith(existing):
                        raise InvalidRequest(f"path already in use at {existing}")
                row["path"] = dst
                moved.append(f"auth/{src}" if table == "auth" else src)

            try:
                self._update_table(table, change)
                for route in moved:
                    self._routes.pop(route, None)
            finally:
                self._load_tables()

    def tune(
        self,
        entry: MountEntry,
        config: MountConfig,
        description: str | None,
        options: dict[str, str] | None,
    ) -> None:
        """Persist new settings of a mount (the whole config, as given)."""

        def edit(fresh: MountEntry) -> None:
            fresh.config = MountConfig(**asdict(config))
            if description is not None:
                fresh.description = description
            if options is not None:
                fresh.options = dict(options)

        self.update_mount(entry, edit)

    def update_mount(self, entry: MountEntry, edit: Callable[[MountEntry], _T]) -> _T:
        """Change one mount's stored entry: ``edit`` gets a copy of the entry as stored now
        (re-read on every compare-and-swap attempt, so concurrent tunes of other settings are
        kept), changes it in place or raises to refuse; its result is returned once stored.
        400 when the mount is gone."""
        with self._lock:
            route = entry.route_path

            def change(rows: list[dict[str, Any]]) -> _T:
                for i, row in enumerate(rows):
                    if row["uuid"] == entry.uuid:
                        fresh = MountEntry.from_storage(row)
                        result = edit(fresh)
                        rows[i] = fresh.to_storage()
                        return result
                raise InvalidRequest(f"no mount entry found at {route}")

            try:
                result = self._update_table(entry.table, change)
                # this process starts the tuned mount afresh (as before)
                self._routes.pop(route, None)
            finally:
                self._load_tables()
            return result

    def mount_ttls(self, entry: MountEntry | None) -> tuple[int, int]:
        """(default TTL, max TTL) in force for a mount."""
        default = self.options.default_lease_ttl
        maximum = self.options.max_lease_ttl
        if entry is not None:
            if entry.config.default_lease_ttl:
                default = entry.config.default_lease_ttl
            if entry.config.max_lease_ttl:
                maximum = entry.config.max_lease_ttl
        return min(default, maximum), maximum

    def shutdown(self) -> None:
        """Stop backends and close storage."""
        for _, backend in list(self._routes.values()):
            backend.cleanup()
        self.storage.close()


def _new_gen() -> bytes:
    return uuid.uuid4().hex.encode()
