"""Agent identity on every request: the authenticator and the layered decision (SPEC §5, §6).

:func:`install` wires the feature into a core (called from ``Core.__init__``):

* ``core.hooks["agent_authenticator"]`` -- :class:`.authenticator.AgentAuthenticator`,
  called by the request pipeline for JWT-looking tokens;
* ``core.hooks["oauth_resource_server"]`` and ``core.hooks["agent_registry"]`` -- the
  shared services (profiles, keys, registrations, activity);
* ``core.hooks["root_routes"]["/.well-known/oauth-protected-resource"]`` -- RFC 9728;
* the immutable ``default-ceiling`` policy, created by the policy store at setup.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..builtin.agent_registry.service import agent_registry
from ..builtin.oauth_resource_server import WELL_KNOWN_PATH, resource_server
from ..policy import DEFAULT_CEILING_POLICY, DEFAULT_CEILING_POLICY_HCL
from .authenticator import RAR_REQUIRED, AgentAuthenticator
from .context import AgentContext
from .decision import AgentACL, AgentDecision, AgentDenied, Layer, LayerVerdict

if TYPE_CHECKING:
    from ..core.core import Core

__all__ = [
    "RAR_REQUIRED",
    "AgentACL",
    "AgentAuthenticator",
    "AgentContext",
    "AgentDecision",
    "AgentDenied",
    "Layer",
    "LayerVerdict",
    "authenticator",
    "install",
]


def authenticator(core: Core) -> AgentAuthenticator:
    """The core's agent authenticator (installed on first use)."""
    current = core.hooks.get("agent_authenticator")
    if isinstance(current, AgentAuthenticator):
        return current
    auth = AgentAuthenticator(core)
    core.hooks["agent_authenticator"] = auth
    core.hooks.setdefault("invalidate", []).append(auth.invalidate)
    return auth


def _well_known_view(core: Core) -> Any:
    def view() -> Any:
        from flask import Response as FlaskResponse

        try:
            core.refresh_if_stale()
            body = resource_server(core).protected_resource_metadata()
        except Exception:
            return FlaskResponse(
                json.dumps({"errors": ["Vault is sealed"]}) + "\n",
                status=503,
                mimetype="application/json",
            )
        resp = FlaskResponse(json.dumps(body) + "\n", status=200, mimetype="application/json")
        resp.headers["Cache-Control"] = "no-store"
        return resp

    return view


def install(core: Core) -> None:
    """Register the agent features on a core (idempotent)."""
    core.policy_store.builtin_texts.setdefault(DEFAULT_CEILING_POLICY, DEFAULT_CEILING_POLICY_HCL)
    resource_server(core)
    agent_registry(core)
    authenticator(core)
    routes = core.hooks.setdefault("root_routes", {})
    routes.setdefault(WELL_KNOWN_PATH, _well_known_view(core))
    from ..builtin.agent_auth.install import install as install_auth  # delegations, auth/agent

    install_auth(core)
