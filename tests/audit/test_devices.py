"""``sys/audit``, ``sys/audit/:path``, ``sys/audit-hash/:path`` and ``.../chain-key``:
answers and error messages as OpenBao gives them (checked against ``bao`` 2.x)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from vab_client.audit_chain import verify_lines

from tests.audit.conftest import Server, entries

FILE = {"type": "file"}


def test_enable_list_disable(server: Server) -> None:
    path = server.enable("file1")
    listed = server.call("GET", "sys/audit")
    assert listed.status == 200
    expected = {
        "description": "",
        "local": False,
        "options": {"file_path": str(path)},
        "path": "file1/",
        "type": "file",
    }
    assert listed.data == {"file1/": expected}
    assert listed.body["file1/"] == expected  # also at the top level, as Vault's sys reads
    first = entries(path)[0]
    assert first["request"]["path"] == "sys/audit/test"  # the probe entry, as Vault writes
    assert server.call("DELETE", "sys/audit/file1").status == 204
    assert server.call("GET", "sys/audit").data == {}
    assert server.call("DELETE", "sys/audit/file1").status == 204  # idempotent


def test_enable_with_every_option_and_the_path_alias(server: Server, tmp_path: Path) -> None:
    body = {
        "type": "file",
        "description": "primary",
        "local": True,
        "options": {
            "path": str(tmp_path / "alias.log"),
            "hmac_accessor": "false",
            "log_raw": "false",
            "elide_list_responses": "true",
            "prefix": "AUDIT ",
            "format": "json",
            "mode": "0640",
        },
    }
    assert server.call("PUT", "sys/audit/nested/dev", body).status == 204
    listed = server.call("GET", "sys/audit").data["nested/dev/"]
    assert listed["description"] == "primary" and listed["local"] is True
    assert listed["options"] == body["options"]
    assert (tmp_path / "alias.log").read_text().startswith("AUDIT {")
    assert oct(os.stat(tmp_path / "alias.log").st_mode & 0o777) == "0o640"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"type": "bogus"}, 'unknown backend type: "bogus"'),
        ({"options": {"file_path": "/tmp/x"}}, 'unknown backend type: ""'),
        ({"type": "file"}, "file_path is required"),
        (
            {"type": "file", "options": {"file_path": "/tmp/x", "log_raw": "nope"}},
            'strconv.ParseBool: parsing "nope": invalid syntax',
        ),
        (
            {"type": "file", "options": {"file_path": "/tmp/x", "hmac_accessor": ""}},
            'strconv.ParseBool: parsing "": invalid syntax',
        ),
        (
            {"type": "file", "options": {"file_path": "/tmp/x", "format": "jsonx"}},
            "jsonx formatting has been removed",
        ),
        (
            {"type": "file", "options": {"file_path": "/tmp/x", "format": "xml"}},
            'unknown format type "xml"',
        ),
        (
            {"type": "file", "options": {"file_path": "/tmp/x", "mode": "xyz"}},
            'strconv.ParseUint: parsing "xyz": invalid syntax',
        ),
        (
            {"type": "file", "options": {"file_path": "/proc/nope/x.log"}},
            'sanity check failed; unable to open "/proc/nope/x.log" for writing',
        ),
        (
            {"type": "file", "options": {"file_path": "/dev/full"}},
            "audit backend failed test message",
        ),
    ],
)
def test_enable_errors(server: Server, body: dict, error: str) -> None:
    reply = server.call("PUT", "sys/audit/bad", body)
    assert reply.status == 400, reply
    assert error in reply.errors[0]
    assert server.call("GET", "sys/audit").data == {}


def test_enable_refuses_a_used_path_or_file(server: Server, tmp_path: Path) -> None:
    path = server.enable("one")
    again = server.call("PUT", "sys/audit/one", {**FILE, "options": {"file_path": "/tmp/y"}})
    assert (again.status, again.errors) == (400, ["path already in use"])
    same_file = server.call("PUT", "sys/audit/two", {**FILE, "options": {"file_path": str(path)}})
    assert same_file.status == 400 and "already used by audit device" in same_file.errors[0]
    directory = tmp_path / "adir"
    directory.mkdir()
    reply = server.call(
        "PUT", "sys/audit/three", {**FILE, "options": {"file_path": str(directory)}}
    )
    assert reply.status == 400 and "is a directory" in reply.errors[0]


def test_list_operation_and_read_of_one_device(server: Server) -> None:
    server.enable("file1")
    assert server.call("LIST", "sys/audit").status == 404
    reply = server.call("GET", "sys/audit/file1")
    assert reply.status == 405 and "unsupported operation" in reply.errors[0]
    assert server.call("PUT", "sys/audit/file1/", {**FILE}).status == 400


def test_audit_hash(server: Server) -> None:
    server.enable("file1")
    reply = server.call("PUT", "sys/audit-hash/file1", {"input": "hvac-rox"})
    assert reply.status == 200
    assert reply.data["hash"].startswith("hmac-sha256:") and len(reply.data["hash"]) == 76
    assert reply.body["hash"] == reply.data["hash"]
    again = server.call("PUT", "sys/audit-hash/file1", {"input": "hvac-rox"})
    assert again.data["hash"] == reply.data["hash"]
    missing = server.call("PUT", "sys/audit-hash/nonexist", {"input": "x"})
    assert (missing.status, missing.errors) == (400, ['unknown audit backend "nonexist/"'])
    empty = server.call("PUT", "sys/audit-hash/file1", {"input": ""})
    assert (empty.status, empty.errors) == (400, ['the "input" parameter is empty'])
    assert server.call("GET", "sys/audit-hash/file1").status == 405


def test_each_device_has_its_own_salt(server: Server) -> None:
    server.enable("a")
    server.enable("b")
    one = server.call("PUT", "sys/audit-hash/a", {"input": "x"}).data["hash"]
    two = server.call("PUT", "sys/audit-hash/b", {"input": "x"}).data["hash"]
    assert one != two


def test_sys_audit_needs_sudo(server: Server) -> None:
    server.call(
        "PUT",
        "sys/policies/acl/ops",
        {"policy": 'path "sys/audit*" { capabilities = ["read", "update", "delete"] }'},
    )
    token = server.call("POST", "auth/token/create", {"policies": ["ops"]}).body["auth"]
    plain = token["client_token"]
    for method, path, body in (
        ("GET", "sys/audit", None),
        ("PUT", "sys/audit/x", {**FILE, "options": {"file_path": "stdout"}}),
        ("DELETE", "sys/audit/x", None),
        ("GET", "sys/audit/x/chain-key", None),
    ):
        assert server.call(method, path, body, token=plain).status == 403, path
    # sys/audit-hash is not root-protected: update is enough
    server.enable("file1")
    assert server.call("PUT", "sys/audit-hash/file1", {"input": "x"}, token=plain).status == 200


def test_chain_key(server: Server) -> None:
    path = server.enable("file1")
    reply = server.call("GET", "sys/audit/file1/chain-key")
    assert reply.status == 200
    data = reply.data
    assert data["path"] == "file1/" and data["file_path"] == str(path)
    assert data["algorithm"] == "hmac-sha256" and len(bytes.fromhex(data["key"])) == 32
    assert data["head"]["seq"] >= 2 and data["head"]["segment_seq"] == 1
    assert server.call("PUT", "sys/audit/file1/chain-key", {**FILE}).status == 405
    unknown = server.call("GET", "sys/audit/nope/chain-key")
    assert unknown.status == 400 and unknown.errors == ['unknown audit backend "nope/"']
    assert data["key"] not in path.read_text()


def test_the_table_survives_a_reload(server: Server) -> None:
    path = server.enable("file1")
    server.core.bump_generation()  # as when another worker changed state
    server.call("GET", "sys/audit")
    assert list(server.call("GET", "sys/audit").data) == ["file1/"]
    server.core.before_seal()
    server.core.after_unseal()
    assert server.call("GET", "sys/audit").status == 200
    assert len(entries(path)) >= 6


def test_stdout_and_discard_devices(server: Server, capfd) -> None:
    capfd.readouterr()
    server.call("PUT", "sys/audit/out", {**FILE, "options": {"file_path": "stdout"}})
    server.call("PUT", "sys/audit/nowhere", {**FILE, "options": {"file_path": "discard"}})
    reply = server.call("GET", "sys/mounts")
    assert reply.status == 200
    written = capfd.readouterr().out.encode()
    lines = written.splitlines(keepends=True)
    assert any(reply.body["request_id"].encode() in line for line in lines)
    info = server.call("GET", "sys/audit/out/chain-key").data
    assert verify_lines(lines, bytes.fromhex(info["key"])).ok
    assert server.call("GET", "sys/audit/nowhere/chain-key").data["head"]["seq"] == 0
    assert sorted(server.call("GET", "sys/audit").data) == ["nowhere/", "out/"]
