"""TTL arithmetic shared by token creation, logins and renewals (Vault's CalculateTTL)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ...framework.durations import format_duration, parse_duration
from ...framework.errors import InvalidRequest


class TTLError(ValueError):
    """The lease cannot get a TTL any more (past its max TTL)."""


@dataclass
class TTLResult:
    """A computed TTL and the warnings explaining any capping."""

    ttl: int
    warnings: list[str] = field(default_factory=list)


def human_duration(seconds: int) -> str:
    """A duration as Vault prints it in warnings: Go's form without zero units ("2h", "1h5s")."""
    text = format_duration(seconds)
    if text.endswith("m0s"):
        text = text[:-2]
    idx = text.find("h0m")
    if idx > 0:
        text = text[: idx + 1] + text[idx + 3 :]
    return text


def calculate_ttl(
    *,
    default_ttl: int,
    max_ttl: int,
    increment: int = 0,
    backend_ttl: int = 0,
    period: int = 0,
    backend_max_ttl: int = 0,
    explicit_max_ttl: int = 0,
    start_time: float | None = None,
    now: float | None = None,
) -> TTLResult:
    """The TTL of a new or renewed lease.

    ``default_ttl``/``max_ttl`` are the mount's (or system's) values. A periodic lease gets
    its period every time (bounded only by the explicit max TTL); otherwise the increment,
    the backend's TTL or the default, capped so that the lease never outlives
    ``start_time`` + the smallest of the max TTLs.
    """
    current = int(time.time() if now is None else now)
    start = int(start_time) if start_time else current
    effective_max = max_ttl
    if 0 < backend_max_ttl < effective_max:
        effective_max = backend_max_ttl
    if 0 < explicit_max_ttl < effective_max:
        effective_max = explicit_max_ttl
    if effective_max <= 0:
        raise TTLError("max TTL must be greater than zero")
    warnings: list[str] = []
    max_valid_time: int | None = None
    if period > 0:
        if period > effective_max:
            warnings.append(
                f'period of "{human_duration(period)}" exceeded the effective max_ttl of '
                f'"{human_duration(effective_max)}"; period value is capped accordingly'
            )
            period = effective_max
        ttl = period
        if explicit_max_ttl > 0:
            max_valid_time = start + explicit_max_ttl
    else:
        if increment > 0:
            ttl = increment
        elif backend_ttl > 0:
            ttl = backend_ttl
        else:
            ttl = default_ttl
        max_valid_time = start + effective_max
    if max_valid_time is not None:
        max_valid_ttl = max_valid_time - current
        if max_valid_ttl <= 0:
            raise TTLError("past the max TTL, cannot renew")
        if max_valid_ttl < ttl:
            warnings.append(
                f'TTL of "{human_duration(ttl)}" exceeded the effective max_ttl of '
                f'"{human_duration(max_valid_ttl)}"; TTL value is capped accordingly'
            )
            ttl = max_valid_ttl
    return TTLResult(ttl, warnings)


def parse_duration_param(value: str, name: str) -> int:
    """A duration parameter given as a string (``ttl``, ``period`` ...); 400 when invalid or
    negative, with Vault's messages."""
    try:
        seconds = parse_duration(value, allow_negative=True)
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from None
    if seconds < 0:
        raise InvalidRequest(f"{name} must be positive")
    return seconds
