"""Seal state shared by the worker processes of one server node, in memory only.

The gunicorn master creates a :class:`SharedSealState` before it forks its workers: a small
memory-backed file (``memfd``; an anonymous file elsewhere) mapped ``MAP_SHARED`` into every
worker. It holds the seal epoch, the sealed flag, the unseal progress (the key shares
submitted so far) and, once unsealed, the root key. Nothing of it ever reaches a disk file
or the database: the root key lives in RAM of this node's own process tree, exactly as a
single-process server keeps it in its own memory.

Writers serialise on a POSIX record lock on that file (released by the kernel if a worker
dies while holding it) plus a thread lock within each process. Readers look at the epoch
(one 8-byte read per request) and resynchronise when it changed.
"""

from __future__ import annotations

import contextlib
import fcntl
import mmap
import os
import struct
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

_SIZE = 16384
_EPOCH = struct.Struct("<Q")
_OFF_SEALED = 8
_OFF_COUNT = 9
_OFF_ROOT = 16
_ROOT_LEN = 32
_OFF_NONCE = 48
_NONCE_LEN = 36
_OFF_SHARES = 128
_SLOT = 48  # 1 length byte + up to 47 bytes of share
MAX_SHARES = 255
MAX_SHARE_LEN = _SLOT - 1


@dataclass
class SealSnapshot:
    """A consistent copy of the shared state."""

    epoch: int
    sealed: bool
    root_key: bytes | None
    shares: list[bytes] = field(default_factory=list)
    nonce: str = ""


class SharedSealState:
    """The node-wide seal state; create it before forking workers."""

    def __init__(self, fd: int, mm: mmap.mmap):
        self._fd = fd
        self._mm = mm
        self._pid = os.getpid()
        self._tlock = threading.RLock()

    @classmethod
    def create(cls) -> SharedSealState:
        """A new state: sealed, no progress, epoch 0."""
        if hasattr(os, "memfd_create"):
            fd = os.memfd_create("vab-seal-state", os.MFD_CLOEXEC)
        else:  # pragma: no cover - non-Linux
            with tempfile.TemporaryFile() as handle:
                fd = os.dup(handle.fileno())
        os.ftruncate(fd, _SIZE)
        mm = mmap.mmap(fd, _SIZE, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        state = cls(fd, mm)
        with state.locked():
            mm[_OFF_SEALED] = 1
        return state

    # ----- locking -----------------------------------------------------------------------------

    def _thread_lock(self) -> threading.RLock:
        if self._pid != os.getpid():  # a forked child gets its own thread lock
            self._pid = os.getpid()
            self._tlock = threading.RLock()
        return self._tlock

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive access across the threads and processes of this node."""
        with self._thread_lock():
            fcntl.lockf(self._fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.lockf(self._fd, fcntl.LOCK_UN)

    # ----- reading -----------------------------------------------------------------------------

    def epoch(self) -> int:
        """The change counter (cheap; read on every request)."""
        return _EPOCH.unpack_from(self._mm, 0)[0]

    def read(self) -> SealSnapshot:
        """A copy of the whole state (take :meth:`locked` for a consistent one)."""
        mm = self._mm
        sealed = mm[_OFF_SEALED] != 0
        count = mm[_OFF_COUNT]
        shares = []
        for index in range(count):
            base = _OFF_SHARES + index * _SLOT
            length = mm[base]
            shares.append(bytes(mm[base + 1 : base + 1 + length]))
        nonce = bytes(mm[_OFF_NONCE : _OFF_NONCE + _NONCE_LEN]).rstrip(b"\x00").decode()
        root = None if sealed else bytes(mm[_OFF_ROOT : _OFF_ROOT + _ROOT_LEN])
        return SealSnapshot(self.epoch(), sealed, root, shares, nonce)

    # ----- writing (call under locked()) -------------------------------------------------------

    def _bump(self) -> None:
        _EPOCH.pack_into(self._mm, 0, self.epoch() + 1)

    def set_progress(self, shares: list[bytes], nonce: str) -> None:
        """Record the shares submitted so far (and the nonce of this unseal attempt)."""
        if len(shares) > MAX_SHARES:
            raise ValueError("too many key shares")
        mm = self._mm
        self._wipe_shares()
        for index, share in enumerate(shares):
            if len(share) > MAX_SHARE_LEN:
                raise ValueError("key share too long")
            base = _OFF_SHARES + index * _SLOT
            mm[base] = len(share)
            mm[base + 1 : base + 1 + len(share)] = share
        mm[_OFF_COUNT] = len(shares)
        raw = nonce.encode()[:_NONCE_LEN].ljust(_NONCE_LEN, b"\x00")
        mm[_OFF_NONCE : _OFF_NONCE + _NONCE_LEN] = raw
        self._bump()

    def _wipe_shares(self) -> None:
        mm = self._mm
        end = _OFF_SHARES + MAX_SHARES * _SLOT
        mm[_OFF_SHARES:end] = bytes(end - _OFF_SHARES)
        mm[_OFF_COUNT] = 0
        mm[_OFF_NONCE : _OFF_NONCE + _NONCE_LEN] = bytes(_NONCE_LEN)

    def clear_progress(self) -> None:
        """Forget the submitted shares."""
        self._wipe_shares()
        self._bump()

    def set_unsealed(self, root_key: bytes) -> None:
        """Publish the root key to every worker and mark the node unsealed."""
        if len(root_key) != _ROOT_LEN:
            raise ValueError("root key must be 32 bytes")
        self._wipe_shares()
        self._mm[_OFF_ROOT : _OFF_ROOT + _ROOT_LEN] = root_key
        self._mm[_OFF_SEALED] = 0
        self._bump()

    def set_sealed(self) -> None:
        """Wipe the root key and the progress; every worker seals at its next request."""
        self._wipe_shares()
        self._mm[_OFF_ROOT : _OFF_ROOT + _ROOT_LEN] = bytes(_ROOT_LEN)
        self._mm[_OFF_SEALED] = 1
        self._bump()
