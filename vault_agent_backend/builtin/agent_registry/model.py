"""Registration records: fields, defaults, input rules and the JSON both routes show.

Vault 2.x's fields (``agent-registry/``) and this product's extension fields
(``identity/agent/``, accepted on both routes) live in one record. On update, a field left
out keeps its stored value, so a client that only knows Vault's fields never resets an
extension field.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import jwt

from ...framework.errors import InvalidRequest
from ...framework.fields import Field, FieldData, FieldType
from ...policy import DEFAULT_CEILING_POLICY, DEFAULT_POLICY, ROOT_POLICY
from ...policy.rar import SUPPORTED_TYPES
from ..oauth_resource_server.keys import KeyLoadError, load_pem_key

Record = dict[str, Any]

STATUSES = ("active", "suspended")
DEFAULT_MAX_TTL = 300
MAX_MAX_TTL = 768 * 3600
"""The largest ``max_ttl`` accepted: Vault's default system ``max_lease_ttl`` (768h)."""
DEFAULT_MAX_DELEGATION_DEPTH = 1
_NAME_RE = re.compile(r"^\w(([\w.@-]+)?\w)?$")

VAULT_FIELDS = (
    "id",
    "display_name",
    "entity_id",
    "description",
    "owner",
    "ceiling_policies",
    "no_default_ceiling_policy",
    "optional_authorization_details",
    "creation_time",
    "last_updated_time",
)
EXTENSION_FIELDS = (
    "baseline_policies",
    "status",
    "max_ttl",
    "allowed_authorization_types",
    "max_delegation_depth",
    "client_public_keys",
    "metadata",
)

FIELDS: dict[str, Field] = {
    "id": Field(FieldType.STRING, description="ID of the registration (set to update it)."),
    "display_name": Field(FieldType.STRING, description="Unique human-readable name."),
    "entity_id": Field(FieldType.STRING, description="Identity entity of the agent."),
    "description": Field(FieldType.STRING, description="Description of the agent."),
    "owner": Field(FieldType.STRING, description="Owner of the registration."),
    "ceiling_policies": Field(
        FieldType.COMMA_STRING_SLICE,
        description="Policies bounding what the agent may do for a human (never root).",
    ),
    "no_default_ceiling_policy": Field(
        FieldType.BOOL, description="Do not add default and default-ceiling to the ceiling."
    ),
    "optional_authorization_details": Field(
        FieldType.BOOL, description="Accept this agent's JWTs without authorization_details."
    ),
    "baseline_policies": Field(
        FieldType.COMMA_STRING_SLICE,
        description="The agent's baseline layer (extension); empty means no baseline layer.",
    ),
    "status": Field(
        FieldType.STRING, description="active or suspended (extension).", default="active"
    ),
    "max_ttl": Field(
        FieldType.DURATION,
        description="Longest token minted for the agent (extension).",
        default=DEFAULT_MAX_TTL,
    ),
    "allowed_authorization_types": Field(
        FieldType.COMMA_STRING_SLICE,
        description="authorization_details types the agent may use (extension; empty: any).",
    ),
    "max_delegation_depth": Field(
        FieldType.INT,
        description="Longest act chain (extension).",
        default=DEFAULT_MAX_DELEGATION_DEPTH,
    ),
    "client_public_keys": Field(
        FieldType.SLICE, description="PEM or JWK public keys of the agent (extension)."
    ),
    "metadata": Field(FieldType.KV_PAIRS, description="Free metadata: model, vendor, ..."),
}


def now() -> str:
    """RFC 3339 UTC time with nanoseconds (Go's time.Time JSON form)."""
    ns = time.time_ns()
    seconds, frac = divmod(ns, 1_000_000_000)
    base = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    digits = f"{frac:09d}".rstrip("0")
    return f"{base}.{digits}Z" if digits else f"{base}Z"


def _policies(values: list[str]) -> list[str]:
    return sorted({v.strip().lower() for v in values if v.strip()})


def effective_ceiling(requested: list[str], no_default: bool) -> list[str]:
    """The stored ``ceiling_policies``: the requested ones plus the two defaults."""
    policies = set(requested)
    if not no_default:
        policies.update((DEFAULT_POLICY, DEFAULT_CEILING_POLICY))
    return sorted(policies)


def _client_keys(raw: Any) -> list[Any]:
    if raw is None:
        return []
    if isinstance(raw, str):
        text = raw.strip()
        if not text:
            return []
        if text.startswith(("[", "{")):
            try:
                raw = json.loads(text)
            except (ValueError, RecursionError):
                raise InvalidRequest("client_public_keys: invalid JSON") from None
        else:
            raw = [raw]
    if isinstance(raw, Mapping):
        raw = [raw]
    if not isinstance(raw, list):
        raise InvalidRequest("client_public_keys must be a list of PEM strings or JWK objects")
    out: list[Any] = []
    for i, key in enumerate(raw):
        try:
            if isinstance(key, str):
                load_pem_key(key)
            elif isinstance(key, Mapping) and "pem" in key:
                load_pem_key(str(key["pem"]))
            elif isinstance(key, Mapping):
                jwt.PyJWK(dict(key))
                if key.get("kty") == "oct":
                    raise KeyLoadError("symmetric keys are not accepted")
                if "d" in key:
                    raise KeyLoadError("a private key was given; give the public key only")
            else:
                raise KeyLoadError("expected a PEM string or a JWK object")
        except (KeyLoadError, jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError) as exc:
            raise InvalidRequest(f"client_public_keys[{i}]: {exc}") from None
        out.append(dict(key) if isinstance(key, Mapping) else key)
    return out


def apply_input(
    current: Record | None, data: FieldData, *, fixed_name: str | None = None
) -> Record:
    """The record after a create (``current`` None) or an update with the given fields.

    ``fixed_name`` is the display name from the URL of the update-by-name route. Entity
    existence and uniqueness are checked by the caller and the store.
    """
    record: Record = dict(current) if current else {}
    creating = current is None
    if creating:
        stamp = now()
        record.update(
            {
                "id": str(uuid.uuid4()),
                "display_name": "",
                "entity_id": "",
                "description": "",
                "owner": "",
                "requested_ceiling_policies": [],
                "no_default_ceiling_policy": False,
                "optional_authorization_details": False,
                "creation_time": stamp,
                "baseline_policies": [],
                "status": "active",
                "max_ttl": DEFAULT_MAX_TTL,
                "allowed_authorization_types": [],
                "max_delegation_depth": DEFAULT_MAX_DELEGATION_DEPTH,
                "client_public_keys": [],
                "metadata": {},
            }
        )
    name, has_name = data.get_ok("display_name")
    if fixed_name is not None:
        if has_name and name and name != fixed_name:
            raise InvalidRequest("display_name cannot be changed through the display-name path")
        name, has_name = fixed_name, True
    if has_name:
        name = name.strip()
        if not name:
            raise InvalidRequest("display_name cannot be empty")
        if not _NAME_RE.match(name):
            raise InvalidRequest(
                "display_name may only contain letters, digits, '_', '-', '.' and '@', and "
                "must start and end with a letter or digit"
            )
        record["display_name"] = name
    elif creating:
        raise InvalidRequest("display_name is required")
    entity_id, has_entity = data.get_ok("entity_id")
    if has_entity and entity_id.strip():
        record["entity_id"] = entity_id.strip()
    elif creating:
        raise InvalidRequest("entity_id is required")
    for text in ("description", "owner"):
        value, given = data.get_ok(text)
        if given:
            record[text] = value
    ceiling, has_ceiling = data.get_ok("ceiling_policies")
    if has_ceiling:
        requested = _policies(ceiling)
        if ROOT_POLICY in requested:
            raise InvalidRequest('"root" policy cannot be used as a ceiling policy')
        record["requested_ceiling_policies"] = requested
    for flag in ("no_default_ceiling_policy", "optional_authorization_details"):
        value, given = data.get_ok(flag)
        if given:
            record[flag] = value
    record["ceiling_policies"] = effective_ceiling(
        record["requested_ceiling_policies"], record["no_default_ceiling_policy"]
    )
    baseline, given = data.get_ok("baseline_policies")
    if given:
        baseline = _policies(baseline)
        if ROOT_POLICY in baseline:
            raise InvalidRequest('"root" policy cannot be used as a baseline policy')
        record["baseline_policies"] = baseline
    status, given = data.get_ok("status")
    if given:
        status = status.strip().lower()
        if status not in STATUSES:
            raise InvalidRequest('status must be "active" or "suspended"')
        record["status"] = status
    max_ttl, given = data.get_ok("max_ttl")
    if given:
        if max_ttl <= 0:
            raise InvalidRequest("max_ttl must be greater than zero")
        if max_ttl > MAX_MAX_TTL:
            raise InvalidRequest(f"max_ttl must be at most {MAX_MAX_TTL}s (768h)")
        record["max_ttl"] = max_ttl
    types, given = data.get_ok("allowed_authorization_types")
    if given:
        types = sorted({t for t in types if t})
        unknown = [t for t in types if t not in SUPPORTED_TYPES]
        if unknown:
            raise InvalidRequest(f'unsupported authorization_details type "{unknown[0]}"')
        record["allowed_authorization_types"] = types
    depth, given = data.get_ok("max_delegation_depth")
    if given:
        if depth < 1:
            raise InvalidRequest("max_delegation_depth must be at least 1")
        record["max_delegation_depth"] = depth
    if data.has("client_public_keys"):
        record["client_public_keys"] = _client_keys(data.raw.get("client_public_keys"))
    metadata, given = data.get_ok("metadata")
    if given:
        record["metadata"] = {str(k): str(v) for k, v in metadata.items()}
    record["last_updated_time"] = now() if not creating else record["creation_time"]
    return record


def vault_view(record: Record) -> dict[str, Any]:
    """The registration as Vault 2.x's ``agent-registry/`` reads show it."""
    return {name: record.get(name) for name in VAULT_FIELDS}


def extended_view(record: Record) -> dict[str, Any]:
    """Vault's fields plus the extension fields (``identity/agent/`` reads)."""
    out = vault_view(record)
    for name in EXTENSION_FIELDS:
        out[name] = record.get(name)
    out["client_secret_set"] = bool(record.get("client_secret_hash"))
    return out
