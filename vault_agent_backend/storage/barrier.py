"""The encryption barrier: every value is encrypted with AES-256-GCM before it is stored.

Physical layout (the only keys not encrypted by the barrier):

* ``core/seal-config`` - the seal's public parameters (shares, threshold), plain JSON;
* ``core/keyring`` - the keyring, encrypted under the root key (which is never stored).

Every other value is stored as one record::

    0x01 | term (4 bytes) | version (8 bytes) | nonce (12 bytes) | AES-256-GCM ciphertext+tag

with associated data = ``"vab-barrier-v1" NUL key NUL header``. So a record is bound to its
storage key (moving it to another key fails authentication), to its key term and to its
version (neither can be edited).

Rollback protection (what is guaranteed): the version is a hybrid logical clock value
(nanoseconds, monotonic in the process and pushed past every version the process reads).
Each process remembers the highest version it has seen or written per key (a bounded LRU)
and the version at which it deleted a key; a record older than that by more than the
``rollback_window`` (clock skew allowance between nodes) is refused with
:class:`RollbackError`. This detects a record rolled back, or a deleted record brought back,
by someone with write access to the database, in any process that had seen the newer
state. It cannot detect a rollback that no running process had seen the newer state of,
nor a consistent restore of the whole database (a backup restore); that needs trusted
state outside the database, which this design does not have.
"""

from __future__ import annotations

import base64
import json
import os
import struct
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..framework.errors import Sealed
from .base import Op, Storage, StorageError

KEYRING_KEY = "core/keyring"
SEAL_CONFIG_KEY = "core/seal-config"
RESERVED_KEYS = frozenset({KEYRING_KEY, SEAL_CONFIG_KEY})
"""Physical keys the barrier manages itself; never readable or writable through it."""

KEY_SIZE = 32
_FORMAT = 1
_HEADER = struct.Struct(">BIQ")  # format, term, version
_NONCE = 12
_AD_PREFIX = b"vab-barrier-v1\x00"
_KEYRING_AD = b"vab-keyring-v1\x00" + KEYRING_KEY.encode()
_SEEN_LIMIT = 50_000


class BarrierSealedError(StorageError, Sealed):
    """The barrier holds no keys (the server is sealed): a 503 ``Vault is sealed``."""


class BarrierKeyError(StorageError):
    """The root key given cannot open the keyring."""


class IntegrityError(StorageError):
    """A stored record failed authentication (tampered, swapped or unknown key term)."""


class RollbackError(IntegrityError):
    """A stored record is older than a version this process has already seen."""


@dataclass
class KeyTerm:
    """One encryption key of the keyring."""

    term: int
    key: bytes
    install_time: str

    def to_json(self) -> dict[str, object]:
        return {
            "term": self.term,
            "key": base64.b64encode(self.key).decode(),
            "install_time": self.install_time,
        }

    @classmethod
    def from_json(cls, raw: dict[str, object]) -> KeyTerm:
        return cls(int(raw["term"]), base64.b64decode(str(raw["key"])), str(raw["install_time"]))


def _now_rfc3339() -> str:
    now = time.time_ns()
    stamp = datetime.fromtimestamp(now // 1_000_000_000, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{now % 1_000_000_000:09d}Z"


def new_root_key() -> bytes:
    """A fresh random 256-bit root key."""
    return AESGCM.generate_key(bit_length=256)


class Keyring:
    """The encryption keys by term; the highest term encrypts new records."""

    def __init__(self, terms: Sequence[KeyTerm]):
        if not terms:
            raise ValueError("a keyring needs at least one key")
        self.terms = {t.term: t for t in terms}
        self.active = self.terms[max(self.terms)]
        self._ciphers = {t.term: AESGCM(t.key) for t in terms}

    @classmethod
    def fresh(cls) -> Keyring:
        """A keyring with one new key, term 1."""
        return cls([KeyTerm(1, new_root_key(), _now_rfc3339())])

    def rotated(self) -> Keyring:
        """A copy with one more, newer key."""
        term = KeyTerm(self.active.term + 1, new_root_key(), _now_rfc3339())
        return Keyring([*self.terms.values(), term])

    def cipher(self, term: int) -> AESGCM | None:
        """The cipher of a term, or None when the term is unknown."""
        return self._ciphers.get(term)

    def seal_with(self, root_key: bytes) -> bytes:
        """The keyring encrypted under the root key (what ``core/keyring`` holds)."""
        body = json.dumps({"terms": [t.to_json() for t in self.terms.values()]}).encode()
        nonce = os.urandom(_NONCE)
        return bytes([_FORMAT]) + nonce + AESGCM(root_key).encrypt(nonce, body, _KEYRING_AD)

    @classmethod
    def open_with(cls, root_key: bytes, blob: bytes) -> Keyring:
        """Decrypt ``core/keyring``; :class:`BarrierKeyError` when the root key is wrong."""
        if len(root_key) != KEY_SIZE:
            raise BarrierKeyError("invalid key: root key must be 32 bytes")
        if len(blob) < 1 + _NONCE + 16 or blob[0] != _FORMAT:
            raise IntegrityError("stored keyring is malformed")
        try:
            body = AESGCM(root_key).decrypt(blob[1 : 1 + _NONCE], blob[1 + _NONCE :], _KEYRING_AD)
        except InvalidTag:
            raise BarrierKeyError(
                "failed to decrypt keys from storage: message authentication failed"
            ) from None
        raw = json.loads(body)
        return cls([KeyTerm.from_json(t) for t in raw["terms"]])


class _Clock:
    """A hybrid logical clock: wall-clock nanoseconds, strictly increasing, never behind an
    observed value."""

    def __init__(self) -> None:
        self._last = 0
        self._lock = threading.Lock()

    def next(self) -> int:
        with self._lock:
            self._last = max(time.time_ns(), self._last + 1)
            return self._last

    def observe(self, value: int) -> None:
        if value > self._last:
            with self._lock:
                self._last = max(self._last, value)


class Barrier(Storage):
    """A :class:`Storage` that encrypts every value into the physical storage below it."""

    def __init__(
        self,
        physical: Storage,
        *,
        rollback_window: float = 5.0,
        close_physical: bool = True,
    ):
        self.physical = physical
        self.rollback_window_ns = int(rollback_window * 1e9)
        self.close_physical = close_physical
        self._keyring: Keyring | None = None
        self._root_key: bytes | None = None
        self._lock = threading.RLock()
        self._clock = _Clock()
        self._seen: OrderedDict[str, int] = OrderedDict()
        self._seen_lock = threading.Lock()
        self.encryptions = 0

    # ----- keys --------------------------------------------------------------------------------

    @property
    def sealed(self) -> bool:
        """True while the barrier holds no keys."""
        return self._keyring is None

    def initialized(self) -> bool:
        """Whether a keyring exists in the physical storage."""
        return self.physical.get(KEYRING_KEY) is not None

    def initialize(self, root_key: bytes, extra: Sequence[Op] = ()) -> bool:
        """Create the keyring under ``root_key`` (with ``extra`` physical writes, atomically);
        False when the storage already has a keyring."""
        blob = Keyring.fresh().seal_with(root_key)
        return self.physical.apply_if_absent(KEYRING_KEY, [(KEYRING_KEY, blob), *extra])

    def verify_root_key(self, root_key: bytes) -> Keyring:
        """Open the stored keyring with ``root_key`` (raises :class:`BarrierKeyError`)."""
        blob = self.physical.get(KEYRING_KEY)
        if blob is None:
            raise BarrierKeyError("Vault is not initialized")
        return Keyring.open_with(root_key, blob)

    def unseal(self, root_key: bytes) -> None:
        """Load the keyring with the root key; from now on values can be read and written."""
        keyring = self.verify_root_key(root_key)
        with self._lock:
            self._keyring = keyring
            self._root_key = bytes(root_key)
            self.encryptions = 0

    def seal(self) -> None:
        """Forget every key (and what was seen); reads and writes fail until unsealed."""
        with self._lock:
            self._keyring = None
            self._root_key = None
        with self._seen_lock:
            self._seen.clear()

    def reload_keyring(self) -> Keyring:
        """Re-read the stored keyring (another process or node may have rotated it)."""
        with self._lock:
            root = self._require_root()
            keyring = self.verify_root_key(root)
            if self._keyring is None or keyring.active.term != self._keyring.active.term:
                self.encryptions = 0
            self._keyring = keyring
            return keyring

    def rotate(self) -> KeyTerm:
        """Add a new key term and make it the active one, for every node (compare and swap)."""
        with self._lock:
            root = self._require_root()
            for _ in range(10):
                current = self.physical.get(KEYRING_KEY)
                if current is None:
                    raise BarrierKeyError("Vault is not initialized")
                rotated = Keyring.open_with(root, current).rotated()
                if self.physical.cas(
                    KEYRING_KEY, current, [(KEYRING_KEY, rotated.seal_with(root))]
                ):
                    self._keyring = rotated
                    self.encryptions = 0
                    return rotated.active
            raise StorageError("keyring rotation kept conflicting with concurrent rotations")

    def key_status(self) -> KeyTerm:
        """The active key term (after re-reading the stored keyring)."""
        return self.reload_keyring().active

    def _require_root(self) -> bytes:
        if self._root_key is None:
            raise BarrierSealedError()
        return self._root_key

    def _require_keyring(self) -> Keyring:
        keyring = self._keyring
        if keyring is None:
            raise BarrierSealedError()
        return keyring

    # ----- records -----------------------------------------------------------------------------

    @staticmethod
    def _ad(key: str, header: bytes) -> bytes:
        return _AD_PREFIX + key.encode() + b"\x00" + header

    @staticmethod
    def _check_key(key: str) -> None:
        if key in RESERVED_KEYS:
            raise StorageError(f"storage key {key!r} is reserved for the barrier")

    def encrypt(self, key: str, value: bytes, version: int | None = None) -> bytes:
        """The physical record for ``value`` at ``key``."""
        keyring = self._require_keyring()
        term = keyring.active
        version = self._clock.next() if version is None else version
        header = _HEADER.pack(_FORMAT, term.term, version)
        nonce = os.urandom(_NONCE)
        sealed = keyring.cipher(term.term).encrypt(nonce, bytes(value), self._ad(key, header))
        self.encryptions += 1
        return header + nonce + sealed

    def decrypt(self, key: str, record: bytes) -> tuple[bytes, int]:
        """(plaintext, version) of a physical record; :class:`IntegrityError` if tampered."""
        keyring = self._require_keyring()
        if len(record) < _HEADER.size + _NONCE + 16:
            raise IntegrityError(f"stored record at {key!r} is malformed")
        header = record[: _HEADER.size]
        fmt, term, version = _HEADER.unpack(header)
        if fmt != _FORMAT:
            raise IntegrityError(f"stored record at {key!r} has unknown format {fmt}")
        cipher = keyring.cipher(term)
        if cipher is None:  # rotated elsewhere since we loaded the keyring
            cipher = self.reload_keyring().cipher(term)
            if cipher is None:
                raise IntegrityError(f"stored record at {key!r} uses unknown key term {term}")
        nonce = record[_HEADER.size : _HEADER.size + _NONCE]
        try:
            plain = cipher.decrypt(nonce, record[_HEADER.size + _NONCE :], self._ad(key, header))
        except InvalidTag:
            raise IntegrityError(
                f"stored record at {key!r} failed authentication (tampered or moved)"
            ) from None
        return plain, version

    def _remember(self, key: str, version: int) -> None:
        with self._seen_lock:
            if self._seen.get(key, 0) < version:
                self._seen[key] = version
            self._seen.move_to_end(key)
            while len(self._seen) > _SEEN_LIMIT:
                self._seen.popitem(last=False)

    def _check_fresh(self, key: str, version: int) -> None:
        with self._seen_lock:
            seen = self._seen.get(key)
        if seen is not None and version < seen - self.rollback_window_ns:
            raise RollbackError(
                f"stored record at {key!r} is older than a version already seen "
                "(rolled back or resurrected)"
            )

    # ----- Storage -----------------------------------------------------------------------------

    def get(self, key: str) -> bytes | None:
        self._check_key(key)
        self._require_keyring()
        record = self.physical.get(key)
        if record is None:
            return None
        plain, version = self.decrypt(key, record)
        self._check_fresh(key, version)
        self._clock.observe(version)
        self._remember(key, version)
        return plain

    def put(self, key: str, value: bytes) -> None:
        self.apply([(key, value)])

    def delete(self, key: str) -> None:
        self.apply([(key, None)])

    def list(self, prefix: str) -> list[str]:
        self._require_keyring()
        names = self.physical.list(prefix)
        if prefix in ("", "core/"):
            names = [n for n in names if prefix + n not in RESERVED_KEYS]
        return names

    def _encode_ops(self, ops: Sequence[Op]) -> tuple[list[Op], list[tuple[str, int]]]:
        physical: list[Op] = []
        versions: list[tuple[str, int]] = []
        for key, value in ops:
            self._check_key(key)
            version = self._clock.next()
            versions.append((key, version))
            physical.append((key, None if value is None else self.encrypt(key, value, version)))
        return physical, versions

    def apply(self, ops: Sequence[Op]) -> None:
        self._require_keyring()
        ops = list(ops)
        if not ops:
            return
        for key, _ in ops:
            self._check_key(key)
        built: list[list[tuple[str, int]]] = []

        def build() -> list[Op]:
            # Called once the physical store holds its write lock: versions follow commit order.
            physical, versions = self._encode_ops(ops)
            built.append(versions)
            return physical

        self.physical.apply_built(build)
        for key, version in built[-1]:
            self._remember(key, version)

    def cas(self, key: str, expected: bytes | None, ops: Sequence[Op]) -> bool:
        """Compare and swap on plaintext: ``expected`` is compared with the decrypted value."""
        self._check_key(key)
        self._require_keyring()
        record = self.physical.get(key)
        current = None if record is None else self.decrypt(key, record)[0]
        if current != expected:
            return False
        physical, versions = self._encode_ops(ops)
        if not self.physical.cas(key, record, physical):
            return False
        for op_key, version in versions:
            self._remember(op_key, version)
        return True

    def close(self) -> None:
        self.seal()
        if self.close_physical:
            self.physical.close()
