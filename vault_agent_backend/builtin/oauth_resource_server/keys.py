"""Verification keys of OAuth resource-server profiles: static PEM keys and cached JWKS.

Only asymmetric keys are accepted (RSA, EC P-256/384/521, Ed25519/Ed448). A JWKS is
fetched from ``jwks_uri`` once, cached, refreshed when it is older than
:data:`JWKS_MAX_AGE` and -- rate-limited to once per :data:`JWKS_MIN_REFRESH` seconds per
URI -- when a token names a ``kid`` the cached set does not have. ``STATS`` counts
fetches (tests use it to prove the hot path fetches nothing).
"""

from __future__ import annotations

import hashlib
import json
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

__all__ = [
    "ALGORITHMS",
    "JWKS_MAX_AGE",
    "JWKS_MIN_REFRESH",
    "STATS",
    "JWKSCache",
    "KeyLoadError",
    "KeySet",
    "PublicKey",
    "key_fits_algorithm",
    "load_pem_key",
]

PublicKey = (
    rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | ed448.Ed448PublicKey
)

#: Signature algorithms a profile may accept (asymmetric only; ``none`` and HS* never).
ALGORITHMS: tuple[str, ...] = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)
_EC_CURVES = {"ES256": "secp256r1", "ES384": "secp384r1", "ES512": "secp521r1"}
JWKS_MAX_AGE = 3600.0
"""Seconds a fetched JWKS is used before it is fetched again."""
JWKS_MIN_REFRESH = 10.0
"""Minimum seconds between two fetches of one JWKS URI (unknown-kid refreshes)."""
JWKS_TIMEOUT = 5.0
JWKS_MAX_BYTES = 1 << 20


class KeyLoadError(ValueError):
    """A key cannot be loaded, or a JWKS cannot be fetched or parsed."""


@dataclass
class FetchStats:
    """Counters for instrumentation (JWKS fetches attempted)."""

    jwks_fetches: int = 0


STATS = FetchStats()


def load_pem_key(pem: str) -> PublicKey:
    """A public key from PEM (``PUBLIC KEY``, ``RSA PUBLIC KEY`` or a ``CERTIFICATE``)."""
    data = pem.strip().encode()
    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            key: Any = x509.load_pem_x509_certificate(data).public_key()
        else:
            key = load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise KeyLoadError(f"failed to parse PEM public key: {exc}") from None
    if not isinstance(
        key,
        rsa.RSAPublicKey
        | ec.EllipticCurvePublicKey
        | ed25519.Ed25519PublicKey
        | ed448.Ed448PublicKey,
    ):
        raise KeyLoadError("unsupported public key type: only RSA, ECDSA and Ed25519 keys")
    return key


def key_fits_algorithm(key: Any, alg: str) -> bool:
    """Whether ``key`` can verify signatures made with ``alg``."""
    if alg.startswith(("RS", "PS")):
        return isinstance(key, rsa.RSAPublicKey)
    if alg in _EC_CURVES:
        return isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == _EC_CURVES[alg]
    if alg == "EdDSA":
        return isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey)
    return False


def algorithms_for_key(key: Any) -> list[str]:
    """The algorithms of :data:`ALGORITHMS` that ``key`` can verify."""
    return [alg for alg in ALGORITHMS if key_fits_algorithm(key, alg)]


@dataclass
class KeySet:
    """Keys by ``kid`` plus the keys without one (tried in turn)."""

    by_kid: dict[str, list[Any]] = field(default_factory=dict)
    anonymous: list[Any] = field(default_factory=list)

    def add(self, kid: str, key: Any) -> None:
        """Add a key under ``kid`` (empty: a key without id)."""
        if kid:
            self.by_kid.setdefault(kid, []).append(key)
        else:
            self.anonymous.append(key)

    def candidates(self, kid: str | None) -> list[Any] | None:
        """Keys to try for a token's ``kid``: None when the kid is unknown; every key
        when the token has no kid."""
        if kid:
            return self.by_kid.get(kid)
        keys = [k for keys in self.by_kid.values() for k in keys]
        return keys + self.anonymous

    def __len__(self) -> int:
        return sum(len(v) for v in self.by_kid.values()) + len(self.anonymous)


def static_keyset(public_keys: list[Mapping[str, str]]) -> KeySet:
    """The key set of a static-keys profile (keys were validated when stored)."""
    keys = KeySet()
    for entry in public_keys:
        keys.add(entry.get("key_id", ""), load_pem_key(entry["pem"]))
    return keys


def parse_jwks(document: Any) -> KeySet:
    """The usable (asymmetric, signature) keys of a JWKS document."""
    if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
        raise KeyLoadError('JWKS document has no "keys" array')
    keys = KeySet()
    for jwk in document["keys"]:
        if not isinstance(jwk, Mapping) or jwk.get("kty") not in ("RSA", "EC", "OKP"):
            continue
        if jwk.get("use") not in (None, "sig"):
            continue
        try:
            key = jwt.PyJWK(dict(jwk)).key
        except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError):
            continue
        if hasattr(key, "public_key") and not isinstance(key, PublicKey):
            key = key.public_key()
        if isinstance(key, PublicKey):
            keys.add(str(jwk.get("kid") or ""), key)
    return keys


def _ssl_context(ca_pem: str) -> ssl.SSLContext | None:
    if not ca_pem:
        return None
    try:
        return ssl.create_default_context(cadata=ca_pem)
    except (ssl.SSLError, ValueError) as exc:
        raise KeyLoadError(f"invalid jwks_ca_pem: {exc}") from None


def fetch_jwks(uri: str, ca_pem: str = "", timeout: float = JWKS_TIMEOUT) -> KeySet:
    """GET a JWKS document and parse it (counted in ``STATS.jwks_fetches``)."""
    STATS.jwks_fetches += 1
    request = urllib.request.Request(uri, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(
            request, timeout=timeout, context=_ssl_context(ca_pem)
        ) as response:
            body = response.read(JWKS_MAX_BYTES + 1)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise KeyLoadError(f"failed to fetch JWKS from {uri}: {exc}") from None
    if len(body) > JWKS_MAX_BYTES:
        raise KeyLoadError(f"JWKS document at {uri} is too large")
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise KeyLoadError(f"JWKS document at {uri} is not valid JSON: {exc}") from None
    return parse_jwks(document)


@dataclass
class _Entry:
    keys: KeySet | None = None
    fetched_at: float = 0.0
    attempted_at: float = float("-inf")
    error: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)


class JWKSCache:
    """JWKS per (URI, CA), fetched lazily; unknown-kid refreshes are rate-limited."""

    def __init__(
        self,
        min_refresh: float = JWKS_MIN_REFRESH,
        max_age: float = JWKS_MAX_AGE,
        clock=time.monotonic,
    ):
        self.min_refresh = min_refresh
        self.max_age = max_age
        self._clock = clock
        self._entries: dict[tuple[str, str], _Entry] = {}
        self._lock = threading.Lock()
        self.providers: dict[str, Callable[[], Mapping[str, Any]]] = {}
        """In-process JWKS documents by URI (e.g. the built-in authorization server's own
        keys): used instead of an HTTP fetch, never counted as one."""

    def _entry(self, uri: str, ca_pem: str) -> _Entry:
        key = (uri, hashlib.sha256(ca_pem.encode()).hexdigest() if ca_pem else "")
        entry = self._entries.get(key)
        if entry is None:
            with self._lock:
                entry = self._entries.setdefault(key, _Entry())
        return entry

    def _refresh(self, entry: _Entry, uri: str, ca_pem: str, *, force: bool) -> None:
        with entry.lock:
            now = self._clock()
            fresh = entry.keys is not None and now - entry.fetched_at < self.max_age
            if fresh and not force:
                return
            if now - entry.attempted_at < self.min_refresh and uri not in self.providers:
                return  # rate-limited: keep what we have
            entry.attempted_at = now
            try:
                provider = self.providers.get(uri)
                entry.keys = parse_jwks(provider()) if provider else fetch_jwks(uri, ca_pem)
                entry.fetched_at = now
                entry.error = ""
            except KeyLoadError as exc:
                entry.error = str(exc)

    def candidates(self, uri: str, ca_pem: str, kid: str | None) -> list[Any]:
        """Keys to try for a token; fetches on first use, on expiry and (rate-limited)
        when ``kid`` is unknown. Raises :class:`KeyLoadError` when nothing usable is known."""
        entry = self._entry(uri, ca_pem)
        now = self._clock()
        if entry.keys is None or now - entry.fetched_at >= self.max_age:
            self._refresh(entry, uri, ca_pem, force=False)
        if entry.keys is None:
            raise KeyLoadError(entry.error or f"JWKS from {uri} is not available")
        found = entry.keys.candidates(kid)
        if found is None:
            self._refresh(entry, uri, ca_pem, force=True)
            found = entry.keys.candidates(kid) if entry.keys is not None else None
        if not found:
            raise KeyLoadError(
                f'no key with kid "{kid}" in the JWKS' if kid else "JWKS has no keys"
            )
        return found

    def clear(self) -> None:
        """Forget every cached JWKS."""
        with self._lock:
            self._entries.clear()
