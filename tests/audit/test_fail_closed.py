"""Fail closed: a request no device can record is refused (500) and changes nothing; one
device that works is enough. A failed write leaves no partial line behind."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from vab_client.audit_chain import verify_lines

from tests.audit.conftest import Server, entries
from vault_agent_backend.audit.chain import ChainStore
from vault_agent_backend.audit.sink import DeviceClosed
from vault_agent_backend.framework.request import Operation, Request


def chain_ok(server: Server, device: str, path: Path, rotated: bool = False) -> bool:
    info = server.call("GET", f"sys/audit/{device}/chain-key").data
    key = bytes.fromhex(info["key"])
    from vab_client.audit_chain import ChainHead

    head = ChainHead(**info["head"])
    with path.open("rb") as handle:
        result = verify_lines(handle, key, head, rotated=rotated)
    return result.ok


def break_file(path: Path, how: str) -> None:
    path.rename(path.with_name(path.name + ".old"))  # moved away (its lines are kept)
    if how == "directory":
        path.mkdir()
    else:
        path.symlink_to("/dev/full")  # every write fails with ENOSPC (disk full)


def repair(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    else:
        shutil.rmtree(path)


@pytest.mark.parametrize("how", ["directory", "disk-full"])
def test_unwritable_audit_file_refuses_requests_and_applies_nothing(
    server: Server, how: str
) -> None:
    path = server.enable("file")
    break_file(path, how)
    write = server.call("PUT", "secret/data/app", {"data": {"v": "1"}})
    assert (write.status, write.errors) == (500, ["internal error"])
    policy = server.call(
        "PUT", "sys/policies/acl/p", {"policy": 'path "a" {capabilities=["read"]}'}
    )
    assert policy.status == 500
    bad_token = server.call("GET", "secret/data/app", token="nope")
    assert bad_token.status == 500  # not even the refusal is answered unrecorded
    repair(path)
    assert server.call("GET", "secret/data/app").status == 404  # the write was never applied
    assert server.call("GET", "sys/policies/acl/p").status == 404
    assert server.call("PUT", "secret/data/app", {"data": {"v": "1"}}).status == 200
    assert entries(path)[0]["chain"]["prev"]  # the new file starts a segment of the chain
    assert chain_ok(server, "file", path, rotated=True)
    assert chain_ok(server, "file", path.with_name(path.name + ".old"))


def test_one_working_device_is_enough(server: Server) -> None:
    broken = server.enable("broken")
    good = server.enable("good")
    break_file(broken, "directory")
    reply = server.call("PUT", "secret/data/app", {"data": {"v": "1"}})
    assert reply.status == 200
    assert any(e["request"]["id"] == reply.body["request_id"] for e in entries(good))
    assert chain_ok(server, "good", good)


def test_a_failed_head_update_leaves_no_line(server: Server, monkeypatch) -> None:
    path = server.enable("file")
    size = path.stat().st_size

    def fail(self, state):
        raise OSError("storage unavailable")

    monkeypatch.setattr(ChainStore, "save", fail)
    reply = server.call("PUT", "secret/data/app", {"data": {"v": "1"}})
    assert reply.status == 500
    assert path.stat().st_size == size  # the line was cut back off
    monkeypatch.undo()
    assert server.call("GET", "secret/data/app").status == 404
    assert chain_ok(server, "file", path)


def test_a_failed_response_entry_answers_500_after_the_change(server: Server, monkeypatch) -> None:
    """As Vault: the handler already ran; the client is told the request failed."""
    path = server.enable("file")
    broker = server.core.hooks["audit"]
    original = broker.log_response

    def fail(request, response, error=None):
        path.unlink()
        path.mkdir()
        try:
            original(request, response, error)
        finally:
            path.rmdir()

    monkeypatch.setattr(broker, "log_response", fail)
    assert server.call("PUT", "secret/data/app", {"data": {"v": "1"}}).status == 500
    monkeypatch.undo()
    assert server.call("GET", "secret/data/app").status == 200


def test_enable_fails_when_the_probe_cannot_be_written(server: Server, tmp_path: Path) -> None:
    target = tmp_path / "full.log"
    target.symlink_to("/dev/full")
    reply = server.call(
        "PUT", "sys/audit/full", {"type": "file", "options": {"file_path": str(target)}}
    )
    assert reply.status == 400 and "audit backend failed test message" in reply.errors[0]
    assert server.call("GET", "sys/audit").data == {}
    assert server.call("PUT", "secret/data/app", {"data": {"v": "1"}}).status == 200
    assert os.path.islink(target)


def test_a_device_disabled_during_a_request_is_skipped(server: Server) -> None:
    server.enable("file")
    broker = server.core.hooks["audit"]
    stale = broker.devices()  # what a request in flight holds
    assert server.call("DELETE", "sys/audit/file").status == 204
    with pytest.raises(DeviceClosed):
        stale[0].write({"type": "request"})
    broker._devices = stale  # a request in flight still sees the old table
    broker.log_request(Request(Operation.READ, "sys/mounts"))  # neither written nor refused
    broker.invalidate()
    assert server.call("GET", "sys/audit").data == {}
