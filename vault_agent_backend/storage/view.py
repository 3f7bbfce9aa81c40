"""A prefixed view of a storage (one per mount), with JSON helpers."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .base import Op, Storage


class StorageView(Storage):
    """All keys below a prefix; what a backend sees as its whole storage."""

    def __init__(self, parent: Storage, prefix: str):
        self.parent = parent
        self.prefix = prefix

    def get(self, key: str) -> bytes | None:
        return self.parent.get(self.prefix + key)

    def put(self, key: str, value: bytes) -> None:
        self.parent.put(self.prefix + key, value)

    def delete(self, key: str) -> None:
        self.parent.delete(self.prefix + key)

    def list(self, prefix: str) -> list[str]:
        return self.parent.list(self.prefix + prefix)

    def apply(self, ops: Sequence[Op]) -> None:
        self.parent.apply([(self.prefix + k, v) for k, v in ops])

    def cas(self, key: str, expected: bytes | None, ops: Sequence[Op]) -> bool:
        return self.parent.cas(self.prefix + key, expected, [(self.prefix + k, v) for k, v in ops])

    def sub(self, prefix: str) -> StorageView:
        """A view below this one."""
        return StorageView(self.parent, self.prefix + prefix)

    def get_json(self, key: str) -> Any:
        """The decoded JSON value at key, or None."""
        raw = self.get(key)
        return None if raw is None else json.loads(raw)

    def put_json(self, key: str, value: Any) -> None:
        """Store value as JSON."""
        self.put(key, encode_json(value))

    def list_all(self, prefix: str = "") -> list[str]:
        """Every leaf key below prefix (recursive), relative to prefix."""
        out: list[str] = []
        stack = [""]
        while stack:
            folder = stack.pop()
            for child in self.list(prefix + folder):
                if child.endswith("/"):
                    stack.append(folder + child)
                else:
                    out.append(folder + child)
        return sorted(out)

    def delete_prefix(self, prefix: str = "") -> None:
        """Remove every key below prefix."""
        keys = self.list_all(prefix)
        if keys:
            self.apply([(prefix + k, None) for k in keys])


def encode_json(value: Any) -> bytes:
    """Compact JSON bytes."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode()
