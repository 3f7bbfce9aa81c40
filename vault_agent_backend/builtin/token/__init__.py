"""``auth/token/``: the token store's API."""

from __future__ import annotations

from ...framework.backend import BackendConfig
from .backend import TokenBackend


def factory(config: BackendConfig) -> TokenBackend:
    """Create the token backend."""
    return TokenBackend(config)
