"""The ``sys/`` backend: health, mounts, policies, wrapping, tools, leases and more."""

from __future__ import annotations

from ...framework.backend import Backend, BackendConfig, PathsSpecial
from . import health, mounts, policies

ROOT_PATHS = (
    "auth/*",
    "remount",
    "audit",
    "audit/*",
    "raw",
    "raw/*",
    "rotate",
    "config/cors",
    "config/auditing/*",
    "config/ui/headers/*",
    "plugins/catalog/*",
    "revoke-prefix/*",
    "revoke-force/*",
    "leases/revoke-prefix/*",
    "leases/revoke-force/*",
    "leases/lookup/*",
    "leases",
    "internal/inspect/*",
)
UNAUTHENTICATED_PATHS = (
    "health",
    "seal-status",
    "leader",
    "init",
    "unseal",
    "wrapping/lookup",
    "internal/specs/openapi",
    "internal/ui/mounts",
    "internal/ui/mounts/*",
    "oauth-resource-server/*",
)

MODULES = [health, policies, mounts]
"""Each module exposes ``paths(backend) -> list[Path]``; order is match order."""


class SystemBackend(Backend):
    """The system backend; each area of ``sys/`` lives in its own module."""

    backend_type = "system"

    def __init__(self, config: BackendConfig):
        super().__init__(config, special=PathsSpecial(ROOT_PATHS, UNAUTHENTICATED_PATHS))
        self.core = config.core
        for module in MODULES:
            self.add_paths(module.paths(self))


def factory(config: BackendConfig) -> SystemBackend:
    """Create the system backend."""
    return SystemBackend(config)
