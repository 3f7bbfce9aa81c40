"""The catalog of supported ``authorization_details`` types (RFC 9396 discovery data)."""

from __future__ import annotations

import copy
from typing import Any

from ...policy.rar import PATH_ACCESS_TYPE

__all__ = ["TYPES", "catalog", "schema", "type_detail"]

_BASE = "/v1/sys/oauth-resource-server/authorization-details-types"
_CAPABILITIES = [
    "read",
    "list",
    "create",
    "update",
    "delete",
    "patch",
    "sudo",
    "subscribe",
    "recover",
    "deny",
]
_PARAMS = {"type": "object", "additionalProperties": {"type": "array"}}

TYPES: dict[str, dict[str, Any]] = {
    PATH_ACCESS_TYPE: {
        "summary": {
            "type": PATH_ACCESS_TYPE,
            "status": "generally-available",
            "schema_version": "1.0.0",
            "title": "Vault Path Access",
            "description": "Constrains a token to specific Vault path/capability combinations.",
            "docs_url": "https://developer.hashicorp.com/vault/docs/auth/jwt/oauth-rar",
            "introduced_in": "2.0.0-ent",
            "schema_path": f"{_BASE}/{PATH_ACCESS_TYPE}/schema",
        },
        "detail": {
            "required_fields": ["type", "path", "capabilities"],
            "optional_fields": ["allowed_parameters", "denied_parameters", "required_parameters"],
            "matching_semantics": {
                "path_match": "evaluated_using_vault_acl_path_matching_semantics",
                "capability_match": "evaluated_using_vault_acl_operation_authorization_semantics",
            },
            "examples": [
                {
                    "type": PATH_ACCESS_TYPE,
                    "path": "kv/data/team-a/secret",
                    "capabilities": ["read"],
                }
            ],
        },
        "schema": {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "required": ["type", "path", "capabilities"],
            "properties": {
                "type": {"const": PATH_ACCESS_TYPE},
                "path": {"type": "string", "minLength": 1},
                "capabilities": {
                    "type": "array",
                    "minItems": 1,
                    "uniqueItems": True,
                    "items": {"type": "string", "enum": _CAPABILITIES},
                },
                "allowed_parameters": _PARAMS,
                "denied_parameters": _PARAMS,
                "required_parameters": {"type": "array", "items": {"type": "string"}},
            },
            "additionalProperties": False,
        },
    }
}


def catalog() -> dict[str, Any]:
    """``GET sys/oauth-resource-server/authorization-details-types``."""
    return {
        "api_version": "v1",
        "default_unknown_type_behavior": "deny",
        "types": [copy.deepcopy(t["summary"]) for t in TYPES.values()],
    }


def type_detail(kind: str) -> dict[str, Any] | None:
    """``GET .../authorization-details-types/:type`` (None for an unknown type)."""
    spec = TYPES.get(kind)
    if spec is None:
        return None
    summary = copy.deepcopy(spec["summary"])
    schema_path = summary.pop("schema_path")
    return {**summary, **copy.deepcopy(spec["detail"]), "schema_path": schema_path}


def schema(kind: str) -> dict[str, Any] | None:
    """``GET .../authorization-details-types/:type/schema`` (None for an unknown type)."""
    spec = TYPES.get(kind)
    if spec is None:
        return None
    return {
        "type": kind,
        "schema_version": spec["summary"]["schema_version"],
        "json_schema_draft": "2020-12",
        "schema": copy.deepcopy(spec["schema"]),
    }
