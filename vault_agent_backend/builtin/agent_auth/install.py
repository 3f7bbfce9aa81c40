"""Wiring of the authorization server and the delegations into a core (called once per core
from :func:`vault_agent_backend.agent.install`):

* ``core.hooks["agent_delegations"]`` -- the delegation service (with its
  ``token_revoked`` and ``tidy`` callbacks);
* ``core.hooks["dev_setup"]`` -- ``vab server -dev`` enables ``auth/agent/``;
* ``core.hooks["root_routes"]`` -- ``/.well-known/oauth-authorization-server/v1/auth/<mount>``;
* ``core.hooks["unmount"]`` -- disabling an ``agent`` mount removes its resource-server
  profile;
* ``core.hooks["tidy"]`` -- forgets used client-assertion ``jti``s and revoked token
  ``jti``s once the tokens have expired;
* ``core.hooks["oauth_endpoints"]`` -- tells the HTTP layer which paths answer RFC 6749
  errors even when the request body cannot be parsed.

This module imports nothing heavy at import time (it runs while the core is built).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ...core.core import Core

__all__ = ["DEV_PATH", "install"]

log = logging.getLogger(__name__)
DEV_PATH = "agent/"
_FLAG = "agent_auth_installed"
_OAUTH_ENDPOINTS = ("token", "introspect", "revoke")


def enable_in_dev(core: Core) -> None:
    """``dev_setup`` hook: mount the authorization server at ``auth/agent/``."""
    from ...core.mounts import MountEntry

    if core.mount_by_path("auth", DEV_PATH) is None:
        core.mount(
            MountEntry(
                path=DEV_PATH,
                type="agent",
                description="built-in OAuth 2.0 authorization server for agents",
                table="auth",
            )
        )


def _on_unmount(core: Core) -> Any:
    def callback(entry: Any) -> None:
        if getattr(entry, "table", "") == "auth" and getattr(entry, "type", "") == "agent":
            from .profile import remove_profile

            remove_profile(core, entry.route_path)

    return callback


def _tidy(core: Core) -> Any:
    def callback() -> None:
        from ..oauth_resource_server.revocation import purge_expired
        from . import AgentAuthBackend

        purge_expired(core.storage)
        for entry in core.mounts("auth"):
            backend = core.backend_for(entry)
            if isinstance(backend, AgentAuthBackend):
                backend.client_auth.purge()

    return callback


def _oauth_endpoint(core: Core) -> Any:
    """``oauth_endpoints`` hook: whether an HTTP path (below ``/v1/``) is the token,
    introspection or revocation endpoint of an ``agent`` mount (whose errors, even for a
    body that cannot be parsed, are RFC 6749 JSON)."""

    def check(path: str) -> bool:
        head, sep, last = path.rstrip("/").rpartition("/")
        if not sep or last not in _OAUTH_ENDPOINTS or not head.startswith("auth/"):
            return False
        entry = core.mount_by_path("auth", head[len("auth/") :] + "/")
        return entry is not None and entry.type == "agent"

    return check


def install(core: Core) -> None:
    """Register the hooks on ``core`` (idempotent)."""
    if core.hooks.get(_FLAG):
        return
    core.hooks[_FLAG] = True
    from ...agent.delegation_service import delegation_service
    from .metadata import ROOT_RULE, root_view

    delegation_service(core)
    core.hooks.setdefault("dev_setup", []).append(enable_in_dev)
    core.hooks.setdefault("root_routes", {}).setdefault(ROOT_RULE, root_view(core))
    core.hooks.setdefault("unmount", []).append(_on_unmount(core))
    core.hooks.setdefault("tidy", []).append(_tidy(core))
    core.hooks.setdefault("oauth_endpoints", []).append(_oauth_endpoint(core))
