"""Audit entries in Vault's JSON shape (``time``, ``type``, ``auth``, ``request``,
``response``, ``error``), hashed for one device.

Empty members are left out, as Vault's ``omitempty`` does (``policy_results.allowed`` is
always there). Request entries are written before the handler runs (denials and failed
authentications included); response entries after it.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..framework.errors import VaultError
from ..framework.request import Request
from ..framework.response import Auth, Response
from .agent_fields import agent_metadata, authorization_details, denied_layer
from .hashing import Hasher, elide_list_response, hash_structure

__all__ = [
    "EntryFormatter",
    "MountFacts",
    "encode_entry",
    "error_texts",
    "now_rfc3339",
    "probe_entry",
]

NAMESPACE = {"id": "root"}


def now_rfc3339() -> str:
    """The current time, RFC 3339 with microseconds, UTC."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _rfc3339(ts: Any) -> str:
    if not isinstance(ts, int | float) or isinstance(ts, bool) or ts <= 0:
        return ""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _omit(values: dict[str, Any]) -> dict[str, Any]:
    """Drop empty members (Go's ``omitempty``)."""
    return {k: v for k, v in values.items() if v not in (None, "", 0, False, [], {})}


def error_texts(error: BaseException | None) -> tuple[str, str]:
    """(the request entry's ``error``, the response entry's ``error``) of a refusal."""
    if error is None:
        return "", ""
    if not isinstance(error, VaultError):
        return "internal error", "internal error"
    plain = "; ".join(error.messages) or type(error).__name__
    body = error.body_errors()
    return plain, "\n".join(body) if body else plain


def encode_entry(entry: dict[str, Any]) -> bytes:
    """Compact JSON bytes of an entry (one line: no raw line breaks)."""
    return json.dumps(entry, separators=(",", ":"), ensure_ascii=False, default=str).encode()


@dataclass(frozen=True)
class MountFacts:
    """What the audit needs from the mount a request was routed to."""

    running_version: str = ""
    non_hmac_request_keys: tuple[str, ...] = ()
    non_hmac_response_keys: tuple[str, ...] = ()


@dataclass
class EntryFormatter:
    """Formats entries for one device's settings."""

    hasher: Hasher | None
    """None with ``log_raw`` (nothing hashed)."""
    hmac_accessor: bool = True
    elide_list_responses: bool = False
    mount: MountFacts = field(default_factory=MountFacts)

    # ----- values ------------------------------------------------------------------------------

    def token(self, value: str) -> str:
        """A token: always hashed (unless ``log_raw``)."""
        return self.hasher(value) if value and self.hasher is not None else value

    def accessor(self, value: str) -> str:
        """An accessor: hashed when ``hmac_accessor``."""
        if value and self.hasher is not None and self.hmac_accessor:
            return self.hasher(value)
        return value

    def data(self, value: Any, ignored: Collection[str] = ()) -> Any:
        """Request or response data with every string value hashed."""
        return hash_structure(value, self.hasher, ignored)

    # ----- blocks ------------------------------------------------------------------------------

    def caller_auth(self, request: Request, error: BaseException | None) -> dict[str, Any]:
        """The ``auth`` member: who made the request, and what was decided."""
        caller = request.caller
        decision = getattr(request, "decision", None)
        layer = denied_layer(decision, error)
        if caller is None:
            auth: dict[str, Any] = {"token_type": "default"}
            if layer:
                auth["metadata"] = {"denied_by": layer}
            return auth
        token = caller.token
        agent = getattr(caller, "agent", None)
        if agent is not None:
            metadata = agent_metadata(agent)
            if layer:
                metadata["denied_by"] = layer
            claims = getattr(agent, "claims", {}) or {}
            iat, exp = claims.get("iat"), claims.get("exp")
            ttl = (
                int(exp - iat)
                if isinstance(exp, int | float) and isinstance(iat, int | float)
                else 0
            )
            auth = {
                "client_token": self.token(request.client_token),
                "display_name": f"agent-{getattr(agent, 'agent_display_name', '')}",
                "policies": list(caller.policies),
                "identity_policies": list(caller.identity_policies),
                "metadata": metadata,
                "entity_id": caller.entity_id,
                "authorization_details": authorization_details(agent),
                "token_type": "service",
                "token_ttl": ttl,
                "token_issue_time": _rfc3339(iat),
            }
        else:
            metadata = dict(getattr(token, "meta", None) or {})
            if layer:
                metadata["denied_by"] = layer
            auth = {
                "client_token": self.token(request.client_token),
                "accessor": self.accessor(getattr(token, "accessor", "")),
                "display_name": getattr(token, "display_name", ""),
                "policies": list(caller.policies),
                "token_policies": list(caller.token_policies),
                "identity_policies": list(caller.identity_policies),
                "metadata": metadata,
                "entity_id": caller.entity_id,
                "remaining_uses": max(0, getattr(token, "num_uses", 0) or 0),
                "token_type": getattr(token, "type", "") or "service",
                "token_ttl": getattr(token, "ttl", 0),
                "token_issue_time": _rfc3339(getattr(token, "creation_time", 0)),
            }
        auth = _omit(auth)
        if decision is not None:
            results: dict[str, Any] = {"allowed": bool(decision.allowed)}
            if decision.allowed:
                granting = list(dict.fromkeys(getattr(decision, "granting_policies", []) or []))
                if granting:
                    results["granting_policies"] = [
                        {"name": name, "namespace_id": "root", "type": "acl"} for name in granting
                    ]
            auth["policy_results"] = results
        return auth

    def request_block(self, request: Request) -> dict[str, Any]:
        """The ``request`` member."""
        caller = request.caller
        token = caller.token if caller is not None else None
        accessor = getattr(token, "accessor", "") if caller is not None else ""
        data = request.data or {}
        return _omit(
            {
                "id": request.id,
                "operation": str(request.operation),
                "mount_point": request.mount_point,
                "mount_type": request.mount_type,
                "mount_accessor": request.mount_accessor,
                "mount_running_version": self.mount.running_version,
                "mount_class": request.mount_class,
                "client_token": self.token(request.client_token),
                "client_token_accessor": self.accessor(
                    accessor if isinstance(accessor, str) else ""
                ),
                "namespace": dict(NAMESPACE),
                "path": request.path,
                "data": self.data(data, self.mount.non_hmac_request_keys) if data else None,
                "remote_address": request.remote_addr,
                "wrap_ttl": request.wrap_ttl,
            }
        )

    def auth_block(self, auth: Auth) -> dict[str, Any]:
        """``response.auth`` of a login or token creation."""
        return _omit(
            {
                "client_token": self.token(auth.client_token),
                "accessor": self.accessor(auth.accessor),
                "display_name": auth.display_name,
                "policies": list(auth.policies),
                "token_policies": list(auth.token_policies),
                "identity_policies": list(auth.identity_policies),
                "metadata": dict(auth.metadata or {}),
                "num_uses": auth.num_uses,
                "entity_id": auth.entity_id,
                "token_type": auth.token_type,
                "token_ttl": auth.lease_duration if auth.lease_duration is not None else auth.ttl,
            }
        )

    def response_block(
        self, request: Request, response: Response | None, error_text: str
    ) -> dict[str, Any]:
        """The ``response`` member."""
        ignored = self.mount.non_hmac_response_keys
        block: dict[str, Any] = {
            "mount_point": request.mount_point,
            "mount_type": request.mount_type,
            "mount_accessor": request.mount_accessor,
            "mount_running_plugin_version": self.mount.running_version,
            "mount_class": request.mount_class,
        }
        if response is None:
            if error_text:
                block["data"] = self.data({"error": error_text}, ignored)
            return _omit(block)
        if response.auth is not None:
            block["auth"] = self.auth_block(response.auth)
        if response.secret is not None and response.secret.lease_id:
            block["secret"] = {"lease_id": response.secret.lease_id}
        data: Any = response.data
        if response.raw is not None:
            body = response.raw.body
            if not isinstance(body, str | bytes | bytearray):
                body = json.dumps(body, default=str)
            data = {
                "http_content_type": response.raw.content_type,
                "http_raw_body": body,
                "http_status_code": response.raw.status,
            }
        if isinstance(data, dict) and data:
            if self.elide_list_responses and str(request.operation) == "list":
                data = elide_list_response(data)
            block["data"] = self.data(data, ignored)
        block["warnings"] = list(response.warnings or [])
        wrap = response.wrap_info
        if wrap is not None:
            block["wrap_info"] = _omit(
                {
                    "token": self.token(wrap.token),
                    "accessor": self.accessor(wrap.accessor),
                    "ttl": wrap.ttl,
                    "creation_time": wrap.creation_time,
                    "creation_path": wrap.creation_path,
                    "wrapped_accessor": self.accessor(wrap.wrapped_accessor),
                }
            )
        return _omit(block)

    # ----- entries -----------------------------------------------------------------------------

    def request_entry(self, request: Request, error: BaseException | None) -> dict[str, Any]:
        """The entry written before the request is handled."""
        text, _ = error_texts(error)
        entry = {
            "time": now_rfc3339(),
            "type": "request",
            "auth": self.caller_auth(request, error),
            "request": self.request_block(request),
        }
        if text:
            entry["error"] = text
        return entry

    def response_entry(
        self, request: Request, response: Response | None, error: BaseException | None
    ) -> dict[str, Any]:
        """The entry written after the request was handled (or refused)."""
        _, text = error_texts(error)
        entry = {
            "time": now_rfc3339(),
            "type": "response",
            "auth": self.caller_auth(request, error),
            "request": self.request_block(request),
            "response": self.response_block(request, response, text),
        }
        if text:
            entry["error"] = text
        return entry


def probe_entry() -> dict[str, Any]:
    """The probe entry written to a device when it is enabled (as Vault writes one)."""
    import uuid

    return {
        "time": now_rfc3339(),
        "type": "request",
        "auth": {"token_type": "default"},
        "request": {
            "id": str(uuid.uuid4()),
            "operation": "update",
            "namespace": dict(NAMESPACE),
            "path": "sys/audit/test",
        },
    }
