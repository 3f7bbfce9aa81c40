"""In-memory storage, for tests and throwaway dev servers."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from .base import Op, Storage, children


class MemoryStorage(Storage):
    """A dict behind a lock."""

    def __init__(self) -> None:
        self._data: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            return self._data.get(key)

    def put(self, key: str, value: bytes) -> None:
        with self._lock:
            self._data[key] = bytes(value)

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)

    def list(self, prefix: str) -> list[str]:
        with self._lock:
            keys = [k for k in self._data if k.startswith(prefix)]
        return children(prefix, keys)

    def apply(self, ops: Sequence[Op]) -> None:
        with self._lock:
            self._apply_locked(ops)

    def _apply_locked(self, ops: Sequence[Op]) -> None:
        # Convert everything first, so that a bad value changes nothing (all or none).
        ready = [(str(key), None if value is None else bytes(value)) for key, value in ops]
        for key, value in ready:
            if value is None:
                self._data.pop(key, None)
            else:
                self._data[key] = value

    def apply_built(self, build: Callable[[], Sequence[Op]]) -> None:
        with self._lock:
            self._apply_locked(build())

    def cas(self, key: str, expected: bytes | None, ops: Sequence[Op]) -> bool:
        with self._lock:
            if self._data.get(key) != expected:
                return False
            self._apply_locked(ops)
            return True
