"""Mount entries and the persisted mount tables (secret engines and auth methods)."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

from .ids import mount_accessor, new_uuid

MOUNT_TABLE_KEY = "core/mounts"
AUTH_TABLE_KEY = "core/auth"

SINGLETON_MOUNTS = {"sys/", "identity/", "cubbyhole/", "auth/token/"}
"""Mounts that cannot be disabled, moved or mounted twice."""

PROTECTED_PREFIXES = ("sys/", "audit/", "auth/", "identity/", "cubbyhole/")


@dataclass
class MountConfig:
    """Tunable settings of a mount (``sys/mounts/:path/tune``)."""

    default_lease_ttl: int = 0
    max_lease_ttl: int = 0
    force_no_cache: bool = False
    audit_non_hmac_request_keys: list[str] = field(default_factory=list)
    audit_non_hmac_response_keys: list[str] = field(default_factory=list)
    listing_visibility: str = ""
    passthrough_request_headers: list[str] = field(default_factory=list)
    allowed_response_headers: list[str] = field(default_factory=list)
    token_type: str = ""
    user_lockout_config: dict[str, Any] | None = None


@dataclass
class MountEntry:
    """One mounted backend."""

    path: str
    type: str
    description: str = ""
    accessor: str = ""
    uuid: str = ""
    config: MountConfig = field(default_factory=MountConfig)
    options: dict[str, str] | None = None
    local: bool = False
    seal_wrap: bool = False
    external_entropy_access: bool = False
    plugin_version: str = ""
    running_plugin_version: str = ""
    table: str = "mounts"
    """``mounts`` or ``auth``; auth entries are routed below ``auth/``."""
    created: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        if not self.uuid:
            self.uuid = new_uuid()
        if not self.accessor:
            self.accessor = mount_accessor(
                self.type if self.table == "mounts" else f"auth_{self.type}"
            )

    @property
    def route_path(self) -> str:
        """The path requests use (``auth/`` prefixed for auth methods)."""
        return f"auth/{self.path}" if self.table == "auth" else self.path

    @property
    def storage_prefix(self) -> str:
        """Where the backend's storage view lives."""
        return f"{'auth' if self.table == 'auth' else 'logical'}/{self.uuid}/"

    def to_storage(self) -> dict[str, Any]:
        """Serialisable form for the mount table."""
        return asdict(self)

    @classmethod
    def from_storage(cls, raw: dict[str, Any]) -> MountEntry:
        """Inverse of to_storage."""
        raw = dict(raw)
        raw["config"] = MountConfig(**raw.get("config", {}))
        return cls(**raw)

    def to_api(self, system_default_ttl: int, system_max_ttl: int) -> dict[str, Any]:
        """The JSON Vault shows in ``sys/mounts`` and ``sys/auth``."""
        cfg: dict[str, Any] = {
            "default_lease_ttl": self.config.default_lease_ttl,
            "max_lease_ttl": self.config.max_lease_ttl,
            "force_no_cache": self.config.force_no_cache,
        }
        if self.table == "auth" and self.config.token_type:
            cfg["token_type"] = self.config.token_type
        for key in (
            "audit_non_hmac_request_keys",
            "audit_non_hmac_response_keys",
            "passthrough_request_headers",
            "allowed_response_headers",
        ):
            if getattr(self.config, key):
                cfg[key] = getattr(self.config, key)
        if self.config.listing_visibility:
            cfg["listing_visibility"] = self.config.listing_visibility
        return {
            "accessor": self.accessor,
            "config": cfg,
            "description": self.description,
            "external_entropy_access": self.external_entropy_access,
            "local": self.local,
            "options": self.options,
            "plugin_version": self.plugin_version,
            "running_plugin_version": self.running_plugin_version,
            "running_sha256": "",
            "seal_wrap": self.seal_wrap,
            "type": self.type,
            "uuid": self.uuid,
        }
