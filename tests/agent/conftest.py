"""In-process fixtures for agent tests: a dev core behind the real Flask app."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.agent.support import Send, flask_sender
from vault_agent_backend.http import create_app
from vault_agent_backend.server.dev import build_dev_core


@dataclass
class App:
    """A dev core, its Flask test client and a ``send`` function."""

    core: Any
    client: Any
    send: Send


@pytest.fixture
def app() -> Iterator[App]:
    """A fresh in-process dev server (root token ``root``, KV v2 at ``secret/``)."""
    core, _root = build_dev_core("root")
    client = create_app(core).test_client()
    try:
        yield App(core, client, flask_sender(client))
    finally:
        core.shutdown()
