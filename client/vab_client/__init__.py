"""Client for vault-agent-backend: hvac plus the agent APIs, and the `vab` CLI.

* :class:`Client` -- ``hvac.Client`` with ``.agent`` (registry, delegations, resource
  servers, token issuance, explain); :func:`agent_api` extends any ``hvac.Client``;
* :class:`AgentSession` -- for agent code: holds the credentials, keeps a valid token per
  transaction and hands out ``hvac.Client`` objects;
* :func:`path_access` -- one ``vault:path_access`` authorization details entry.

The names are imported on first use, so ``vab`` commands that do not need them start fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY = {
    "AgentAPI": "agent",
    "Client": "agent",
    "agent_api": "agent",
    "ClientCredentials": "oauth",
    "OAuthError": "oauth",
    "path_access": "oauth",
    "AgentSession": "session",
}

if TYPE_CHECKING:
    from .agent import AgentAPI, Client, agent_api
    from .oauth import ClientCredentials, OAuthError, path_access
    from .session import AgentSession

__all__ = [
    "AgentAPI",
    "AgentSession",
    "Client",
    "ClientCredentials",
    "OAuthError",
    "__version__",
    "agent_api",
    "path_access",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'vab_client' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
