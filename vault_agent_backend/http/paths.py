"""Request paths as Vault's HTTP layer sees them before any handler runs.

Vault (a Go server) answers a path that is not clean (``a//b``, ``a/./b``, ``a/../b``) with
a 307 redirect to the cleaned path, query kept, empty body; and it refuses with a 400
(empty in Vault, with an ``errors`` message here) a path holding characters that Go does
not consider printable (controls such as ``%00``, ``%0A`` or ``%7F``, format characters,
non-ASCII spaces). Without this, such paths reached the engines: ``kv put secret/a//b``
stored a key with an empty segment and listed it as ``"/"``.

A path whose dot segments arrive percent-encoded (``a/%2e%2e/b``, ``a%2f.%2fb``) is clean as
sent, so it is not redirected; once decoded it holds a ``.`` or ``..`` segment, which
OpenBao's core refuses (400 ``relative paths not supported``, ``logical.IsRelativePath``)
before authentication or routing, whatever the mount, method or token. Without this, such
a write stored a KV key literally named ``..``.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, unquote_to_bytes, urlsplit

from flask import Response as FlaskResponse

from .responses import json_response


def go_clean_path(path: str) -> str:
    """Go's ``cleanPath``: ``path.Clean`` with a leading ``/``, the trailing one kept."""
    if not path:
        return "/"
    if not path.startswith("/"):
        path = "/" + path
    cleaned = posixpath.normpath(path)
    if cleaned.startswith("//"):  # POSIX keeps two leading slashes; Go does not
        cleaned = "/" + cleaned.lstrip("/")
    if path.endswith("/") and cleaned != "/":
        cleaned += "/"
    return cleaned


RELATIVE_PATH_ERROR = "relative paths not supported"


def is_relative_path(path: str) -> bool:
    """OpenBao's ``logical.IsRelativePath``: a (decoded) request path with a ``.`` or ``..``
    segment. Empty segments (``a//b``) do not count."""
    return "." in path and any(segment in (".", "..") for segment in path.split("/"))


def raw_target(environ: Mapping[str, Any], decoded_path: str) -> tuple[str, str]:
    """The request's path as sent (still percent-encoded) and its query string."""
    raw = str(environ.get("RAW_URI") or environ.get("REQUEST_URI") or "")
    if not raw:
        return quote(decoded_path, safe="/%"), str(environ.get("QUERY_STRING") or "")
    if not raw.startswith("/"):  # absolute-form request target
        parts = urlsplit(raw)
        return parts.path or "/", parts.query
    path, _, query = raw.partition("?")
    return path, query


_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})(.{0,2})", re.DOTALL)


def path_error(raw_path: str, decoded_path: str) -> str | None:
    """Why a request path cannot be served, or None. Go's URL parser refuses a ``%`` not
    followed by two hex digits (400); a path whose escapes are not UTF-8 would be stored
    under a replacement character (several paths aliasing one key), so it is refused too;
    Vault refuses unprintable characters."""
    bad = _BAD_ESCAPE.search(raw_path)
    if bad:
        return f'invalid URL escape "%{bad.group(1)}"'
    try:
        unquote_to_bytes(raw_path).decode("utf-8")
    except UnicodeDecodeError:
        return "the request path is not valid UTF-8"
    if not decoded_path.isprintable():
        return "the request path contains unprintable characters"
    return None


def early_response(environ: Mapping[str, Any], decoded_path: str) -> FlaskResponse | None:
    """The 400 or 307 Vault answers before routing, or None to go on."""
    path, query = raw_target(environ, decoded_path)
    error = path_error(path, decoded_path)
    if error:
        # Vault's 400 has no body; ours says why (bad input always gets a message)
        return json_response(400, {"errors": [error]})
    cleaned = go_clean_path(path)
    if cleaned == path:
        return None
    response = FlaskResponse(b"", status=307)
    response.headers["Location"] = cleaned + (f"?{query}" if query else "")
    response.headers["Cache-Control"] = "no-store"
    # werkzeug would make the Location absolute; Vault sends it as is
    response.autocorrect_location_header = False
    return response
