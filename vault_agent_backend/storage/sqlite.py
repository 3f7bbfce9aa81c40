"""SQLite storage: the embedded default, safe for several worker processes (WAL)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

from .base import Op, Storage, StorageError, children

_SCHEMA = "CREATE TABLE IF NOT EXISTS vault_kv (key TEXT PRIMARY KEY, value BLOB NOT NULL)"


class SQLiteStorage(Storage):
    """One table of (key, value); one connection per thread; writes in IMMEDIATE transactions."""

    def __init__(self, path: str | Path, *, busy_timeout_ms: int = 30000):
        self.path = str(path)
        self.busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        with self._tx() as conn:
            conn.execute(_SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(
                    self.path,
                    timeout=self.busy_timeout_ms / 1000,
                    isolation_level=None,
                    check_same_thread=False,
                )
                conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_ms)}")
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=FULL")
            except sqlite3.Error as exc:
                raise StorageError(f"cannot open sqlite storage: {exc}") from None
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    class _Tx:
        def __init__(self, conn: sqlite3.Connection):
            self.conn = conn

        def __enter__(self) -> sqlite3.Connection:
            self.conn.execute("BEGIN IMMEDIATE")
            return self.conn

        def __exit__(self, exc_type, exc, tb) -> None:
            if exc_type is None:
                self.conn.execute("COMMIT")
            else:
                self.conn.execute("ROLLBACK")

    def _tx(self) -> _Tx:
        return self._Tx(self._conn())

    def get(self, key: str) -> bytes | None:
        try:
            row = (
                self._conn().execute("SELECT value FROM vault_kv WHERE key = ?", (key,)).fetchone()
            )
        except sqlite3.Error as exc:
            raise StorageError(f"sqlite get failed: {exc}") from None
        return bytes(row[0]) if row else None

    def put(self, key: str, value: bytes) -> None:
        self.apply([(key, value)])

    def delete(self, key: str) -> None:
        self.apply([(key, None)])

    def list(self, prefix: str) -> list[str]:
        try:
            if prefix:
                upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
                rows = (
                    self._conn()
                    .execute("SELECT key FROM vault_kv WHERE key >= ? AND key < ?", (prefix, upper))
                    .fetchall()
                )
            else:
                rows = self._conn().execute("SELECT key FROM vault_kv").fetchall()
        except sqlite3.Error as exc:
            raise StorageError(f"sqlite list failed: {exc}") from None
        return children(prefix, [r[0] for r in rows])

    def apply(self, ops: Sequence[Op]) -> None:
        try:
            with self._tx() as conn:
                for key, value in ops:
                    if value is None:
                        conn.execute("DELETE FROM vault_kv WHERE key = ?", (key,))
                    else:
                        conn.execute(
                            "INSERT INTO vault_kv (key, value) VALUES (?, ?) "
                            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                            (key, bytes(value)),
                        )
        except sqlite3.Error as exc:
            raise StorageError(f"sqlite write failed: {exc}") from None

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()
