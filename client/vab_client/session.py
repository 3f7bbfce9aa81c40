"""``AgentSession``: what agent code holds to talk to Vault as an agent.

It keeps the agent's credentials (a private key or a client secret) and, optionally, the
delegation it acts under. For each transaction it asks the built-in authorization server
for a short-lived token carrying exactly that transaction's ``authorization_details``,
re-issues it shortly before it expires, and gives an ``hvac.Client`` that always sends a
valid token::

    session = AgentSession("http://127.0.0.1:8200", client_id, private_key=pem,
                           delegation_id=delegation_id)
    with session.transaction([path_access("secret/data/app/db", "read")],
                             purpose="rotate the app's DB password") as vault:
        secret = vault.secrets.kv.v2.read_secret_version(path="app/db", mount_point="secret")

The human's Vault token is never needed: a delegation id is not a credential by itself
(only the agent it was granted to can exchange it, with its own credentials).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import hvac
from hvac.adapters import JSONAdapter

from .oauth import AuthorizationServer, ClientCredentials

__all__ = ["AgentSession", "IssuedToken"]

Details = Sequence[Mapping[str, Any]] | None


@dataclass(frozen=True)
class IssuedToken:
    """An access token and when it stops being usable."""

    access_token: str
    expires_at: float
    authorization_details: tuple[Any, ...] | None
    txn: str


class _RefreshingAdapter(JSONAdapter):
    """An hvac adapter that asks its session for a fresh token before every request."""

    refresh: Any = None

    def request(self, *args: Any, **kwargs: Any) -> Any:
        if self.refresh is not None:
            self.token = self.refresh()
        return super().request(*args, **kwargs)


def _key(details: Details) -> Any:
    if details is None:
        return None
    return json.dumps(list(details), sort_keys=True)


class AgentSession:
    """An agent's credentials plus a cache of short-lived tokens per transaction."""

    def __init__(
        self,
        url: str,
        client_id: str,
        *,
        private_key: Any = None,
        key_id: str | None = None,
        client_secret: str | None = None,
        auth_method: str | None = None,
        delegation_id: str | None = None,
        mount_point: str = "agent",
        refresh_margin: float = 30.0,
        ttl: int | str | None = None,
        verify: bool | str = True,
        timeout: int = 30,
        namespace: str | None = None,
    ):
        self.url = url
        self.credentials = ClientCredentials(
            client_id,
            private_key=private_key,
            key_id=key_id,
            client_secret=client_secret,
            method=auth_method,
        )
        self.delegation_id = delegation_id
        self.refresh_margin = refresh_margin
        self.ttl = ttl
        self._http = hvac.Client(url=url, verify=verify, timeout=timeout, namespace=namespace)
        self._client_options = {"verify": verify, "timeout": timeout, "namespace": namespace}
        self.server = AuthorizationServer(self._http, mount_point)
        self._tokens: dict[tuple[Any, str, str], IssuedToken] = {}
        self._lock = threading.Lock()
        self.issued = 0
        """How many tokens this session obtained (instrumentation)."""

    # ----- tokens ------------------------------------------------------------------------------

    def _fresh(self, current: IssuedToken | None) -> bool:
        return current is not None and time.time() < current.expires_at - self.refresh_margin

    def issue(
        self, authorization_details: Details = None, *, txn: str = "", purpose: str = ""
    ) -> IssuedToken:
        """Ask the authorization server for a new token (always a new request)."""
        response = self.server.token(
            self.credentials,
            delegation_id=self.delegation_id,
            authorization_details=authorization_details,
            ttl=self.ttl,
            txn=txn or None,
            purpose=purpose or None,
        )
        self.issued += 1
        details = response.get("authorization_details")
        return IssuedToken(
            access_token=response["access_token"],
            expires_at=time.time() + float(response.get("expires_in") or 0),
            authorization_details=tuple(details) if details is not None else None,
            txn=txn,
        )

    def token(
        self, authorization_details: Details = None, *, txn: str = "", purpose: str = ""
    ) -> str:
        """A valid token for these authorization details (re-issued shortly before expiry)."""
        key = (_key(authorization_details), txn, purpose)
        with self._lock:
            current = self._tokens.get(key)
            if not self._fresh(current):
                current = self.issue(authorization_details, txn=txn, purpose=purpose)
                self._tokens[key] = current
            return current.access_token

    # ----- clients -----------------------------------------------------------------------------

    def client(
        self, authorization_details: Details = None, *, txn: str = "", purpose: str = ""
    ) -> hvac.Client:
        """An ``hvac.Client`` whose every request carries a valid token for these details."""
        vault = hvac.Client(url=self.url, adapter=_RefreshingAdapter, **self._client_options)
        vault.adapter.refresh = lambda: self.token(authorization_details, txn=txn, purpose=purpose)
        return vault

    @contextlib.contextmanager
    def transaction(
        self,
        authorization_details: Details,
        *,
        purpose: str = "",
        txn: str | None = None,
        revoke: bool = True,
    ) -> Iterator[hvac.Client]:
        """One transaction: its own ``txn`` id and token(s), revoked at the end."""
        txn = txn or str(uuid.uuid4())
        vault = self.client(authorization_details, txn=txn, purpose=purpose)
        try:
            yield vault
        finally:
            key = (_key(authorization_details), txn, purpose)
            with self._lock:
                issued = self._tokens.pop(key, None)
            if revoke and issued is not None and time.time() < issued.expires_at:
                with contextlib.suppress(hvac.exceptions.VaultError):
                    self.server.revoke(issued.access_token, self.credentials)

    def revoke_all(self) -> None:
        """Revoke every unexpired token this session holds."""
        with self._lock:
            tokens, self._tokens = list(self._tokens.values()), {}
        for issued in tokens:
            if time.time() < issued.expires_at:
                with contextlib.suppress(hvac.exceptions.VaultError):
                    self.server.revoke(issued.access_token, self.credentials)
