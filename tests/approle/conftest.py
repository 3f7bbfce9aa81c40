"""Fixtures of the AppRole tests: a fresh in-process server with ``approle`` at ``auth/approle``."""

from __future__ import annotations

import pytest

from tests.support.inprocess import Vab


@pytest.fixture
def vab() -> Vab:
    """A fresh in-process dev server (root token ``root``) with AppRole mounted."""
    server = Vab()
    reply = server.post("sys/auth/approle", {"type": "approle"})
    assert reply.status == 204, reply
    return server


@pytest.fixture
def accessor(vab: Vab) -> str:
    """The mount accessor of ``auth/approle/``."""
    return vab.get("sys/auth").data["approle/"]["accessor"]
