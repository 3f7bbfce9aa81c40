"""Durations as Vault reads them in policies (``min_wrapping_ttl`` and friends).

:func:`parse_duration_seconds` follows Go's ``parseutil.ParseDurationSecond``: an
integer or a digit-only string is seconds, ``"<n>d"`` is days, anything else is a Go
duration string (``"1h30m"``, ``"90s"``, ``"1.5h"``). Error messages are Go's.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["DurationError", "parse_duration_seconds", "parse_go_duration"]

_NS = {
    "ns": 1,
    "us": 1_000,
    "\u00b5s": 1_000,  # micro sign
    "\u03bcs": 1_000,  # Greek mu
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60 * 1_000_000_000,
    "h": 3600 * 1_000_000_000,
}
_INT = re.compile(r"[+-]?[0-9]+")
_PART = re.compile(r"([0-9]*)(\.[0-9]*)?([^0-9.]*)")


class DurationError(ValueError):
    """A duration that Go would not parse (message as Go's)."""


def _quote(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def parse_go_duration(s: str) -> int:
    """Go's ``time.ParseDuration``; returns nanoseconds."""
    orig = s
    neg = False
    if s and s[0] in "+-":
        neg = s[0] == "-"
        s = s[1:]
    if s == "0":
        return 0
    if not s:
        raise DurationError(f"time: invalid duration {_quote(orig)}")
    total = 0
    while s:
        m = _PART.match(s)
        assert m is not None  # the pattern matches the empty string
        whole, frac, unit = m.group(1), m.group(2) or "", m.group(3)
        if not whole and len(frac) <= 1:
            raise DurationError(f"time: invalid duration {_quote(orig)}")
        if not unit:
            raise DurationError(f"time: missing unit in duration {_quote(orig)}")
        # The unit runs up to the next digit or '.'.
        if unit not in _NS:
            raise DurationError(f"time: unknown unit {_quote(unit)} in duration {_quote(orig)}")
        scale = _NS[unit]
        value = int(whole or "0") * scale
        if len(frac) > 1:
            digits = frac[1:]
            value += int(digits) * scale // (10 ** len(digits))
        total += value
        if total > (1 << 63) - 1:
            raise DurationError(f"time: invalid duration {_quote(orig)}")
        s = s[m.end() :]
    return -total if neg else total


def parse_duration_seconds(value: Any) -> int:
    """Seconds for a policy duration value (string, int or float); ``0`` for ``None``/``""``.

    Raises :class:`DurationError` with Go's message when the value does not parse.
    """
    if value is None:
        return 0
    if isinstance(value, bool):
        raise DurationError("could not parse duration from input")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if not isinstance(value, str):
        raise DurationError("could not parse duration from input")
    if value == "":
        return 0
    if _INT.fullmatch(value):
        return int(value)
    if value.endswith("d"):
        days = value[:-1]
        if not _INT.fullmatch(days):
            raise DurationError(f"strconv.ParseInt: parsing {_quote(days)}: invalid syntax")
        return int(days) * 86400
    ns = parse_go_duration(value)
    return int(ns / 1_000_000_000) if ns < 0 else ns // 1_000_000_000
