"""The storage interface every backend and the core build on."""

from __future__ import annotations

import abc
import threading
from collections.abc import Callable, Sequence

Op = tuple[str, bytes | None]
"""One write of a batch: (key, value) to put, or (key, None) to delete."""
_GUARD_LOCK = threading.Lock()


class StorageError(Exception):
    """The physical storage failed (a 500, never caused by input)."""


class Storage(abc.ABC):
    """A flat key/value store with Vault's hierarchical ``list``.

    Keys are ``/``-separated paths. ``list(prefix)`` returns the immediate
    children of ``prefix``: leaf names, and folder names ending in ``/``.
    """

    @abc.abstractmethod
    def get(self, key: str) -> bytes | None:
        """The value at key, or None."""

    @abc.abstractmethod
    def put(self, key: str, value: bytes) -> None:
        """Store value at key, durably, before returning."""

    @abc.abstractmethod
    def delete(self, key: str) -> None:
        """Remove key (no error when absent)."""

    @abc.abstractmethod
    def list(self, prefix: str) -> list[str]:
        """Sorted immediate children of prefix."""

    @abc.abstractmethod
    def apply(self, ops: Sequence[Op]) -> None:
        """Apply several puts and deletes atomically: all or none."""

    def apply_built(self, build: Callable[[], Sequence[Op]]) -> None:
        """Apply the batch ``build()`` returns, atomically; the physical stores call ``build``
        only once they hold the write lock, so what it computes (e.g. record versions) follows
        the order in which batches commit."""
        self.apply(build())

    def cas(self, key: str, expected: bytes | None, ops: Sequence[Op]) -> bool:
        """Compare and swap: apply ``ops`` atomically only if the value at ``key`` is
        ``expected`` (None: absent); True when applied.

        The physical stores override this with one transaction; this default is atomic only
        against callers in the same process (it serialises them on a lock).
        """
        with _GUARD_LOCK:
            if self.get(key) != expected:
                return False
            self.apply(ops)
            return True

    def apply_if_absent(self, guard_key: str, ops: Sequence[Op]) -> bool:
        """Apply ``ops`` atomically only if ``guard_key`` has no value; True when applied."""
        return self.cas(guard_key, None, ops)

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


def prefix_upper_bound(prefix: str) -> str | None:
    """The smallest string greater than every string starting with ``prefix`` (code point
    order), for index range scans; None when there is none (empty prefix or U+10FFFF)."""
    stripped = prefix
    while stripped and ord(stripped[-1]) == 0x10FFFF:
        stripped = stripped[:-1]
    if not stripped:
        return None
    nxt = ord(stripped[-1]) + 1
    if 0xD800 <= nxt <= 0xDFFF:  # skip the surrogates (not encodable)
        nxt = 0xE000
    return stripped[:-1] + chr(nxt)


def children(prefix: str, keys: Sequence[str]) -> list[str]:
    """Immediate children of prefix among full keys (all starting with prefix)."""
    out: set[str] = set()
    for key in keys:
        rest = key[len(prefix) :]
        head, sep, _ = rest.partition("/")
        out.add(head + sep)
    return sorted(out)
