"""Request-parameter constraints of a matched rule (``allowed_parameters`` & co).

Semantics are Vault's (1.21+, per-element matching of list values):

* string patterns glob: ``x*`` prefix, ``*x`` suffix, ``*x*`` substring; a pattern
  shorter than two characters matches only itself;
* other values compare like Go's ``reflect.DeepEqual`` against JSON-decoded request
  data, where JSON numbers are ``json.Number`` -- so a numeric request value never
  equals a policy value (only an empty list, "any value", admits it);
* a list value is allowed when every element is allowed and denied when any element
  is denied; a string is also read as a comma-separated list (``"a, b"``), so ``""``
  (no elements) passes an allowed list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "check_parameters",
    "glob_match",
    "value_allowed",
    "value_denied",
]


def glob_match(pattern: str, value: str) -> bool:
    """Vault's ``GlobbedStringsMatch``."""
    if len(pattern) < 2:
        return value == pattern
    starts, ends = pattern.startswith("*"), pattern.endswith("*")
    if starts and ends:
        return pattern[1:-1] in value
    if starts:
        return value.endswith(pattern[1:])
    if ends:
        return value.startswith(pattern[:-1])
    return value == pattern


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _deep_equal(policy_value: Any, value: Any) -> bool:
    """DeepEqual between an HCL-decoded and a JSON-decoded value (numbers never equal)."""
    if _is_number(policy_value) or _is_number(value):
        return False
    if isinstance(policy_value, bool) or isinstance(value, bool):
        return isinstance(policy_value, bool) and isinstance(value, bool) and policy_value == value
    if isinstance(policy_value, str) or isinstance(value, str):
        return isinstance(policy_value, str) and isinstance(value, str) and policy_value == value
    if isinstance(policy_value, list) and isinstance(value, list):
        return len(policy_value) == len(value) and all(
            _deep_equal(a, b) for a, b in zip(policy_value, value, strict=True)
        )
    if isinstance(policy_value, Mapping) and isinstance(value, Mapping):
        return policy_value.keys() == value.keys() and all(
            _deep_equal(policy_value[k], value[k]) for k in policy_value
        )
    return policy_value is None and value is None


def _in_list(value: Any, patterns: Sequence[Any]) -> bool:
    for pattern in patterns:
        if pattern is None or value is None:
            if pattern is None and value is None:
                return True
        elif isinstance(pattern, str):
            if isinstance(value, str) and glob_match(pattern, value):
                return True
        elif _deep_equal(pattern, value):
            return True
    return False


def _elements(value: Any) -> list[Any] | None:
    """The elements a list-or-comma-string value is made of (``None`` otherwise)."""
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        return [] if value == "" else [part.strip() for part in value.split(",")]
    return None


def value_allowed(value: Any, patterns: Sequence[Any]) -> bool:
    """Whether ``value`` passes an ``allowed_parameters`` entry (``[]`` = anything)."""
    if not patterns or _in_list(value, patterns):
        return True
    elements = _elements(value)
    return elements is not None and all(_in_list(e, patterns) for e in elements)


def value_denied(value: Any, patterns: Sequence[Any]) -> bool:
    """Whether ``value`` hits a ``denied_parameters`` entry (``[]`` = anything)."""
    if not patterns or _in_list(value, patterns):
        return True
    elements = _elements(value)
    return elements is not None and any(_in_list(e, patterns) for e in elements)


def check_parameters(
    data: Mapping[str, Any] | None,
    allowed: Mapping[str, Sequence[Any]],
    denied: Mapping[str, Sequence[Any]],
    required: Sequence[str],
) -> str | None:
    """Apply a rule's parameter constraints to request ``data``.

    Returns ``None`` when the data passes, else a short reason (for explanations; the
    client only ever sees ``permission denied``).
    """
    data = data or {}
    for name in required:
        if name.lower() not in data:
            return f"required parameter {name.lower()!r} missing"
    if not data:
        return None
    if denied:
        if "*" in denied:
            return "all parameters are denied"
        for key, value in data.items():
            patterns = denied.get(key.lower())
            if patterns is not None and value_denied(value, patterns):
                return f"parameter {key!r} denied"
    if not allowed:
        return None
    allow_all = "*" in allowed
    if allow_all and len(allowed) == 1:
        return None
    for key, value in data.items():
        patterns = allowed.get(key.lower())
        if patterns is None:
            if not allow_all:
                return f"parameter {key!r} not allowed"
        elif not value_allowed(value, patterns):
            return f"value of parameter {key!r} not allowed"
    return None
