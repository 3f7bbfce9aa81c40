"""Signing keys of the built-in authorization server: Ed25519 (``EdDSA``) or P-256 (``ES256``).

The key ring is one JSON document at ``keys`` in the mount's storage (encrypted at rest by
the storage barrier)::

    {"current": "<kid>",
     "keys": [{"kid", "alg", "private_pem", "created_at", "retire_at"}, ...]}

``kid`` is the RFC 7638 thumbprint of the public key. Rotation makes a new key current
and keeps the previous ones published (JWKS, built-in profile) until ``retire_at``, when
every token they signed has expired. Every change is a compare-and-swap on the document,
so concurrent workers or nodes never end up with two current keys.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from jwt.algorithms import ECAlgorithm, OKPAlgorithm

from ...framework.errors import InvalidRequest
from ...storage.view import StorageView, encode_json

__all__ = ["ALGORITHMS", "DEFAULT_ALGORITHM", "KeyRing", "SigningKey"]

ALGORITHMS = ("EdDSA", "ES256")
DEFAULT_ALGORITHM = "EdDSA"
_DOC = "keys"
_REQUIRED_MEMBERS = {"OKP": ("crv", "kty", "x"), "EC": ("crv", "kty", "x", "y")}


@dataclass(frozen=True)
class SigningKey:
    """One key of the ring (the private key object is parsed once per process)."""

    kid: str
    alg: str
    private: Any
    created_at: float
    retire_at: float

    @property
    def public(self) -> Any:
        """The public key."""
        return self.private.public_key()

    def public_pem(self) -> str:
        """SubjectPublicKeyInfo PEM of the public key."""
        return (
            self.public.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
            .strip()
        )

    def jwk(self) -> dict[str, Any]:
        """The public JWK with ``kid``, ``alg`` and ``use``."""
        return {**public_jwk(self.public), "kid": self.kid, "alg": self.alg, "use": "sig"}


def public_jwk(public: Any) -> dict[str, Any]:
    """The JWK members of a public key."""
    if isinstance(public, ed25519.Ed25519PublicKey):
        return dict(OKPAlgorithm.to_jwk(public, as_dict=True))
    return dict(ECAlgorithm.to_jwk(public, as_dict=True))


def thumbprint(public: Any) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url) of a public key."""
    jwk = public_jwk(public)
    members = {k: jwk[k] for k in _REQUIRED_MEMBERS[jwk["kty"]]}
    digest = hashlib.sha256(json.dumps(members, separators=(",", ":"), sort_keys=True).encode())
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()


def generate(alg: str) -> tuple[str, Any]:
    """A new private key for ``alg``: (kid, key)."""
    if alg == "EdDSA":
        key: Any = ed25519.Ed25519PrivateKey.generate()
    elif alg == "ES256":
        key = ec.generate_private_key(ec.SECP256R1())
    else:
        raise InvalidRequest(f'unsupported signing algorithm "{alg}": use EdDSA or ES256')
    return thumbprint(key.public_key()), key


def _pem(key: Any) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


class KeyRing:
    """The signing keys of one ``agent`` mount."""

    def __init__(self, view: StorageView):
        self.view = view
        self._parsed: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _read(self) -> tuple[bytes | None, dict[str, Any] | None]:
        raw = self.view.get(_DOC)
        return raw, (json.loads(raw) if raw else None)

    def _key(self, item: dict[str, Any]) -> SigningKey:
        kid = item["kid"]
        private = self._parsed.get(kid)
        if private is None:
            private = serialization.load_pem_private_key(item["private_pem"].encode(), None)
            with self._lock:
                self._parsed[kid] = private
        return SigningKey(
            kid=kid,
            alg=item["alg"],
            private=private,
            created_at=float(item.get("created_at") or 0),
            retire_at=float(item.get("retire_at") or 0),
        )

    @staticmethod
    def _entry(alg: str, now: float) -> dict[str, Any]:
        kid, key = generate(alg)
        return {"kid": kid, "alg": alg, "private_pem": _pem(key), "created_at": now, "retire_at": 0}

    def ensure(self, alg: str = DEFAULT_ALGORITHM) -> None:
        """Create the first key unless one exists (write-if-absent: one winner)."""
        if self.view.get(_DOC) is not None:
            return
        entry = self._entry(alg, time.time())
        doc = {"current": entry["kid"], "keys": [entry]}
        self.view.cas(_DOC, None, [(_DOC, encode_json(doc))])

    def current(self) -> SigningKey:
        """The key that signs new tokens (created on first use)."""
        _, doc = self._read()
        if doc is None:
            self.ensure()
            _, doc = self._read()
        assert doc is not None
        item = next(k for k in doc["keys"] if k["kid"] == doc["current"])
        return self._key(item)

    def published(self, now: float | None = None) -> list[SigningKey]:
        """The current key and every earlier key not yet retired (newest first)."""
        now = time.time() if now is None else now
        _, doc = self._read()
        if doc is None:
            self.ensure()
            _, doc = self._read()
        assert doc is not None
        keys = [
            self._key(item)
            for item in doc["keys"]
            if item["kid"] == doc["current"] or float(item.get("retire_at") or 0) > now
        ]
        return sorted(keys, key=lambda k: (k.kid != doc["current"], -k.created_at))

    def jwks(self) -> dict[str, Any]:
        """The JWKS document (RFC 7517)."""
        return {"keys": [k.jwk() for k in self.published()]}

    def rotate(self, alg: str, overlap: int) -> tuple[SigningKey, list[SigningKey]]:
        """Make a new key current; earlier keys stay published for ``overlap`` seconds.

        Returns the new key and every key still published.
        """
        if alg not in ALGORITHMS:
            raise InvalidRequest(f'unsupported signing algorithm "{alg}": use EdDSA or ES256')
        for _ in range(16):
            raw, doc = self._read()
            now = time.time()
            entry = self._entry(alg, now)
            keys = []
            for item in (doc or {}).get("keys", []):
                item = dict(item)
                if item["kid"] == (doc or {}).get("current"):
                    item["retire_at"] = now + overlap
                if float(item.get("retire_at") or 0) > now:
                    keys.append(item)
            keys.append(entry)
            new_doc = {"current": entry["kid"], "keys": keys}
            if self.view.cas(_DOC, raw, [(_DOC, encode_json(new_doc))]):
                return self._key(entry), self.published(now)
        raise InvalidRequest("the key ring is being rotated concurrently; retry")

    def info(self) -> dict[str, Any]:
        """Public description of the ring (``auth/agent/keys`` read)."""
        _, doc = self._read()
        if doc is None:
            return {"current": None, "keys": []}
        now = time.time()
        return {
            "current": doc["current"],
            "keys": [
                {
                    "kid": item["kid"],
                    "alg": item["alg"],
                    "created_at": int(item.get("created_at") or 0),
                    "retire_at": int(item["retire_at"]) if item.get("retire_at") else None,
                    "current": item["kid"] == doc["current"],
                }
                for item in doc["keys"]
                if item["kid"] == doc["current"] or float(item.get("retire_at") or 0) > now
            ],
        }
