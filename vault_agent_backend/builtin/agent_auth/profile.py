"""The resource-server profile that trusts the built-in issuer, in-process.

Each ``agent`` auth mount has one OAuth resource-server profile (``builtin-auth-agent`` for
``auth/agent/``) whose ``issuer_id`` is the mount's issuer and whose static public keys are
the mount's published signing keys, so that the built-in tokens go through exactly the
same per-request path as external ones -- and the server never fetches its own JWKS over
HTTP. The keys are rewritten on rotation and checked again at every issuance; fields an
operator tunes (audiences, ``no_default_policy``, ``enabled``, ...) are kept.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ...storage.view import encode_json
from ..oauth_resource_server import Profile, normalize_issuer, resource_server
from .keys import ALGORITHMS, SigningKey

if TYPE_CHECKING:
    from ...core.core import Core

__all__ = ["DEFAULT_AUDIENCE", "ensure_profile", "profile_name", "remove_profile"]

DEFAULT_AUDIENCE = "vault"


def profile_name(route_path: str) -> str:
    """The profile name of a mount (``auth/agent/`` → ``builtin-auth-agent``)."""
    return "builtin-" + route_path.strip("/").replace("/", "-")


def ensure_profile(core: Core, route_path: str, issuer: str, keys: Sequence[SigningKey]) -> Profile:
    """The mount's profile, created or brought up to date (issuer and keys) when needed."""
    store = resource_server(core).profiles
    name = profile_name(route_path)
    wanted_keys = [{"key_id": k.kid, "pem": k.public_pem()} for k in keys]
    issuer_id = normalize_issuer(issuer)
    current = store.get(name)
    if (
        current is not None
        and current.issuer_id == issuer_id
        and not current.use_jwks
        and current.public_keys == wanted_keys
    ):
        return current
    if current is None:
        profile = Profile(
            profile_name=name,
            config_id=str(uuid.uuid4()),
            issuer_id=issuer_id,
            use_jwks=False,
            public_keys=wanted_keys,
            audiences=[DEFAULT_AUDIENCE],
            supported_algorithms=list(ALGORITHMS),
        )
    else:
        profile = Profile.from_storage(current.to_storage())
        profile.issuer_id = issuer_id
        profile.use_jwks = False
        profile.jwks_uri = ""
        profile.jwks_ca_pem = ""
        profile.public_keys = wanted_keys
    store.view.put("profile/" + name, encode_json(profile.to_storage()))
    core.bump_generation()
    return profile


def remove_profile(core: Core, route_path: str) -> None:
    """Delete the profile of a mount that is being disabled."""
    resource_server(core).profiles.delete(profile_name(route_path))
