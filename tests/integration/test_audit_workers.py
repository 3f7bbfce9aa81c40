"""Two worker processes (``vab server -config``, ``workers = 2``, SQLite) writing one audit
file at once: whole lines only, one verifiable chain per device, every request twice."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.runner import vab_binary
from tests.support.config_server import VabConfigServer, sqlite_storage, start_vab_config

THREADS = 12
PER_THREAD = 15


@pytest.fixture
def node(tmp_path: Path) -> Iterator[VabConfigServer]:
    server = start_vab_config(
        sqlite_storage(tmp_path / "vab.db"), workers=2, config_dir=tmp_path, initialize=True
    )
    try:
        yield server
    finally:
        server.stop()


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def holds_open(pid: int, path: Path) -> bool:
    try:
        return any(
            os.readlink(f"/proc/{pid}/fd/{fd}") == str(path) for fd in os.listdir(f"/proc/{pid}/fd")
        )
    except OSError:
        return False


def verify(server: VabConfigServer, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_"))}
    env.update(VAULT_ADDR=server.url, VAULT_TOKEN=server.root_token)
    return subprocess.run(
        [vab_binary(), "audit", "verify", *args],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip


def test_two_workers_write_one_verifiable_chain_per_device(
    node: VabConfigServer, tmp_path: Path
) -> None:
    token = node.root_token
    files = {name: tmp_path / f"{name}.log" for name in ("primary", "secondary")}
    for name, path in files.items():
        status, body = node.request(
            "PUT", f"sys/audit/{name}", {"type": "file", "options": {"file_path": str(path)}}, token
        )
        assert status == 204, body
    status, _ = node.request(
        "POST", "sys/mounts/kv", {"type": "kv", "options": {"version": "2"}}, token
    )
    assert status == 204
    errors: list[str] = []

    def load(index: int) -> None:
        for n in range(PER_THREAD):
            status, body = node.request(
                "POST", f"kv/data/t{index}-{n}", {"data": {"v": f"value-{index}-{n}"}}, token
            )
            if status != 200:
                errors.append(f"{status} {body}")

    threads = [threading.Thread(target=load, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors[:3]

    workers = children(node.pid)
    assert len(workers) == 2, workers
    for path in files.values():
        assert all(holds_open(pid, path) for pid in workers), "both workers wrote the file"
        raw = path.read_bytes()
        assert raw.endswith(b"\n")
        entries = [json.loads(line) for line in raw.splitlines()]  # no torn or merged line
        seqs = [e["chain"]["seq"] for e in entries]
        assert seqs == list(range(1, len(entries) + 1))
        ids = Counter(
            e["request"]["id"] for e in entries if e["request"]["path"].startswith("kv/data/t")
        )
        assert len(ids) == THREADS * PER_THREAD and set(ids.values()) == {2}
    for name, path in files.items():
        done = verify(node, f"-path={name}", str(path))
        assert done.returncode == 0, done.stderr
        assert "Success!" in done.stdout
