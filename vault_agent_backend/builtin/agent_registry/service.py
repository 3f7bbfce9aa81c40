"""The agent registry service shared by both routes and the agent authenticator."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .activity import ActivityTracker
from .store import RegistryStore

if TYPE_CHECKING:
    from ...core.core import Core

__all__ = ["AgentRegistry", "agent_registry"]


class AgentRegistry:
    """Registrations (``store``), activity counters and identity look-ups of one core."""

    def __init__(self, core: Core):
        self.core = core
        self.store = RegistryStore(core)
        self.activity = ActivityTracker(self.store.view)

    def entity_exists(self, entity_id: str) -> bool:
        """Whether an identity entity with this id exists."""
        identity = self.core.hooks.get("identity")
        if identity is None or not entity_id:
            return False
        return identity.caller_state(entity_id) is not None

    def invalidate(self) -> None:
        """Drop cached registrations (the cache generation changed)."""
        self.store.invalidate()


def agent_registry(core: Core) -> AgentRegistry:
    """The core's registry service (created and registered on first use)."""
    service = core.hooks.get("agent_registry")
    if service is None:
        service = AgentRegistry(core)
        core.hooks["agent_registry"] = service
        core.hooks.setdefault("invalidate", []).append(service.invalidate)
    return service
