"""Shared fixtures: OpenBao and vab dev servers, hvac clients, a throwaway PostgreSQL.

Servers are real child processes on 127.0.0.1 (see :mod:`tests.support.processes`). A
missing ``bao`` binary, an unimportable server package or a PostgreSQL that does not start
makes the dependent tests *fail* with the reason; nothing is skipped.

Fixtures
--------
``openbao`` / ``vab_server``
    one dev server per session (per xdist worker); state is shared, so tests must use
    unique names or ask for a factory.
``openbao_factory`` / ``vab_factory``
    start fresh servers for tests that need isolation; stopped at the end of the test.
``openbao_client`` / ``vab_client``
    ``hvac.Client`` with the root token for the session servers (a new client per test).
``postgres_cluster`` / ``postgres_dsn``
    one PostgreSQL cluster per session and the DSN of its ``postgres`` database;
    ``postgres_database`` creates an empty database per test and gives its DSN.

Markers ``integration``, ``differential``, ``postgres`` and ``hvac_suite`` are registered
here; the first three are also added automatically (by fixture use or directory), so e.g.
``-m "not postgres"`` works without decorating tests by hand.
"""

from __future__ import annotations

import secrets
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import hvac
import pytest

from tests.support.postgres import PostgresCluster, start_postgres
from tests.support.processes import ServerProcess, start_openbao_dev, start_vab_dev

ServerFactory = Callable[..., ServerProcess]

MARKERS = {
    "integration": "talks to a real server process (OpenBao or ours)",
    "differential": "compares our server's answers with OpenBao's",
    "postgres": "needs the throwaway PostgreSQL cluster",
    "hvac_suite": "hvac's own integration tests (run by tests/hvac_suite/run.py)",
}
_SERVER_FIXTURES = frozenset(
    {
        "openbao",
        "openbao_factory",
        "openbao_client",
        "vab_server",
        "vab_factory",
        "vab_client",
    }
)
_POSTGRES_FIXTURES = frozenset({"postgres_cluster", "postgres_dsn", "postgres_database"})
_DIFFERENTIAL_DIR = Path(__file__).parent / "differential"


def pytest_configure(config: pytest.Config) -> None:
    """Register our markers; make SIGTERM run fixture teardown (servers, PostgreSQL dirs)."""
    for name, description in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {description}")
    if (
        threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    ):
        signal.signal(signal.SIGTERM, _terminate)


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM (e.g. a CI timeout) ends the run like Ctrl-C, so teardown still happens."""
    raise KeyboardInterrupt(f"terminated by signal {signum}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests by the fixtures they use and the directory they live in."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & _SERVER_FIXTURES:
            item.add_marker(pytest.mark.integration)
        if fixtures & _POSTGRES_FIXTURES:
            item.add_marker(pytest.mark.postgres)
        if _DIFFERENTIAL_DIR in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.differential)


# -- servers ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def openbao() -> Iterator[ServerProcess]:
    """One OpenBao dev server for the whole session (root token ``root``)."""
    server = start_openbao_dev()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def vab_server() -> Iterator[ServerProcess]:
    """One of our dev servers for the whole session (root token ``root``)."""
    server = start_vab_dev()
    try:
        yield server
    finally:
        server.stop()


def _factory(start: Callable[..., ServerProcess]) -> Iterator[ServerFactory]:
    started: list[ServerProcess] = []

    def make(*args: object, **kwargs: object) -> ServerProcess:
        server = start(*args, **kwargs)
        started.append(server)
        return server

    try:
        yield make
    finally:
        for server in reversed(started):
            server.stop()


@pytest.fixture
def openbao_factory() -> Iterator[ServerFactory]:
    """``openbao_factory(root_token=..., extra_args=..., env=...)`` starts a fresh OpenBao."""
    yield from _factory(start_openbao_dev)


@pytest.fixture
def vab_factory() -> Iterator[ServerFactory]:
    """``vab_factory(extra_args=(), env=None, root_token="root")`` starts a fresh server."""
    yield from _factory(start_vab_dev)


def _client(server: ServerProcess) -> hvac.Client:
    return hvac.Client(url=server.url, token=server.root_token, timeout=30)


@pytest.fixture
def openbao_client(openbao: ServerProcess) -> hvac.Client:
    """hvac client with the root token for the session OpenBao."""
    return _client(openbao)


@pytest.fixture
def vab_client(vab_server: ServerProcess) -> hvac.Client:
    """hvac client with the root token for the session vab server."""
    return _client(vab_server)


# -- PostgreSQL -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A throwaway PostgreSQL 127.0.0.1 cluster for the session; removed at the end."""
    cluster = start_postgres()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def postgres_dsn(postgres_cluster: PostgresCluster) -> str:
    """DSN (libpq URI) of the session cluster's ``postgres`` database, superuser, trust auth."""
    return postgres_cluster.dsn


@pytest.fixture
def postgres_database(postgres_cluster: PostgresCluster) -> str:
    """DSN of a new, empty database for this test alone."""
    return postgres_cluster.create_database(f"t_{secrets.token_hex(6)}")
