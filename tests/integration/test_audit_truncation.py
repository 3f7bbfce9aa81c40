"""A real dev server and the real ``vab`` binary: an audit file emptied in place (``: > file``,
the same inode) is not a rotation -- the server continues the chain in it and ``vab audit
verify`` fails at line 1, with or without ``-rotated``; a file rotated away (renamed, a new file
started) verifies only with ``-rotated``, and the renamed file still verifies on its own."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.agent.support import http_sender
from tests.cli.runner import vab_binary
from tests.support.processes import ServerProcess, start_vab_dev


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    """A fresh dev server for this module (audit devices affect every request)."""
    srv = start_vab_dev(startup_timeout=120)
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def device(server: ServerProcess, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A new file device with a few requests recorded; disabled afterwards."""
    name = f"t{uuid.uuid4().hex[:8]}"
    path = tmp_path / f"{name}.log"
    send = http_sender(server.url)
    status, body, _ = send(
        "PUT", f"sys/audit/{name}", {"type": "file", "options": {"file_path": str(path)}}
    )
    assert status == 204, body
    for index in range(4):
        request(server, f"{name}-{index}")
    try:
        yield name, path
    finally:
        send("DELETE", f"sys/audit/{name}")


def request(server: ServerProcess, key: str) -> None:
    status, body, _ = http_sender(server.url)("PUT", f"secret/data/{key}", {"data": {"v": "1"}})
    assert status == 200, body


def vab_verify(server: ServerProcess, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_"))}
    env.update(VAULT_ADDR=server.url, VAULT_TOKEN=server.root_token, HOME=str(Path.home()))
    return subprocess.run(
        [vab_binary(), "audit", "verify", *args],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip


def chains(path: Path) -> list[dict]:
    return [json.loads(line)["chain"] for line in path.read_text().splitlines()]


def test_a_file_emptied_in_place_fails_verification(server, device) -> None:
    name, path = device
    last_seq = chains(path)[-1]["seq"]
    inode = path.stat().st_ino
    subprocess.run(["sh", "-c", ': > "$1"', "sh", str(path)], check=True)  # in place
    request(server, f"{name}-after")
    assert path.stat().st_ino == inode
    first = chains(path)[0]
    assert first["seq"] == last_seq + 1 and "prev" not in first  # the chain just goes on
    for extra in ((), ("-rotated",), (f"-path={name}",), ("-rotated", "-format=json")):
        done = vab_verify(server, *extra, str(path))
        assert done.returncode == 3, (extra, done.stdout, done.stderr)
        if "-format=json" in extra:
            report = json.loads(done.stdout)
            assert (report["failed_line"], report["problem"]) == (1, "missing")
        else:
            assert "Success!" not in done.stdout
            assert ": line 1: " in done.stderr and "were removed" in done.stderr, done.stderr


def test_a_rotated_file_verifies_when_said_to_be_rotated(server, device) -> None:
    name, path = device
    old = path.with_name(path.name + ".1")
    path.rename(old)  # as logrotate does; the server starts a new file on its next write
    request(server, f"{name}-after")
    assert chains(path)[0]["prev"] == chains(old)[-1]["hmac"]
    done = vab_verify(server, str(path))
    assert done.returncode == 3, (done.stdout, done.stderr)
    assert ": line 1: " in done.stderr and "-rotated" in done.stderr
    done = vab_verify(server, "-rotated", str(path))
    assert done.returncode == 0, done.stderr
    assert "Success!" in done.stdout and "a rotated file" in done.stdout
    assert "tail not checked" not in done.stdout  # checked against the server's chain head
    done = vab_verify(server, f"-path={name}", str(old))  # ends where the new file begins
    assert done.returncode == 0, done.stderr
