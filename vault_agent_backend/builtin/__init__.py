"""Built-in backends, one package per mount type, found by type name."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..framework.backend import Backend, BackendConfig

Factory = Callable[["BackendConfig"], "Backend"]

SECRET_ENGINES: dict[str, str] = {
    "kv": "vault_agent_backend.builtin.kv:factory",
    "generic": "vault_agent_backend.builtin.kv:factory",
    "cubbyhole": "vault_agent_backend.builtin.cubbyhole:factory",
    "system": "vault_agent_backend.builtin.system:factory",
    "identity": "vault_agent_backend.builtin.identity:factory",
    "agent-registry": "vault_agent_backend.builtin.agent_registry:factory",
}
"""Secret engine type → ``module:factory``."""

AUTH_METHODS: dict[str, str] = {
    "token": "vault_agent_backend.builtin.token:factory",
    "userpass": "vault_agent_backend.builtin.userpass:factory",
    "approle": "vault_agent_backend.builtin.approle:factory",
    "github": "vault_agent_backend.builtin.github:factory",
    "agent": "vault_agent_backend.builtin.agent_auth:factory",
}
"""Auth method type → ``module:factory``."""


def load_factory(table: str, backend_type: str) -> Factory | None:
    """The factory for a backend type, or None when the type is unknown (or not built yet)."""
    spec = (AUTH_METHODS if table == "auth" else SECRET_ENGINES).get(backend_type)
    if spec is None:
        return None
    module_name, _, attr = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith(module_name):
            return None
        raise
    return getattr(module, attr, None)
