"""Small pure helpers of the AppRole method: CIDR rules, metadata parsing, HMACs and times.

Error texts reproduce what Vault and OpenBao answer (their Go ``%q``/``%w`` formatting
included), so clients matching on messages see the same strings.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import ipaddress
import json
import secrets
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from ...framework.errors import InvalidRequest

MAX_HMAC_INPUT = 4096
"""Role names and secret IDs longer than this many bytes are refused (as Vault)."""
ZERO_TIME = "0001-01-01T00:00:00Z"
"""Go's zero ``time.Time``: the ``expiration_time`` of a secret ID that never expires."""
GO_NIL_WRAP = "%!w(<nil>)"
"""What Go prints for ``%w`` of a nil error; Vault's CIDR messages carry it verbatim."""


def go_quote(value: str) -> str:
    """Go's ``%q`` of a string (a JSON string is the same for printable text)."""
    return json.dumps(value, ensure_ascii=False)


def go_quote_list(values: Sequence[str]) -> str:
    """Go's ``%q`` of a ``[]string``: ``["a" "b"]``."""
    return "[" + " ".join(go_quote(v) for v in values) + "]"


def hmac_hex(key: str, value: str, what: str = "secret_id") -> str:
    """Hex HMAC-SHA256 of ``value`` under ``key``; 400 when the value is too long."""
    raw = value.encode()
    if len(raw) > MAX_HMAC_INPUT:
        raise InvalidRequest(
            f"failed to create HMAC of {what}: value is longer than maximum of "
            f"{MAX_HMAC_INPUT} bytes"
        )
    return hmac.new(key.encode(), raw, hashlib.sha256).hexdigest()


def go_uuid() -> str:
    """A random 128-bit identifier in the 8-4-4-4-12 form Vault's ``GenerateUUID`` gives."""
    h = secrets.token_hex(16)
    return f"{h[0:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def rfc3339(epoch: float) -> str:
    """A Unix time as Go's RFC3339Nano in UTC (trailing zeros of the fraction trimmed)."""
    ns = round(epoch * 1_000_000_000)
    seconds, frac = divmod(ns, 1_000_000_000)
    base = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    digits = f"{frac:09d}".rstrip("0")
    return f"{base}.{digits}Z" if digits else f"{base}Z"


def now() -> float:
    """The current Unix time."""
    return time.time()


# ----- CIDR blocks ---------------------------------------------------------------------------


def parse_cidr(block: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """A CIDR block as Go's ``net.ParseCIDR`` accepts it (``addr/prefix`` only)."""
    text = block.strip()
    addr, sep, prefix = text.partition("/")
    if not sep or not prefix.isdigit() or (len(prefix) > 1 and prefix[0] == "0"):
        raise ValueError(f"invalid CIDR address: {text}")
    try:
        return ipaddress.ip_interface(f"{addr}/{int(prefix)}").network
    except ValueError:
        raise ValueError(f"invalid CIDR address: {text}") from None


def validate_cidrs(blocks: Sequence[str], what: str = "CIDR blocks") -> list[str]:
    """The blocks, trimmed, after checking each is ``addr/prefix``; 400 naming the bad one."""
    out = []
    for block in blocks:
        try:
            parse_cidr(block)
        except ValueError as exc:
            raise InvalidRequest(f"failed to validate {what}: {exc}") from None
        out.append(block.strip())
    return out


def _with_mask(block: str) -> str:
    if "/" in block:
        return block
    return f"{block}/{'128' if ':' in block else '32'}"


def check_subset(secret_blocks: Sequence[str], role_blocks: Sequence[str]) -> None:
    """Every block of a secret ID must lie inside one of the role's blocks (none: anything).

    A bare address on the role counts as a single-address block, as in Vault.
    """
    if not secret_blocks or not role_blocks:
        return
    role_full = [_with_mask(b) for b in role_blocks]
    try:
        role_nets = [parse_cidr(b) for b in role_full]
        secret_nets = [parse_cidr(b) for b in secret_blocks]
        ok = all(
            any(
                s.version == r.version and s.subnet_of(r)  # type: ignore[arg-type]
                for r in role_nets
            )
            for s in secret_nets
        )
        suffix = GO_NIL_WRAP
    except ValueError as exc:
        ok, suffix = False, str(exc)
    if not ok:
        raise InvalidRequest(
            "failed to verify subset relationship between CIDR blocks on the role "
            f"{go_quote_list(role_full)} and CIDR blocks on the secret ID "
            f"{go_quote_list(list(secret_blocks))}: {suffix}"
        )


def address_in_blocks(address: str, blocks: Sequence[str]) -> bool:
    """Whether a client address lies in one of the blocks (False for an unparsable address)."""
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    for block in blocks:
        try:
            if ip in parse_cidr(_with_mask(block)):
                return True
        except ValueError:
            continue
    return False


# ----- secret ID metadata ------------------------------------------------------------------


def _parse_pairs(text: str) -> dict[str, str]:
    """``k=v,k2=v2`` as Vault parses it: items trimmed, lower-cased, de-duplicated, sorted."""
    items = sorted({part.strip().lower() for part in text.split(",") if part.strip()})
    out: dict[str, str] = {}
    for item in items:
        shards = item.split("=")
        if len(shards) != 2:
            raise ValueError("invalid <key,value> format")
        key, value = shards[0].strip(), shards[1].strip()
        if not key or not value:
            raise ValueError(f"invalid <key,value> pair <{go_quote(key)},{go_quote(value)}>")
        out[key] = value
    return out


def parse_metadata(text: str) -> dict[str, str]:
    """Secret ID metadata: a JSON object of strings (optionally base64-encoded) or ``k=v,...``.

    Raises InvalidRequest with Vault's ``failed to parse metadata: ...`` messages.
    """
    text = text.strip()
    if not text:
        return {}
    with contextlib.suppress(binascii.Error, ValueError):
        text = base64.b64decode(text, validate=True).decode("utf-8", errors="replace")
    out: dict[str, str] = {}
    try:
        decoded = json.loads(text)
        if decoded is not None:
            if not isinstance(decoded, dict) or not all(
                v is None or isinstance(v, str) for v in decoded.values()
            ):
                raise ValueError("not a map of strings")
            out = {str(k): v or "" for k, v in decoded.items()}
    except (ValueError, RecursionError):
        try:
            out = _parse_pairs(text)
        except ValueError as exc:
            raise InvalidRequest(
                f"failed to parse metadata: failed to parse the input: {exc}"
            ) from None
    for key, value in out.items():
        if key and not value:
            raise InvalidRequest(f"failed to parse metadata: invalid value for key {go_quote(key)}")
    return out
