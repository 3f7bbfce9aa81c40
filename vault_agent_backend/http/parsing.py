"""HTTP request → logical Request: method, path, body, query, token and wrapping headers."""

from __future__ import annotations

import codecs
import json
import math
import re
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
from .paths import RELATIVE_PATH_ERROR, is_relative_path

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
    if auth.startswith("Bearer "):  # the scheme as Vault matches it: case-sensitive
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


#: Go's ``encoding/json`` reads each byte of an invalid UTF-8 sequence in a string as U+FFFD
#: (one per byte, the UTF-8 encoding of a surrogate included); Python's decoder reports the
#: bytes of one bad sequence together, so the handler answers one U+FFFD per byte.
_GO_UTF8 = "vab-go-json-utf8"


def _go_replace(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return "\ufffd" * (exc.end - exc.start), exc.end


codecs.register_error(_GO_UTF8, _go_replace)
#: A ``\\u`` escape of a UTF-16 surrogate (D800-DFFF): only a body holding one can decode to
#: a string with a lone surrogate.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
#: The escapes of JSON text, left to right: a valid surrogate pair (kept), a lone surrogate
#: (group 1), any other escape (kept; ``\\\\`` consumed whole so the next ``u`` is text).
_ESCAPES = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"
    r"|(\\u[dD][89a-fA-F][0-9a-fA-F]{2})"
    r"|\\."
)


def _go_json_text(raw: bytes) -> str:
    """The body as Go's ``encoding/json`` reads it.

    UTF-8 only (Python's ``json.loads`` would detect UTF-16/32), each byte of an invalid
    sequence (the UTF-8 form of a surrogate included) one U+FFFD; and a ``\\u`` escape of a
    surrogate that is not the first half of a valid pair means U+FFFD, as Go's ``unquote``
    decides: Python would keep the lone surrogate, which then leaks into storage and into
    responses no UTF-8 client can read. Rewriting the escapes before parsing treats keys and
    values alike and keeps Go's order of duplicate keys that become equal (the last wins).
    Only a body holding such an escape pays for the rewrite.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("utf-8", _GO_UTF8)
    if b"\\u" in raw and _SURROGATE_ESCAPE.search(raw):
        text = _ESCAPES.sub(lambda m: "\\ufffd" if m.group(1) else m.group(0), text)
    return text


def _body_data(http: FlaskRequest, max_size: int) -> tuple[dict[str, Any], bytes]:
    length = http.content_length
    if length is not None and length > max_size:
        raise RequestTooLarge("http: request body too large")
    try:
        raw = http.stream.read(max_size + 1)
    except Exception as exc:  # the server's body reader: a bad chunk, a cut connection
        raise InvalidRequest(
            f"failed to read the request body: {exc or type(exc).__name__}"
        ) from None
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
            _go_json_text(raw),
            parse_float=_json_float,
            parse_int=_json_int,
            parse_constant=_json_constant,
        )
    except ValueError as exc:
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
    if operation is None:
        if method == "OPTIONS" and is_relative_path(path):  # OpenBao's core sees OPTIONS too
            raise InvalidRequest(RELATIVE_PATH_ERROR)
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
    if is_relative_path(path):  # OpenBao's core refuses it first, before the token or route
        raise InvalidRequest(RELATIVE_PATH_ERROR)
    if method == "HEAD" and path not in HEAD_PATHS:
        # Vault answers HEAD only on sys/health; elsewhere it is 405 and runs nothing (a
        # HEAD must not, say, spend a use of a num_uses token on a read nobody sees).
        raise UnsupportedOperation()
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
