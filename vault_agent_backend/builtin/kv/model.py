"""The records of KV v2: mount configuration, per-secret metadata and version bookkeeping."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .common import go_duration_string, rfc3339nano

DEFAULT_MAX_VERSIONS = 10
DELETE_VERSION_AFTER_DISABLED = -1
"""A mount-level ``delete_version_after`` of -1s switches automatic deletion off for all keys."""


@dataclass
class KVConfig:
    """The mount-wide settings at ``<mount>/config``."""

    max_versions: int = 0
    cas_required: bool = False
    metadata_cas_required: bool = False
    delete_version_after: int | None = None
    """Seconds; None when unset, -1 when disabled."""

    def to_json(self) -> dict[str, Any]:
        """Storage form."""
        return {
            "max_versions": self.max_versions,
            "cas_required": self.cas_required,
            "metadata_cas_required": self.metadata_cas_required,
            "delete_version_after": self.delete_version_after,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any] | None) -> KVConfig:
        """Inverse of to_json (defaults when nothing is stored)."""
        raw = raw or {}
        return cls(
            max_versions=int(raw.get("max_versions") or 0),
            cas_required=bool(raw.get("cas_required")),
            metadata_cas_required=bool(raw.get("metadata_cas_required")),
            delete_version_after=raw.get("delete_version_after"),
        )

    @property
    def delete_version_after_disabled(self) -> bool:
        """Whether automatic deletion is switched off for the whole mount."""
        return self.delete_version_after == DELETE_VERSION_AFTER_DISABLED

    def api(self) -> dict[str, Any]:
        """The body of ``GET <mount>/config``."""
        return {
            "max_versions": self.max_versions,
            "cas_required": self.cas_required,
            "metadata_cas_required": self.metadata_cas_required,
            "delete_version_after": go_duration_string(self.delete_version_after),
        }


@dataclass
class VersionMeta:
    """What the metadata records about one version (its data is stored apart)."""

    created_time: int
    """Nanoseconds since the epoch."""
    deletion_time: int | None = None
    destroyed: bool = False

    def deleted(self, now: int) -> bool:
        """Soft-deleted: a deletion time that has passed."""
        return self.deletion_time is not None and self.deletion_time < now

    def api(self) -> dict[str, Any]:
        """The per-version object of ``GET <mount>/metadata/:path``."""
        return {
            "created_time": rfc3339nano(self.created_time),
            "deletion_time": rfc3339nano(self.deletion_time),
            "destroyed": self.destroyed,
        }


@dataclass
class KeyMetadata:
    """Everything a KV v2 secret has besides its versions' data."""

    key: str
    versions: dict[int, VersionMeta] = field(default_factory=dict)
    current_version: int = 0
    oldest_version: int = 0
    created_time: int | None = None
    updated_time: int | None = None
    max_versions: int = 0
    cas_required: bool = False
    metadata_cas_required: bool = False
    delete_version_after: int | None = None
    custom_metadata: dict[str, str] | None = None
    current_metadata_version: int = 0

    # -- storage form ---------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """Storage form."""
        return {
            "key": self.key,
            "versions": {
                str(n): {
                    "created_time": v.created_time,
                    "deletion_time": v.deletion_time,
                    "destroyed": v.destroyed,
                }
                for n, v in sorted(self.versions.items())
            },
            "current_version": self.current_version,
            "oldest_version": self.oldest_version,
            "created_time": self.created_time,
            "updated_time": self.updated_time,
            "max_versions": self.max_versions,
            "cas_required": self.cas_required,
            "metadata_cas_required": self.metadata_cas_required,
            "delete_version_after": self.delete_version_after,
            "custom_metadata": self.custom_metadata or None,
            "current_metadata_version": self.current_metadata_version,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> KeyMetadata:
        """Inverse of to_json."""
        return cls(
            key=raw["key"],
            versions={
                int(n): VersionMeta(
                    created_time=v["created_time"],
                    deletion_time=v.get("deletion_time"),
                    destroyed=bool(v.get("destroyed")),
                )
                for n, v in (raw.get("versions") or {}).items()
            },
            current_version=int(raw.get("current_version") or 0),
            oldest_version=int(raw.get("oldest_version") or 0),
            created_time=raw.get("created_time"),
            updated_time=raw.get("updated_time"),
            max_versions=int(raw.get("max_versions") or 0),
            cas_required=bool(raw.get("cas_required")),
            metadata_cas_required=bool(raw.get("metadata_cas_required")),
            delete_version_after=raw.get("delete_version_after"),
            custom_metadata=raw.get("custom_metadata") or None,
            current_metadata_version=int(raw.get("current_metadata_version") or 0),
        )

    # -- API shapes -----------------------------------------------------------------------------

    def api(self) -> dict[str, Any]:
        """The body of ``GET <mount>/metadata/:path``."""
        return {
            "versions": {str(n): v.api() for n, v in sorted(self.versions.items())},
            "current_version": self.current_version,
            "current_metadata_version": self.current_metadata_version,
            "oldest_version": self.oldest_version,
            "created_time": rfc3339nano(self.created_time),
            "updated_time": rfc3339nano(self.updated_time),
            "max_versions": self.max_versions,
            "cas_required": self.cas_required,
            "metadata_cas_required": self.metadata_cas_required,
            "delete_version_after": go_duration_string(self.delete_version_after),
            "custom_metadata": self.custom_metadata or None,
        }

    def version_api(self, number: int, version: VersionMeta) -> dict[str, Any]:
        """The ``metadata`` block of a data read (also the body of a data write)."""
        return {
            "version": number,
            "created_time": rfc3339nano(version.created_time),
            "deletion_time": rfc3339nano(version.deletion_time),
            "destroyed": version.destroyed,
            "custom_metadata": self.custom_metadata or None,
        }

    # -- versions -------------------------------------------------------------------------------

    def add_version(
        self, created: int, deletion: int | None, config_max_versions: int
    ) -> tuple[VersionMeta, list[int]]:
        """Record a new current version; return it and the numbers of versions pruned.

        The number kept is the larger of the secret's and the mount's ``max_versions``
        (10 when neither is set), as OpenBao does.
        """
        version = VersionMeta(created_time=created, deletion_time=deletion)
        self.current_version += 1
        self.versions[self.current_version] = version
        self.updated_time = created
        if self.created_time is None:
            self.created_time = created
        keep = max(self.max_versions, config_max_versions) or DEFAULT_MAX_VERSIONS
        pruned: list[int] = []
        if self.current_version - self.oldest_version >= keep:
            last_pruned = self.current_version - keep
            for number in range(self.oldest_version, last_pruned + 1):
                if self.versions.pop(number, None) is not None:
                    pruned.append(number)
            self.oldest_version = last_pruned + 1
        return version, pruned


def deletion_time(created: int, config: KVConfig, meta: KeyMetadata) -> int | None:
    """When a version written (or undeleted) at ``created`` is deleted automatically.

    The shorter non-zero ``delete_version_after`` of the mount and the secret applies; none
    when the mount disables it or neither sets it.
    """
    if config.delete_version_after_disabled:
        return None
    mount = config.delete_version_after or 0
    secret = meta.delete_version_after or 0
    if mount == 0 and secret == 0:
        return None
    chosen = secret
    if (mount != 0 and mount < chosen) or chosen == 0:
        chosen = mount
    return created + chosen * 1_000_000_000
