"""RFC 7662 introspection and RFC 7009 revocation of the built-in issuer's tokens.

Introspection answers ``active: true`` only for a token of this issuer that the resource
server would accept on a request right now (signature, expiry, revocation, registration,
delegation -- the same checks, from current state), with its claims including ``act`` and
``authorization_details``. A registered agent may introspect only its own tokens; other
tokens are reported inactive (RFC 7662 §2.2 allows it).

Revocation records the token's ``jti`` in the resource server's shared revoked-``jti``
store until the token expires; every worker and node refuses it on the next request.
Invalid or expired tokens are answered 200 as RFC 7009 asks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import jwt

from ...agent.decision import AgentDenied
from ...core.request_handling import looks_like_jwt
from ..oauth_resource_server import normalize_issuer, revoke
from .client_auth import AuthenticatedClient
from .oauth import OAuthError

if TYPE_CHECKING:
    from . import AgentAuthBackend

__all__ = ["INACTIVE", "introspect", "revoke_token"]

INACTIVE: dict[str, Any] = {"active": False}
_CLAIMS = (
    "iss",
    "sub",
    "aud",
    "client_id",
    "iat",
    "nbf",
    "exp",
    "jti",
    "act",
    "authorization_details",
    "delegation_id",
    "txn",
    "purpose",
)


def introspect(
    backend: AgentAuthBackend, token: str, client: AuthenticatedClient | None
) -> dict[str, Any]:
    """The RFC 7662 answer for ``token`` (``client`` None: an operator asks)."""
    if not token or not looks_like_jwt(token):
        return dict(INACTIVE)
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return dict(INACTIVE)
    if normalize_issuer(str(claims.get("iss", ""))) != normalize_issuer(backend.issuer):
        return dict(INACTIVE)
    if client is not None and claims.get("client_id") != client.client_id:
        return dict(INACTIVE)
    try:
        ctx = backend.core.hooks["agent_authenticator"].resolve(token)
    except AgentDenied:
        return dict(INACTIVE)
    body: dict[str, Any] = {"active": True, "token_type": "Bearer"}
    for name in _CLAIMS:
        if name in ctx.claims:
            body[name] = ctx.claims[name]
    body["username"] = ctx.subject_entity_name
    body["agent_registration_id"] = ctx.registration_id
    body["agent_display_name"] = ctx.agent_display_name
    return body


def revoke_token(backend: AgentAuthBackend, token: str, client: AuthenticatedClient | None) -> None:
    """Revoke a token of this issuer (no error for invalid or expired tokens)."""
    if not token or not looks_like_jwt(token):
        return
    keys = {k.kid: k for k in backend.keys.published()}
    try:
        header = jwt.get_unverified_header(token)
        key = keys.get(header.get("kid") or "")
        if key is None:
            return
        claims = jwt.decode(
            token,
            key.public,
            algorithms=[key.alg],
            options={"verify_aud": False, "require": ["exp", "jti", "iss"]},
        )
    except jwt.PyJWTError:
        return
    if normalize_issuer(str(claims["iss"])) != normalize_issuer(backend.issuer):
        return
    if client is not None and claims.get("client_id") != client.client_id:
        raise OAuthError("unauthorized_client", "the token was not issued to this client")
    revoke(backend.core.storage, str(claims["iss"]), str(claims["jti"]), int(claims["exp"]))
