"""The Core owns storage, the mount table and the services every backend shares."""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

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
                cluster = str(uuid.uuid4()).encode()
                self.storage.put("core/cluster-id", cluster)
            self.cluster_id = cluster.decode()
            self.policy_store.setup()
            if self.storage.get(MOUNT_TABLE_KEY) is None:
                for table, path, kind, description in DEFAULT_MOUNTS:
                    entry = MountEntry(path=path, type=kind, description=description, table=table)
                    self._persist_entry(entry, add=True)
            # read the generation before the tables: a change another process makes while
            # they load must leave this process stale (reloaded on the next request)
            generation = self.storage.get(GENERATION_KEY)
            self._load_tables()
            self.token_store.setup()
            self._generation = generation

    def _table_key(self, table: str) -> str:
        return AUTH_TABLE_KEY if table == "auth" else MOUNT_TABLE_KEY

    def _read_table(self, table: str) -> list[dict[str, Any]]:
        import json

        raw = self.storage.get(self._table_key(table))
        return json.loads(raw) if raw else []

    def _persist_entry(self, entry: MountEntry, *, add: bool = False, remove: bool = False) -> None:
        rows = [r for r in self._read_table(entry.table) if r["path"] != entry.path]
        if not remove:
            rows.append(entry.to_storage())
        rows.sort(key=lambda r: r["path"])
        self.storage.apply(
            [(self._table_key(entry.table), encode_json(rows)), (GENERATION_KEY, _new_gen())]
        )

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
        """Mount a new backend; 400 when the path is taken or the type unknown."""
        with self._lock:
            if load_factory(entry.table, entry.type) is None:
                raise InvalidRequest(f"plugin not found in the catalog: {entry.type}")
            route = entry.route_path
            for existing in self._routes:
                if existing.startswith(route) or route.startswith(existing):
                    if entry.table == "auth" and not existing.startswith("auth/"):
                        continue
                    raise InvalidRequest(
                        f"path is already in use at {existing}"
                        if existing == route
                        else f"existing mount at {existing}"
                    )
            self._persist_entry(entry, add=True)
            self._load_tables()
            return entry

    def unmount(self, table: str, path: str) -> bool:
        """Remove a mount and all its data; False when nothing was mounted there."""
        with self._lock:
            entry = self.mount_by_path(table, path)
            if entry is None:
                return False
            backend = self.backend_for(entry)
            if backend is not None:
                backend.cleanup()
            for callback in self.hooks.get("unmount", []):
                callback(entry)
            self._persist_entry(entry, remove=True)
            StorageView(self.storage, entry.storage_prefix).delete_prefix()
            self._load_tables()
            return True

    def remount(self, table: str, src: str, dst: str) -> None:
        """Move a mount (keeping its data and uuid)."""
        with self._lock:
            entry = self.mount_by_path(table, src)
            if entry is None:
                raise InvalidRequest(f"no matching mount at '{src}'")
            dst_route = f"auth/{dst}" if table == "auth" else dst
            for existing in self._routes:
                if existing.startswith(dst_route) or dst_route.startswith(existing):
                    raise InvalidRequest(f"path already in use at {existing}")
            rows = self._read_table(table)
            for row in rows:
                if row["path"] == src:
                    row["path"] = dst
            rows.sort(key=lambda r: r["path"])
            self.storage.apply(
                [(self._table_key(table), encode_json(rows)), (GENERATION_KEY, _new_gen())]
            )
            self._routes.pop(entry.route_path, None)
            self._load_tables()

    def tune(
        self,
        entry: MountEntry,
        config: MountConfig,
        description: str | None,
        options: dict[str, str] | None,
    ) -> None:
        """Persist new settings of a mount."""
        with self._lock:
            entry.config = config
            if description is not None:
                entry.description = description
            if options is not None:
                entry.options = options
            self._persist_entry(entry)
            self._routes.pop(entry.route_path, None)
            self._load_tables()

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
