"""Go HCL (v1) string literals: escape sequences, as Vault's parser reads them.

pyhcl's lexer only undoes ``\\"`` and ``\\\\`` (and mis-reads ``"a\\\\"``: the escaped
backslash then escapes the closing quote). Go's scanner and ``strconv.Unquote`` accept
``\\a \\b \\f \\n \\r \\t \\v \\\\ \\"``, three octal digits, ``\\xHH``, ``\\uHHHH`` and
``\\UHHHHHHHH``, refuse any other escape (``illegal char escape``) and a raw newline
outside ``${...}`` (``literal not terminated``), and copy ``${...}`` sections as written.
A policy path such as ``"secret/\\u0061dmin"`` therefore means ``secret/admin``.
"""

from __future__ import annotations

__all__ = ["MASK", "decode_string", "go_heredoc", "mask_escaped_backslashes"]

#: Stands in for the second character of an escaped backslash while pyhcl lexes.
MASK = "\x01"

_SIMPLE = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92, '"': 34}
_DIGITS = {"x": (16, 2), "u": (16, 4), "U": (16, 8)}
_ILLEGAL = "illegal char escape"


def mask_escaped_backslashes(text: str) -> str:
    """``text`` with the second backslash of every ``\\\\`` pair replaced by :data:`MASK`
    (same length, so offsets stay valid), so pyhcl finds the end of every string as Go
    does. Unchanged when the text already holds :data:`MASK`."""
    if "\\\\" not in text or MASK in text:
        return text
    out = []
    i, n = 0, len(text)
    while i < n:
        if text[i] == "\\" and i + 1 < n and text[i + 1] == "\\":
            out += ["\\", MASK]
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _escape(s: str, i: int) -> tuple[bytes, int, int | None]:
    """The escape starting at ``s[i] == "\\"``: (bytes, length, bad offset or None)."""
    if i + 1 >= len(s):
        return b"", 1, i + 1
    kind = s[i + 1]
    if kind in _SIMPLE:
        return bytes([_SIMPLE[kind]]), 2, None
    if "0" <= kind <= "7":
        base, count, first = 8, 3, i + 1
    elif kind in _DIGITS:
        (base, count), first = _DIGITS[kind], i + 2
    else:
        return b"", 2, i + 1
    digits = s[first : first + count]
    for k, ch in enumerate(digits):
        if not ch.isascii() or not ch.isalnum() or int(ch, 36) >= base:
            return b"", first + k - i, first + k
    if len(digits) < count:
        return b"", len(s) - i, len(s)
    value = int(digits, base)
    end = first + count - i
    if kind == "x" or base == 8:
        return (bytes([value]), end, None) if value <= 255 else (b"", end, i + 1)
    if value > 0x10FFFF:
        return b"", end, i + 1
    if 0xD800 <= value <= 0xDFFF:
        value = 0xFFFD  # Go encodes an invalid rune as U+FFFD
    return chr(value).encode(), end, None


def decode_string(raw: str, offset: int) -> tuple[str, list[tuple[int, str]]]:
    """Decode the quoted literal ``raw`` (quotes included) found at ``offset``.

    Returns the value and the scanner errors as ``(offset in the document, message)``.
    """
    s = raw[1:-1]
    if "\\" not in s and "\n" not in s:
        return s, []
    base = offset + 1
    out = bytearray()
    errors: list[tuple[int, str]] = []
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c == "$" and s.startswith("{", i + 1):  # ${...}: copied as written
            j, depth = i + 2, 1
            while j < n and depth:
                if s[j] == "\\":
                    _, length, bad = _escape(s, j)
                    if bad is not None:
                        errors.append((base + bad, _ILLEGAL))
                    j += length
                    continue
                depth += {"{": 1, "}": -1}.get(s[j], 0)
                j += 1
            out += s[i:j].encode("utf-8", "surrogatepass")
            i = j
        elif c == "\\":
            value, length, bad = _escape(s, i)
            if bad is not None:
                errors.append((base + bad, _ILLEGAL))
            out += value
            i += length
        else:
            if c == "\n":
                errors.append((base + i, "literal not terminated"))
            out += c.encode("utf-8", "surrogatepass")
            i += 1
    return out.decode("utf-8", "replace"), errors


def go_heredoc(heredoc: str) -> str:
    """The value of a heredoc token (``<<EOF\\n...EOF\\n``) as Go's HCL computes it: the
    body with its last newline; ``<<-`` removes the terminator line's indentation from
    every line when all lines have it."""
    idx = heredoc.index("\n")
    if heredoc[2] != "-":
        return heredoc[idx + 1 : len(heredoc) - idx + 1]
    lines = heredoc[idx + 1 : len(heredoc) - idx + 2].split("\n")
    prefix = lines[-1]
    if not all(line.startswith(prefix) for line in lines):
        return heredoc[idx + 1 : len(heredoc) - idx + 1].rstrip(" \t")
    return "\n".join([line[len(prefix) :] for line in lines[:-1]] + [""])
