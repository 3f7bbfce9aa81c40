"""``vab audit verify`` with the key given locally (``-key-file``, ``VAB_AUDIT_CHAIN_KEY``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import vab_client.cli.commands  # noqa: F401 - registers the commands
from vab_client.cli import normalize_args, run

from tests.audit.conftest import Server


def vab(*args: str) -> int:
    return run(normalize_args(list(args)))


@pytest.fixture
def audited(server: Server, tmp_path: Path) -> tuple[Path, Path, dict]:
    """An audit file with some traffic, and the chain-key JSON saved to a file."""
    path = server.enable("file")
    for index in range(5):
        server.call("PUT", f"secret/data/k{index}", {"data": {"v": str(index)}})
    info = server.call("GET", "sys/audit/file/chain-key").body
    key_file = tmp_path / "chain.json"
    key_file.write_text(json.dumps(info))
    return path, key_file, info["data"]


def test_key_file_with_head(audited, capsys) -> None:
    path, key_file, _ = audited
    assert vab("audit", "verify", f"-key-file={key_file}", str(path)) == 0
    assert "Success!" in capsys.readouterr().out
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:-3]))
    assert vab("audit", "verify", f"-key-file={key_file}", str(path)) == 3
    err = capsys.readouterr().err
    assert f"line {len(lines) - 2}:" in err and "cut off the end" in err
    assert vab("audit", "verify", "-no-head", f"-key-file={key_file}", str(path)) == 0


def test_key_in_the_environment(audited, capsys, monkeypatch) -> None:
    path, _, info = audited
    monkeypatch.setenv("VAB_AUDIT_CHAIN_KEY", info["key"])
    assert vab("audit", "verify", str(path)) == 0
    assert "tail not checked" in capsys.readouterr().out
    lines = path.read_bytes().splitlines(keepends=True)
    lines[3] = lines[3].replace(b'"type":"', b'"type":"x')
    path.write_bytes(b"".join(lines))
    assert vab("audit", "verify", "-format=json", str(path)) == 3
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False and report["failed_line"] == 4 and report["problem"] == "edited"


def test_wrong_key_and_usage_errors(audited, capsys, monkeypatch, tmp_path: Path) -> None:
    path, _, _ = audited
    monkeypatch.setenv("VAB_AUDIT_CHAIN_KEY", "ab" * 32)
    assert vab("audit", "verify", str(path)) == 3
    assert "line 1:" in capsys.readouterr().err
    monkeypatch.setenv("VAB_AUDIT_CHAIN_KEY", "not-hex")
    assert vab("audit", "verify", str(path)) == 1
    assert vab("audit", "verify", str(tmp_path / "missing.log")) == 1
    assert vab("audit", "verify") == 1
    assert "Not enough arguments" in capsys.readouterr().err


def save_chain(server: Server, key_file: Path) -> None:
    key_file.write_text(json.dumps(server.call("GET", "sys/audit/file/chain-key").body))


def test_a_rotated_file_needs_rotated(server: Server, audited, capsys) -> None:
    path, key_file, _ = audited
    old = path.with_name(path.name + ".1")
    path.rename(old)  # as logrotate does
    server.call("PUT", "secret/data/after", {"data": {"v": "1"}})
    save_chain(server, key_file)
    assert vab("audit", "verify", f"-key-file={key_file}", str(path)) == 3
    err = capsys.readouterr().err
    assert "line 1:" in err and "-rotated" in err and "are not in this file" in err
    assert vab("audit", "verify", "-rotated", f"-key-file={key_file}", str(path)) == 0
    out = capsys.readouterr().out
    assert "Success!" in out and "a rotated file" in out
    as_json = ("-rotated", "-format=json", f"-key-file={key_file}")
    assert vab("audit", "verify", *as_json, str(path)) == 0
    assert json.loads(capsys.readouterr().out)["rotated"] is True
    assert vab("audit", "verify", f"-key-file={key_file}", str(old)) == 0  # begins at seq 1


def test_a_file_emptied_in_place_fails_even_as_rotated(server: Server, audited, capsys) -> None:
    path, key_file, _ = audited
    path.write_bytes(b"")  # `: > audit.log`
    server.call("PUT", "secret/data/after", {"data": {"v": "1"}})
    save_chain(server, key_file)
    for extra in ((), ("-rotated",), ("-no-head",), ("-rotated", "-no-head")):
        assert vab("audit", "verify", *extra, f"-key-file={key_file}", str(path)) == 3, extra
        err = capsys.readouterr().err
        assert "line 1:" in err and "the lines before it were removed" in err
