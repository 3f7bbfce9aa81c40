"""Key/value storage: one small interface, several implementations."""

from .base import Storage, StorageError
from .memory import MemoryStorage
from .sqlite import SQLiteStorage
from .view import StorageView

__all__ = ["MemoryStorage", "SQLiteStorage", "Storage", "StorageError", "StorageView"]
