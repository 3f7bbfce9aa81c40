"""The agent part of an audit entry: Vault 2.x's OAuth JWT metadata plus our extensions.

Read from ``request.caller.agent`` (a :class:`vault_agent_backend.agent.AgentContext`):
``mode``, ``claims``, ``issuer``, ``jti``, ``subject_entity_id``/``_name`` (the human),
``actor_entity_id``/``_name`` (the agent), ``registration``, ``delegation`` (the record
the token was minted from, if any). Values stay in clear, as
Vault leaves ``auth.metadata`` unhashed: they name principals, never secrets.

``auth.metadata`` keys (Vault 2.x): ``actor_entity_id``, ``actor_entity_name`` (delegated
tokens only), ``jwt_unique_id``, ``jwt_issuer``, ``jwt_transaction_claim``,
``jwt_audience_claim`` (list), ``jwt_authorization_details`` (list). Extensions:
``delegation_id``, ``purpose``, ``subject_entity_name``, ``agent_registration_id``,
``agent_display_name``, and on refusals ``denied_by`` (the layer that decided: ``human``,
``baseline``, ``ceiling``, ``authorization_details``, ``delegation``, ``agent`` or
``token``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["agent_metadata", "denied_layer"]


def _claim(ctx: Any, name: str) -> Any:
    """A claim of the token, else the field of the delegation record it was minted from."""
    value = getattr(ctx, name, None)
    if value:
        return value
    claims = getattr(ctx, "claims", None)
    if isinstance(claims, Mapping) and claims.get(name):
        return claims.get(name)
    delegation = getattr(ctx, "delegation", None)
    if isinstance(delegation, Mapping):
        return delegation.get("id" if name == "delegation_id" else name)
    return None


def agent_metadata(ctx: Any) -> dict[str, Any]:
    """``auth.metadata`` for a request made with an agent token."""
    claims = getattr(ctx, "claims", None)
    claims = claims if isinstance(claims, Mapping) else {}
    base = getattr(ctx, "audit_metadata", None)
    meta: dict[str, Any] = dict(base()) if callable(base) else {}
    aud = claims.get("aud")
    if getattr(ctx, "mode", "") == "delegated":
        meta["actor_entity_id"] = getattr(ctx, "actor_entity_id", "")
        meta["actor_entity_name"] = getattr(ctx, "actor_entity_name", "")
    else:
        meta.pop("actor_entity_id", None)
        meta.pop("actor_entity_name", None)
    meta["jwt_unique_id"] = getattr(ctx, "jti", "") or str(claims.get("uti") or "")
    meta["jwt_issuer"] = getattr(ctx, "issuer", "") or str(claims.get("iss") or "")
    meta["jwt_transaction_claim"] = str(claims.get("txn") or "")
    meta["jwt_audience_claim"] = [aud] if isinstance(aud, str) else list(aud or [])
    details = claims.get("authorization_details")
    meta["jwt_authorization_details"] = list(details) if isinstance(details, list) else []
    meta["subject_entity_name"] = getattr(ctx, "subject_entity_name", "")
    registration = getattr(ctx, "registration", None)
    if isinstance(registration, Mapping):
        meta["agent_registration_id"] = str(registration.get("id", ""))
        meta["agent_display_name"] = str(registration.get("display_name", ""))
    for name in ("delegation_id", "purpose"):
        value = _claim(ctx, name)
        if value:
            meta[name] = str(value)
    return {k: v for k, v in meta.items() if v not in ("", None, [])}


def denied_layer(decision: Any, error: Any) -> str:
    """The layer that refused the request ('' when not an agent refusal)."""
    for source in (error, decision):
        layer = getattr(source, "layer", None)
        if isinstance(layer, str) and layer and not getattr(source, "allowed", False):
            return layer
    return ""


def authorization_details(ctx: Any) -> list[Any]:
    """The token's ``authorization_details`` (Vault 2.x's ``auth.authorization_details``)."""
    claims = getattr(ctx, "claims", None)
    details = claims.get("authorization_details") if isinstance(claims, Mapping) else None
    return list(details) if isinstance(details, list) else []
