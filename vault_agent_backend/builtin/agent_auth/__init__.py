"""The built-in OAuth 2.0 authorization server for agents (auth method type ``agent``,
SPEC §7, **extension**).

Enabled at ``auth/agent/`` in dev mode (and with ``sys/auth`` anywhere). The issuer is
``{api_addr}/v1/auth/<mount>``. Agents authenticate with ``private_key_jwt`` or a client
secret and get RFC 9068 access tokens carrying RFC 9396 ``authorization_details``:
delegated (RFC 8693 token exchange of a delegation, or of another agent's token) or direct
(``client_credentials``). The tokens are accepted through a resource-server profile that
trusts the mount's keys in-process (:mod:`.profile`), so they go through exactly the same
per-request path as tokens of external issuers.

Modules: :mod:`.oauth` (wire format), :mod:`.keys` (signing keys), :mod:`.client_auth`
(agent authentication, single-use assertions), :mod:`.issuance` (grants, layer checks,
claims), :mod:`.introspection` (RFC 7662/7009), :mod:`.metadata` (RFC 8414),
:mod:`.endpoints` (paths), :mod:`.install` (dev mode, root route, tidy).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from ...framework.backend import Backend, BackendConfig, PathsSpecial
from ...framework.errors import InvalidRequest
from ...framework.request import Operation, Request
from ...framework.response import Response
from ..oauth_resource_server import Profile
from .client_auth import ClientAuthenticator
from .endpoints import paths
from .issuance import Issuer
from .keys import ALGORITHMS, DEFAULT_ALGORITHM, KeyRing, SigningKey
from .profile import ensure_profile, profile_name

__all__ = ["AgentAuthBackend", "factory"]

log = logging.getLogger(__name__)

_UNAUTHENTICATED = ("token", "login", "introspect", "revoke", "jwks", ".well-known/*")
_OAUTH_POSTS = frozenset({"token", "login", "introspect", "revoke"})
"""Paths whose handlers read their parameters themselves (:class:`.oauth.Params`)."""
OVERLAP_MARGIN = 60
"""Seconds added to the longest token lifetime when a rotation keeps the previous key."""


class AgentAuthBackend(Backend):
    """One ``agent`` auth mount: the authorization server of its own issuer."""

    backend_type = "agent"
    kind = "auth"

    def __init__(self, config: BackendConfig):
        super().__init__(config, special=PathsSpecial(unauthenticated=_UNAUTHENTICATED))
        self.core = config.core
        self.keys = KeyRing(self.storage.sub("keyring/"))  # type: ignore[attr-defined]
        self.client_auth = ClientAuthenticator(self.core, self.storage.sub("client-auth/"))  # type: ignore[attr-defined]
        self.issuer_service = Issuer(self)
        self.add_paths(paths(self))

    def handle_request(self, request: Request) -> Response | None:
        """As every backend, except that the OAuth endpoints skip the framework's field
        conversion: their parameters are checked by :class:`.oauth.Params`, so that a
        repeated or mistyped parameter is an RFC 6749 ``invalid_request`` (raw JSON), not a
        Vault field-validation error."""
        if request.operation in (Operation.UPDATE, Operation.CREATE):
            routed = self.route(request.rel_path)
            if routed is not None and routed[0].pattern in _OAUTH_POSTS:
                path, captures = routed
                handler = path.handler_for(request.operation)
                if handler is not None:
                    return handler.callback(request, path.field_data(request, captures))
        return super().handle_request(request)

    # ----- identity of the issuer --------------------------------------------------------------

    @property
    def issuer(self) -> str:
        """``{api_addr}/v1/auth/<mount>`` (no trailing slash)."""
        base = self.core.options.api_addr.rstrip("/")
        return f"{base}/v1/{self.config.mount_path.rstrip('/')}"

    @property
    def profile_name(self) -> str:
        """The name of this mount's resource-server profile."""
        return profile_name(self.config.mount_path)

    def ensure_profile(self, keys: Sequence[SigningKey] | None = None) -> Profile:
        """The resource-server profile trusting this issuer, up to date with the keys."""
        published = list(keys) if keys is not None else self.keys.published()
        return ensure_profile(self.core, self.config.mount_path, self.issuer, published)

    # ----- settings and keys -------------------------------------------------------------------

    def signing_algorithm(self) -> str:
        """The configured signing algorithm (``EdDSA`` unless set to ``ES256``)."""
        raw = self.storage.get_json("config")  # type: ignore[attr-defined]
        return (raw or {}).get("signing_algorithm") or DEFAULT_ALGORITHM

    def set_signing_algorithm(self, alg: str) -> None:
        """Store the algorithm used by the next rotation (and the first key)."""
        if alg not in ALGORITHMS:
            raise InvalidRequest('signing_algorithm must be "EdDSA" or "ES256"')
        raw = self.storage.get_json("config") or {}  # type: ignore[attr-defined]
        raw["signing_algorithm"] = alg
        self.storage.put_json("config", raw)  # type: ignore[attr-defined]

    def config_view(self) -> dict[str, Any]:
        """``GET auth/<mount>/config``."""
        issuer = self.issuer
        current = self.keys.current()
        return {
            "issuer": issuer,
            "signing_algorithm": self.signing_algorithm(),
            "current_key_id": current.kid,
            "current_key_algorithm": current.alg,
            "resource_server_profile": self.profile_name,
            "metadata_url": f"{self.core.options.api_addr.rstrip('/')}"
            f"/.well-known/oauth-authorization-server/v1/{self.config.mount_path.rstrip('/')}",
            "token_endpoint": f"{issuer}/token",
            "jwks_uri": f"{issuer}/jwks",
        }

    def longest_token_lifetime(self) -> int:
        """The longest lifetime any registered agent's tokens may have, plus a margin."""
        registry = self.core.hooks.get("agent_registry")
        longest = 300
        if registry is not None:
            for record in registry.store.all():
                longest = max(longest, int(record.get("max_ttl") or 300))
        return longest + OVERLAP_MARGIN

    def rotate(self, alg: str, overlap: int) -> SigningKey:
        """A new current key; the previous ones stay published for ``overlap`` seconds."""
        new_key, published = self.keys.rotate(alg, overlap)
        self.ensure_profile(published)
        return new_key

    # ----- lifecycle ---------------------------------------------------------------------------

    def initialize(self) -> None:
        """Create the first key and the resource-server profile (idempotent, every worker)."""
        try:
            self.keys.ensure(self.signing_algorithm())
            self.ensure_profile()
        except Exception:  # never keep the mount table from loading; issuance retries
            log.exception("agent auth mount %s: setting up keys failed", self.config.mount_path)


def factory(config: BackendConfig) -> AgentAuthBackend:
    """Create an ``agent`` auth backend."""
    return AgentAuthBackend(config)
