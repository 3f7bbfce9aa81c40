"""Fixtures of the KV tests: a fresh in-process dev server per test (``secret/`` is KV v2)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.kv.inprocess import Clock, KVServer
from vault_agent_backend.builtin.kv import store


@pytest.fixture
def vab() -> KVServer:
    """A fresh in-process dev server, root token ``root``."""
    return KVServer()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    """A controllable clock for the KV engine (delete_version_after without sleeping)."""
    fake = Clock()
    monkeypatch.setattr(store, "CLOCK", fake)
    yield fake
