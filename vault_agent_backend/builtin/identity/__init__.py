"""The identity store (mount type ``identity``, mounted at ``identity/``).

Entities, entity aliases, groups and group aliases with Vault's API and answers, plus the
service the core uses to add identity policies to tokens (``core.hooks["identity"]``).
"""

from __future__ import annotations

from ...framework.backend import Backend, BackendConfig, PathsSpecial
from . import aliases, entities, group_aliases, groups, lookup
from .hooks import IdentityService, install
from .state import CallerState
from .store import IdentityStore

__all__ = ["CallerState", "IdentityBackend", "IdentityService", "IdentityStore", "factory"]


class IdentityBackend(Backend):
    """The HTTP API of the identity store; the data and caches live in ``IdentityStore``."""

    backend_type = "identity"

    def __init__(self, config: BackendConfig):
        # Vault 2.x asks for sudo on entity merges (OpenBao does not).
        super().__init__(config, special=PathsSpecial(root=("entity/merge",)))
        self.core = config.core
        store = IdentityStore(self.core, config.storage)  # type: ignore[arg-type]
        if self.core is not None:
            store = install(self.core, store).store
        self.store = store
        self.add_paths(entities.paths(self))
        self.add_paths(aliases.paths(self))
        self.add_paths(group_aliases.paths(self))
        self.add_paths(groups.paths(self))
        self.add_paths(lookup.paths(self))
        if self.core is not None:  # identity/agent/...: the agent registry's second route
            from ..agent_registry import identity_agent_paths

            self.add_paths(identity_agent_paths(self))
            from ...agent.delegation_paths import delegation_paths  # identity/agent/delegation

            self.add_paths(delegation_paths(self))


def factory(config: BackendConfig) -> IdentityBackend:
    """Create the identity backend."""
    return IdentityBackend(config)
