"""KV v2 under concurrency across worker processes (``vab server -config``, SQLite, gunicorn):
no version is lost or given twice, check-and-set lets exactly one writer win, and a v1 → v2
upgrade is seen by every worker."""

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
    tmp_path = tmp_path_factory.mktemp("kv-workers")
    started = start_vab_config(
        sqlite_storage(tmp_path / "vab.db"), workers=3, config_dir=tmp_path, initialize=True
    )
    try:
        yield started
    finally:
        started.stop()


def call(server: VabConfigServer, method: str, path: str, body: Any = None) -> requests.Response:
    """One request on a fresh connection (so that requests spread over the workers)."""
    with requests.Session() as session:
        return session.request(
            method,
            f"{server.url}/v1/{path}",
            headers={"X-Vault-Token": server.root_token, "Connection": "close"},
            json=body,
            timeout=30,
        )


def test_concurrent_writes_keep_every_version(server: VabConfigServer) -> None:
    assert call(server, "POST", "sys/mounts/c", {"type": "kv", "options": {"version": "2"}}).ok
    assert call(server, "POST", "c/metadata/s", {"max_versions": 100}).status_code == 204
    writers = 40
    with ThreadPoolExecutor(max_workers=12) as pool:
        replies = list(
            pool.map(lambda i: call(server, "POST", "c/data/s", {"data": {"i": i}}), range(writers))
        )
    assert [r.status_code for r in replies] == [200] * writers
    versions = sorted(r.json()["data"]["version"] for r in replies)
    assert versions == list(range(1, writers + 1))
    meta = call(server, "GET", "c/metadata/s").json()["data"]
    assert meta["current_version"] == writers
    assert len(meta["versions"]) == writers
    for reply in replies:
        number = reply.json()["data"]["version"]
        read = call(server, "GET", f"c/data/s?version={number}").json()["data"]
        assert read["metadata"]["version"] == number

    # check-and-set: of many writers expecting the current version, exactly one wins
    with ThreadPoolExecutor(max_workers=12) as pool:
        cas_replies = list(
            pool.map(
                lambda i: call(
                    server, "POST", "c/data/s", {"data": {"cas": i}, "options": {"cas": writers}}
                ),
                range(20),
            )
        )
    codes = sorted(r.status_code for r in cas_replies)
    assert codes == [200] + [400] * 19
    losers = [r.json()["errors"] for r in cas_replies if r.status_code == 400]
    assert all(e == ["check-and-set parameter did not match the current version"] for e in losers)


def test_upgrade_is_seen_by_every_worker(server: VabConfigServer) -> None:
    assert call(server, "POST", "sys/mounts/u", {"type": "kv", "options": {"version": "1"}}).ok
    for i in range(10):
        put = call(server, "PUT", f"u/k{i}", {"i": i})
        assert put.status_code == 204, put.text
    tune = call(server, "POST", "sys/mounts/u/tune", {"options": {"version": "2"}})
    assert tune.status_code in (200, 204), tune.text
    for _ in range(3):
        for i in range(10):
            read = call(server, "GET", f"u/data/k{i}")
            assert read.status_code == 200, read.text
            assert read.json()["data"]["data"] == {"i": i}
