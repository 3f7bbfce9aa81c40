"""The ``userpass`` auth method: users with a password, the plain human login.

Users live under ``user/<lower-cased name>`` in the mount's storage with scrypt password
hashes and Vault's ``token_*`` settings; a login answers with an auth block whose alias
(the user name) lets the core find or create the user's identity entity.
"""

from __future__ import annotations

import threading

from ...framework.backend import Backend, BackendConfig, PathsSpecial
from ...framework.errors import InvalidRequest
from ...framework.response import Auth
from . import login, users
from .users import UserEntry

__all__ = ["UserEntry", "UserpassBackend", "factory"]


class UserpassBackend(Backend):
    """Paths ``users/*`` and ``login/*`` of a userpass mount."""

    backend_type = "userpass"
    kind = "auth"

    def __init__(self, config: BackendConfig):
        super().__init__(config, special=PathsSpecial(unauthenticated=("login/*",)))
        self.lock = threading.Lock()
        self.add_paths(users.paths(self))
        self.add_paths(login.paths(self))

    def user(self, username: str) -> UserEntry | None:
        """The stored user (name case-insensitive), or None."""
        if not username:
            return None
        raw = self.storage.get_json("user/" + username.lower())  # type: ignore[attr-defined]
        return None if raw is None else UserEntry.from_storage(raw).upgraded()

    def save_user(self, username: str, user: UserEntry) -> None:
        """Persist a user under its lower-cased name."""
        self.storage.put_json("user/" + username.lower(), user.to_storage())  # type: ignore[attr-defined]

    def renew_auth(self, entry: object) -> Auth | None:
        """Renewal of a login token, as Vault's userpass does it: none at all (204, the TTL
        stays) once the user is deleted, refused when the user's token policies changed
        since the login, otherwise with the user's current TTL settings."""
        internal = getattr(entry, "internal", None) or {}
        meta = getattr(entry, "meta", None) or {}
        user = self.user(str(internal.get("username") or meta.get("username") or ""))
        if user is None:
            return None
        granted = {p for p in getattr(entry, "policies", None) or [] if p != "default"}
        if {p for p in user.token_policies if p != "default"} != granted:
            raise InvalidRequest("failed to renew entry: policies have changed, not renewing")
        return Auth(
            ttl=user.token_ttl,
            max_ttl=user.token_max_ttl,
            period=user.token_period,
            explicit_max_ttl=int(getattr(entry, "lease_explicit_max_ttl", 0) or 0),
        )


def factory(config: BackendConfig) -> UserpassBackend:
    """Create a userpass backend."""
    return UserpassBackend(config)
