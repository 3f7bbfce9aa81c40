"""SQLite storage: the embedded default, safe for several worker processes (WAL).

Every process opens its own connections (one per thread); a connection made before
``fork()`` is never used, nor closed, by the child. Writes run in ``BEGIN IMMEDIATE``
transactions with ``synchronous=FULL``, so a write has reached the disk when ``put`` or
``apply`` returns. Lock contention between processes waits ``busy_timeout`` and then retries
a few times with backoff before failing with :class:`StorageError`.
"""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from .base import Op, Storage, StorageError, children, prefix_upper_bound

_SCHEMA = "CREATE TABLE IF NOT EXISTS vault_kv (key TEXT PRIMARY KEY, value BLOB NOT NULL)"
_UPSERT = (
    "INSERT INTO vault_kv (key, value) VALUES (?, ?) "
    "ON CONFLICT(key) DO UPDATE SET value = excluded.value"
)
_BUSY_RETRIES = 5
_ABANDONED: list[object] = []
"""Connections inherited through fork: kept alive (never closed) so that the child does not
touch the parent's SQLite handles; see https://www.sqlite.org/howtocorrupt.html#fork."""

T = TypeVar("T")


def _after_fork_of(ref: weakref.ref[SQLiteStorage]) -> None:
    storage = ref()
    if storage is not None:
        storage._after_fork()


def _is_busy(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


class SQLiteStorage(Storage):
    """One table of (key, value); one connection per thread and process."""

    def __init__(self, path: str | Path, *, busy_timeout_ms: int = 30000):
        self.path = str(path)
        self.busy_timeout_ms = busy_timeout_ms
        self._reset_state()
        if self.path != ":memory:" and not os.path.exists(self.path):
            try:  # the database holds only ciphertext, but keep it private anyway
                os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
            except OSError as exc:
                raise StorageError(f"cannot create sqlite storage: {exc}") from None
        ref = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: _after_fork_of(ref))
        self._write(lambda conn: conn.execute(_SCHEMA))

    # ----- connections -------------------------------------------------------------------------

    def _reset_state(self) -> None:
        self._pid = os.getpid()
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def _after_fork(self) -> None:
        _ABANDONED.extend(self._all)
        self._reset_state()

    def _conn(self) -> sqlite3.Connection:
        if self._pid != os.getpid():  # fork without the at-fork hook (e.g. os.fork in C code)
            self._after_fork()
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
                self._retry(lambda: conn.execute("PRAGMA journal_mode=WAL"))
                conn.execute("PRAGMA synchronous=FULL")
            except sqlite3.Error as exc:
                raise StorageError(f"cannot open sqlite storage: {exc}") from None
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def _retry(self, action: Callable[[], T]) -> T:
        delay = 0.01
        for attempt in range(_BUSY_RETRIES + 1):
            try:
                return action()
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or attempt == _BUSY_RETRIES:
                    raise
            time.sleep(delay * (1 + random.random()))
            delay = min(delay * 2, 0.5)
        raise AssertionError("unreachable")

    def _write(self, body: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``body`` in one IMMEDIATE transaction (retried as a whole when busy)."""

        def attempt() -> T:
            conn = self._conn()
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = body(conn)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            return result

        try:
            return self._retry(attempt)
        except sqlite3.Error as exc:
            raise StorageError(f"sqlite write failed: {exc}") from None

    def _read(self, sql: str, params: tuple[str, ...]) -> list[tuple]:
        try:
            return self._retry(lambda: self._conn().execute(sql, params).fetchall())
        except sqlite3.Error as exc:
            raise StorageError(f"sqlite read failed: {exc}") from None

    # ----- Storage -----------------------------------------------------------------------------

    def get(self, key: str) -> bytes | None:
        rows = self._read("SELECT value FROM vault_kv WHERE key = ?", (key,))
        return bytes(rows[0][0]) if rows else None

    def put(self, key: str, value: bytes) -> None:
        self.apply([(key, value)])

    def delete(self, key: str) -> None:
        self.apply([(key, None)])

    def list(self, prefix: str) -> list[str]:
        upper = prefix_upper_bound(prefix)
        if not prefix:
            rows = self._read("SELECT key FROM vault_kv", ())
        elif upper is None:
            rows = self._read(
                "SELECT key FROM vault_kv WHERE key >= ? AND substr(key, 1, ?) = ?",
                (prefix, str(len(prefix)), prefix),
            )
        else:
            rows = self._read(
                "SELECT key FROM vault_kv WHERE key >= ? AND key < ?", (prefix, upper)
            )
        return children(prefix, [r[0] for r in rows])

    @staticmethod
    def _apply_in(conn: sqlite3.Connection, ops: Sequence[Op]) -> None:
        for key, value in ops:
            if value is None:
                conn.execute("DELETE FROM vault_kv WHERE key = ?", (key,))
            else:
                conn.execute(_UPSERT, (key, bytes(value)))

    def apply(self, ops: Sequence[Op]) -> None:
        ops = list(ops)
        if ops:
            self._write(lambda conn: self._apply_in(conn, ops))

    def apply_built(self, build: Callable[[], Sequence[Op]]) -> None:
        self._write(lambda conn: self._apply_in(conn, list(build())))

    def cas(self, key: str, expected: bytes | None, ops: Sequence[Op]) -> bool:
        ops = list(ops)

        def body(conn: sqlite3.Connection) -> bool:
            row = conn.execute("SELECT value FROM vault_kv WHERE key = ?", (key,)).fetchone()
            current = bytes(row[0]) if row else None
            if current != expected:
                return False
            self._apply_in(conn, ops)
            return True

        return self._write(body)

    def close(self) -> None:
        if self._pid != os.getpid():
            self._after_fork()
            return
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()
