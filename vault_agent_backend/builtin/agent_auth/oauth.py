"""OAuth 2.0 wire details of the built-in authorization server: constants, RFC 6749 §5.2
error responses and the reading of request parameters (form-encoded or JSON)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ...framework.durations import parse_duration
from ...framework.response import RawResponse, Response

__all__ = [
    "ACCESS_TOKEN_TYPE",
    "CLIENT_ASSERTION_TYPE",
    "CLIENT_CREDENTIALS",
    "DELEGATION_TOKEN_TYPE",
    "JWT_TOKEN_TYPE",
    "TOKEN_EXCHANGE",
    "OAuthError",
    "Params",
]

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
CLIENT_CREDENTIALS = "client_credentials"
DELEGATION_TOKEN_TYPE = "urn:vab:params:oauth:token-type:delegation"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
GRANT_TYPES = (TOKEN_EXCHANGE, CLIENT_CREDENTIALS)
AUTH_METHODS = ("private_key_jwt", "client_secret_basic", "client_secret_post")


class OAuthError(Exception):
    """An RFC 6749 §5.2 (or RFC 9396 / RFC 8693) error: ``error`` code and description."""

    def __init__(
        self,
        error: str,
        description: str,
        status: int = 400,
        headers: Mapping[str, str] | None = None,
    ):
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status
        self.headers = dict(headers or {})

    def body(self) -> dict[str, str]:
        """The JSON error body."""
        return {"error": self.error, "error_description": self.description}

    def response(self) -> Response:
        """The raw (no Vault envelope) error response."""
        headers = {"Pragma": "no-cache", **self.headers}
        return Response(raw=RawResponse(self.status, self.body(), headers=headers))


def invalid_request(description: str) -> OAuthError:
    """``invalid_request`` (400)."""
    return OAuthError("invalid_request", description)


def ok(body: Any) -> Response:
    """A raw 200 JSON response with the cache headers RFC 6749 asks for."""
    return Response(raw=RawResponse(200, body, headers={"Pragma": "no-cache"}))


class Params:
    """The parameters of an OAuth request (form fields or JSON members).

    Every parameter is a single string (RFC 6749 §3.2: none may be repeated), except
    ``authorization_details``, which is a JSON array or its JSON encoding (forms).
    """

    def __init__(self, raw: Mapping[str, Any]):
        self.raw = dict(raw)

    def text(self, name: str) -> str:
        """A string parameter ("" when absent); 400 when repeated or not a string."""
        value = self.raw.get(name)
        if value is None:
            return ""
        if isinstance(value, list):
            raise invalid_request(f'parameter "{name}" must not be repeated')
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise invalid_request(f'parameter "{name}" must be a string')
        return str(value).strip()

    def has(self, name: str) -> bool:
        """Whether the parameter was sent (and is not empty)."""
        return self.raw.get(name) not in (None, "")

    def duration(self, name: str) -> int | None:
        """A duration (``300``, ``5m``) in seconds; None when absent."""
        value = self.raw.get(name)
        if value in (None, ""):
            return None
        if isinstance(value, bool | list):
            raise invalid_request(f'parameter "{name}" must be a duration')
        try:
            return int(parse_duration(value))
        except ValueError:
            raise invalid_request(
                f'parameter "{name}" must be a duration such as 300 or 5m'
            ) from None

    def details(self) -> Any:
        """``authorization_details``: the decoded array, or None when absent."""
        value = self.raw.get("authorization_details")
        if value in (None, ""):
            return None
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            raise invalid_request('parameter "authorization_details" must not be repeated')
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError as exc:
                raise OAuthError(
                    "invalid_authorization_details",
                    f"authorization_details is not valid JSON: {exc}",
                ) from None
            except RecursionError:
                raise OAuthError(
                    "invalid_authorization_details",
                    "authorization_details is not valid JSON: nested too deeply",
                ) from None
        if not isinstance(value, list):
            raise OAuthError(
                "invalid_authorization_details", "authorization_details must be a JSON array"
            )
        return value
