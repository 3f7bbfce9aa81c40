"""Value formatting that matches what the Go ``vault``/``bao`` CLI prints.

The Go CLI decodes JSON numbers as ``json.Number`` (their literal text), prints values
with ``fmt``'s ``%v`` verb in tables and encodes JSON with ``encoding/json`` (sorted map
keys, HTML-safe escaping, two-space indentation). The helpers here reproduce those rules
so that ``vab`` output can be compared byte for byte with ``bao``'s.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cmp_to_key
from typing import Any


class Number(str):
    """A JSON number kept as its literal text, like Go's ``json.Number``."""

    def as_int(self) -> int | None:
        """The number as an ``int`` when it is integral, else None."""
        try:
            return int(self)
        except ValueError:
            return None


class Struct(dict):  # type: ignore[type-arg]
    """A mapping encoded in insertion order, like a Go struct (plain maps are sorted)."""


def loads(text: str | bytes) -> Any:
    """Decode JSON keeping numbers as :class:`Number` (their exact text)."""
    return json.loads(text, parse_int=Number, parse_float=Number)


# -- JSON encoding ---------------------------------------------------------------------------

_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_NEEDS_ESCAPE = re.compile('["\\\\\x00-\x1f<>&\u2028\u2029]')


def _escape_char(match: re.Match[str]) -> str:
    char = match.group(0)
    return _ESCAPES.get(char) or f"\\u{ord(char):04x}"


def json_string(value: str) -> str:
    """Quote a string the way Go's ``encoding/json`` does (HTML-safe)."""
    return '"' + _NEEDS_ESCAPE.sub(_escape_char, value) + '"'


def dumps(value: Any, indent: int | None = 2) -> str:
    """Encode ``value`` like Go's ``json.MarshalIndent(v, "", "  ")`` (or compact)."""
    parts: list[str] = []
    _encode(value, parts, 0, indent)
    return "".join(parts)


def _encode(value: Any, out: list[str], level: int, indent: int | None) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, Number):
        out.append(str.__str__(value))
    elif isinstance(value, str):
        out.append(json_string(value))
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        out.append(_go_float(value))
    elif isinstance(value, Mapping):
        pairs = value.items() if isinstance(value, Struct) else sorted(value.items(), key=_key)
        _encode_container(
            [(json_string(str(k)) + ":", v) for k, v in pairs],
            "{}",
            out,
            level,
            indent,
        )
    elif isinstance(value, list | tuple):
        _encode_container([("", v) for v in value], "[]", out, level, indent)
    else:
        out.append(json_string(str(value)))


def _key(item: tuple[Any, Any]) -> str:
    return str(item[0])


def _encode_container(
    items: list[tuple[str, Any]], brackets: str, out: list[str], level: int, indent: int | None
) -> None:
    if not items:
        out.append(brackets)
        return
    out.append(brackets[0])
    for index, (prefix, item) in enumerate(items):
        if index:
            out.append(",")
        if indent is not None:
            out.append("\n" + " " * (indent * (level + 1)))
        out.append(prefix + (" " if prefix and indent is not None else ""))
        _encode(item, out, level + 1, indent)
    if indent is not None:
        out.append("\n" + " " * (indent * level))
    out.append(brackets[1])


def _go_float(value: float) -> str:
    if value == int(value) and abs(value) < 1e21:
        return str(int(value))
    return repr(value)


def to_plain(value: Any) -> Any:
    """Convert :class:`Number` values to ``int``/``float`` (for YAML and other encoders)."""
    if isinstance(value, Number):
        as_int = value.as_int()
        return as_int if as_int is not None else float(value)
    if isinstance(value, Mapping):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    return value


# -- fmt's %v and %q ------------------------------------------------------------------------


def go_value(value: Any) -> str:
    """Format ``value`` like Go's ``fmt.Sprintf("%v", v)`` for decoded JSON values."""
    if value is None:
        return "<nil>"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, float):
        return _go_float(value)
    if isinstance(value, Mapping):
        inner = " ".join(f"{k}:{go_value(v)}" for k, v in sorted(value.items(), key=_key))
        return f"map[{inner}]"
    if isinstance(value, list | tuple):
        return "[" + " ".join(go_value(v) for v in value) + "]"
    return str(value)


def go_quote(value: str) -> str:
    """Quote a string like Go's ``strconv.Quote`` (printable Unicode kept as is)."""
    out = ['"']
    for char in value:
        code = ord(char)
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif char in _QUOTE_ESCAPES:
            out.append(_QUOTE_ESCAPES[char])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif not char.isprintable() and code > 0x7F:
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


_QUOTE_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
}


def go_quote_list(values: list[Any] | None) -> str:
    """Format a string slice like Go's ``%q``: ``["a" "b"]``."""
    return "[" + " ".join(go_quote(go_value(v)) for v in values or []) + "]"


# -- durations -------------------------------------------------------------------------------


def duration_string(seconds: int) -> str:
    """Go's ``time.Duration.String()`` for a whole number of seconds (``1h0m0s``)."""
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


def human_duration(seconds: int) -> str:
    """The CLI's short duration form: ``1h``, ``1h1s``, ``90m`` becomes ``1h30m``."""
    text = duration_string(seconds)
    if text.endswith("m0s"):
        text = text[:-2]
    index = text.find("h0m")
    if index > 0:
        text = text[: index + 1] + text[index + 3 :]
    return text


def human_duration_value(value: Any) -> Any:
    """Durations given as integer seconds become human durations; others stay as they are."""
    if isinstance(value, bool):
        return value
    if isinstance(value, Number):
        as_int = value.as_int()
        return human_duration(as_int) if as_int is not None else value
    if isinstance(value, int):
        return human_duration(value)
    return value


def looks_like_duration(key: str) -> bool:
    """Field names the CLI shows as durations (``ttl``, ``*_ttl``, ``period``, ...)."""
    return key in ("period", "ttl", "duration", "lease_max", "ttl_max") or key.endswith(
        ("_period", "_ttl", "_duration")
    )


_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d)")
_UNIT_SECONDS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
    "d": 86400.0,
}


def parse_duration(text: str) -> int:
    """Parse ``30``, ``30s``, ``1h30m``, ``2d`` into whole seconds; ValueError if invalid."""
    raw = text.strip()
    if not raw:
        raise ValueError("empty duration")
    if re.fullmatch(r"-?\d+", raw):
        return int(raw)
    sign = -1 if raw.startswith("-") else 1
    body = raw.lstrip("+-")
    position = 0
    total = 0.0
    for match in _DURATION_PART.finditer(body):
        if match.start() != position:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    if position != len(body) or not body:
        raise ValueError(f"time: invalid duration {json_string(text)}")
    return sign * int(total)


def _digit_run(text: str, start: int, value: int) -> tuple[int, int]:
    """The number the digits of ``text`` from ``start`` make (``value`` as the seed) and the
    index after them."""
    end = start
    while end < len(text) and text[end].isdigit():
        value = value * 10 + int(text[end])
        end += 1
    return value, end


def go_yaml_key_before(a: str, b: str) -> bool:
    """Whether Go's YAML encoder (the ``-format=yaml`` of vault/bao) writes map key ``a``
    before ``b``: a natural order, where runs of digits compare as numbers (``x2`` before
    ``x18``, ``a9`` before ``a09``), letters by code point, and a non-letter before a letter."""
    for i in range(min(len(a), len(b))):
        if a[i] == b[i]:
            continue
        a_letter, b_letter = a[i].isalpha(), b[i].isalpha()
        if a_letter and b_letter:
            return a[i] < b[i]
        if a_letter or b_letter:
            return b_letter
        seed = 0  # a run of digits that began before i (not with zeros) goes on here
        if a[i] == "0" or b[i] == "0":
            j = i - 1
            while j >= 0 and a[j].isdigit():
                if a[j] != "0":
                    seed = 1
                    break
                j -= 1
        a_number, a_end = _digit_run(a, i, seed)
        b_number, b_end = _digit_run(b, i, seed)
        if a_number != b_number:
            return a_number < b_number
        if a_end != b_end:
            return a_end < b_end
        return a[i] < b[i]
    return len(a) < len(b)


def go_yaml_ordered(value: Any) -> Any:
    """``value`` with every mapping's keys in Go's YAML order (see
    :func:`go_yaml_key_before`), for a YAML dumper that keeps insertion order."""
    if isinstance(value, Mapping):
        order = cmp_to_key(
            lambda x, y: -1 if go_yaml_key_before(x, y) else (1 if go_yaml_key_before(y, x) else 0)
        )
        return {str(k): go_yaml_ordered(value[k]) for k in sorted(map(str, value), key=order)}
    if isinstance(value, list):
        return [go_yaml_ordered(item) for item in value]
    return value
