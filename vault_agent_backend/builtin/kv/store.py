"""Storage layout of a KV v2 mount, atomic read-modify-write, and the v1 → v2 upgrade.

All v2 records live below ``<mount uuid>/`` inside the mount's storage view, so that the
unversioned (v1) keys a mount held before it was upgraded never collide with them:

* ``<uuid>/config`` — the mount configuration,
* ``<uuid>/upgrading`` — the upgrade marker (``{"done": true}`` once v1 data was converted),
* ``<uuid>/metadata/<secret path>`` — one :class:`KeyMetadata` per secret (listing these
  gives ``LIST <mount>/metadata/...``),
* ``<uuid>/versions/<sha256(path)>/<n>`` — the data of version ``n``.

Every change of a secret is one atomic batch that writes the metadata together with the
version data it refers to, applied by compare-and-swap (``storage.cas``) only if the
metadata did not change meanwhile and retried otherwise, so concurrent writers in other
processes (workers, nodes) never lose a version or reuse a version number.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from ...core.ids import sha256_hex
from ...framework.errors import InternalError
from ...storage.base import Op
from ...storage.view import StorageView, encode_json
from .common import KeyLocks
from .model import KeyMetadata, KVConfig

log = logging.getLogger(__name__)

T = TypeVar("T")
Mutation = Callable[[KeyMetadata | None], tuple[list[Op], T]]
"""Given the current metadata (or None), the batch to apply (empty: nothing) and a result."""

_CAS_ATTEMPTS = 32


CLOCK: Callable[[], int] = time.time_ns
"""The clock of the KV engine (nanoseconds since the epoch); tests may replace it."""


def now_ns() -> int:
    """The current time in nanoseconds since the epoch."""
    return CLOCK()


class VersionedStore:
    """Typed access to one KV v2 mount's records."""

    def __init__(self, storage: StorageView, prefix: str) -> None:
        self.storage = storage
        self.prefix = prefix
        self.locks = KeyLocks()

    # -- keys -----------------------------------------------------------------------------------

    @property
    def config_key(self) -> str:
        """Where the mount configuration lives."""
        return self.prefix + "config"

    @property
    def upgrade_key(self) -> str:
        """Where the upgrade marker lives."""
        return self.prefix + "upgrading"

    def metadata_key(self, path: str) -> str:
        """Storage key of a secret's metadata."""
        return f"{self.prefix}metadata/{path}"

    def versions_folder(self, path: str) -> str:
        """Storage folder holding every version of a secret."""
        return f"{self.prefix}versions/{sha256_hex(path)}/"

    def version_key(self, path: str, number: int) -> str:
        """Storage key of one version's data."""
        return f"{self.versions_folder(path)}{number}"

    # -- reads ----------------------------------------------------------------------------------

    def config(self) -> KVConfig:
        """The mount configuration (defaults when never written)."""
        return KVConfig.from_json(self.storage.get_json(self.config_key))

    def put_config(self, config: KVConfig) -> None:
        """Persist the mount configuration."""
        self.storage.put_json(self.config_key, config.to_json())

    def metadata(self, path: str) -> KeyMetadata | None:
        """A secret's metadata, or None when the secret does not exist."""
        raw = self.storage.get_json(self.metadata_key(path))
        return None if raw is None else KeyMetadata.from_json(raw)

    def version_data(self, path: str, number: int) -> Any:
        """The data of one version (a 500 when the metadata points at missing data)."""
        raw = self.storage.get(self.version_key(path, number))
        if raw is None:
            raise InternalError("could not find version data")
        return json.loads(raw)["data"]

    def list_metadata(self, path: str) -> list[str]:
        """Immediate children (secrets and ``folder/``) below a metadata path."""
        return self.storage.list(self.metadata_key(path))

    # -- batches --------------------------------------------------------------------------------

    def meta_op(self, meta: KeyMetadata) -> Op:
        """The batch entry that stores a secret's metadata."""
        return (self.metadata_key(meta.key), encode_json(meta.to_json()))

    def version_op(self, path: str, number: int, data: Any, created: int) -> Op:
        """The batch entry that stores one version's data."""
        return (self.version_key(path, number), encode_json({"data": data, "created": created}))

    def delete_version_ops(self, path: str, numbers: Sequence[int]) -> list[Op]:
        """Batch entries removing the data of some versions."""
        return [(self.version_key(path, n), None) for n in numbers]

    def purge_ops(self, path: str) -> list[Op]:
        """Batch entries removing a secret entirely: metadata and every stored version."""
        folder = self.versions_folder(path)
        ops: list[Op] = [(folder + child, None) for child in self.storage.list(folder)]
        ops.append((self.metadata_key(path), None))
        return ops

    def mutate(self, path: str, change: Mutation[T]) -> T:
        """Read-modify-write of one secret, atomic and safe against concurrent writers."""
        key = self.metadata_key(path)
        with self.locks.hold(path):
            for _ in range(_CAS_ATTEMPTS):
                raw = self.storage.get(key)
                meta = None if raw is None else KeyMetadata.from_json(json.loads(raw))
                ops, result = change(meta)
                if not ops or self.storage.cas(key, raw, ops):
                    return result
        raise InternalError("too many concurrent changes to this secret; try again")

    # -- upgrade from v1 ------------------------------------------------------------------------

    def upgrade_done(self) -> bool:
        """Whether the v1 → v2 conversion of this mount has completed."""
        marker = self.storage.get_json(self.upgrade_key)
        return bool(marker and marker.get("done"))

    def upgrade(self) -> int:
        """Convert every unversioned (v1) key into version 1 of a v2 secret; idempotent.

        Each key is converted in one atomic batch (version data, metadata, removal of the
        v1 key) applied only where no v2 secret exists yet, so an interrupted upgrade
        resumes where it stopped and concurrent upgrades in several workers never clobber
        each other. Returns the number of keys converted here.
        """
        started = now_ns()
        self.storage.put_json(self.upgrade_key, {"done": False, "started": started})
        converted = 0
        for key in self._v1_keys():
            raw = self.storage.get(key)
            if raw is None:
                continue
            try:
                data = json.loads(raw)
            except ValueError:
                log.error("kv upgrade: skipping a key whose value is not JSON")
                continue
            created = now_ns()
            meta = KeyMetadata(key=key)
            meta.add_version(created, None, 1)
            ops = [self.version_op(key, 1, data, created), self.meta_op(meta), (key, None)]
            # only if no v2 secret exists there yet: another process may have converted this
            # key (and a client written new versions) meanwhile
            if self.storage.cas(self.metadata_key(key), None, ops):
                converted += 1
        self.storage.put_json(
            self.upgrade_key, {"done": True, "started": started, "finished": now_ns()}
        )
        return converted

    def _v1_keys(self) -> list[str]:
        keys: list[str] = []
        stack = [""]
        while stack:
            folder = stack.pop()
            for child in self.storage.list(folder):
                full = folder + child
                if full == self.prefix or full.startswith(self.prefix):
                    continue
                if child.endswith("/"):
                    stack.append(full)
                else:
                    keys.append(full)
        return sorted(keys)
