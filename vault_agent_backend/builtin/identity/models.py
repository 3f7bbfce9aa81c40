"""Identity records (entities, aliases, groups) as stored JSON, and their validation rules.

Records are plain dicts (they are stored as JSON and read back as-is). The helpers here
create them, validate user-supplied metadata the way Vault does, and produce the JSON
shapes Vault shows in reads.
"""

from __future__ import annotations

import copy
import re
import secrets
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from ...framework.errors import InvalidRequest

NAMESPACE_ID = "root"
GROUP_INTERNAL = "internal"
GROUP_EXTERNAL = "external"

_META_KEY_RE = re.compile(r"^[a-zA-Z0-9=/+_-]+$")
_META_RESERVED_PREFIX = "vault-"
_META_MAX_PAIRS = 64
_META_KEY_MAX = 128
_META_VALUE_MAX = 512
_CUSTOM_PREFIX = "custom_metadata validation failed"

Record = dict[str, Any]


def now() -> str:
    """The current time as Go's RFC3339Nano (nanoseconds, trailing zeros trimmed)."""
    ns = time.time_ns()
    seconds, frac = divmod(ns, 1_000_000_000)
    base = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    digits = f"{frac:09d}".rstrip("0")
    return f"{base}.{digits}Z" if digits else f"{base}Z"


def new_id() -> str:
    """A random UUID, as Vault gives entities, aliases and groups."""
    return str(uuid.uuid4())


def generated_name(kind: str) -> str:
    """``entity_1a2b3c4d`` / ``group_1a2b3c4d`` (the caller checks for collisions)."""
    return f"{kind}_{secrets.token_hex(4)}"


def dedupe(items: Iterable[str], *, lower: bool) -> list[str]:
    """Trimmed, non-empty, unique and sorted (Vault's strutil.RemoveDuplicates)."""
    out = set()
    for item in items:
        item = item.strip()
        if not item:
            continue
        out.add(item.lower() if lower else item)
    return sorted(out)


def cloned(record: Record) -> Record:
    """A copy as Vault's protobuf clone gives it: empty maps and lists become null.

    Vault loads a record with ``Clone()`` before changing it; that drops empty
    collections, which later reads show as ``null``. Reproducing it keeps reads identical.
    """
    out: Record = {}
    for key, value in record.items():
        if key == "aliases":
            out[key] = [cloned(alias) for alias in value or []]
        elif key == "alias" and value:
            out[key] = cloned(value)
        elif isinstance(value, dict | list):
            out[key] = copy.deepcopy(value) if value else None
        else:
            out[key] = value
    return out


def validate_metadata(kind: str, meta: dict[str, str] | None) -> None:
    """Vault's entity/group metadata rules; 400 naming the offending pair."""
    if not meta:
        return
    if len(meta) > _META_MAX_PAIRS:
        raise InvalidRequest(
            f"invalid {kind} metadata: metadata cannot contain more than "
            f"{_META_MAX_PAIRS} key/value pairs"
        )
    for key, value in meta.items():
        problem = ""
        if key == "":
            problem = "key cannot be blank"
        elif not _META_KEY_RE.match(key):
            problem = "key contains invalid characters"
        elif len(key) > _META_KEY_MAX:
            problem = f"key is too long (limit: {_META_KEY_MAX} characters)"
        elif key.startswith(_META_RESERVED_PREFIX):
            problem = f'key prefix "{_META_RESERVED_PREFIX}" is reserved for internal use'
        elif len(value) > _META_VALUE_MAX:
            problem = f"value is too long (limit: {_META_VALUE_MAX} characters)"
        if problem:
            raise InvalidRequest(
                f"invalid {kind} metadata: failed to load metadata pair "
                f"({_go_quote(key)}, {_go_quote(value)}): {problem}"
            )


def validate_custom_metadata(meta: dict[str, str]) -> None:
    """Vault's custom_metadata rules for aliases (every problem reported)."""
    if len(meta) > _META_MAX_PAIRS:
        raise InvalidRequest(
            f"{_CUSTOM_PREFIX}: payload must contain at most {_META_MAX_PAIRS} keys, "
            f"provided {len(meta)}",
            multierror=True,
        )
    problems = []
    for key, value in meta.items():
        if not 0 < len(key) <= _META_KEY_MAX:
            problems.append(
                f"{_CUSTOM_PREFIX}: length of key {_go_quote(key)} is {len(key)} but must be "
                f"0 < len(key) <= {_META_KEY_MAX}"
            )
        if not 0 < len(value) <= _META_VALUE_MAX:
            problems.append(
                f"{_CUSTOM_PREFIX}: length of value for key {_go_quote(key)} is {len(value)} "
                f"but must be 0 < len(value) <= {_META_VALUE_MAX}"
            )
        if not key.isprintable():
            problems.append(
                f"{_CUSTOM_PREFIX}: key {_go_quote(key)} ({key}) contains unprintable characters"
            )
        if not value.isprintable():
            problems.append(
                f"{_CUSTOM_PREFIX}: value for key {_go_quote(key)} contains unprintable characters"
            )
    if problems:
        raise InvalidRequest(*problems, multierror=True)


def _go_quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


# ----- constructors ------------------------------------------------------------------------


def new_entity(name: str = "") -> Record:
    """A fresh entity record (id and times filled in; name may still be empty)."""
    stamp = now()
    return {
        "id": new_id(),
        "name": name,
        "metadata": None,
        "policies": None,
        "disabled": False,
        "aliases": [],
        "merged_entity_ids": None,
        "namespace_id": NAMESPACE_ID,
        "creation_time": stamp,
        "last_update_time": stamp,
    }


def new_alias(
    canonical_id: str,
    name: str,
    mount_accessor: str,
    *,
    metadata: dict[str, str] | None = None,
    custom_metadata: dict[str, str] | None = None,
    issuer: str = "",
    external_id: str = "",
) -> Record:
    """A fresh alias record (entity or group alias)."""
    stamp = now()
    return {
        "id": new_id(),
        "canonical_id": canonical_id,
        "name": name,
        "mount_accessor": mount_accessor,
        "metadata": metadata,
        "custom_metadata": custom_metadata,
        "merged_from_canonical_ids": None,
        "local": False,
        "issuer": issuer,
        "external_id": external_id,
        "namespace_id": NAMESPACE_ID,
        "creation_time": stamp,
        "last_update_time": stamp,
    }


def new_group() -> Record:
    """A fresh internal group record (name filled in by the caller)."""
    stamp = now()
    return {
        "id": new_id(),
        "name": "",
        "type": "",
        "policies": None,
        "metadata": None,
        "member_entity_ids": None,
        "parent_group_ids": None,
        "alias": None,
        "modify_index": 0,
        "namespace_id": NAMESPACE_ID,
        "creation_time": stamp,
        "last_update_time": stamp,
    }
