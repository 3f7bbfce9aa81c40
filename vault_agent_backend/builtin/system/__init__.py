"""The ``sys/`` backend: health, mounts, policies, wrapping, tools, leases and more."""

from __future__ import annotations

from ...core.expiration import manager as lease_manager
from ...framework.backend import Backend, BackendConfig, PathsSpecial
from . import (
    agent_explain,
    audit,
    capabilities,
    health,
    internal_ui,
    leases,
    metrics,
    mounts,
    oauth_resource_server,
    openapi,
    policies,
    seal,
    tools,
    wrapping,
)

ROOT_PATHS = (
    "auth/*",
    "remount",
    "audit",
    "audit/*",
    "raw",
    "raw/*",
    "rotate",
    "seal",
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

MODULES = [
    seal,
    health,
    policies,
    mounts,
    wrapping,
    tools,
    leases,
    capabilities,
    internal_ui,
    openapi,
    metrics,
    oauth_resource_server,
    agent_explain,
    audit,
]
"""Each module exposes ``paths(backend) -> list[Path]``; order is match order."""


class SystemBackend(Backend):
    """The system backend; each area of ``sys/`` lives in its own module."""

    backend_type = "system"

    def __init__(self, config: BackendConfig):
        unauthenticated = UNAUTHENTICATED_PATHS
        options = getattr(config.core, "options", None)
        if getattr(options, "dev", False) or getattr(options, "unauthenticated_metrics", False):
            unauthenticated = (*unauthenticated, "metrics")  # as Vault's dev listener
        super().__init__(config, special=PathsSpecial(ROOT_PATHS, unauthenticated))
        self.core = config.core
        if self.core is not None:
            lease_manager(self.core)  # revokes leases of revoked tokens, tidies expired ones
        for module in MODULES:
            self.add_paths(module.paths(self))


def factory(config: BackendConfig) -> SystemBackend:
    """Create the system backend."""
    return SystemBackend(config)
