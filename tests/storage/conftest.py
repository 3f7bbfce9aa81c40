"""Storage fixtures: every physical storage, bare and behind the encrypting barrier."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from vault_agent_backend.storage import MemoryStorage, SQLiteStorage
from vault_agent_backend.storage.barrier import Barrier, new_root_key
from vault_agent_backend.storage.base import Storage

PHYSICAL = ("memory", "sqlite", "postgresql")
KINDS = PHYSICAL + tuple(f"barrier-{p}" for p in PHYSICAL)

StorageFactory = Callable[[], Storage]


def unsealed_barrier(physical: Storage, root_key: bytes | None = None) -> Barrier:
    """A barrier over ``physical``, initialised (when needed) and unsealed."""
    root_key = root_key or new_root_key()
    barrier = Barrier(physical)
    barrier.initialize(root_key)
    barrier.unseal(root_key)
    return barrier


@pytest.fixture
def physical_factory(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[str], Callable[[], Storage]]]:
    """``physical_factory(kind)`` -> a function opening *the same* store again (a second
    handle: another process or node would open it like this)."""
    opened: list[Storage] = []

    def make(kind: str) -> Callable[[], Storage]:
        if kind == "memory":
            shared = MemoryStorage()
            return lambda: shared
        if kind == "sqlite":
            path = tmp_path / f"{secrets.token_hex(4)}.db"

            def open_sqlite() -> Storage:
                store = SQLiteStorage(path)
                opened.append(store)
                return store

            return open_sqlite
        if kind == "postgresql":
            from vault_agent_backend.storage.postgresql import PostgreSQLStorage

            dsn = request.getfixturevalue("postgres_dsn")
            table = f"kv_{secrets.token_hex(6)}"

            def open_pg() -> Storage:
                store = PostgreSQLStorage(dsn, table=table, max_connections=4)
                opened.append(store)
                return store

            return open_pg
        raise ValueError(kind)

    yield make
    for store in opened:
        store.close()


def kind_params(kinds: tuple[str, ...]) -> list:
    """``pytest.param`` per kind; PostgreSQL ones carry the ``postgres`` marker."""
    return [pytest.param(k, marks=pytest.mark.postgres) if "postgresql" in k else k for k in kinds]


@pytest.fixture(params=kind_params(KINDS))
def store_kind(request: pytest.FixtureRequest) -> str:
    """The storage variant under test."""
    return request.param


@pytest.fixture
def store(store_kind: str, physical_factory: Callable[[str], StorageFactory]) -> Storage:
    """A fresh storage of the parametrized kind."""
    base = store_kind.removeprefix("barrier-")
    physical = physical_factory(base)()
    return unsealed_barrier(physical) if store_kind.startswith("barrier-") else physical
