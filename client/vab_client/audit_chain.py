"""The tamper-evidence chain of vault-agent-backend audit files.

Shared by the server (which writes the chain) and ``vab audit verify`` (which checks it),
so that both always agree on the format. Only the standard library is used.

Every line an audit device writes is the device's ``prefix`` followed by the entry's JSON
object, with one more member appended as the object's last member::

    {"time":...,"type":"request",...,"chain":{"seq":7,"hmac":"<64 hex>"}}
    {"time":...,"type":"request",...,"chain":{"seq":1,"prev":"<64 hex>","hmac":"<64 hex>"}}

``seq`` numbers the lines of one chain from 1. A line that *starts* a file (the chain's very
first line, or the first line written after the file was rotated or emptied) also carries
``prev``, the HMAC of the line before it in the chain (:data:`GENESIS` for seq 1). ``hmac``
is an HMAC-SHA256, keyed by the device's chain key, over::

    "vab-audit-chain/1\\n" + seq + "\\n" + prev + "\\n" + ("start" | "next") + "\\n" + signed

where ``prev`` is the previous line's ``hmac`` and ``signed`` is the line exactly as written
without the chain member (prefix and entry JSON, byte for byte). Because each HMAC covers the
previous one, editing, removing, inserting or reordering a line breaks the chain at that
line; a chain head (seq and HMAC of the last line) kept by the server on the side detects a
cut-off tail. Without the key nobody can recompute a valid chain.

A file emptied or cut in place is not a new file: the server continues the chain in it, so
its first line does not start a file and the lines removed are reported. A file that begins
with a file-start line after seq 1 is a later segment of the chain (the server found a new,
empty file: log rotation, or the file was removed): it verifies only when the caller says it
is a rotated file (``rotated=True``, ``vab audit verify -rotated``), since the lines before
it are not in it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "GENESIS",
    "ChainHead",
    "ChainLine",
    "VerifyResult",
    "chain_mac",
    "parse_line",
    "seal_line",
    "verify_lines",
]

GENESIS = "0" * 64
"""The ``prev`` of a chain's first line."""
_DOMAIN = b"vab-audit-chain/1\n"
_MARK = b'"chain":{"seq":'
_TAIL = re.compile(
    rb'"chain":\{"seq":(0|[1-9][0-9]{0,18})(?:,"prev":"([0-9a-f]{64})")?,"hmac":"([0-9a-f]{64})"\}\}'
)


def chain_mac(key: bytes, seq: int, prev: str, start: bool, signed: bytes) -> str:
    """The hex HMAC of one line (see the module docstring)."""
    mac = hmac.new(key, _DOMAIN, hashlib.sha256)
    mac.update(f"{seq}\n{prev}\n{'start' if start else 'next'}\n".encode())
    mac.update(signed)
    return mac.hexdigest()


def seal_line(
    prefix: bytes, body: bytes, key: bytes, seq: int, prev: str, start: bool
) -> tuple[bytes, str]:
    """The full line (ending in ``\\n``) for an entry's JSON ``body``, and its HMAC."""
    if not body.startswith(b"{") or not body.endswith(b"}"):
        raise ValueError("an audit entry must be a JSON object")
    mac = chain_mac(key, seq, prev, start, prefix + body)
    member = b'"chain":{"seq":%d' % seq
    if start:
        member += b',"prev":"' + prev.encode() + b'"'
    member += b',"hmac":"' + mac.encode() + b'"}'
    sep = b"" if body.strip() == b"{}" else b","
    return prefix + body[:-1] + sep + member + b"}\n", mac


@dataclass(frozen=True)
class ChainLine:
    """The chain member of one line and the bytes its HMAC covers."""

    seq: int
    prev: str | None
    """Set on lines that start a file (``None`` on continuation lines)."""
    hmac: str
    signed: bytes

    @property
    def start(self) -> bool:
        """Whether the line starts a file (carries ``prev``)."""
        return self.prev is not None


def parse_line(line: bytes) -> ChainLine | None:
    """Split a line (without its ``\\n``) into its chain member and signed bytes; None when
    the line carries no well-formed chain member at its end."""
    at = line.rfind(_MARK)
    if at < 0:
        return None
    match = _TAIL.fullmatch(line, at)
    if match is None:
        return None
    cut = at - 1 if line[at - 1 : at] == b"," else at
    prev = match.group(2).decode() if match.group(2) is not None else None
    return ChainLine(int(match.group(1)), prev, match.group(3).decode(), line[:cut] + b"}")


@dataclass(frozen=True)
class ChainHead:
    """What the server recorded about a chain: its last line, and where the current file's
    segment begins (``segment_seq``/``segment_prev``: seq and ``prev`` of its first line)."""

    seq: int
    hmac: str
    segment_seq: int = 0
    segment_prev: str = ""


@dataclass
class VerifyResult:
    """The outcome of a verification."""

    ok: bool
    lines: int = 0
    """Lines read (up to and including the failing one)."""
    first_seq: int = 0
    last_seq: int = 0
    failed_line: int = 0
    """1-based number of the first bad line (0 when ok)."""
    problem: str = ""
    """``edited``, ``reordered``, ``missing``, ``truncated``, ``malformed``, ``head``, or
    ``segment`` (the file begins after seq 1 and was not said to be a rotated file)."""
    message: str = ""
    head_checked: bool = False


def _fail(lineno: int, problem: str, message: str, seen: int, first: int, last: int):
    return VerifyResult(
        ok=False,
        lines=seen,
        first_seq=first,
        last_seq=last,
        failed_line=lineno,
        problem=problem,
        message=f"line {lineno}: {message}",
    )


def verify_lines(
    lines: Iterable[bytes], key: bytes, head: ChainHead | None = None, *, rotated: bool = False
) -> VerifyResult:
    """Verify the lines of an audit file (as read in binary mode, each ending in ``\\n``)
    against the chain key, and against the server's chain head when given.

    The file must begin at seq 1, or -- with ``rotated`` -- with the file-start line of a
    later segment (a rotated file: the lines before it are in earlier files).
    Lines written after the head was read (a higher seq) are verified as part of the chain;
    the head must be found in the file, or the file must end exactly where the server's
    current file segment begins (an older, rotated file).
    """
    first = last = 0
    last_mac = ""
    lineno = 0
    head_line = 0
    for lineno, raw in enumerate(lines, 1):
        if not raw.endswith(b"\n"):
            return _fail(
                lineno, "truncated", "incomplete line (no end of line): the file was cut "
                "inside this line or a write was torn", lineno - 1, first, last,
            )  # fmt: skip
        parsed = parse_line(raw[:-1].rstrip(b"\r"))
        if parsed is None:
            if not raw.rstrip().endswith(b"}"):
                return _fail(
                    lineno, "truncated", "incomplete line (cut off): the file was cut inside "
                    "this line or a write was torn", lineno - 1, first, last,
                )  # fmt: skip
            return _fail(
                lineno, "malformed", "no chain member: the line was edited or not written "
                "by a vab audit device", lineno - 1, first, last,
            )  # fmt: skip
        if lineno == 1:
            if not parsed.start:
                return _fail(
                    lineno, "missing", f"seq {parsed.seq} does not start a file: the lines "
                    "before it were removed", 0, first, last,
                )  # fmt: skip
            prev = parsed.prev or GENESIS
            if parsed.seq == 1 and prev != GENESIS:
                return _fail(lineno, "edited", "seq 1 with a non-genesis prev", 0, first, last)
            first = parsed.seq
        else:
            expected = last + 1
            if parsed.seq <= last:
                return _fail(
                    lineno, "reordered", f"seq {parsed.seq} follows seq {last}: lines were "
                    "reordered or repeated", lineno - 1, first, last,
                )  # fmt: skip
            if parsed.seq != expected:
                return _fail(
                    lineno, "missing", f"seq {parsed.seq} where seq {expected} was expected: "
                    f"{parsed.seq - expected} line(s) removed or moved before this line",
                    lineno - 1, first, last,
                )  # fmt: skip
            if parsed.start and parsed.prev != last_mac:
                return _fail(
                    lineno, "reordered", "a file-start line that does not continue the line "
                    "before it", lineno - 1, first, last,
                )  # fmt: skip
            prev = last_mac
        expected_mac = chain_mac(key, parsed.seq, prev, parsed.start, parsed.signed)
        if not hmac.compare_digest(expected_mac, parsed.hmac):
            what = (
                "its HMAC does not match: the line was edited (or the key is not this "
                "device's chain key)"
            )
            return _fail(lineno, "edited", what, lineno - 1, first, last)
        if lineno == 1 and parsed.seq > 1 and not rotated:
            return _fail(
                lineno, "segment", f"the file begins at seq {parsed.seq}, a new file started "
                f"after seq {parsed.seq - 1}: seq 1-{parsed.seq - 1} are not in this file "
                "(it was rotated, or removed and recreated); if this is a rotated file, "
                "verify it as one (vab audit verify -rotated)", 0, first, last,
            )  # fmt: skip
        last, last_mac = parsed.seq, parsed.hmac
        if head is not None and parsed.seq == head.seq:
            if not hmac.compare_digest(parsed.hmac, head.hmac):
                return _fail(
                    lineno, "head", f"seq {parsed.seq} is not the line the server recorded as "
                    "its chain head: the file was replaced", lineno - 1, first, last,
                )  # fmt: skip
            head_line = lineno
    result = VerifyResult(ok=True, lines=lineno, first_seq=first, last_seq=last)
    if head is None:
        return result
    result.head_checked = True
    if head_line:
        return result
    if lineno == 0:
        if head.seq == 0:
            return result
        return _fail(
            1, "truncated", f"the file is empty but the server's chain head is seq {head.seq}",
            0, 0, 0,
        )  # fmt: skip
    if last < head.seq:
        if head.segment_seq and last == head.segment_seq - 1 and last_mac == head.segment_prev:
            return result  # an older file: it ends exactly where the current file begins
        return _fail(
            lineno + 1, "truncated", f"the file ends at seq {last} but the server's chain "
            f"head is seq {head.seq}: {head.seq - last} line(s) cut off the end",
            lineno, first, last,
        )  # fmt: skip
    return _fail(
        1, "head", f"the file begins at seq {first}, after the server's chain head "
        f"(seq {head.seq})", lineno, first, last,
    )  # fmt: skip
