"""The JSON responses of the HTTP layer: compact JSON, ``Cache-Control: no-store``."""

from __future__ import annotations

import json
from typing import Any

from flask import Response as FlaskResponse


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> FlaskResponse:
    """A response with ``body`` as JSON (none when ``body`` is None), as Vault answers."""
    payload = json.dumps(body, separators=(",", ":")) + "\n" if body is not None else ""
    resp = FlaskResponse(payload, status=status, mimetype="application/json")
    resp.headers["Cache-Control"] = "no-store"
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp
