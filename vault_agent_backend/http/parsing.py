"""HTTP request → logical Request: method, path, body, query, token and wrapping headers."""

from __future__ import annotations

import json
import math
from typing import Any
from urllib.parse import parse_qs

from flask import Request as FlaskRequest

from ..framework.durations import parse_duration
from ..framework.errors import (
    InvalidRequest,
    RequestTooLarge,
    UnsupportedMediaType,
    UnsupportedOperation,
)
from ..framework.request import Operation, Request

_METHODS = {
    "GET": Operation.READ,
    "HEAD": Operation.READ,
    "POST": Operation.UPDATE,
    "PUT": Operation.UPDATE,
    "DELETE": Operation.DELETE,
    "LIST": Operation.LIST,
    "PATCH": Operation.PATCH,
}
MERGE_PATCH = "application/merge-patch+json"
#: The only paths that answer HEAD (the status line alone), as in Vault.
HEAD_PATHS = frozenset({"sys/health"})


def client_token(http: FlaskRequest) -> str:
    """The token from ``X-Vault-Token``, else from ``Authorization: Bearer``."""
    token = http.headers.get("X-Vault-Token", "")
    if token:
        return token.strip()
    auth = http.headers.get("Authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return ""


def _query_data(http: FlaskRequest) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, values in parse_qs(http.query_string.decode(), keep_blank_values=True).items():
        data[key] = values[0] if len(values) == 1 else values
    return data


def _json_float(text: str) -> float:
    """A JSON number with a fraction or exponent; one outside float64 is refused, as by Go."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"cannot unmarshal number {text} into Go value of type float64")
    return value


def _json_int(text: str) -> int:
    """A JSON integer; one too long to convert (Python's 4300-digit limit) is refused with a
    message about the number, not about the interpreter."""
    if len(text) > 4000:
        raise ValueError(f"cannot unmarshal number {text[:20]}... ({len(text)} digits)")
    return int(text)


def _json_constant(name: str) -> float:
    """``NaN``/``Infinity`` are not JSON: Python accepts them, Go (and so Vault) does not."""
    raise ValueError(f"invalid character {name[0]!r} looking for beginning of value")


#: Go's ``strconv.ParseBool``, which Vault applies to ``?list=``.
_GO_BOOLS = {
    **dict.fromkeys(("1", "t", "T", "TRUE", "true", "True"), True),
    **dict.fromkeys(("0", "f", "F", "FALSE", "false", "False"), False),
}


def _first(query: dict[str, Any], key: str) -> str:
    """The first value of a query parameter (Go's ``url.Values.Get``), ``""`` when absent."""
    value = query.get(key, "")
    return str(value[0] if isinstance(value, list) else value)


def _body_data(http: FlaskRequest, max_size: int) -> tuple[dict[str, Any], bytes]:
    length = http.content_length
    if length is not None and length > max_size:
        raise RequestTooLarge("http: request body too large")
    raw = http.stream.read(max_size + 1)
    if len(raw) > max_size:
        raise RequestTooLarge("http: request body too large")
    text = raw.strip()
    if not text:
        return {}, raw
    content_type = (http.mimetype or "").lower()
    if content_type == "application/x-www-form-urlencoded" and text[:1] not in (b"{", b"[", b'"'):
        form = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
        return {k: v[0] if len(v) == 1 else v for k, v in form.items()}, raw
    try:
        value = json.loads(
            raw, parse_float=_json_float, parse_int=_json_int, parse_constant=_json_constant
        )
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidRequest(f"failed to parse JSON input: {exc}") from None
    except RecursionError:  # arrays or objects nested deeper than the parser can follow
        raise InvalidRequest("failed to parse JSON input: nested too deeply") from None
    if value is None:
        return {}, raw
    if not isinstance(value, dict):
        kind = type(value).__name__
        raise InvalidRequest(f"failed to parse JSON input: cannot unmarshal {kind} into an object")
    return value, raw


def to_logical(http: FlaskRequest, path: str, max_size: int) -> Request:
    """Build the logical Request of one HTTP request below ``/v1/``."""
    method = http.method.upper()
    operation = _METHODS.get(method)
    if operation is None or (method == "HEAD" and path not in HEAD_PATHS):
        # Vault answers HEAD only on sys/health; elsewhere it is 405 and runs nothing (a
        # HEAD must not, say, spend a use of a num_uses token on a read nobody sees).
        raise UnsupportedOperation()
    query = _query_data(http)
    data: dict[str, Any] = {}
    raw = b""
    if method in ("GET", "HEAD", "LIST", "DELETE"):
        data = dict(query)
        if method == "GET" and _first(query, "list"):
            listing = _GO_BOOLS.get(_first(query, "list"))
            if listing is None:  # Vault: strconv.ParseBool fails → 400 with no message
                raise InvalidRequest()
            if listing:
                operation = Operation.LIST
                data.pop("list", None)
        if method == "GET" and _first(query, "help"):  # Vault: any non-empty value
            operation = Operation.HELP
            data.pop("help", None)
    else:
        if method == "PATCH" and (http.mimetype or "").lower() != MERGE_PATCH:
            provided = http.headers.get("Content-Type", "")
            raise UnsupportedMediaType(
                f"PATCH requires Content-Type of {MERGE_PATCH}, provided {provided}"
            )
        data, raw = _body_data(http, max_size)
    if operation == Operation.LIST and not path.endswith("/"):
        path += "/"
    wrap_ttl = 0
    wrap_header = http.headers.get("X-Vault-Wrap-TTL", "")
    if wrap_header:
        try:
            wrap_ttl = parse_duration(wrap_header, allow_negative=True)
        except ValueError as exc:
            raise InvalidRequest(f"error parsing X-Vault-Wrap-TTL header: {exc}") from None
        if wrap_ttl < 0:
            raise InvalidRequest(
                "error parsing X-Vault-Wrap-TTL header: requested wrap ttl cannot be negative"
            )
    return Request(
        operation=operation,
        path=path,
        data=data,
        client_token=client_token(http),
        headers={k: v for k, v in http.headers.items()},
        remote_addr=http.remote_addr or "",
        wrap_ttl=wrap_ttl,
        raw_body=raw,
        query=query,
        http_method=method,
    )
