"""The storage interface every backend and the core build on."""

from __future__ import annotations

import abc
from collections.abc import Sequence

Op = tuple[str, bytes | None]
"""One write of a batch: (key, value) to put, or (key, None) to delete."""


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

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


def children(prefix: str, keys: Sequence[str]) -> list[str]:
    """Immediate children of prefix among full keys (all starting with prefix)."""
    out: set[str] = set()
    for key in keys:
        rest = key[len(prefix) :]
        head, sep, _ = rest.partition("/")
        out.add(head + sep)
    return sorted(out)
