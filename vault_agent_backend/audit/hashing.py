"""Hashing of audit entry values, as Vault's ``hashstructure`` does.

Every string value (never a key) inside request and response data becomes
``hmac-sha256:<hex>``: an HMAC-SHA256 keyed with the device's salt. Numbers, booleans and
nulls stay as they are; lists and maps are walked. Keys listed in a mount's
``audit_non_hmac_request_keys``/``audit_non_hmac_response_keys`` keep the strings directly
under them (also inside lists) in clear. Tokens are always hashed; accessors when the
device's ``hmac_accessor`` is on.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Collection, Mapping
from typing import Any

__all__ = ["HMAC_PREFIX", "Hasher", "elide_list_response", "hash_structure"]

HMAC_PREFIX = "hmac-sha256:"

HashFn = Callable[[str], str]


class Hasher:
    """The HMAC of one device's salt (Vault's ``salt.GetIdentifiedHMAC``)."""

    def __init__(self, salt: str):
        self._key = salt.encode()

    def __call__(self, value: str) -> str:
        """``hmac-sha256:`` + the hex HMAC of ``value``."""
        digest = hmac.new(self._key, value.encode("utf-8", "surrogatepass"), hashlib.sha256)
        return HMAC_PREFIX + digest.hexdigest()


def _plain(value: Any) -> Any:
    """Bring a value into JSON's types (dataclasses and other objects become strings)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def hash_structure(
    value: Any, fn: HashFn | None, ignored: Collection[str] = (), key: str = ""
) -> Any:
    """A copy of ``value`` with every string replaced by ``fn(string)`` (a plain copy when
    ``fn`` is None, as with ``log_raw``). ``key`` is the map key the value sits under."""
    if fn is None:
        return _plain(value)
    if isinstance(value, str):
        return value if key in ignored else fn(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Mapping):
        return {str(k): hash_structure(v, fn, ignored, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [hash_structure(v, fn, ignored, key) for v in value]
    return hash_structure(_plain(value), fn, ignored, key)


def elide_list_response(data: dict[str, Any]) -> dict[str, Any]:
    """Vault's ``elide_list_responses``: ``keys`` and ``key_info`` become their counts."""
    out = dict(data)
    keys = out.get("keys")
    if isinstance(keys, list) and all(isinstance(k, str) for k in keys):
        out["keys"] = len(keys)
    info = out.get("key_info")
    if isinstance(info, Mapping):
        out["key_info"] = len(info)
    return out
