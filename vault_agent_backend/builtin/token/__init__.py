"""``auth/token/``: the token store and its API.

Modules: ``entry`` (TokenEntry and its lookup view), ``store`` (storage: create, lookup,
use counts, renew, revoke trees, tidy), ``batch`` (AES-GCM sealed batch tokens), ``ttl``
(Vault's TTL arithmetic), ``policies`` (policy-list rules), ``roles`` (token roles),
``paths_create`` / ``paths_lookup`` / ``paths_renew_revoke`` (the HTTP paths) and
``backend`` (wiring, sudo checks, auth blocks). Login tokens are minted by
:func:`vault_agent_backend.core.login.finish_login` through the same store.

An auth method may define ``renew_auth(entry) -> Auth`` on its backend: token renewals of
its logins then use the returned ``ttl``/``max_ttl``/``period``/``explicit_max_ttl``, it
returns None to decline (204, the expiry stays) or raises a VaultError to refuse; without it
the values stored at login apply.
"""

from __future__ import annotations

from ...framework.backend import BackendConfig
from .backend import TokenBackend


def factory(config: BackendConfig) -> TokenBackend:
    """Create the token backend."""
    return TokenBackend(config)
