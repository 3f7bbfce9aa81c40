"""``sys/remount`` answers "Progress will be reported in Vault's server log, tagged with the
returned migration_id": the server log has the move's start and end (or failure) at INFO,
with the migration_id, in Vault's words."""

from __future__ import annotations

import logging
import re

import hvac
import pytest

from tests.conftest import ServerFactory
from tests.support.config_server import start_vab_config
from tests.support.inprocess import Vab


def test_remount_progress_is_in_the_server_log(vab_factory: ServerFactory) -> None:
    server = vab_factory(extra_args=["-log-level=info"])
    client = hvac.Client(url=server.url, token=server.root_token, timeout=30)
    client.sys.enable_secrets_engine("kv", path="move-src")
    moved = client.sys.move_backend("move-src", "move-dst")
    migration_id = moved["data"]["migration_id"]
    assert "server log" in moved["warnings"][0]
    fields = rf"from_path=move-src/ migration_id={re.escape(migration_id)} to_path=move-dst/"
    done = server.wait_for_output(
        rf"^.*\[INFO\].*Completed mount move operations: {fields}$", timeout=20
    )
    assert done, server.output()
    log = server.output()
    started = re.search(rf"\[INFO\].*Starting to update the mount table: {fields}", log)
    assert started and started.start() < done.start(), log
    for line in log.splitlines():
        if migration_id in line:
            assert server.root_token not in line


def test_the_config_files_log_level_applies_without_the_flag() -> None:
    """``log_level = "info"`` in the config file shows INFO lines (the flag's absence must not
    force another level)."""
    server = start_vab_config(
        'storage "inmem" {}', workers=1, extra_hcl='log_level = "info"', initialize=True
    )
    try:
        client = hvac.Client(url=server.url, token=server.root_token, timeout=30)
        client.sys.enable_secrets_engine("kv", path="cfg-src")
        moved = client.sys.move_backend("cfg-src", "cfg-dst")
        migration_id = re.escape(moved["data"]["migration_id"])
        done = server.wait_for_output(
            rf"\[INFO\].*Completed mount move operations: .*migration_id={migration_id}",
            timeout=20,
        )
        assert done, server.output()
    finally:
        server.stop()


def test_remount_failure_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    vab = Vab()
    assert vab.post("sys/mounts/fail-src", {"type": "kv"}).status == 204

    def broken(*_args: object) -> None:
        raise RuntimeError("storage went away")

    vab.core.remount = broken  # type: ignore[method-assign]
    with caplog.at_level(logging.INFO, logger="vault_agent_backend"):
        reply = vab.post("sys/remount", {"from": "fail-src", "to": "fail-dst"})
    assert reply.status == 500
    records = [r for r in caplog.records if "mount" in r.getMessage()]
    assert [r.levelname for r in records[:2]] == ["INFO", "ERROR"], records
    failed = records[1].getMessage()
    assert failed.startswith("Unable to complete mount move operations: from_path=fail-src/ ")
    assert "to_path=fail-dst/" in failed and "storage went away" in failed
    migration_id = re.search(r"migration_id=(\S+)", failed)
    assert migration_id and migration_id.group(1) in records[0].getMessage()
    assert not any("Completed mount move" in r.getMessage() for r in records)
