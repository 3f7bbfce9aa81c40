"""Batch tokens: the whole entry sealed with AES-GCM into the token itself, never stored."""

from __future__ import annotations

import base64
import binascii
import json
import os
import threading
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ...storage.view import StorageView, encode_json
from .entry import BATCH, TokenEntry

KEY_PATH = "batch-key"
_VERSION = b"\x01"
_AAD = b"vab-batch-token-v1"
_NONCE_LEN = 12
# The entry fields a batch token carries, under short keys (empty values are left out).
_SEALED_FIELDS = {
    "parent": "p",
    "policies": "po",
    "path": "pa",
    "meta": "m",
    "display_name": "d",
    "creation_time": "c",
    "ttl": "t",
    "role": "r",
    "entity_id": "e",
    "no_identity_policies": "n",
    "bound_cidrs": "b",
    "internal": "i",
    "mount_accessor": "a",
}
_FIELD_OF = {short: name for name, short in _SEALED_FIELDS.items()}


class BatchTokenCodec:
    """Seals and opens batch tokens with a 256-bit key kept in (encrypted) storage."""

    def __init__(self, view: StorageView):
        self.view = view
        self._key: bytes | None = None
        self._lock = threading.Lock()

    def _load_key(self, create: bool) -> bytes | None:
        raw = self.view.get_json(KEY_PATH)
        if raw is not None:
            return base64.b64decode(raw["key"])
        if not create:
            return None
        key = AESGCM.generate_key(bit_length=256)
        value = encode_json({"key": base64.b64encode(key).decode()})
        if self.view.apply_if_absent(KEY_PATH, [(KEY_PATH, value)]):
            return key
        stored = self.view.get_json(KEY_PATH)  # another process created it first
        return base64.b64decode(stored["key"]) if stored else key

    def key(self) -> bytes:
        """The sealing key (created on first use)."""
        with self._lock:
            if self._key is None:
                self._key = self._load_key(create=True)
            assert self._key is not None
            return self._key

    def seal(self, entry: TokenEntry) -> str:
        """The opaque body of a batch token for this entry (prefix not included)."""
        values = {name: getattr(entry, name) for name in _SEALED_FIELDS}
        values["creation_time"] = int(entry.creation_time)
        payload = {
            short: values[name]
            for name, short in _SEALED_FIELDS.items()
            if values[name] not in ("", 0, False, None, [], {}) or name == "meta"
        }
        if entry.meta is None:
            payload.pop("m")
        nonce = os.urandom(_NONCE_LEN)
        sealed = AESGCM(self.key()).encrypt(nonce, encode_json(payload), _AAD)
        return base64.urlsafe_b64encode(_VERSION + nonce + sealed).rstrip(b"=").decode()

    def unseal(self, token_id: str, body: str) -> TokenEntry | None:
        """The entry sealed in a batch token, or None when it is not one of ours."""
        try:
            blob = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (binascii.Error, ValueError):
            return None
        if len(blob) < 1 + _NONCE_LEN + 16 or blob[:1] != _VERSION:
            return None
        nonce, sealed = blob[1 : 1 + _NONCE_LEN], blob[1 + _NONCE_LEN :]
        plain = self._open(nonce, sealed)
        if plain is None:
            return None
        try:
            payload: dict[str, Any] = json.loads(plain)
        except ValueError:
            return None
        fields = {_FIELD_OF[k]: v for k, v in payload.items() if k in _FIELD_OF}
        entry = TokenEntry.from_storage({**fields, "id": token_id, "accessor": "", "type": BATCH})
        entry.meta = fields.get("meta")
        entry.renewable = False
        entry.issue_time = float(entry.creation_time)
        entry.expire_at = float(entry.creation_time + entry.ttl) if entry.ttl else 0.0
        entry.lease_ttl = entry.ttl
        return entry

    def _open(self, nonce: bytes, sealed: bytes) -> bytes | None:
        try:
            return AESGCM(self.key()).decrypt(nonce, sealed, _AAD)
        except InvalidTag:
            pass
        # The key may have been replaced by another process at first start: reload once.
        with self._lock:
            fresh = self._load_key(create=False)
            if fresh is None or fresh == self._key:
                return None
            self._key = fresh
        try:
            return AESGCM(fresh).decrypt(nonce, sealed, _AAD)
        except InvalidTag:
            return None
