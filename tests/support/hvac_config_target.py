"""pytest plugin: serve hvac's integration tests from a *non-dev* server.

Load it after ``tests.hvac_suite.plugin`` (from the hvac sdist directory, where ``run.py``
links ``tests/support``)::

    python tests/hvac_suite/run.py --files \\
        tests/integration_tests/api/system_backend/test_init.py \\
        tests/integration_tests/api/system_backend/test_seal.py \\
        -- -p tests.support.hvac_config_target

Every test class then gets a fresh ``vab server -config`` (SQLite storage, two worker
processes) initialised with 5 key shares and a threshold of 3, as hvac's own
``ServerManager`` does with a real Vault; ``manager.keys`` holds the shares, so hvac's
seal/unseal tests run against the real Shamir flow.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import hvac

import tests.hvac_suite.plugin as suite
from tests.support.config_server import VabConfigServer, sqlite_storage, start_vab_config

SHARES, THRESHOLD = 5, 3


def _start(self: suite.VabServerManager) -> None:
    directory = Path(tempfile.mkdtemp(prefix="vab-hvac-"))
    server: VabConfigServer = start_vab_config(
        sqlite_storage(directory / "vab.db"),
        workers=2,
        config_dir=directory,
        initialize=True,
        shares=SHARES,
        threshold=THRESHOLD,
    )
    self.server = server
    self.url = server.url
    self.root_token = server.root_token
    self.keys = list(server.keys)
    self.client = hvac.Client(url=self.url, token=self.root_token)


def _stop(self: suite.VabServerManager) -> None:
    server = self.server
    if server is not None:
        server.stop(graceful=False)
        shutil.rmtree(server.config_dir, ignore_errors=True)
        self.server = None


suite.VabServerManager.start = _start  # type: ignore[method-assign]
suite.VabServerManager.stop = _stop  # type: ignore[method-assign]


def pytest_report_header() -> list[str]:
    """Say that the servers are config-file servers."""
    return [
        f"vab hvac suite: non-dev servers (vab server -config, SQLite, 2 workers, "
        f"{SHARES} key shares, threshold {THRESHOLD})"
    ]
