"""``POST sys/agent/explain``: which layer allows or refuses a request, and why.

Two ways to name the situation to explain: an agent ``token`` (verified and resolved as a
real request would be), or ``agent`` (registration id or display name) with an optional
``subject_entity_id`` (delegated when given, else direct) and optional
``authorization_details``. Each request of ``requests`` is evaluated against every layer
(no short-cut), giving each layer's verdict, the policies and the stanza that decided.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from ..framework.errors import InvalidRequest
from ..policy.rar import RARError, parse_authorization_details
from .decision import AgentACL, AgentDenied, is_root_protected
from .layers import build_layers

if TYPE_CHECKING:
    from ..core.core import Core
    from .authenticator import AgentAuthenticator

__all__ = ["explain_requests", "explain_token", "explain_unverified"]

_OPERATIONS = ("create", "read", "update", "patch", "delete", "list", "help")


def _requests(raw: Any) -> list[tuple[str, str, dict[str, Any]]]:
    if not isinstance(raw, list) or not raw:
        raise InvalidRequest('"requests" must be a non-empty array of {path, operation, data}')
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise InvalidRequest(f"requests[{i}] must be an object")
        path = item.get("path")
        if not isinstance(path, str) or not path.strip("/"):
            raise InvalidRequest(f'requests[{i}]: "path" must be a non-empty string')
        operation = item.get("operation", "read")
        if operation not in _OPERATIONS:
            raise InvalidRequest(
                f'requests[{i}]: "operation" must be one of ' + ", ".join(_OPERATIONS)
            )
        data = item.get("data") or {}
        if not isinstance(data, Mapping):
            raise InvalidRequest(f'requests[{i}]: "data" must be an object')
        out.append((path.lstrip("/"), operation, dict(data)))
    return out


def explain_requests(acl: AgentACL, core: Core, raw_requests: Any) -> list[dict[str, Any]]:
    """Evaluate every request against every layer of ``acl``."""
    results = []
    for path, operation, data in _requests(raw_requests):
        root_protected = is_root_protected(core, path)
        decision = acl.evaluate(operation, path, data, 0, root_protected, complete=True)
        results.append({"path": path, "operation": operation, **decision.to_json()})
    return results


def _summary(ctx: Any) -> dict[str, Any]:
    return {
        "mode": ctx.mode,
        "agent": {
            "id": ctx.registration_id,
            "display_name": ctx.agent_display_name,
            "entity_id": ctx.actor_entity_id,
        },
        "subject_entity_id": ctx.subject_entity_id,
        "issuer": ctx.issuer,
        "authorization_details": None
        if ctx.rar is None
        else [entry.to_json() for entry in ctx.rar],
    }


def explain_token(auth: AgentAuthenticator, token: str, raw_requests: Any) -> dict[str, Any]:
    """Explain for an agent token; a refused token explains why it is refused."""
    requests = _requests(raw_requests)
    try:
        ctx = auth.resolve(token)
    except AgentDenied as exc:
        return {
            "token_valid": False,
            "token_error": exc.reason,
            "results": [
                {
                    "path": path,
                    "operation": operation,
                    "allowed": False,
                    "denied_by": "token",
                    "reason": exc.reason,
                    "layers": [],
                }
                for path, operation, _ in requests
            ],
        }
    acl = AgentACL(
        auth.layers_for(ctx),
        auth.resource_server.resource_metadata_url,
        root_protected=partial(is_root_protected, auth.core),
    )
    return {
        "token_valid": True,
        **_summary(ctx),
        "results": explain_requests(acl, auth.core, raw_requests),
    }


def explain_unverified(
    auth: AgentAuthenticator,
    agent: str,
    subject_entity_id: str,
    authorization_details: Any,
    raw_requests: Any,
) -> dict[str, Any]:
    """Explain for a registration (and subject) without a token."""
    _requests(raw_requests)
    identity = auth.core.hooks.get("identity")
    registration = auth.registry.store.resolve(agent)
    if registration is None:
        raise InvalidRequest(f'agent "{agent}" is not registered')
    agent_state = identity.caller_state(registration["entity_id"]) if identity else None
    if agent_state is None:
        raise InvalidRequest(f'entity "{registration["entity_id"]}" of the agent does not exist')
    subject_state = agent_state
    if subject_entity_id:
        subject_state = identity.caller_state(subject_entity_id)
        if subject_state is None:
            raise InvalidRequest(f'subject entity "{subject_entity_id}" does not exist')
    rar = None
    if authorization_details is not None:
        try:
            rar = parse_authorization_details(
                authorization_details, registration.get("allowed_authorization_types") or None
            )
        except RARError as exc:
            raise InvalidRequest(f"invalid authorization_details: {exc}") from None
    delegated = bool(subject_entity_id)
    layers = build_layers(
        auth.core,
        delegated=delegated,
        subject_policies=subject_state.policies,
        subject_context=subject_state.context,
        agent_policies=agent_state.policies,
        agent_context=agent_state.context,
        registration=registration,
        no_default_policy=False,
        rar=rar,
    )
    acl = AgentACL(
        layers,
        auth.resource_server.resource_metadata_url,
        root_protected=partial(is_root_protected, auth.core),
    )
    return {
        "mode": "delegated" if delegated else "direct",
        "agent": {
            "id": registration["id"],
            "display_name": registration["display_name"],
            "entity_id": registration["entity_id"],
        },
        "agent_status": registration.get("status", "active"),
        "subject_entity_id": subject_state.entity_id,
        "authorization_details": None if rar is None else [e.to_json() for e in rar],
        "results": explain_requests(acl, auth.core, raw_requests),
    }
