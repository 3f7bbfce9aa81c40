"""RFC 8414 authorization server metadata (and its OpenID Connect discovery form), and the
server-root route ``/.well-known/oauth-authorization-server/v1/auth/<mount>``.

The root route is answered by the mount itself: the request is turned into a read of
``auth/<mount>/.well-known/oauth-authorization-server`` and run through the core's request
pipeline (seal state, audit, cache coherence) like any other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...policy.rar import SUPPORTED_TYPES
from ..oauth_resource_server.keys import ALGORITHMS as ASSERTION_ALGORITHMS
from .keys import ALGORITHMS
from .oauth import (
    ACCESS_TOKEN_TYPE,
    AUTH_METHODS,
    DELEGATION_TOKEN_TYPE,
    GRANT_TYPES,
    JWT_TOKEN_TYPE,
)

if TYPE_CHECKING:
    from ...core.core import Core

__all__ = ["ROOT_RULE", "metadata_document", "root_view"]

ROOT_RULE = "/.well-known/oauth-authorization-server/v1/auth/<path:mount>"
WELL_KNOWN = ".well-known/oauth-authorization-server"


def metadata_document(issuer: str, *, oidc: bool = False) -> dict[str, Any]:
    """The metadata of the issuer ``issuer`` (``{api_addr}/v1/auth/<mount>``)."""
    doc: dict[str, Any] = {
        "issuer": issuer,
        "token_endpoint": f"{issuer}/token",
        "jwks_uri": f"{issuer}/jwks",
        "introspection_endpoint": f"{issuer}/introspect",
        "revocation_endpoint": f"{issuer}/revoke",
        "grant_types_supported": list(GRANT_TYPES),
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "token_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGORITHMS),
        "introspection_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "revocation_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "authorization_details_types_supported": list(SUPPORTED_TYPES),
        "subject_token_types_supported": [DELEGATION_TOKEN_TYPE, ACCESS_TOKEN_TYPE, JWT_TOKEN_TYPE],
        "access_token_signing_alg_values_supported": list(ALGORITHMS),
        "vault_login_endpoint": f"{issuer}/login",
    }
    if oidc:
        doc["subject_types_supported"] = ["public"]
        doc["id_token_signing_alg_values_supported"] = list(ALGORITHMS)
    return doc


def root_view(core: Core) -> Any:
    """The Flask view of :data:`ROOT_RULE` (RFC 8414 §3: the issuer path inserted)."""

    def view(mount: str) -> Any:
        from flask import request as http_request

        from ...core.request_handling import handle_request
        from ...framework.errors import InternalError, NotFound, VaultError
        from ...http.app import error_response, to_http
        from ...http.parsing import to_logical

        mount = mount.strip("/")
        path = f"auth/{mount}/{WELL_KNOWN}"
        try:
            logical = to_logical(http_request, path, core.options.max_request_size)
            if not core.sealed:
                core.refresh_if_stale()
                routed = core.route(logical.path)
                if routed is None or routed[0].type != "agent" or routed[0].path != mount + "/":
                    return error_response(NotFound())
            response = handle_request(core, logical)
        except VaultError as exc:
            return error_response(exc)
        except Exception:
            return error_response(InternalError("internal error"))
        return to_http(logical.operation, logical.id, response, logical.http_method)

    return view
