"""Go-style duration parsing as Vault accepts it ("90s", "1h30m", "1.5h", "2d", or seconds)."""

from __future__ import annotations

import math
import re

_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1,
    "m": 60,
    "h": 3600,
    "d": 86400,
}
#: Go's ``time.Duration`` is an int64 count of nanoseconds: anything longer overflows, and Go
#: refuses such a string with ``time: invalid duration``. Vault stores TTLs as durations.
MAX_SECONDS = (2**63 - 1) // 1_000_000_000
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d)")


def parse_duration(value: object, *, allow_negative: bool = False) -> int:
    """Return a duration in whole seconds.

    Accepts integers and floats (seconds), numeric strings (seconds), and Go
    duration strings. Raises ``ValueError`` with a readable message otherwise.
    """
    if isinstance(value, bool):
        raise ValueError(f"cannot parse {value!r} as a duration")
    if isinstance(value, int):
        seconds = value
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f'time: invalid duration "{value}"')
        seconds = int(value)
    elif isinstance(value, str):
        seconds = _parse_duration_string(value.strip())
    elif value is None:
        seconds = 0
    else:
        raise ValueError(f"cannot parse {value!r} as a duration")
    if abs(seconds) > MAX_SECONDS:
        raise ValueError(f'time: invalid duration "{value}"')
    if seconds < 0 and not allow_negative:
        raise ValueError("cannot provide negative value")
    return seconds


def _parse_duration_string(text: str) -> int:
    if text == "":
        return 0
    sign = 1
    body = text
    if body[0] in "+-":
        sign = -1 if body[0] == "-" else 1
        body = body[1:]
    if re.fullmatch(r"\d+", body):
        return sign * int(body)
    if re.fullmatch(r"\d+\.\d*", body):
        return sign * int(float(body))
    pos = 0
    total = 0.0
    for match in _PART.finditer(body):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(body) or pos == 0 or not math.isfinite(total):
        raise ValueError(f'time: invalid duration "{text}"')
    return sign * int(total)


def format_duration(seconds: int) -> str:
    """Format seconds the way Go prints a time.Duration ("1h0m0s", "30s")."""
    if seconds == 0:
        return "0s"
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{sign}{minutes}m{secs}s"
    return f"{sign}{secs}s"
