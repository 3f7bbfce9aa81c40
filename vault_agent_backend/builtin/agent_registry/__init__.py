"""Agent registry (mount type ``agent-registry``, mounted by default at ``agent-registry/``).

Vault 2.x's API for registering agents. The same records are served under
``identity/agent/`` with this product's extension fields (see :mod:`.identity_routes`);
both routes share one store (:class:`.service.AgentRegistry`, ``core.hooks["agent_registry"]``).
"""

from __future__ import annotations

from ...framework.backend import Backend, BackendConfig
from .identity_routes import identity_agent_paths
from .paths import registration_paths
from .service import AgentRegistry, agent_registry

__all__ = [
    "AgentRegistry",
    "AgentRegistryBackend",
    "agent_registry",
    "factory",
    "identity_agent_paths",
]


class AgentRegistryBackend(Backend):
    """The ``agent-registry/`` mount: Vault 2.x's registration paths only."""

    backend_type = "agent-registry"

    def __init__(self, config: BackendConfig):
        super().__init__(config)
        self.core = config.core
        self.registry = agent_registry(self.core)
        self.add_paths(registration_paths(self.registry, "", extended=False))

    def cleanup(self) -> None:
        """Write pending activity counters before the mount goes away or the server stops."""
        try:
            self.registry.activity.flush()
        except Exception:  # storage may already be unavailable
            return


def factory(config: BackendConfig) -> AgentRegistryBackend:
    """Create the agent-registry backend."""
    return AgentRegistryBackend(config)
