"""Helpers shared by KV v1 and v2: Go-compatible parsing, times, merge patch, subkeys.

Vault is written in Go and its KV engine leans on Go's weak conversions (``mapstructure``,
``parseutil``); these functions reproduce the observable results of those conversions on
JSON input so that the same request gets the same answer here.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from ...framework.durations import format_duration

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

_GO_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_GO_PART = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_DECIMAL = re.compile(r"^[+-]?\d+$")


# -- times -------------------------------------------------------------------------------------


def rfc3339nano(ns: int | None) -> str:
    """Go's ``time.RFC3339Nano`` rendering of a UTC instant in nanoseconds ("" for None)."""
    if ns is None:
        return ""
    secs, frac = divmod(ns, 1_000_000_000)
    text = datetime.fromtimestamp(secs, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if frac:
        text += "." + f"{frac:09d}".rstrip("0")
    return text + "Z"


def go_duration_string(seconds: int | None) -> str:
    """Go's ``time.Duration.String()`` for whole seconds ("0s", "1m30s", "2h0m0s", "-1s")."""
    return format_duration(seconds or 0)


def parse_go_duration(text: str) -> float:
    """Go's ``time.ParseDuration`` (no days), in seconds; ValueError when invalid."""
    body = text
    sign = 1.0
    if body[:1] in ("+", "-"):
        sign = -1.0 if body[0] == "-" else 1.0
        body = body[1:]
    if body == "0":
        return 0.0
    pos = 0
    total = 0.0
    for match in _GO_PART.finditer(body):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _GO_UNITS[match.group(2)]
        pos = match.end()
    if pos == 0 or pos != len(body):
        raise ValueError(f'time: invalid duration "{text}"')
    return sign * total


def parse_ttl(value: Any) -> int | None:
    """A KV v1 ``ttl`` value as Vault's ``parseutil.ParseDurationSecond`` reads JSON input.

    Returns whole seconds, or None when the value cannot be parsed (Vault then falls back
    to the mount's default lease TTL). JSON numbers are read as their literal text, so
    only integers are accepted; strings may be seconds, ``<n>d`` or a Go duration.
    """
    if value is None:
        return 0
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if INT64_MIN <= value <= INT64_MAX else None
    if isinstance(value, float):
        return None
    if not isinstance(value, str):
        return None
    if value == "":
        return 0
    if _DECIMAL.match(value):
        number = int(value)
        return number if INT64_MIN <= number <= INT64_MAX else None
    if value.endswith("d"):
        days = value[:-1]
        return int(days) * 86400 if _DECIMAL.match(days) else None
    try:
        return int(parse_go_duration(value))
    except ValueError:
        return None


def weak_int(value: Any) -> int:
    """``mapstructure.WeakDecode`` of a JSON value into a Go ``int``; ValueError if impossible."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            raise ValueError("out of range")
        return value
    if isinstance(value, str):
        text = value or "0"
        sign = -1 if text[:1] == "-" else 1
        digits = text[1:] if text[:1] in ("+", "-") else text
        try:
            octal = re.fullmatch(r"0[0-7]+", digits) is not None
            number = int(digits, 8) if octal else int(digits, 0)
        except ValueError:
            raise ValueError(f"cannot parse {value!r} as int") from None
        number *= sign
        if not INT64_MIN <= number <= INT64_MAX:
            raise ValueError("out of range")
        return number
    raise ValueError(f"cannot decode {type(value).__name__} as int")


def go_uint32(value: int) -> int:
    """Go's ``uint32(int)`` conversion (wraps modulo 2**32)."""
    return value & 0xFFFFFFFF


# -- custom metadata ---------------------------------------------------------------------------

CUSTOM_METADATA_PREFIX = "custom_metadata validation failed"
_MAX_CM_KEYS = 64
_MAX_CM_KEY_LEN = 128
_MAX_CM_VALUE_LEN = 512
_GO_TYPES = {list: "[]interface {}", dict: "map[string]interface {}"}


def weak_string(value: Any) -> str:
    """``mapstructure.WeakDecode`` of a JSON value into a Go ``string``."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if value != int(value) else str(int(value))
    go_type = _GO_TYPES.get(type(value), type(value).__name__)
    raise ValueError(f"'' expected type 'string', got unconvertible type '{go_type}'")


def parse_custom_metadata(raw: dict[str, Any], *, skip_nulls: bool) -> dict[str, str]:
    """Custom metadata values as strings (Vault converts them weakly); ValueError if not."""
    out: dict[str, str] = {}
    for key, value in raw.items():
        if skip_nulls and value is None:
            continue
        out[str(key)] = weak_string(value)
    return out


def custom_metadata_errors(custom: dict[str, str]) -> list[str]:
    """Vault's validation of custom metadata: key count, lengths (bytes), printable text."""
    if len(custom) > _MAX_CM_KEYS:
        return [
            f"{CUSTOM_METADATA_PREFIX}: payload must contain at most {_MAX_CM_KEYS} keys, "
            f"provided {len(custom)}"
        ]
    errors: list[str] = []
    for key in sorted(custom):
        value = custom[key]
        key_len = len(key.encode())
        if key_len == 0 or key_len > _MAX_CM_KEY_LEN:
            errors.append(
                f'{CUSTOM_METADATA_PREFIX}: length of key "{key}" is {key_len} but must be '
                f"0 < len(key) <= {_MAX_CM_KEY_LEN}"
            )
        value_len = len(value.encode())
        if value_len == 0 or value_len > _MAX_CM_VALUE_LEN:
            errors.append(
                f'{CUSTOM_METADATA_PREFIX}: length of value for key "{key}" is {value_len} but '
                f"must be 0 < len(value) <= {_MAX_CM_VALUE_LEN}"
            )
        if not key.isprintable():
            errors.append(
                f'{CUSTOM_METADATA_PREFIX}: key "{key}" ({key}) contains unprintable characters'
            )
        if not value.isprintable():
            errors.append(
                f'{CUSTOM_METADATA_PREFIX}: value for key "{key}" contains unprintable characters'
            )
    return errors


def multierror_text(messages: list[str]) -> str:
    """Go's ``multierror`` rendering, as one error string."""
    head = "1 error occurred" if len(messages) == 1 else f"{len(messages)} errors occurred"
    return f"{head}:\n" + "".join(f"\t* {m}\n" for m in messages) + "\n"


# -- merge patch and subkeys -------------------------------------------------------------------


def _prune_nulls(value: Any) -> Any:
    """A patch value set as-is: null members of its objects are dropped (also inside arrays)."""
    if isinstance(value, dict):
        return {k: _prune_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_prune_nulls(v) for v in value]
    return value


def merge_patch(target: Any, patch: Any) -> Any:
    """JSON merge patch (RFC 7396) of ``patch`` onto ``target``; neither is modified."""
    if not isinstance(patch, dict):
        return _prune_nulls(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge_patch(result[key], value)
        else:
            result[key] = _prune_nulls(value)
    return result


def subkeys(data: Any, max_depth: int) -> Any:
    """The structure of ``data`` with leaf values replaced by None (Vault's ``subkeys``).

    A non-empty object below ``max_depth`` (0 = unlimited) is kept as an object; anything
    else, including empty objects and arrays, becomes None.
    """
    if not isinstance(data, dict):
        return data

    def walk(node: dict[str, Any], depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in node.items():
            child_depth = depth + 1
            if isinstance(value, dict) and value and (max_depth == 0 or child_depth <= max_depth):
                out[key] = walk(value, child_depth)
            else:
                out[key] = None
        return out

    return walk(data, 1)


# -- locking -----------------------------------------------------------------------------------


class KeyLocks:
    """256 striped locks: requests on one secret are serialised inside this process."""

    def __init__(self, count: int = 256) -> None:
        self._locks = [threading.Lock() for _ in range(count)]

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        """Hold the lock of one key for the duration of the block."""
        digest = hashlib.sha256(key.encode()).digest()
        lock = self._locks[digest[0] % len(self._locks)]
        with lock:
            yield
