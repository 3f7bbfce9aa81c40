"""SQLite and PostgreSQL specifics: fork safety, index-friendly listing, durability settings."""

from __future__ import annotations

import multiprocessing
import secrets
import sqlite3
from pathlib import Path

import psycopg
import pytest

from vault_agent_backend.storage import SQLiteStorage
from vault_agent_backend.storage.base import Storage, StorageError


def _child_writes(store: Storage, worker: int, conn) -> None:  # pragma: no cover - in a child
    try:
        for i in range(20):
            store.apply([(f"f/{worker}/{i}", b"x"), ("f/shared", str(worker).encode())])
        conn.send(sorted(store.list(f"f/{worker}/")) == sorted(str(i) for i in range(20)))
    except BaseException as exc:
        conn.send(repr(exc))


def _fork_writers(store: Storage) -> None:
    store.put("before-fork", b"1")  # the parent has open connections now
    context = multiprocessing.get_context("fork")
    pipes, children = [], []
    for worker in range(3):
        receive, send = context.Pipe(duplex=False)
        child = context.Process(target=_child_writes, args=(store, worker, send))
        child.start()
        pipes.append(receive)
        children.append(child)
    results = [pipe.recv() for pipe in pipes]
    for child in children:
        child.join(20)
    assert results == [True, True, True]
    # the parent's own connections still work after its children used theirs
    assert store.get("before-fork") == b"1"
    for worker in range(3):
        assert len(store.list(f"f/{worker}/")) == 20


def test_sqlite_forked_workers(tmp_path: Path) -> None:
    store = SQLiteStorage(tmp_path / "f.db")
    _fork_writers(store)
    store.close()


def test_sqlite_settings_and_file_mode(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = SQLiteStorage(path)
    store.put("k", b"v")
    assert path.stat().st_mode & 0o077 == 0
    conn = store._conn()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    store.close()


def test_sqlite_busy_database_waits_then_fails_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "busy.db"
    store = SQLiteStorage(path, busy_timeout_ms=50)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StorageError, match=r"locked|busy"):
            store.put("k", b"v")
        assert store.get("k") is None  # readers are not blocked by a writer (WAL)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    store.put("k", b"v")
    assert store.get("k") == b"v"
    store.close()


@pytest.fixture
def pg_store(postgres_dsn: str):
    from vault_agent_backend.storage.postgresql import PostgreSQLStorage

    store = PostgreSQLStorage(postgres_dsn, table=f"kv_{secrets.token_hex(6)}", max_connections=4)
    yield store
    store.close()


def test_postgresql_forked_workers(pg_store: Storage) -> None:
    _fork_writers(pg_store)


def test_postgresql_schema_and_index_range_list(pg_store, postgres_dsn: str) -> None:
    for i in range(300):
        pg_store.put(f"tok/{i:04d}", b"x")
    pg_store.put("tol", b"x")
    assert len(pg_store.list("tok/")) == 300
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        columns = conn.execute(
            "SELECT column_name, data_type, collation_name FROM information_schema.columns "
            "WHERE table_name = %s ORDER BY ordinal_position",
            (pg_store.table,),
        ).fetchall()
        assert columns == [("key", "text", "C"), ("value", "bytea", None)]
        conn.execute("SET enable_seqscan = off")
        plan = "\n".join(
            row[0]
            for row in conn.execute(
                f"EXPLAIN SELECT key FROM {pg_store.table} WHERE key >= 'tok/' AND key < 'tok0'"
            ).fetchall()
        )
    assert "Index" in plan and "Seq Scan" not in plan


def test_postgresql_bad_settings_are_reported() -> None:
    from vault_agent_backend.storage.postgresql import PostgreSQLStorage

    with pytest.raises(StorageError, match="connection_url"):
        PostgreSQLStorage("")
    with pytest.raises(StorageError, match="table name"):
        PostgreSQLStorage("postgresql://x@127.0.0.1:1/db", table="bad; drop")
    unreachable = PostgreSQLStorage("postgresql://x@127.0.0.1:1/db", timeout=1)
    with pytest.raises(StorageError, match="postgresql storage"):
        unreachable.get("k")
    unreachable.close()
