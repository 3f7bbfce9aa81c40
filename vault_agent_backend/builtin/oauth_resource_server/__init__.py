"""Vault 2.x's OAuth resource server: profiles trusting external issuers, and JWT checks.

:class:`OAuthResourceServer` is the per-core service (``core.hooks["oauth_resource_server"]``)
the agent authenticator and the ``sys/`` endpoints share: the profile store, the JWKS
cache, the revoked-``jti`` check and the RFC 9728 metadata document.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...policy.rar import SUPPORTED_TYPES
from .keys import JWKSCache
from .profiles import Profile, ProfileStore, normalize_issuer
from .revocation import is_revoked, revoke, revoked_key
from .verify import (
    DEFAULT_MAX_TOKEN_SIZE,
    TokenRefused,
    TokenVerifier,
    VerifiedToken,
    claim_value,
)

if TYPE_CHECKING:
    from ...core.core import Core

__all__ = [
    "FEATURE",
    "WELL_KNOWN_PATH",
    "OAuthResourceServer",
    "Profile",
    "ProfileStore",
    "TokenRefused",
    "VerifiedToken",
    "claim_value",
    "normalize_issuer",
    "resource_server",
    "revoke",
    "revoked_key",
]

WELL_KNOWN_PATH = "/.well-known/oauth-protected-resource"
ACTIVATION_KEY = "core/activation-flags"
FEATURE = "oauth-resource-server"


class OAuthResourceServer:
    """Profiles, keys and token checks of one core."""

    def __init__(self, core: Core):
        self.core = core
        self.profiles = ProfileStore(core)
        self.jwks = JWKSCache()
        self.verifier = TokenVerifier(self.profiles, self.jwks)

    @property
    def max_token_size(self) -> int:
        """The largest token accepted (``max_token_header_size``; default 8 KiB)."""
        return int(getattr(self.core.options, "max_token_header_size", 0) or DEFAULT_MAX_TOKEN_SIZE)

    def invalidate(self) -> None:
        """Drop cached profiles and remembered signature checks (JWKS stay: they are keyed
        by URI and expire by age)."""
        self.profiles.invalidate()
        self.verifier.clear()

    def verify(self, token: str) -> VerifiedToken:
        """Verify a JWT for this request (raises :class:`TokenRefused`)."""
        return self.verifier.verify(token, self.max_token_size)

    def is_revoked(self, issuer: str, jti: str) -> bool:
        """Whether the token id was revoked (one storage read)."""
        return is_revoked(self.core.storage, issuer, jti)

    @property
    def resource_metadata_url(self) -> str:
        """Where the RFC 9728 document is served (for ``WWW-Authenticate``)."""
        return self.core.options.api_addr.rstrip("/") + WELL_KNOWN_PATH

    def protected_resource_metadata(self) -> dict[str, Any]:
        """The RFC 9728 protected resource metadata of this server."""
        doc: dict[str, Any] = {"resource": self.core.options.api_addr.rstrip("/")}
        issuers = self.profiles.enabled_issuers()
        if issuers:
            doc["authorization_servers"] = issuers
        doc.update(
            {
                "authorization_details_types_supported": list(SUPPORTED_TYPES),
                "bearer_methods_supported": ["header"],
                "rar_types_metadata_endpoint": (
                    "/v1/sys/oauth-resource-server/authorization-details-types"
                ),
            }
        )
        return doc

    def alias_accessor_info(self, accessor: str) -> tuple[str, str] | None:
        """(type, path) for ``oauth-resource-server_root_<config_id>`` alias accessors, so
        that entity aliases can be bound to a profile as in Vault 2.x."""
        if self.profiles.by_mount_accessor(accessor) is None:
            return None
        return "oauth-resource-server", ""

    # ----- activation flag (the feature works without it; kept for API compatibility) ---------

    def activated_features(self) -> list[str]:
        """Features activated through ``sys/activation-flags/:feature/activate``."""
        import json

        raw = self.core.storage.get(ACTIVATION_KEY)
        return sorted(json.loads(raw)) if raw else []

    def activate(self, feature: str = FEATURE) -> list[str]:
        """Activate a feature (idempotent); returns the activated list."""
        import json

        current = self.activated_features()
        if feature not in current:
            current = sorted([*current, feature])
            self.core.storage.put(ACTIVATION_KEY, json.dumps(current).encode())
        return current


def resource_server(core: Core) -> OAuthResourceServer:
    """The core's resource server service (created and registered on first use)."""
    service = core.hooks.get("oauth_resource_server")
    if service is None:
        service = OAuthResourceServer(core)
        core.hooks["oauth_resource_server"] = service
        core.hooks.setdefault("invalidate", []).append(service.invalidate)
        core.hooks.setdefault("alias_accessors", []).append(service.alias_accessor_info)
    return service
