"""Random identifiers in Vault's shapes."""

from __future__ import annotations

import hashlib
import secrets
import uuid

_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def random_string(length: int) -> str:
    """Letters and digits from the OS's CSPRNG."""
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


def new_uuid() -> str:
    """A random UUID string."""
    return str(uuid.uuid4())


def accessor_id() -> str:
    """A 24-character accessor."""
    return random_string(24)


def mount_accessor(kind: str) -> str:
    """``kv_1a2b3c4d`` style mount accessor."""
    return f"{kind}_{secrets.token_hex(4)}"


def sha256_hex(value: str) -> str:
    """Hex SHA-256 of a string (storage keys for secrets never hold the secret)."""
    return hashlib.sha256(value.encode()).hexdigest()
