"""The throwaway PostgreSQL fixture works (and is reachable over TCP on 127.0.0.1 only)."""

from __future__ import annotations

import psycopg

from tests.support.postgres import PostgresCluster


def test_select_one(postgres_dsn: str) -> None:
    with psycopg.connect(postgres_dsn) as conn:
        assert conn.execute("select 1").fetchone() == (1,)


def test_listens_on_loopback_only(postgres_cluster: PostgresCluster, postgres_dsn: str) -> None:
    with psycopg.connect(postgres_dsn) as conn:
        row = conn.execute("show listen_addresses").fetchone()
    assert row == ("127.0.0.1",)
    assert postgres_cluster.socket_dir.is_dir()


def test_fresh_database_per_test(postgres_database: str) -> None:
    with psycopg.connect(postgres_database) as conn:
        tables = conn.execute(
            "select count(*) from information_schema.tables where table_schema = 'public'"
        ).fetchone()
        conn.execute("create table t (x int)")
    assert tables == (0,)
