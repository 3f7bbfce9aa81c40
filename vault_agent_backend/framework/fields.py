"""Typed request fields: declared once on a Path, used to validate input and build OpenAPI."""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .durations import parse_duration
from .errors import InvalidRequest


class FieldType(enum.Enum):
    """The field types of Vault's SDK, with Vault's weak input conversion."""

    STRING = "string"
    LOWER_CASE_STRING = "lowercase_string"
    NAME_STRING = "name_string"
    INT = "int"
    INT64 = "int64"
    FLOAT = "float"
    BOOL = "bool"
    MAP = "map"
    DURATION = "duration_second"
    SIGNED_DURATION = "signed_duration_second"
    SLICE = "slice"
    STRING_SLICE = "string_slice"
    COMMA_STRING_SLICE = "comma_string_slice"
    COMMA_INT_SLICE = "comma_int_slice"
    KV_PAIRS = "kv_pairs"
    HEADER = "header"

    @property
    def openapi(self) -> dict[str, Any]:
        """The OpenAPI schema fragment of this type."""
        return _OPENAPI[self]


_OPENAPI: dict[FieldType, dict[str, Any]] = {
    FieldType.STRING: {"type": "string"},
    FieldType.LOWER_CASE_STRING: {"type": "string"},
    FieldType.NAME_STRING: {"type": "string"},
    FieldType.INT: {"type": "integer"},
    FieldType.INT64: {"type": "integer", "format": "int64"},
    FieldType.FLOAT: {"type": "number"},
    FieldType.BOOL: {"type": "boolean"},
    FieldType.MAP: {"type": "object"},
    FieldType.DURATION: {"type": "string", "format": "duration"},
    FieldType.SIGNED_DURATION: {"type": "string", "format": "duration"},
    FieldType.SLICE: {"type": "array", "items": {}},
    FieldType.STRING_SLICE: {"type": "array", "items": {"type": "string"}},
    FieldType.COMMA_STRING_SLICE: {"type": "array", "items": {"type": "string"}},
    FieldType.COMMA_INT_SLICE: {"type": "array", "items": {"type": "integer"}},
    FieldType.KV_PAIRS: {"type": "object"},
    FieldType.HEADER: {"type": "object"},
}

_NAME_RE = re.compile(r"^\w(([\w-]+)?\w)?$")
_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False", ""}


@dataclass(frozen=True)
class Field:
    """One declared input field of a path."""

    type: FieldType = FieldType.STRING
    description: str = ""
    default: Any = None
    required: bool = False
    allowed_values: tuple[Any, ...] | None = None
    query: bool = False
    deprecated: bool = False

    def zero(self) -> Any:
        """The value a handler sees when the field is absent."""
        if self.default is not None:
            return convert(self.type, self.default)
        return _ZERO[self.type]()


_ZERO: dict[FieldType, Any] = {
    FieldType.STRING: str,
    FieldType.LOWER_CASE_STRING: str,
    FieldType.NAME_STRING: str,
    FieldType.INT: int,
    FieldType.INT64: int,
    FieldType.FLOAT: float,
    FieldType.BOOL: bool,
    FieldType.MAP: dict,
    FieldType.DURATION: int,
    FieldType.SIGNED_DURATION: int,
    FieldType.SLICE: list,
    FieldType.STRING_SLICE: list,
    FieldType.COMMA_STRING_SLICE: list,
    FieldType.COMMA_INT_SLICE: list,
    FieldType.KV_PAIRS: dict,
    FieldType.HEADER: dict,
}


_INT64 = range(-(2**63), 2**63)


def pagination_fields() -> dict[str, Field]:
    """The ``after``/``limit`` query fields of Vault's paginated LIST endpoints."""
    return {
        "after": Field(
            FieldType.STRING,
            "Optional entry to list begin listing after, not required to exist.",
            query=True,
        ),
        "limit": Field(
            FieldType.INT,
            "Optional number of entries to return; defaults to all entries.",
            query=True,
        ),
    }


def _to_int(value: Any) -> int:
    result = _to_int_unbounded(value)
    if result not in _INT64:  # Vault's ints are Go int64s
        raise ValueError("cannot parse the value as int: value out of range")
    return result


def _to_int_unbounded(value: Any) -> int:
    if value is None:  # JSON null: the zero value, as Vault's weak decoding gives
        return 0
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value) or value != int(value):
            raise ValueError(f"cannot parse '{value}' as int")
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if text == "":
            return 0
        try:
            return int(text, 0)
        except ValueError:
            raise ValueError(f"cannot parse '{value}' as int") from None
    raise ValueError(_unconvertible("int", value))


def _to_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return str(value)
    if value is None:
        return ""
    raise ValueError(_unconvertible("string", value))


def _to_bool(value: Any) -> bool:
    if value is None:  # JSON null: the zero value, as Vault's weak decoding gives
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):  # Vault parses a number's text: "1"/"0"
        return value == 1
    if isinstance(value, str):
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise ValueError(f"cannot parse '{value}' as bool")
    raise ValueError(_unconvertible("bool", value))


def _to_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        raise ValueError(_unconvertible("[]interface {}", value))
    return [value]


def _to_comma_strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip() != ""]
    return [_to_string(v).strip() for v in _to_list(value)]


class KeyPairError(ValueError):
    """A ``key=value`` item without ``=`` or key; FieldData adds the field name (as Vault)."""


def _to_kv_pairs(value: Any) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): _to_string(v) for k, v in value.items()}
    # As Vault: a string is one pair (never split on commas), a list holds one per item.
    items = [value] if isinstance(value, str) else _to_list(value)
    result: dict[str, str] = {}
    for index, item in enumerate(items):
        key, sep, val = _to_string(item).partition("=")
        if not sep or not key:
            raise KeyPairError(f"invalid key pair at index {index}")
        result[key] = val
    return result


def _to_map(value: Any) -> dict[str, Any]:
    if value is None or value == []:  # weak decoding: an empty array is an empty map
        return {}
    if isinstance(value, dict):
        return value
    raise ValueError(_unconvertible("map[string]interface {}", value))


def _go_type(value: Any) -> str:
    """The Go type name JSON decoding gives a value (for Vault-shaped messages)."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "[]interface {}"
    return "map[string]interface {}"


def _to_name(value: Any) -> str:
    text = _to_string(value)
    if text and not _NAME_RE.match(text):
        raise ValueError("invalid name")
    return text


def _to_header(value: Any) -> dict[str, list[str]]:
    mapping = _to_map(value)
    return {k: [_to_string(x) for x in _to_list(v)] for k, v in mapping.items()}


def _to_float(value: Any) -> float:
    if value is None:  # JSON null: the zero value
        return 0.0
    if isinstance(value, bool):
        raise ValueError(f"cannot parse '{value}' as float")
    if isinstance(value, int | float):
        try:
            result = float(value)
        except OverflowError:
            raise ValueError("cannot parse an integer this large as float") from None
    elif isinstance(value, str):
        try:
            result = float(value) if value.strip() else 0.0
        except ValueError:
            raise ValueError(f"cannot parse '{value}' as float") from None
    else:
        raise ValueError(_unconvertible("float64", value))
    if not math.isfinite(result):
        raise ValueError("cannot parse a number that is not finite as float")
    return result


_CONVERTERS = {
    FieldType.STRING: _to_string,
    FieldType.LOWER_CASE_STRING: lambda v: _to_string(v).lower(),
    FieldType.NAME_STRING: _to_name,
    FieldType.INT: _to_int,
    FieldType.INT64: _to_int,
    FieldType.FLOAT: _to_float,
    FieldType.BOOL: _to_bool,
    FieldType.MAP: _to_map,
    FieldType.DURATION: parse_duration,
    FieldType.SIGNED_DURATION: lambda v: parse_duration(v, allow_negative=True),
    FieldType.SLICE: _to_list,
    FieldType.STRING_SLICE: lambda v: [_to_string(x) for x in _to_list(v)],
    FieldType.COMMA_STRING_SLICE: _to_comma_strings,
    FieldType.COMMA_INT_SLICE: lambda v: [_to_int(x) for x in _to_comma_strings(v)],
    FieldType.KV_PAIRS: _to_kv_pairs,
    FieldType.HEADER: _to_header,
}


def convert(field_type: FieldType, value: Any) -> Any:
    """Convert raw input to the field's type, raising ValueError when impossible."""
    return _CONVERTERS[field_type](value)


def _unconvertible(wanted: str, value: Any) -> str:
    """Vault's conversion message, without the value: the value may be a password or a token
    sent with the wrong type, and the message ends up in the audit entry's (clear) ``error``."""
    return f"'' expected type '{wanted}', got unconvertible type '{_go_type(value)}'"


class FieldData:
    """The input of one request, read through the path's field declarations."""

    def __init__(self, raw: Mapping[str, Any], schema: Mapping[str, Field]):
        self.raw: dict[str, Any] = dict(raw)
        self.schema = schema
        self._cache: dict[str, Any] = {}

    def validate(self) -> list[str]:
        """Convert every declared field present; return the names of unknown ones."""
        unknown = []
        for name in self.raw:
            field = self.schema.get(name)
            if field is None:
                unknown.append(name)
            elif field.type is not FieldType.MAP:  # as Vault: maps are checked when read
                self.get(name)
        return sorted(unknown)

    def get(self, name: str) -> Any:
        """The converted value of a field, or its default when absent."""
        value, _ = self.get_ok(name)
        return value

    def get_ok(self, name: str) -> tuple[Any, bool]:
        """The converted value and whether the request set it."""
        field = self.schema.get(name)
        if field is None:
            raise KeyError(f"field {name!r} is not declared on this path")
        if name not in self.raw:
            return field.zero(), False
        if name not in self._cache:
            try:
                value = convert(field.type, self.raw[name])
            except OverflowError:
                raise InvalidRequest(
                    f'error converting input for field "{name}": value out of range'
                ) from None
            except ValueError as exc:
                if field.type is FieldType.MAP:
                    raise InvalidRequest(
                        f"error converting input for field \"{name}\": '' expected type "
                        f"'map[string]interface {{}}', got unconvertible type "
                        f"'{_go_type(self.raw[name])}'"
                    ) from None
                detail = f'{exc} in field "{name}"' if isinstance(exc, KeyPairError) else exc
                raise InvalidRequest(
                    f'Field validation failed: error converting input for field "{name}": {detail}'
                ) from None
            if field.allowed_values is not None and value not in field.allowed_values:
                allowed = ", ".join(str(v) for v in field.allowed_values)
                raise InvalidRequest(
                    f'Field validation failed: field "{name}" must be one of: {allowed}'
                )
            self._cache[name] = value
        return self._cache[name], True

    def has(self, name: str) -> bool:
        """Whether the request set this field."""
        return name in self.raw

    def require(self, name: str, message: str | None = None) -> Any:
        """The value of a field that must be present and non-empty."""
        value, ok = self.get_ok(name)
        if not ok or value in ("", None, [], {}):
            raise InvalidRequest(message or f"missing {name}")
        return value
