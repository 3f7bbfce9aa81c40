"""Client (agent) authentication at the authorization server's endpoints.

Three methods (RFC 6749 §2.3, RFC 7523 §2.2, OpenID Connect's names), one per request:

* ``private_key_jwt`` -- ``client_assertion_type`` =
  ``urn:ietf:params:oauth:client-assertion-type:jwt-bearer`` and a ``client_assertion``
  JWT signed with a key of the registration's ``client_public_keys`` (asymmetric
  algorithms only), with ``iss`` = ``sub`` = the registration id, ``aud`` = the token
  endpoint URL (the issuer is accepted too), ``exp`` at most five minutes ahead and a
  ``jti`` that is accepted once: it is recorded with a write-if-absent in shared storage
  (one winner across every worker and node) until the assertion expires;
* ``client_secret_basic`` -- ``Authorization: Basic`` with the registration id and the
  secret made by ``identity/agent/registration/id/:id/secret``;
* ``client_secret_post`` -- ``client_id`` and ``client_secret`` parameters.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

import jwt

from ...storage.view import StorageView, encode_json
from ..oauth_resource_server.keys import ALGORITHMS, KeyLoadError, key_fits_algorithm, load_pem_key
from ..userpass.passwords import burn_time
from .oauth import CLIENT_ASSERTION_TYPE, OAuthError, Params

__all__ = ["MAX_ASSERTION_LIFETIME", "AuthenticatedClient", "ClientAuthenticator"]

MAX_ASSERTION_LIFETIME = 300
"""An assertion's ``exp`` may lie at most this many seconds ahead."""
LEEWAY = 30
"""Clock skew allowed on ``exp``, ``nbf`` and ``iat``."""
JTI_PREFIX = "client-assertion-jti/"


@dataclass(frozen=True)
class AuthenticatedClient:
    """The registration that authenticated, and how."""

    registration: dict[str, Any]
    method: str

    @property
    def client_id(self) -> str:
        """The registration id."""
        return str(self.registration["id"])


def _header(headers: Mapping[str, str], name: str) -> str:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return ""


def _client_keys(registration: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """(kid or "", public key) for every usable ``client_public_keys`` entry."""
    out: list[tuple[str, Any]] = []
    for item in registration.get("client_public_keys") or []:
        try:
            if isinstance(item, str):
                out.append(("", load_pem_key(item)))
            elif isinstance(item, Mapping) and "pem" in item:
                kid = item.get("kid") or item.get("key_id") or ""
                out.append((str(kid), load_pem_key(str(item["pem"]))))
            elif isinstance(item, Mapping):
                key = jwt.PyJWK(dict(item)).key
                if hasattr(key, "public_key") and not hasattr(key, "verify"):
                    key = key.public_key()
                out.append((str(item.get("kid") or ""), key))
        except (KeyLoadError, jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError):
            continue
    return out


class ClientAuthenticator:
    """Authenticates agents for one ``agent`` mount."""

    def __init__(self, core: Any, view: StorageView):
        self.core = core
        self.view = view

    @property
    def registry(self) -> Any:
        """The agent registry service."""
        return self.core.hooks["agent_registry"]

    def presented(self, req_headers: Mapping[str, str], params: Params) -> bool:
        """Whether the request carries any client credentials."""
        return bool(
            _header(req_headers, "Authorization")[:6].lower() == "basic "
            or params.has("client_assertion")
            or params.has("client_secret")
        )

    def authenticate(
        self,
        req_headers: Mapping[str, str],
        params: Params,
        audiences: Sequence[str],
        *,
        require_active: bool = True,
    ) -> AuthenticatedClient:
        """The authenticated client, or :class:`OAuthError` (``invalid_client``, 401)."""
        authorization = _header(req_headers, "Authorization")
        basic = authorization[:6].lower() == "basic "
        methods = [
            name
            for name, present in (
                ("client_secret_basic", basic),
                ("client_secret_post", params.has("client_secret")),
                ("private_key_jwt", params.has("client_assertion")),
            )
            if present
        ]
        if len(methods) > 1:
            raise OAuthError(
                "invalid_request",
                "use exactly one client authentication method (found: " + ", ".join(methods) + ")",
            )
        if not methods:
            raise self._invalid("client authentication is required")
        method = methods[0]
        if method == "client_secret_basic":
            client = self._basic(authorization[6:].strip(), params)
        elif method == "client_secret_post":
            client = self._secret(params.text("client_id"), params.text("client_secret"), False)
        else:
            client = self._assertion(params, audiences)
        if require_active and client.registration.get("status", "active") != "active":
            raise OAuthError(
                "unauthorized_client",
                f'agent registration "{client.registration["display_name"]}" is suspended',
            )
        return client

    # ----- client secrets ----------------------------------------------------------------------

    def _invalid(self, description: str) -> OAuthError:
        """``invalid_client`` (401). Every 401 names a scheme the server accepts in
        ``WWW-Authenticate`` (RFC 7235 §3.1; RFC 6749 §5.2 for Basic credentials)."""
        headers = {"WWW-Authenticate": 'Basic realm="vault-agent-backend"'}
        return OAuthError("invalid_client", description, status=401, headers=headers)

    def _basic(self, encoded: str, params: Params) -> AuthenticatedClient:
        try:
            decoded = base64.b64decode(encoded, validate=True).decode()
        except (binascii.Error, ValueError):
            raise self._invalid("malformed Basic credentials") from None
        client_id, sep, secret = decoded.partition(":")
        if not sep:
            raise self._invalid("malformed Basic credentials")
        client_id, secret = unquote_plus(client_id), unquote_plus(secret)
        given = params.text("client_id")
        if given and given != client_id:
            raise OAuthError("invalid_request", "client_id does not match the Basic credentials")
        return self._secret(client_id, secret, True)

    def _secret(self, client_id: str, secret: str, basic: bool) -> AuthenticatedClient:
        if not client_id or not secret:
            raise self._invalid("client_id and client_secret are required")
        store = self.registry.store
        record = store.get(client_id)
        if record is None or not record.get("client_secret_hash"):
            burn_time(secret)  # unknown clients answer as slowly as known ones
            raise self._invalid("invalid client credentials")
        if not store.verify_client_secret(client_id, secret):
            raise self._invalid("invalid client credentials")
        method = "client_secret_basic" if basic else "client_secret_post"
        return AuthenticatedClient(record, method)

    # ----- private_key_jwt ---------------------------------------------------------------------

    def _assertion(self, params: Params, audiences: Sequence[str]) -> AuthenticatedClient:
        kind = params.text("client_assertion_type")
        if kind != CLIENT_ASSERTION_TYPE:
            raise self._invalid(f'client_assertion_type must be "{CLIENT_ASSERTION_TYPE}"')
        assertion = params.text("client_assertion")
        try:
            header = jwt.get_unverified_header(assertion)
            unverified = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise self._invalid(f"malformed client_assertion: {exc}") from None
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise self._invalid(
                f'client_assertion algorithm "{alg}" is not accepted (asymmetric only)',
            )
        client_id = unverified.get("sub")
        if not isinstance(client_id, str) or not client_id:
            raise self._invalid('client_assertion has no "sub" (the client id)')
        given = params.text("client_id")
        if given and given != client_id:
            raise self._invalid("client_id does not match the client_assertion")
        record = self.registry.store.get(client_id)
        if record is None:
            raise self._invalid(f'unknown client "{client_id}"')
        kid = header.get("kid")
        keys = [
            key
            for key_id, key in _client_keys(record)
            if (not kid or not key_id or key_id == kid) and key_fits_algorithm(key, alg)
        ]
        if not keys:
            raise self._invalid(
                f'no client_public_keys entry of agent "{record["display_name"]}" can verify '
                f"this {alg} assertion" + (f' (kid "{kid}")' if kid else ""),
            )
        claims = self._verify(assertion, alg, keys, client_id, audiences)
        self._check_times(claims)
        self._use_jti(client_id, claims)
        return AuthenticatedClient(record, "private_key_jwt")

    def _verify(
        self, assertion: str, alg: str, keys: list[Any], client_id: str, audiences: Sequence[str]
    ) -> dict[str, Any]:
        for key in keys:
            try:
                return jwt.decode(
                    assertion,
                    key,
                    algorithms=[alg],
                    audience=list(audiences),
                    issuer=client_id,
                    leeway=LEEWAY,
                    options={"require": ["exp", "iss", "sub", "aud", "jti"]},
                )
            except jwt.InvalidSignatureError:
                continue
            except jwt.InvalidAudienceError:
                raise self._invalid(
                    f'client_assertion "aud" must be the token endpoint URL "{audiences[0]}"',
                ) from None
            except jwt.InvalidIssuerError:
                raise self._invalid(
                    'client_assertion "iss" and "sub" must both be the client id'
                ) from None
            except jwt.PyJWTError as exc:
                raise self._invalid(f"invalid client_assertion: {exc}") from None
        raise self._invalid("client_assertion signature verification failed")

    def _check_times(self, claims: Mapping[str, Any]) -> None:
        now = time.time()
        exp = claims["exp"]
        if not isinstance(exp, int | float) or exp > now + MAX_ASSERTION_LIFETIME + LEEWAY:
            raise self._invalid(
                f'client_assertion "exp" must lie at most {MAX_ASSERTION_LIFETIME} seconds ahead',
            )
        jti = claims["jti"]
        if not isinstance(jti, str) or not jti or len(jti) > 512:
            raise self._invalid('client_assertion "jti" must be a non-empty string')

    def _use_jti(self, client_id: str, claims: Mapping[str, Any]) -> None:
        """Record the assertion's ``jti``; refuse it when it was already recorded."""
        digest = hashlib.sha256(f"{client_id}\x00{claims['jti']}".encode()).hexdigest()
        key = JTI_PREFIX + digest
        value = encode_json({"exp": int(claims["exp"]) + LEEWAY})
        if not self.view.apply_if_absent(key, [(key, value)]):
            raise self._invalid("client_assertion has already been used (its jti was seen before)")

    def purge(self, now: float | None = None) -> int:
        """Forget recorded ``jti``s of assertions that have expired."""
        now = time.time() if now is None else now
        stale: list[tuple[str, bytes | None]] = []
        for name in self.view.list(JTI_PREFIX):
            raw = self.view.get(JTI_PREFIX + name)
            try:
                exp = json.loads(raw)["exp"] if raw else 0
            except (ValueError, KeyError, TypeError):
                exp = 0
            if exp < now:
                stale.append((JTI_PREFIX + name, None))
        if stale:
            self.view.apply(stale)
        return len(stale)
