"""Per-request verification of an agent JWT against the profile trusting its issuer.

Nothing is stored per token: every request finds the profile of the issuer and the key
again, and checks ``exp`` (required), ``nbf`` and ``iat`` with the profile's leeway and
``aud`` against the profile's audiences. Only asymmetric algorithms are accepted; the
outcome of the (pure) signature check of an exact token string with an exact key object is
remembered in memory (:class:`TokenVerifier`). A refusal raises :class:`TokenRefused` whose
message says why (the caller turns it into a 403).
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt

from .keys import ALGORITHMS, JWKSCache, KeyLoadError, key_fits_algorithm
from .profiles import Profile, ProfileStore

__all__ = [
    "DEFAULT_MAX_TOKEN_SIZE",
    "TokenRefused",
    "TokenVerifier",
    "VerifiedToken",
    "claim_value",
    "verify_jwt",
]

DEFAULT_MAX_TOKEN_SIZE = 8192
"""Vault's default ``max_token_header_size`` (8 KiB)."""


class TokenRefused(Exception):
    """The agent token is not acceptable; ``str()`` is the reason shown to the client."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class VerifiedToken:
    """A JWT whose signature and time/audience claims were verified for this request."""

    token: str
    header: Mapping[str, Any]
    claims: Mapping[str, Any]
    profile: Profile
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)
    """Derived values of this exact token (e.g. its parsed authorization details)."""


_MISSING = object()


def claim_value(claims: Mapping[str, Any], name: str) -> Any:
    """The value of a claim named plainly (``sub``) or by a dotted path (``act.sub``).

    A top-level claim whose name contains dots wins over the dotted path. Returns ``None``
    when absent.
    """
    if name in claims:
        return claims[name]
    value: Any = claims
    for part in name.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


_B64 = str.maketrans("-_", "+/")


def _b64decode(segment: str) -> bytes:
    """Strict unpadded base64url (RFC 7515): anything outside the alphabet is refused."""
    if "=" in segment or "+" in segment or "/" in segment:
        raise ValueError("invalid base64url")
    return base64.b64decode(segment.translate(_B64) + "=" * (-len(segment) % 4), validate=True)


def _no_constant(name: str) -> Any:
    """``json.loads`` hook: ``NaN``/``Infinity`` are not JSON (RFC 8259), so refuse them."""
    raise ValueError(f"{name} is not a valid JSON value")


def _json_object(segment: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(_b64decode(segment), parse_constant=_no_constant)
    except (ValueError, binascii.Error) as exc:
        raise TokenRefused(f"malformed JWT: invalid {what}: {exc}") from None
    except RecursionError:
        raise TokenRefused(f"malformed JWT: invalid {what}: nested too deeply") from None
    if not isinstance(value, dict):
        raise TokenRefused(f"malformed JWT: the {what} is not a JSON object")
    return value


def _split(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """Header, claims, signing input and signature of a compact JWS (no verification)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenRefused("malformed JWT: expected three dot-separated parts")
    header = _json_object(parts[0], "header")
    claims = _json_object(parts[1], "payload")
    try:
        signature = _b64decode(parts[2])
    except (ValueError, binascii.Error):
        raise TokenRefused("malformed JWT: invalid signature encoding") from None
    return header, claims, f"{parts[0]}.{parts[1]}".encode(), signature


def _number(claims: Mapping[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TokenRefused(f'token "{name}" claim must be a number')
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise TokenRefused(f'token "{name}" claim is out of range')
    return number


def _check_claims(claims: Mapping[str, Any], profile: Profile, now: float) -> None:
    """``exp`` (required), ``nbf``, ``iat`` with the profile's leeway; ``aud``."""
    leeway = profile.clock_skew_leeway
    exp = _number(claims, "exp")
    if exp is None:
        raise TokenRefused('token is missing the required "exp" claim')
    if exp <= now - leeway:
        raise TokenRefused("token has expired")
    nbf = _number(claims, "nbf")
    if nbf is not None and nbf > now + leeway:
        raise TokenRefused("token is not yet valid (nbf)")
    iat = _number(claims, "iat")
    if iat is not None and iat > now + leeway:
        raise TokenRefused("token is not yet valid (iat)")
    if profile.audiences:
        aud = claims.get("aud")
        values = [aud] if isinstance(aud, str) else aud
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise TokenRefused('token is missing a valid "aud" claim')
        if not set(values) & set(profile.audiences):
            raise TokenRefused("token audience (aud) is not accepted by the profile")


@functools.cache
def _algorithm(alg: str) -> Any:
    return jwt.get_algorithm_by_name(alg)


@dataclass
class _Parsed:
    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes
    verified_with: Any = None
    """The key object that verified the signature (None until verified)."""
    memo: dict[Any, Any] = field(default_factory=dict)


class TokenVerifier:
    """Verifies agent JWTs; remembers the parse and the signature check of recent tokens.

    A token's claims are checked on every request (``exp``, ``nbf``, ``iat``, ``aud``) and
    its profile and key are looked up again every time; only the outcome of the signature
    check of that exact token string with that exact key object is remembered (bounded
    LRU). A changed profile or a refreshed JWKS yields new key objects, so the signature is
    checked again.
    """

    def __init__(self, profiles: ProfileStore, jwks: JWKSCache, max_entries: int = 2048):
        self.profiles = profiles
        self.jwks = jwks
        self.max_entries = max_entries
        self._recent: OrderedDict[str, _Parsed] = OrderedDict()
        self._lock = threading.Lock()
        self.signature_checks = 0
        """How many signature verifications were computed (instrumentation)."""

    def clear(self) -> None:
        """Forget remembered tokens."""
        with self._lock:
            self._recent.clear()

    def _parsed(self, token: str) -> _Parsed:
        with self._lock:
            parsed = self._recent.get(token)
            if parsed is not None:
                self._recent.move_to_end(token)
                return parsed
        header, claims, signing_input, signature = _split(token)
        return _Parsed(header, claims, signing_input, signature)

    def _remember(self, token: str, parsed: _Parsed) -> None:
        with self._lock:
            self._recent[token] = parsed
            self._recent.move_to_end(token)
            while len(self._recent) > self.max_entries:
                self._recent.popitem(last=False)

    def verify(self, token: str, max_size: int = DEFAULT_MAX_TOKEN_SIZE) -> VerifiedToken:
        """Verify ``token`` for this request, or raise :class:`TokenRefused`."""
        if len(token) > max_size:
            raise TokenRefused(f"token exceeds the maximum token header size of {max_size} bytes")
        parsed = self._parsed(token)
        header, claims = parsed.header, parsed.claims
        if "crit" in header:
            raise TokenRefused('malformed JWT: unsupported "crit" header')
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in ALGORITHMS:
            raise TokenRefused(
                f'unsupported JWT signing algorithm "{alg}": only asymmetric algorithms '
                "(RS*, PS*, ES*, EdDSA) are accepted"
            )
        issuer = claims.get("iss")
        if not isinstance(issuer, str) or not issuer:
            raise TokenRefused('token has no "iss" claim')
        profile = self.profiles.for_issuer(issuer)
        if profile is None:
            raise TokenRefused(f'no OAuth resource server profile trusts issuer "{issuer}"')
        if not profile.enabled:
            raise TokenRefused(
                f'the OAuth resource server profile "{profile.profile_name}" is disabled'
            )
        if profile.supported_algorithms and alg not in profile.supported_algorithms:
            raise TokenRefused(
                f'signing algorithm "{alg}" is not supported by profile "{profile.profile_name}"'
            )
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise TokenRefused('malformed JWT: "kid" must be a string')
        try:
            if profile.use_jwks:
                candidates = self.jwks.candidates(profile.jwks_uri, profile.jwks_ca_pem, kid)
            else:
                candidates = profile.static_keys().candidates(kid)
                if not candidates:
                    raise KeyLoadError(
                        f'no key with kid "{kid}" in the profile' if kid else "no keys"
                    )
        except KeyLoadError as exc:
            raise TokenRefused(f"no verification key: {exc}") from None
        usable = [k for k in candidates if key_fits_algorithm(k, alg)]
        if not usable:
            raise TokenRefused(f'no key of the profile can verify algorithm "{alg}"')
        known = parsed.verified_with
        if known is None or not any(k is known for k in usable):
            parsed.verified_with = self._check_signature(alg, parsed, usable)
            self._remember(token, parsed)
        _check_claims(claims, profile, time.time())
        return VerifiedToken(
            token=token, header=header, claims=claims, profile=profile, memo=parsed.memo
        )

    def _check_signature(self, alg: str, parsed: _Parsed, keys: list[Any]) -> Any:
        algorithm = _algorithm(alg)
        self.signature_checks += 1
        for key in keys:
            try:
                if algorithm.verify(parsed.signing_input, key, parsed.signature):
                    return key
            except (ValueError, TypeError, jwt.PyJWTError):
                continue
        raise TokenRefused("JWT signature verification failed")


def verify_jwt(
    token: str,
    profiles: ProfileStore,
    jwks: JWKSCache,
    max_size: int = DEFAULT_MAX_TOKEN_SIZE,
) -> VerifiedToken:
    """Verify ``token`` once, without remembering anything (see :class:`TokenVerifier`)."""
    return TokenVerifier(profiles, jwks, max_entries=0).verify(token, max_size)
