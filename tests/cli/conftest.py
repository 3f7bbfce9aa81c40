"""Fixtures for the command-line tests: a server per parameter and CLI runners.

``server`` is parametrized over OpenBao and our server (``openbao`` / ``vab_server``
from ``tests/conftest.py``): every test that uses it runs against both.
"""

from __future__ import annotations

import secrets
import string
from pathlib import Path

import hvac
import pytest

from .runner import Runner, Server, bao_binary, vab_binary
from .scenarios import BY_NAME

SERVER_FIXTURES = {"openbao": "openbao", "vab": "vab_server"}
HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the (scenario, server) pairs a scenario does not run on (``Scenario.servers``),
    so that they are neither run nor reported as skipped."""
    keep, drop = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        mine = item.path.parent == HERE and "server" in params
        scenario = BY_NAME.get(params.get("name", "")) if mine else None
        if scenario is not None and params["server"] not in scenario.servers:
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(params=sorted(SERVER_FIXTURES))
def server(request: pytest.FixtureRequest) -> Server:
    """The session server of this parameter: ``openbao`` or ``vab``."""
    return request.getfixturevalue(SERVER_FIXTURES[request.param])


@pytest.fixture
def uid() -> str:
    """A short unique suffix for names created by one test: letters only, so that listings
    of the names sort the same in bao's Go YAML encoder (whose comparison of digit runs
    followed by letters is not transitive) and in vab."""
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(8))


@pytest.fixture
def root_client(server: Server) -> hvac.Client:
    """hvac client with the root token of ``server`` (for test setup)."""
    return hvac.Client(url=server.url, token=server.root_token, timeout=30)


@pytest.fixture
def vab(server: Server, tmp_path: Path) -> Runner:
    """``vab`` against ``server`` with an isolated HOME (its own ~/.vault-token)."""
    return Runner(vab_binary(), server, tmp_path / "vab-home")


@pytest.fixture
def bao(server: Server, tmp_path: Path) -> Runner:
    """The real ``bao`` CLI against ``server`` with an isolated HOME."""
    return Runner(bao_binary(), server, tmp_path / "bao-home")
