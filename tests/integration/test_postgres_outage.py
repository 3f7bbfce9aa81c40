"""A config server whose PostgreSQL goes away and comes back (its own throwaway cluster)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.config_server import VabConfigServer, postgresql_storage, start_vab_config
from tests.support.postgres import PostgresCluster, start_postgres

pytestmark = pytest.mark.postgres  # its own cluster, not the session one


@pytest.fixture
def own_cluster() -> Iterator[PostgresCluster]:
    """A cluster of this test alone: the test stops and restarts its server."""
    cluster = start_postgres()
    try:
        yield cluster
    finally:
        cluster.stop()


def timed(server: VabConfigServer, path: str, token: str) -> tuple[int, object, float]:
    started = time.monotonic()
    code, body = server.request("GET", path, token=token)  # the helper's socket timeout: 10 s
    return code, body, time.monotonic() - started


def test_database_outage_fails_fast_and_recovers_at_once(
    own_cluster: PostgresCluster, tmp_path: Path
) -> None:
    dsn = own_cluster.create_database("outage")
    server = start_vab_config(
        postgresql_storage(dsn), workers=1, config_dir=tmp_path, initialize=True
    )
    try:
        token = server.root_token
        assert server.request("GET", "auth/token/lookup-self", token=token)[0] == 200
        own_cluster.stop_server()
        # The outage lasts long enough for the pool's reconnection backoff to grow (1, 2, 4 s...).
        for _ in range(4):
            code, body, elapsed = timed(server, "auth/token/lookup-self", token)
            assert code == 500 and body == {"errors": ["internal error"]}
            assert elapsed < 5, f"a request took {elapsed:.1f}s while the database was down"
            time.sleep(2)
        own_cluster.restart_server()
        code, _, elapsed = timed(server, "auth/token/lookup-self", token)
        assert code == 200 and elapsed < 5, (code, elapsed)
        for _ in range(5):
            assert server.request("GET", "sys/mounts", token=token)[0] == 200
    finally:
        server.stop()
