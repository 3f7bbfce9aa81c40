"""The options of an audit device, validated as Vault/OpenBao validate them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..framework.errors import InvalidRequest

__all__ = ["DEVICE_TYPES", "DeviceOptions", "parse_options"]

DEVICE_TYPES = ("file",)
"""Audit device types this server implements."""
_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}
SPECIAL_TARGETS = ("stdout", "discard")


def _parse_bool(raw: str) -> bool:
    """Go's ``strconv.ParseBool`` (and its error text)."""
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise InvalidRequest(f'strconv.ParseBool: parsing "{raw}": invalid syntax')


def _parse_mode(raw: str) -> int:
    """Go's ``strconv.ParseUint(raw, 8, 32)`` (and its error text)."""
    try:
        if not raw or raw.startswith(("+", "-")):
            raise ValueError
        value = int(raw, 8)
    except ValueError:
        raise InvalidRequest(f'strconv.ParseUint: parsing "{raw}": invalid syntax') from None
    if value >= 1 << 32:
        raise InvalidRequest(f'strconv.ParseUint: parsing "{raw}": value out of range')
    return value


@dataclass(frozen=True)
class DeviceOptions:
    """What a file device was configured with."""

    file_path: str
    """A file path, ``stdout`` or ``discard``."""
    hmac_accessor: bool = True
    log_raw: bool = False
    elide_list_responses: bool = False
    prefix: str = ""
    mode: int = 0o600
    """File mode of the audit file (0: leave the mode alone)."""

    @property
    def is_file(self) -> bool:
        """Whether the device writes a regular file (not stdout, not discard)."""
        return self.file_path not in SPECIAL_TARGETS


def parse_options(device_type: str, options: Mapping[str, str]) -> DeviceOptions:
    """Validate the options of a new device (400 with Vault's messages)."""
    if device_type not in DEVICE_TYPES:
        raise InvalidRequest(f'unknown backend type: "{device_type}"')
    file_path = options.get("file_path") or options.get("path") or ""
    if not file_path:
        raise InvalidRequest("file_path is required")
    fmt = options.get("format", "json") or "json"
    if fmt == "jsonx":
        raise InvalidRequest(
            'jsonx formatting has been removed, consider switching to json by omitting "format" '
            'or setting it to "json"'
        )
    if fmt != "json":
        raise InvalidRequest(f'unknown format type "{fmt}"')
    prefix = options.get("prefix", "")
    if "\n" in prefix or "\r" in prefix:
        raise InvalidRequest("prefix must not contain line breaks (one entry per line)")
    values = {
        name: _parse_bool(options[name])
        for name in ("hmac_accessor", "log_raw", "elide_list_responses")
        if name in options
    }
    mode = _parse_mode(options["mode"]) if "mode" in options else 0o600
    return DeviceOptions(file_path=file_path, prefix=prefix, mode=mode, **values)
