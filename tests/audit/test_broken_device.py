"""A device in the table that cannot be loaded (its salt or chain key gone from storage, its
options unreadable) is not dropped: it stays listed, fails every write -- so requests are
refused unless another device records them -- and can be disabled like any other."""

from __future__ import annotations

import importlib
import json
import logging

import pytest

from tests.audit.conftest import Server, by_request
from vault_agent_backend.audit.broker import TABLE_KEY
from vault_agent_backend.audit.chain import device_keys

broker_module = importlib.import_module("vault_agent_backend.audit.broker")


def device_uuid(server: Server, name: str) -> str:
    rows = json.loads(server.core.storage.get(TABLE_KEY))
    return next(row["uuid"] for row in rows if row["path"] == f"{name}/")


def reload(server: Server) -> None:
    """What a restart, or another process changing the table, does: the table is read again."""
    server.core.bump_generation()


def test_a_device_that_cannot_be_loaded_refuses_requests(server: Server, caplog) -> None:
    server.enable("file")
    assert server.call("PUT", "secret/data/app", {"data": {"v": "1"}}).status == 200
    salt_key, _ = device_keys(device_uuid(server, "file"))
    salt = server.core.storage.get(salt_key)
    server.core.storage.delete(salt_key)
    reload(server)
    with caplog.at_level(logging.ERROR, logger="vault_agent_backend.audit"):
        write = server.call("PUT", "secret/data/app", {"data": {"v": "2"}})
        assert (write.status, write.errors) == (500, ["internal error"])
        assert server.call("GET", "secret/data/app").status == 500
        assert server.call("GET", "sys/audit").status == 500  # not even that, unrecorded
    assert "cannot load audit device file/" in caplog.text
    broker = server.core.hooks["audit"]
    listed = broker.list_api()
    assert list(listed) == ["file/"] and listed["file/"]["type"] == "file"  # still there
    assert "no salt or chain key" in broker.find("file").error
    server.core.storage.put(salt_key, salt)  # restored from a backup
    reload(server)
    read = server.call("GET", "secret/data/app")
    assert read.status == 200 and read.data["data"] == {"v": "1"}  # the refused write: never


def test_a_working_second_device_records_and_the_broken_one_can_be_disabled(
    server: Server,
) -> None:
    server.enable("broken")
    good = server.enable("good")
    broken_uuid = device_uuid(server, "broken")
    _, chain_key = device_keys(broken_uuid)
    server.core.storage.delete(chain_key)
    reload(server)
    reply = server.call("PUT", "secret/data/app", {"data": {"v": "1"}})
    assert reply.status == 200
    assert len(by_request(good, reply.body["request_id"])) == 2
    listed = server.call("GET", "sys/audit")
    assert listed.status == 200 and set(listed.data) == {"broken/", "good/"}
    assert listed.data["broken/"]["options"]["file_path"].endswith("broken.log")
    hashed = server.call("PUT", "sys/audit-hash/broken", {"input": "x"})
    assert hashed.status == 500 and "unavailable" in hashed.errors[0]
    assert server.call("GET", "sys/audit/broken/chain-key").status == 500
    assert server.call("DELETE", "sys/audit/broken").status == 204
    assert set(server.call("GET", "sys/audit").data) == {"good/"}
    assert server.core.storage.list(f"audit/{broken_uuid}/") == []


def test_unreadable_options_make_a_broken_device(server: Server) -> None:
    server.enable("file")
    rows = json.loads(server.core.storage.get(TABLE_KEY))
    rows[0]["options"]["format"] = "xml"  # not a format this server can write
    server.core.storage.put(TABLE_KEY, json.dumps(rows).encode())
    reload(server)
    assert server.call("PUT", "secret/data/app", {"data": {"v": "1"}}).status == 500
    assert list(server.core.hooks["audit"].list_api()) == ["file/"]


def test_a_broken_device_is_loaded_again_later(server: Server, monkeypatch, caplog) -> None:
    """A load that failed on a passing storage error recovers without any table change, and
    the failure is logged once, not on every request."""
    server.enable("file")
    salt_key, _ = device_keys(device_uuid(server, "file"))
    salt = server.core.storage.get(salt_key)
    server.core.storage.delete(salt_key)
    reload(server)
    with caplog.at_level(logging.ERROR, logger="vault_agent_backend.audit"):
        for _ in range(3):
            assert server.call("GET", "sys/mounts").status == 500
    assert caplog.text.count("cannot load audit device file/") == 1
    server.core.storage.put(salt_key, salt)
    assert server.call("GET", "sys/mounts").status == 500  # cached until the next attempt
    monkeypatch.setattr(broker_module, "RETRY_BROKEN", 0.0)
    reload(server)  # (only to apply the shorter delay at once)
    server.core.storage.delete(salt_key)
    assert server.call("GET", "sys/mounts").status == 500
    server.core.storage.put(salt_key, salt)
    assert server.call("GET", "sys/mounts").status == 200  # loaded again, no table change


@pytest.mark.parametrize("missing", ["salt", "chain-key"])
def test_a_request_refused_for_a_broken_device_changes_nothing(
    server: Server, missing: str
) -> None:
    server.enable("file")
    salt_key, chain_key = device_keys(device_uuid(server, "file"))
    key = salt_key if missing == "salt" else chain_key
    saved = server.core.storage.get(key)
    server.core.storage.delete(key)
    reload(server)
    policy = server.call(
        "PUT", "sys/policies/acl/p", {"policy": 'path "a" {capabilities=["read"]}'}
    )
    assert policy.status == 500
    server.core.storage.put(key, saved)
    reload(server)
    assert server.call("GET", "sys/policies/acl/p").status == 404
