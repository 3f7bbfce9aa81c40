"""The Flask application: every ``/v1/`` path goes through the core."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from flask import Flask
from flask import Response as FlaskResponse
from flask import request as http_request

from ..core.request_handling import handle_request
from ..framework.errors import InternalError, VaultError
from ..framework.request import Operation
from ..framework.response import Response
from .parsing import to_logical
from .paths import early_response
from .responses import json_response

if TYPE_CHECKING:
    from ..core.core import Core

log = logging.getLogger(__name__)
ALL_METHODS = [
    "GET",
    "HEAD",
    "POST",
    "PUT",
    "DELETE",
    "PATCH",
    "LIST",
    "OPTIONS",
    "TRACE",
    "CONNECT",
    "PROPFIND",
    "FOO",
]


def error_response(exc: VaultError) -> FlaskResponse:
    """Vault's ``{"errors": [...]}`` body with the error's status."""
    body: dict[str, Any] = {"errors": exc.body_errors()}
    if exc.data:
        body.update(exc.data)
    return json_response(exc.status, body, getattr(exc, "headers", None))


def oauth_error_response(exc: VaultError) -> FlaskResponse:
    """An unparsable request to an OAuth endpoint: RFC 6749 §5.2's JSON, not Vault's."""
    description = "; ".join(exc.messages) or "malformed request"
    if exc.status == 400:
        description += " (send the parameters form-encoded or as a JSON object)"
    body = {"error": "invalid_request", "error_description": description}
    return json_response(exc.status, body, {"Pragma": "no-cache"})


def envelope(request_id: str, response: Response) -> dict[str, Any]:
    """Vault's response envelope."""
    secret = response.secret
    top = dict(response.data or {}) if response.top_level else {}
    return {
        **top,
        "request_id": "" if response.wrap_info else request_id,
        "lease_id": secret.lease_id if secret else "",
        "renewable": bool(secret and secret.renewable),
        "lease_duration": secret.ttl if secret else 0,
        "data": response.data,
        "wrap_info": response.wrap_info.to_json() if response.wrap_info else None,
        "warnings": response.warnings or None,
        "auth": response.auth.to_json() if response.auth else None,
    }


def to_http(
    operation: Operation, request_id: str, response: Response | None, method: str
) -> FlaskResponse:
    """Logical response → HTTP, with Vault's 204/404 rules."""
    if response is None:
        if operation in (Operation.READ, Operation.LIST):
            return json_response(404, {"errors": []})
        return json_response(204, None)
    if response.raw is not None:
        raw = response.raw
        if isinstance(raw.body, bytes | str):
            resp = FlaskResponse(raw.body, status=raw.status, content_type=raw.content_type)
            resp.headers["Cache-Control"] = "no-store"
            for key, value in raw.headers.items():
                resp.headers[key] = value
        else:
            resp = json_response(raw.status, raw.body, raw.headers)
        if method == "HEAD":
            resp.set_data(b"")
        return resp
    empty = (
        response.data is None
        and response.auth is None
        and response.secret is None
        and response.wrap_info is None
        and not response.warnings
    )
    if operation == Operation.LIST and not response.warnings and not response.wrap_info:
        keys = (response.data or {}).get("keys")
        if not keys:
            return json_response(404, {"errors": []})
    if empty and response.status is None:
        if operation == Operation.READ:
            return json_response(404, {"errors": []})
        return json_response(204, None, response.headers)
    status = response.status or 200
    return json_response(status, envelope(request_id, response), response.headers)


def create_app(core: Core) -> Flask:
    """A Flask app serving the core's API."""
    app = Flask("vault_agent_backend")
    app.config["MAX_CONTENT_LENGTH"] = None

    @app.before_request
    def vault_path_rules() -> FlaskResponse | None:
        """Unclean paths are redirected, unprintable ones refused, as Vault does."""
        return early_response(http_request.environ, http_request.path)

    def handle_v1(path: str) -> FlaskResponse:
        try:
            logical = to_logical(http_request, path, core.options.max_request_size)
        except VaultError as exc:
            if any(check(path) for check in core.hooks.get("oauth_endpoints", ())):
                return oauth_error_response(exc)
            return error_response(exc)
        try:
            response = handle_request(core, logical)
        except VaultError as exc:
            return error_response(exc)
        except Exception:
            log.exception("internal error handling %s %s", logical.http_method, logical.path)
            return error_response(InternalError("internal error"))
        return to_http(logical.operation, logical.id, response, logical.http_method)

    app.add_url_rule("/v1/<path:path>", "v1", handle_v1, methods=ALL_METHODS)
    app.add_url_rule("/v1/", "v1root", lambda: handle_v1(""), methods=ALL_METHODS)

    for rule, view in core.hooks.get("root_routes", {}).items():
        app.add_url_rule(rule, rule, view, methods=["GET", "POST"])

    @app.errorhandler(404)
    def not_found(_exc: Exception) -> FlaskResponse:
        return json_response(404, {"errors": []})

    @app.errorhandler(405)
    def not_allowed(_exc: Exception) -> FlaskResponse:
        return json_response(405, {"errors": []})

    @app.errorhandler(Exception)
    def internal(exc: Exception) -> FlaskResponse:
        if hasattr(exc, "code") and isinstance(exc.code, int) and 400 <= exc.code < 500:
            message = getattr(exc, "description", None) or str(exc) or type(exc).__name__
            return json_response(exc.code, {"errors": [message]})
        log.exception("unhandled error")
        return json_response(500, {"errors": ["internal error"]})

    return app
