"""PostgreSQL storage: several server nodes share one database.

One table, ``key TEXT COLLATE "C" PRIMARY KEY, value BYTEA``: with the byte-order collation
the primary-key B-tree serves ``list`` as a range scan (``key >= prefix AND key < upper``).
Every write is one transaction committed before the call returns (durable as far as the
server's ``synchronous_commit`` says; the default is on). Connections come from a
``psycopg_pool`` pool made lazily in each process, so a pool (and its threads) is never used
across ``fork()``.

Caches of other nodes are kept coherent by the core's generation read on every request; this
module needs no notification channel for correctness.

When the database goes away the pool has no connection to give and reconnects in the
background with an exponential backoff. A request does not wait that out: when the pool
gives nothing within ``_FAST_WAIT`` seconds although this process is not using all its
connections, it connects directly. If that fails the request fails at once with the reason
(a clean 5xx instead of a request hanging for the whole pool timeout); if it succeeds the
database is back, the request runs on that connection and the pool (still in backoff) is
replaced by a fresh one, so service resumes at once.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from .base import Op, Storage, StorageError, children, prefix_upper_bound

log = logging.getLogger(__name__)

T = TypeVar("T")
DEFAULT_TABLE = "vault_kv_store"
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$")
_RETRIES = 3
_FAST_WAIT = 1.0
_CONNECT_TIMEOUT = 5
_MIN_POOL_AGE = 10.0  # a younger pool may still be making its first connections: keep it


def _import_psycopg() -> tuple[Any, Any, Any]:
    try:
        import psycopg
        import psycopg_pool
        from psycopg import sql
    except ImportError as exc:  # pragma: no cover - both are dependencies of the package
        raise StorageError(f"PostgreSQL storage needs psycopg 3 and psycopg_pool: {exc}") from None
    return psycopg, psycopg_pool, sql


class PostgreSQLStorage(Storage):
    """Key/value rows in one PostgreSQL table, through a per-process connection pool."""

    def __init__(
        self,
        dsn: str,
        *,
        table: str = DEFAULT_TABLE,
        max_connections: int = 8,
        timeout: float = 30.0,
    ):
        if not dsn:
            raise StorageError('storage "postgresql" needs a connection_url')
        if not _IDENT.match(table):
            raise StorageError(f"invalid PostgreSQL table name {table!r}")
        if max_connections < 1:
            raise StorageError("max_parallel must be at least 1")
        self.dsn = dsn
        self.table = table
        self.max_connections = max_connections
        self.timeout = timeout
        psycopg, pool_mod, sql = _import_psycopg()
        self._psycopg = psycopg
        self._pool_timeout = pool_mod.PoolTimeout
        self._pool_closed = pool_mod.PoolClosed
        self._sql = sql
        self._t = sql.Identifier(*table.split("."))
        self._lock = threading.Lock()
        self._pool: Any = None
        self._pid = 0
        self._in_use = 0
        self._pool_born = 0.0
        self._schema_ready = False
        self._queries = self._build_queries()

    # ----- pool --------------------------------------------------------------------------------

    def _build_queries(self) -> dict[str, Any]:
        sql, t = self._sql, self._t
        return {
            "schema": sql.SQL(
                'CREATE TABLE IF NOT EXISTS {} (key TEXT COLLATE "C" PRIMARY KEY, '
                "value BYTEA NOT NULL)"
            ).format(t),
            "get": sql.SQL("SELECT value FROM {} WHERE key = %s").format(t),
            "all": sql.SQL("SELECT key FROM {}").format(t),
            "range": sql.SQL("SELECT key FROM {} WHERE key >= %s AND key < %s").format(t),
            "starts": sql.SQL("SELECT key FROM {} WHERE key >= %s AND starts_with(key, %s)").format(
                t
            ),
            "put": sql.SQL(
                "INSERT INTO {} (key, value) VALUES (%s, %s) "
                "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
            ).format(t),
            "delete": sql.SQL("DELETE FROM {} WHERE key = %s").format(t),
            "lock": sql.SQL("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))"),
        }

    def _get_pool(self) -> Any:
        pid = os.getpid()
        if self._pool is not None and self._pid == pid:
            return self._pool
        with self._lock:
            if self._pool is None or self._pid != pid:
                # A pool inherited through fork belongs to the parent: leave it alone.
                _, pool_mod, _ = _import_psycopg()
                self._pool = pool_mod.ConnectionPool(
                    self.dsn,
                    min_size=1,
                    max_size=self.max_connections,
                    kwargs={"autocommit": True},
                    timeout=self.timeout,
                    open=True,
                    name=f"vab-{self.table}-{pid}",
                )
                if self._pid != pid:
                    self._in_use = 0
                self._pid = pid
                self._pool_born = time.monotonic()
                self._schema_ready = False
            return self._pool

    def _run(self, fn: Callable[[Any], T], *, retry: bool = True) -> T:
        """Run ``fn(connection)``; retried on a lost connection or deadlock when allowed."""
        psycopg = self._psycopg
        attempts = _RETRIES if retry else 1
        for attempt in range(1, attempts + 1):
            try:
                return self._run_once(fn)
            except self._pool_timeout as exc:  # the pool already waited: no retry
                raise StorageError(
                    f"postgresql storage: no connection within {self.timeout:g}s: {_oneline(exc)}"
                ) from None
            except psycopg.OperationalError as exc:
                if attempt == attempts:
                    raise StorageError(f"postgresql storage failed: {_oneline(exc)}") from None
                log.warning("postgresql operation failed, retrying: %s", _oneline(exc))
            except psycopg.Error as exc:
                raise StorageError(f"postgresql storage failed: {_oneline(exc)}") from None
        raise AssertionError("unreachable")

    def _run_once(self, fn: Callable[[Any], T]) -> T:
        """``fn`` on a pooled connection, or on a direct one when the pool has none to give."""
        for _ in range(3):  # the pool may be replaced (closed) by another thread meanwhile
            pool = self._get_pool()
            busy = self._in_use >= self.max_connections
            try:
                conn = pool.getconn(timeout=self.timeout if busy else _FAST_WAIT)
            except self._pool_closed:
                continue
            except self._pool_timeout:
                if busy:
                    raise
                return self._run_direct(fn, pool)
            with self._lock:
                self._in_use += 1
            try:
                if not self._schema_ready:
                    self._ensure_schema(conn)
                return fn(conn)
            finally:
                with self._lock:
                    self._in_use -= 1
                pool.putconn(conn)
        raise StorageError("postgresql storage: connection pool kept closing")

    def _run_direct(self, fn: Callable[[Any], T], pool: Any) -> T:
        """The pool gave nothing although we are not using all of it: it is (re)connecting.
        Connect directly: fail now if the database is down, else use that connection and
        replace the pool, which may still be waiting out its reconnection backoff."""
        try:
            conn = self._psycopg.connect(
                self.dsn,
                autocommit=True,
                connect_timeout=max(1, min(_CONNECT_TIMEOUT, int(self.timeout))),
            )
        except self._psycopg.Error as exc:
            raise StorageError(f"postgresql storage unavailable: {_oneline(exc)}") from None
        with self._lock:
            replace = self._pool is pool and time.monotonic() - self._pool_born >= _MIN_POOL_AGE
            if replace:
                self._pool = None  # the next request makes a fresh pool
        if replace:
            log.warning("postgresql connection pool had no connection; starting a new pool")
            threading.Thread(target=pool.close, name="vab-pg-pool-close", daemon=True).start()
        with conn:
            if not self._schema_ready:
                self._ensure_schema(conn)
            return fn(conn)

    def _ensure_schema(self, conn: Any) -> None:
        with conn.transaction():
            # Concurrent CREATE TABLE IF NOT EXISTS can collide in the catalog: serialise.
            conn.execute(self._queries["lock"], ("vab-schema:" + self.table,))
            conn.execute(self._queries["schema"])
        self._schema_ready = True

    # ----- Storage -----------------------------------------------------------------------------

    def get(self, key: str) -> bytes | None:
        def body(conn: Any) -> bytes | None:
            row = conn.execute(self._queries["get"], (key,)).fetchone()
            return None if row is None else bytes(row[0])

        return self._run(body)

    def put(self, key: str, value: bytes) -> None:
        self.apply([(key, value)])

    def delete(self, key: str) -> None:
        self.apply([(key, None)])

    def list(self, prefix: str) -> list[str]:
        upper = prefix_upper_bound(prefix)

        def body(conn: Any) -> list[str]:
            if not prefix:
                rows = conn.execute(self._queries["all"]).fetchall()
            elif upper is None:
                rows = conn.execute(self._queries["starts"], (prefix, prefix)).fetchall()
            else:
                rows = conn.execute(self._queries["range"], (prefix, upper)).fetchall()
            return [r[0] for r in rows]

        return children(prefix, self._run(body))

    def _apply_in(self, conn: Any, ops: Sequence[Op]) -> None:
        for key, value in ops:
            if value is None:
                conn.execute(self._queries["delete"], (key,))
            else:
                conn.execute(self._queries["put"], (key, bytes(value)))

    def apply(self, ops: Sequence[Op]) -> None:
        ops = list(ops)
        if not ops:
            return

        def body(conn: Any) -> None:
            with conn.transaction():
                self._apply_in(conn, ops)

        # Puts and deletes are idempotent: replaying a batch after a lost connection is safe.
        self._run(body)

    def apply_built(self, build: Callable[[], Sequence[Op]]) -> None:
        def body(conn: Any) -> None:
            with conn.transaction():
                self._apply_in(conn, list(build()))

        self._run(body)

    def cas(self, key: str, expected: bytes | None, ops: Sequence[Op]) -> bool:
        ops = list(ops)

        def body(conn: Any) -> bool:
            with conn.transaction():
                conn.execute(self._queries["lock"], ("vab-cas:" + key,))
                row = conn.execute(self._queries["get"], (key,)).fetchone()
                current = None if row is None else bytes(row[0])
                if current != expected:
                    return False
                self._apply_in(conn, ops)
                return True

        # Not replayed: after an ambiguous commit a replay would report a false conflict.
        return self._run(body, retry=False)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
            mine = self._pid == os.getpid()
        if pool is not None and mine:
            pool.close()


def _oneline(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
