"""Requests to a Vault-compatible server, with the Go CLI's response semantics.

Requests go through ``hvac``'s raw adapter (so headers, TLS, namespaces and tokens are
handled by hvac); the answers are interpreted the way the ``vault`` CLI's API package
does: a 404 whose body carries data or warnings is a secret, a 404 without is "no
value", any other status >= 400 is an :class:`APIError` printed as::

    Error making API request.

    URL: GET http://127.0.0.1:8200/v1/secret/foo
    Code: 403. Errors:

    * permission denied
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

import hvac
import requests

from .gofmt import Number, Struct, dumps, loads

#: Characters Go leaves unescaped in a URL path (besides letters, digits and "-._~").
_PATH_SAFE = "/$&+,:;=@"

Params = Mapping[str, str | Sequence[str]] | None


class APIError(Exception):
    """The server answered with an error status."""

    def __init__(
        self,
        method: str,
        url: str,
        status: int,
        errors: list[str],
        raw: bool = False,
        secret: Secret | None = None,
    ) -> None:
        self.method = method
        self.url = url
        self.status = status
        self.errors = errors
        self.raw = raw
        self.secret = secret
        super().__init__(self.__str__())

    def __str__(self) -> str:
        kind = "Raw Message" if self.raw else "Errors"
        text = (
            "Error making API request.\n\n"
            f"URL: {self.method} {self.url}\n"
            f"Code: {self.status}. {kind}:\n\n"
        )
        if self.raw and len(self.errors) == 1:
            return text + self.errors[0]
        return text + "".join(f"* {error}" for error in self.errors)


class RequestError(Exception):
    """The request could not be sent or its answer could not be read."""


class Secret:
    """A decoded Vault response (``request_id``, ``data``, ``auth``, ``wrap_info`` ...)."""

    def __init__(self, body: Mapping[str, Any]) -> None:
        self.body = dict(body)

    @property
    def request_id(self) -> str:
        """The server's request id ("" when absent)."""
        return str(self.body.get("request_id") or "")

    @property
    def lease_id(self) -> str:
        """Lease id of the secret ("" when it has none)."""
        return str(self.body.get("lease_id") or "")

    @property
    def lease_duration(self) -> int:
        """Lease duration in seconds."""
        return _int(self.body.get("lease_duration"))

    @property
    def renewable(self) -> bool:
        """Whether the lease is renewable."""
        return bool(self.body.get("renewable"))

    @property
    def data(self) -> dict[str, Any] | None:
        """The ``data`` object (None when absent or not an object)."""
        data = self.body.get("data")
        return data if isinstance(data, dict) else None

    @property
    def warnings(self) -> list[str]:
        """Warnings returned by the server."""
        warnings = self.body.get("warnings")
        return [str(w) for w in warnings] if isinstance(warnings, list) else []

    @property
    def auth(self) -> dict[str, Any] | None:
        """The ``auth`` block of a login or token creation."""
        auth = self.body.get("auth")
        return auth if isinstance(auth, dict) else None

    @property
    def wrap_info(self) -> dict[str, Any] | None:
        """The ``wrap_info`` block of a wrapped response."""
        wrap = self.body.get("wrap_info")
        return wrap if isinstance(wrap, dict) else None

    @property
    def is_wrapped(self) -> bool:
        """True for a response-wrapped answer (wrap info with a TTL)."""
        return self.wrap_info is not None and _int(self.wrap_info.get("ttl")) != 0

    def has_content(self) -> bool:
        """True if the secret carries data or warnings (what makes a 404 meaningful)."""
        return bool(self.data) or bool(self.warnings)

    def to_struct(self) -> Struct:
        """The secret as the Go CLI encodes it: known fields only, in struct order."""
        out = Struct(
            request_id=self.request_id,
            lease_id=self.lease_id,
            lease_duration=self.lease_duration,
            renewable=self.renewable,
            data=self.body.get("data") if isinstance(self.body.get("data"), dict) else None,
            warnings=_list_or_none(self.body.get("warnings")),
        )
        auth = self.auth
        if auth is not None:
            out["auth"] = Struct(
                client_token=str(auth.get("client_token") or ""),
                accessor=str(auth.get("accessor") or ""),
                policies=_list_or_none(auth.get("policies")),
                token_policies=_list_or_none(auth.get("token_policies")),
                identity_policies=_list_or_none(auth.get("identity_policies")),
                metadata=auth.get("metadata") if isinstance(auth.get("metadata"), dict) else None,
                orphan=bool(auth.get("orphan")),
                entity_id=str(auth.get("entity_id") or ""),
                lease_duration=_int(auth.get("lease_duration")),
                renewable=bool(auth.get("renewable")),
                mfa_requirement=auth.get("mfa_requirement"),
            )
        wrap = self.wrap_info
        if wrap is not None:
            out["wrap_info"] = Struct(
                token=str(wrap.get("token") or ""),
                accessor=str(wrap.get("accessor") or ""),
                ttl=_int(wrap.get("ttl")),
                creation_time=str(wrap.get("creation_time") or "0001-01-01T00:00:00Z"),
                creation_path=str(wrap.get("creation_path") or ""),
                wrapped_accessor=str(wrap.get("wrapped_accessor") or ""),
            )
        return out


def _int(value: Any) -> int:
    if isinstance(value, bool) or value is None:
        return 0
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _list_or_none(value: Any) -> list[Any] | None:
    return value if isinstance(value, list) else None


class API:
    """Thin request layer over an ``hvac.Client`` built with the raw adapter."""

    def __init__(self, client: hvac.Client) -> None:
        self.client = client

    @property
    def address(self) -> str:
        """Base address of the server (``https://127.0.0.1:8200``)."""
        return str(self.client.adapter.base_uri)

    @property
    def token(self) -> str:
        """Token sent with requests ("" when none)."""
        return str(self.client.token or "")

    @token.setter
    def token(self, value: str) -> None:
        self.client.token = value

    # -- raw requests ---------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        params: Params = None,
        content_type: str = "application/json",
    ) -> requests.Response:
        """Send ``method /v1/path`` and return the response whatever its status."""
        # escaped as Go's URL.EscapedPath does, so "?", "#", "%" and spaces stay in the path
        url = "/v1/" + quote(path.lstrip("/"), safe=_PATH_SAFE)
        kwargs: dict[str, Any] = {}
        if params:
            kwargs["params"] = [
                (key, value)
                for key, values in params.items()
                for value in ([values] if isinstance(values, str) else values)
            ]
        headers = {}
        if body is not None:
            kwargs["data"] = dumps(body, indent=None).encode("utf-8")
            headers["Content-Type"] = content_type
        try:
            return self.client.adapter.request(
                method, url, headers=headers, raise_exception=False, **kwargs
            )
        except requests.RequestException as exc:
            full = requests.Request(method, self.client.adapter.urljoin(self.address, url))
            prepared = full.prepare()
            raise RequestError(
                f'{method.capitalize()} "{prepared.url}": {_reason(exc, str(prepared.url))}'
            ) from exc

    def error_for(self, response: requests.Response, secret: Secret | None = None) -> APIError:
        """Build the :class:`APIError` of an error response."""
        request = response.request
        text = response.text
        try:
            decoded = loads(text)
            if not isinstance(decoded, dict):
                raise ValueError("not an object")
            errors = decoded.get("errors") or []
            return APIError(
                str(request.method),
                str(request.url),
                response.status_code,
                [str(e) for e in errors] if isinstance(errors, list) else [str(errors)],
                secret=secret,
            )
        except ValueError:
            return APIError(
                str(request.method), str(request.url), response.status_code, [text], raw=True
            )

    # -- logical operations ---------------------------------------------------------------

    def read(self, path: str, params: Params = None) -> Secret | None:
        """GET a path: the secret, None if nothing is there, APIError otherwise."""
        return self._lookup(self.request("GET", path, params=params))

    def list(self, path: str) -> Secret | None:
        """LIST a path (sent as ``GET ?list=true``, as the Go client does)."""
        return self._lookup(self.request("GET", path, params={"list": "true"}))

    def write(self, path: str, data: Any, method: str = "PUT") -> Secret | None:
        """PUT (or POST) data; the response secret or None for 204."""
        return self._change(self.request(method, path, body=data))

    def delete(self, path: str, params: Params = None) -> Secret | None:
        """DELETE a path."""
        return self._change(self.request("DELETE", path, params=params))

    def merge_patch(self, path: str, data: Any) -> Secret | None:
        """PATCH with a JSON merge patch (KV v2's patch)."""
        response = self.request(
            "PATCH", path, body=data, content_type="application/merge-patch+json"
        )
        return self._change(response)

    def send(self, method: str, path: str, body: Any = None) -> Secret | None:
        """A request where every status >= 400 (404 included) is an :class:`APIError`."""
        response = self.request(method, path, body=body)
        if response.status_code >= 400:
            raise self.error_for(response)
        return self.parse(response)

    # -- response interpretation ----------------------------------------------------------

    def parse(self, response: requests.Response) -> Secret | None:
        """Decode a response body into a Secret (None for an empty body)."""
        text = response.text
        if not text.strip():
            return None
        try:
            decoded = loads(text)
        except ValueError as exc:
            raise RequestError(f"error parsing the server's response: {exc}") from exc
        if not isinstance(decoded, dict):
            raise RequestError("error parsing the server's response: not a JSON object")
        return Secret(decoded)

    def _lookup(self, response: requests.Response) -> Secret | None:
        if response.status_code == 404:
            secret = self.parse(response)
            return secret if secret is not None and secret.has_content() else None
        if response.status_code >= 400:
            raise self.error_for(response)
        return self.parse(response)

    def _change(self, response: requests.Response) -> Secret | None:
        if response.status_code == 404:
            try:
                secret = self.parse(response)
            except RequestError:
                secret = None
            raise self.error_for(response, secret if secret and secret.has_content() else None)
        if response.status_code >= 400:
            raise self.error_for(response)
        return self.parse(response)


def _reason(exc: requests.RequestException, url: str) -> str:
    """The innermost cause of a transport error, shortly (``connection refused``)."""
    cause: BaseException | None = exc
    seen = set()
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, ConnectionRefusedError):
            return f"dial tcp {_host_port(url)}: connect: connection refused"
        nxt = cause.__cause__ or cause.__context__
        if nxt is None and cause.args and isinstance(cause.args[0], BaseException):
            nxt = cause.args[0]
        if nxt is None:
            break
        cause = nxt
    text = str(cause or exc)
    if "Connection refused" in text:
        return f"dial tcp {_host_port(url)}: connect: connection refused"
    return text


def _host_port(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.hostname}:{port}"


__all__ = ["API", "APIError", "Number", "RequestError", "Secret"]
