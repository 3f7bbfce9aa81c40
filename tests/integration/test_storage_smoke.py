"""Smoke run of the API on the storages the integration suite does not use by default.

The integration suite runs on SQLite (``vab server -dev -dev-storage=sqlite``); this runs a
short end-to-end scenario (mounts, KV v2, policies, child tokens, revocation) on an
in-memory dev server and on a sealed config server on PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import hvac
import hvac.exceptions
import pytest

from tests.support.config_server import postgresql_storage, start_vab_config


@pytest.fixture(params=["inmem", pytest.param("postgresql", marks=pytest.mark.postgres)])
def root_client(
    request: pytest.FixtureRequest, vab_factory, tmp_path: Path
) -> Iterator[hvac.Client]:
    if request.param == "inmem":
        server = vab_factory(extra_args=["-dev-storage=inmem"])
        assert re.search(r"Storage: +inmem", server.output()), server.output()
        yield hvac.Client(url=server.url, token=server.root_token, timeout=30)
        return
    dsn = request.getfixturevalue("postgres_database")
    server = start_vab_config(
        postgresql_storage(dsn), workers=2, config_dir=tmp_path, initialize=True
    )
    try:
        client = hvac.Client(url=server.url, token=server.root_token, timeout=30)
        assert client.sys.read_seal_status()["storage_type"] == "postgresql"
        yield client
    finally:
        server.stop()


def test_api_smoke(root_client: hvac.Client) -> None:
    client = root_client
    client.sys.enable_secrets_engine("kv", path="smoke", options={"version": "2"})
    client.secrets.kv.v2.create_or_update_secret("app", {"pw": "s3cret"}, mount_point="smoke")
    client.secrets.kv.v2.create_or_update_secret("app", {"pw": "s3cret2"}, mount_point="smoke")
    read = client.secrets.kv.v2.read_secret_version(
        "app", mount_point="smoke", raise_on_deleted_version=True
    )
    assert read["data"]["data"] == {"pw": "s3cret2"} and read["data"]["metadata"]["version"] == 2

    client.sys.create_or_update_policy(
        "smoke-read", 'path "smoke/data/*" { capabilities = ["read"] }'
    )
    child_token = client.auth.token.create(policies=["smoke-read"], ttl="1h")["auth"][
        "client_token"
    ]
    child = hvac.Client(url=client.url, token=child_token, timeout=30)
    assert child.secrets.kv.v2.read_secret_version(
        "app", mount_point="smoke", raise_on_deleted_version=True
    )["data"]["data"]
    with pytest.raises(hvac.exceptions.Forbidden):
        child.secrets.kv.v2.create_or_update_secret("app", {"pw": "x"}, mount_point="smoke")

    client.sys.create_or_update_policy("smoke-read", 'path "other/*" { capabilities = ["read"] }')
    with pytest.raises(hvac.exceptions.Forbidden):
        child.secrets.kv.v2.read_secret_version(
            "app", mount_point="smoke", raise_on_deleted_version=True
        )

    client.auth.token.revoke(child_token)
    with pytest.raises(hvac.exceptions.Forbidden):
        child.auth.token.lookup_self()
