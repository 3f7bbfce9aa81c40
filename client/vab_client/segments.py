"""Caller-supplied ids and names placed into a request path, one segment each.

An id like ``../../sys/policies/acl/x`` must not walk the path to another endpoint: HTTP
clients collapse ``.`` and ``..`` segments before sending, so such values are refused, and a
value is escaped so that ``/``, ``?`` and ``#`` stay inside its segment.
"""

from __future__ import annotations

from urllib.parse import quote

__all__ = ["InvalidSegment", "check_segment", "segment"]


class InvalidSegment(ValueError):
    """A value that cannot be one path segment."""


def check_segment(value: object, what: str = "id") -> str:
    """``value`` as text, refused when empty, ``.``, ``..`` or containing ``/``."""
    text = str(value)
    if text in ("", ".", "..") or "/" in text:
        raise InvalidSegment(f"invalid {what} {text!r}: it must be one path segment")
    return text


def segment(value: object, what: str = "id") -> str:
    """``value`` checked and percent-encoded as one path segment (for an unescaping
    adapter such as hvac's)."""
    return quote(check_segment(value, what), safe="")
