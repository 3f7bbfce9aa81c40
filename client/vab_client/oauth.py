"""Talking OAuth 2.0 to the built-in authorization server (``auth/agent/``), client side.

* :class:`ClientCredentials` -- how an agent authenticates: ``private_key_jwt`` (RFC 7523;
  a fresh single-use assertion per request) or a client secret (basic or post);
* :class:`OAuthError` -- an RFC 6749 §5.2 error answer (``error``, ``error_description``);
* :class:`AuthorizationServer` -- metadata discovery and the token, introspection and
  revocation endpoints, over an ``hvac`` adapter's HTTP session (no Vault token is sent).
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

import hvac
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

__all__ = [
    "CLIENT_ASSERTION_TYPE",
    "DELEGATION_TOKEN_TYPE",
    "TOKEN_EXCHANGE",
    "AuthorizationServer",
    "ClientCredentials",
    "OAuthError",
    "path_access",
]

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
CLIENT_CREDENTIALS = "client_credentials"
DELEGATION_TOKEN_TYPE = "urn:vab:params:oauth:token-type:delegation"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME = 60


def path_access(path: str, *capabilities: str, **params: Any) -> dict[str, Any]:
    """One RFC 9396 entry of type ``vault:path_access``."""
    entry: dict[str, Any] = {
        "type": "vault:path_access",
        "path": path,
        "capabilities": list(capabilities),
    }
    entry.update(params)
    return entry


class OAuthError(hvac.exceptions.InvalidRequest):
    """The authorization server refused: ``error`` and ``error_description`` (RFC 6749)."""

    def __init__(self, error: str, description: str, status: int, url: str = ""):
        super().__init__(f"{error}: {description}", errors=[f"{error}: {description}"], url=url)
        self.error = error
        self.error_description = description
        self.status = status


def _load_private_key(key: Any) -> Any:
    if isinstance(key, str | bytes):
        data = key.encode() if isinstance(key, str) else key
        return serialization.load_pem_private_key(data, password=None)
    return key


def _algorithm_for(key: Any) -> str:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "EdDSA"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}[key.curve.name]
    if isinstance(key, rsa.RSAPrivateKey):
        return "PS256"
    raise ValueError("unsupported private key type: use Ed25519, ECDSA or RSA")


@dataclass
class ClientCredentials:
    """An agent's credentials: its registration id and a private key or a client secret.

    ``private_key`` is a PEM string/bytes or a ``cryptography`` private key whose public
    half is in the registration's ``client_public_keys``; ``key_id`` is sent as ``kid``
    when the registered key has one. ``method`` is ``private_key_jwt`` (default with a
    key), ``client_secret_basic`` (default with a secret) or ``client_secret_post``.
    """

    client_id: str
    private_key: Any = None
    key_id: str | None = None
    algorithm: str | None = None
    client_secret: str | None = None
    method: str | None = None

    def __post_init__(self) -> None:
        if self.private_key is not None:
            self.private_key = _load_private_key(self.private_key)
            self.algorithm = self.algorithm or _algorithm_for(self.private_key)
        if self.method is None:
            self.method = (
                "private_key_jwt" if self.private_key is not None else "client_secret_basic"
            )
        if self.method == "private_key_jwt" and self.private_key is None:
            raise ValueError("private_key_jwt needs a private_key")
        if self.method.startswith("client_secret") and not self.client_secret:
            raise ValueError(f"{self.method} needs a client_secret")

    def assertion(self, audience: str, lifetime: int = ASSERTION_LIFETIME) -> str:
        """A fresh RFC 7523 client assertion for ``audience`` (the token endpoint URL)."""
        now = int(time.time())
        claims = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": audience,
            "iat": now,
            "exp": now + lifetime,
            "jti": str(uuid.uuid4()),
        }
        headers = {"kid": self.key_id} if self.key_id else None
        return jwt.encode(claims, self.private_key, algorithm=self.algorithm, headers=headers)

    def apply(self, form: dict[str, str], headers: dict[str, str], audience: str) -> None:
        """Add this client's authentication to a request's form and headers."""
        if self.method == "private_key_jwt":
            form["client_assertion_type"] = CLIENT_ASSERTION_TYPE
            form["client_assertion"] = self.assertion(audience)
        elif self.method == "client_secret_post":
            form["client_id"] = self.client_id
            form["client_secret"] = str(self.client_secret)
        else:
            raw = f"{quote_plus(self.client_id)}:{quote_plus(str(self.client_secret))}"
            headers["Authorization"] = "Basic " + base64.b64encode(raw.encode()).decode()


def raise_oauth_error(method: str, url: str, response: Any) -> None:
    """Raise :class:`OAuthError` for an RFC 6749 error body, else hvac's exception."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and "error" in body:
        raise OAuthError(
            str(body["error"]),
            str(body.get("error_description", "")),
            response.status_code,
            url,
        )
    errors = body.get("errors") if isinstance(body, dict) else None
    hvac.utils.raise_for_error(
        method,
        url,
        response.status_code,
        None if errors else response.text,
        errors=errors,
        text=response.text,
        json=body,
    )


class AuthorizationServer:
    """The OAuth endpoints of one ``agent`` mount, reached through an hvac adapter."""

    def __init__(self, client: hvac.Client, mount_point: str = "agent"):
        self._client = client
        self.mount_point = mount_point.strip("/")
        self._metadata: dict[str, Any] | None = None

    @property
    def base_path(self) -> str:
        """``/v1/auth/<mount>``."""
        return f"/v1/auth/{self.mount_point}"

    def _send(
        self,
        method: str,
        path: str,
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        adapter = self._client.adapter
        url = adapter.urljoin(adapter.base_uri, f"{self.base_path}/{path}")
        kwargs = dict(adapter._kwargs)  # cert, verify, timeout, proxies of the hvac client
        send_headers = {"Accept": "application/json", **(headers or {})}
        if adapter.namespace:
            send_headers["X-Vault-Namespace"] = adapter.namespace
        response = adapter.session.request(
            method, url, data=dict(form or {}) or None, headers=send_headers, **kwargs
        )
        if response.status_code >= 400:
            raise_oauth_error(method, url, response)
        if not response.text.strip():
            return None
        return response.json()

    def metadata(self, refresh: bool = False) -> dict[str, Any]:
        """The RFC 8414 metadata (cached)."""
        if self._metadata is None or refresh:
            self._metadata = self._send("GET", ".well-known/oauth-authorization-server")
        return dict(self._metadata or {})

    @property
    def token_endpoint(self) -> str:
        """The token endpoint URL as the server names it (the assertion audience)."""
        return str(self.metadata()["token_endpoint"])

    def jwks(self) -> dict[str, Any]:
        """The issuer's JWKS."""
        return self._send("GET", "jwks")

    def _authenticated(
        self, path: str, form: dict[str, str], credentials: ClientCredentials | None
    ) -> Any:
        headers: dict[str, str] = {}
        if credentials is not None:
            credentials.apply(form, headers, self.token_endpoint)
        return self._send("POST", path, form, headers)

    def token(
        self,
        credentials: ClientCredentials,
        *,
        delegation_id: str | None = None,
        subject_token: str | None = None,
        authorization_details: Sequence[Mapping[str, Any]] | None = None,
        ttl: int | str | None = None,
        txn: str | None = None,
        purpose: str | None = None,
        audience: str | None = None,
        path: str = "token",
    ) -> dict[str, Any]:
        """Request an access token: token exchange of a delegation (``delegation_id``) or
        of another agent's token (``subject_token``), else ``client_credentials``."""
        form: dict[str, str] = {}
        if delegation_id and subject_token:
            raise ValueError("give delegation_id or subject_token, not both")
        if delegation_id:
            form.update(
                grant_type=TOKEN_EXCHANGE,
                subject_token=delegation_id,
                subject_token_type=DELEGATION_TOKEN_TYPE,
            )
        elif subject_token:
            form.update(
                grant_type=TOKEN_EXCHANGE,
                subject_token=subject_token,
                subject_token_type=ACCESS_TOKEN_TYPE,
            )
        else:
            form["grant_type"] = CLIENT_CREDENTIALS
        if authorization_details is not None:
            form["authorization_details"] = json.dumps(list(authorization_details))
        for name, value in (
            ("ttl", ttl),
            ("txn", txn),
            ("purpose", purpose),
            ("audience", audience),
        ):
            if value not in (None, ""):
                form[name] = str(value)
        return self._authenticated(path, form, credentials)

    def introspect(
        self, token: str, credentials: ClientCredentials | None = None
    ) -> dict[str, Any]:
        """RFC 7662 introspection (as the agent, or with the client's Vault token when
        ``credentials`` is None)."""
        if credentials is None:
            return self._vault_post("introspect", {"token": token})
        return self._authenticated("introspect", {"token": token}, credentials)

    def revoke(self, token: str, credentials: ClientCredentials | None = None) -> None:
        """RFC 7009 revocation."""
        if credentials is None:
            self._vault_post("revoke", {"token": token})
            return
        self._authenticated("revoke", {"token": token}, credentials)

    def _vault_post(self, path: str, body: dict[str, Any]) -> Any:
        response = self._client.adapter.post(
            f"{self.base_path}/{path}", json=body, raise_exception=False
        )
        if isinstance(response, dict):
            return response
        if response.status_code >= 400:
            raise_oauth_error("POST", response.url, response)
        return response.json() if response.text.strip() else None
