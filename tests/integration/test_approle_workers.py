"""AppRole across worker processes (``vab server -config``, SQLite, gunicorn): a secret ID's
uses are spent exactly once each, and every worker agrees on the mount's salt."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.support.config_server import VabConfigServer, sqlite_storage, start_vab_config


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VabConfigServer]:
    """One initialised, unsealed server with three workers for this module."""
    tmp_path = tmp_path_factory.mktemp("approle-workers")
    started = start_vab_config(
        sqlite_storage(tmp_path / "vab.db"), workers=3, config_dir=tmp_path, initialize=True
    )
    try:
        yield started
    finally:
        started.stop()


def call(
    server: VabConfigServer, method: str, path: str, body: Any = None, token: bool = True
) -> requests.Response:
    """One request on a fresh connection (so that requests spread over the workers)."""
    headers = {"Connection": "close"}
    if token:
        headers["X-Vault-Token"] = server.root_token
    with requests.Session() as session:
        return session.request(
            method, f"{server.url}/v1/{path}", headers=headers, json=body, timeout=30
        )


def test_uses_are_spent_once_across_workers(server: VabConfigServer) -> None:
    assert call(server, "POST", "sys/auth/ar", {"type": "approle"}).status_code == 204
    # the first requests of a new mount race to create its salt on different workers
    with ThreadPoolExecutor(max_workers=6) as pool:
        created = list(
            pool.map(
                lambda i: call(server, "POST", f"auth/ar/role/r{i}", {"role_id": f"rid-{i}"}),
                range(6),
            )
        )
    assert [r.status_code for r in created] == [204] * 6
    for i in range(6):  # every worker finds every role by its role_id
        sid = call(server, "POST", f"auth/ar/role/r{i}/secret-id", {}).json()["data"]["secret_id"]
        for _ in range(3):
            login = call(server, "POST", "auth/ar/login", {"role_id": f"rid-{i}", "secret_id": sid})
            assert login.status_code == 200, login.text

    reply = call(server, "POST", "auth/ar/role/r0/secret-id", {"num_uses": 3})
    secret_id = reply.json()["data"]["secret_id"]
    body = {"role_id": "rid-0", "secret_id": secret_id}
    with ThreadPoolExecutor(max_workers=12) as pool:
        logins = list(
            pool.map(lambda _: call(server, "POST", "auth/ar/login", body, token=False), range(24))
        )
    statuses = sorted(r.status_code for r in logins)
    assert statuses == [200] * 3 + [400] * 21, statuses
    lookup = call(server, "POST", "auth/ar/role/r0/secret-id/lookup", {"secret_id": secret_id})
    assert lookup.status_code == 204
