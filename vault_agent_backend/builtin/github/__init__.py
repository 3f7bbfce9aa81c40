"""The ``github`` auth method: log in with a GitHub personal access token.

As Vault's: ``config`` names the organization (its ID is looked up once and kept) and the
API ``base_url``; ``map/teams/:key`` and ``map/users/:key`` map team names/slugs and user
logins to comma-separated policies (the ``default`` key of each map applies to everyone);
``login`` asks GitHub (``GET user``, ``user/orgs``, ``user/teams``) who owns the token and
answers with an auth block: policies from the config's ``token_policies`` plus both maps,
metadata ``org``/``username``, alias = the GitHub login. Modules: ``client`` (the GitHub
API calls), ``config``, ``maps`` and ``login`` (the paths).

The personal token is an ordinary request field, so the audit log HMACs it like every
request string; it is never logged nor put into an error. As in Vault it is kept in the
login token's internal data (behind the storage barrier, never shown) because a renewal
checks the user's membership again.

Errors are Vault's: a login GitHub refuses, a user outside the organization or a missing
configuration answer 500 with the error text (``user is not part of required org``), a
client outside ``token_bound_cidrs`` 403, a config without ``organization`` 400.

Not done as Vault: the user's teams do not become identity group aliases (the core has no
group aliases from logins yet), and there is no alias lookahead. A renewal compares the
token's policies with the configured ``token_policies`` plus the mapped ones (Vault's
pathLoginRenew compares the token's policies with the mapped ones only).
"""

from __future__ import annotations

import threading
from typing import Any

from ...framework.backend import Backend, BackendConfig, PathsSpecial
from ...framework.errors import InvalidRequest, VaultError
from ...framework.response import Auth
from . import config, login, maps
from .client import GitHubClient
from .config import GitHubConfig

__all__ = ["GitHubBackend", "GitHubClient", "GitHubConfig", "factory"]

CONFIG_KEY = "config"


class GitHubBackend(Backend):
    """Paths ``config``, ``map/teams/*``, ``map/users/*`` and ``login`` of a github mount."""

    backend_type = "github"
    kind = "auth"

    def __init__(self, config_: BackendConfig):
        super().__init__(config_, special=PathsSpecial(unauthenticated=("login",)))
        self.lock = threading.Lock()
        self.team_map = maps.PolicyMap(self, "teams")
        self.user_map = maps.PolicyMap(self, "users")
        self.add_paths(config.paths(self))
        self.add_paths(self.team_map.paths())
        self.add_paths(self.user_map.paths())
        self.add_paths(login.paths(self))

    def client(self, token: str, base_url: str) -> GitHubClient:
        """A GitHub API client for ``token`` at ``base_url`` (GitHub's own when empty)."""
        return GitHubClient(token, base_url)

    def load_config(self) -> GitHubConfig | None:
        """The stored configuration (deprecated TTLs carried into ``token_*``), or None."""
        raw: dict[str, Any] | None = self.storage.get_json(CONFIG_KEY)  # type: ignore[attr-defined]
        return None if raw is None else GitHubConfig.from_storage(raw).upgraded()

    def save_config(self, cfg: GitHubConfig) -> None:
        """Persist the configuration."""
        self.storage.put_json(CONFIG_KEY, cfg.to_storage())  # type: ignore[attr-defined]

    def renew_auth(self, entry: object) -> Auth:
        """A renewal checks the user against GitHub again (Vault's pathLoginRenew): refused
        when the token is no longer accepted or the mapped policies changed; otherwise
        with the configuration's current TTLs."""
        internal = getattr(entry, "internal", None) or {}
        token = internal.get("token")
        if not isinstance(token, str):
            raise InvalidRequest(
                "failed to renew entry: token created in previous version of Vault cannot be "
                "validated properly at renewal time"
            )
        try:
            verified = login.verify_credentials(self, token, None)
        except VaultError as exc:  # as Vault: the renewal fails with the check's error
            raise InvalidRequest(f"failed to renew entry: {exc}") from None
        cfg = verified.config
        wanted = {p for p in [*cfg.token_policies, *verified.policies] if p != "default"}
        granted = {p for p in getattr(entry, "policies", None) or [] if p != "default"}
        if wanted != granted:
            raise InvalidRequest("failed to renew entry: policies do not match")
        return Auth(
            ttl=cfg.token_ttl,
            max_ttl=cfg.token_max_ttl,
            period=cfg.token_period,
            explicit_max_ttl=int(getattr(entry, "lease_explicit_max_ttl", 0) or 0),
        )


def factory(config_: BackendConfig) -> GitHubBackend:
    """Create a github auth backend."""
    return GitHubBackend(config_)
