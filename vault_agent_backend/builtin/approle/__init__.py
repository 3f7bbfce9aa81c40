"""The ``approle`` auth method: machines log in with a role_id and a secret ID.

Modules: ``model`` (RoleEntry, SecretIDEntry), ``store`` (storage layout, HMAC-keyed
secret IDs, atomic use counting, tidy), ``util`` (CIDR rules, metadata parsing, HMACs),
``paths_role`` (``role/``, ``role/:role_name``, ``role-id``), ``paths_fields`` (one path per
role setting), ``paths_secret`` (secret IDs, accessors, tidy) and ``login``.

Secret IDs are never stored in clear: each lives under the HMAC-SHA256 of its value keyed
by the role's random ``hmac_key``; accessors and role_ids are indexed under HMACs keyed by
a random per-mount salt. A login's identity alias is the role_id (as in Vault), its
metadata the secret ID's metadata plus ``role_name``.
"""

from __future__ import annotations

from ...framework.backend import Backend, BackendConfig, PathsSpecial
from ...framework.errors import InvalidRequest
from ...framework.response import Auth
from . import login, paths_fields, paths_role, paths_secret
from .model import RoleEntry, SecretIDEntry
from .store import AppRoleStore
from .util import go_quote

__all__ = ["AppRoleBackend", "RoleEntry", "SecretIDEntry", "factory"]

DEFAULT_MAX_LEASE_TTL = 32 * 24 * 3600


class AppRoleBackend(Backend):
    """Paths ``role/*``, ``login`` and ``tidy/secret-id`` of an AppRole mount."""

    backend_type = "approle"
    kind = "auth"

    def __init__(self, config: BackendConfig):
        super().__init__(config, special=PathsSpecial(unauthenticated=("login",)))
        self.core = config.core
        self.store = AppRoleStore(self.storage)  # type: ignore[arg-type]
        self.add_paths(paths_role.paths(self))
        self.add_paths(paths_fields.paths(self))
        self.add_paths(paths_secret.paths(self))
        self.add_paths(login.paths(self))

    def max_lease_ttl(self) -> int:
        """The maximum lease TTL in force on this mount (its tune, else the system's)."""
        core = self.core
        if core is None:
            return DEFAULT_MAX_LEASE_TTL
        for entry in core.mounts("auth"):
            if entry.accessor == self.config.mount_accessor:
                return int(core.mount_ttls(entry)[1])
        return int(core.mount_ttls(None)[1])

    def renew_auth(self, entry: object) -> Auth:
        """Renewals of this mount's tokens follow the role's current TTL settings; a token
        whose role was deleted is not renewed."""
        internal = getattr(entry, "internal", None) or {}
        name = str(internal.get("role_name", ""))
        role = self.store.role(name) if name else None
        if role is None:
            raise InvalidRequest(
                f"failed to renew entry: role {go_quote(name)} does not exist during renewal"
            )
        return Auth(
            ttl=role.token_ttl,
            max_ttl=role.token_max_ttl,
            period=role.token_period,
            explicit_max_ttl=int(getattr(entry, "lease_explicit_max_ttl", 0) or 0),
        )


def factory(config: BackendConfig) -> AppRoleBackend:
    """Create an AppRole backend."""
    return AppRoleBackend(config)
