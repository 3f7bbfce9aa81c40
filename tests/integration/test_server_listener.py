"""The listener of ``vab server``: a busy port fails at once, as ``bao server`` does (no
banner, ``~/.vault-token`` untouched); half-sent requests cannot hold every thread (Vault's
``http_read_header_timeout``/``http_read_timeout``); malformed HTTP gets a plain-text 400."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.ports import LOOPBACK
from tests.support.processes import REPO_ROOT, start_vab_dev

pytestmark = pytest.mark.integration

BUSY = (
    "Error initializing listener of type tcp: "
    "listen tcp 127.0.0.1:{port}: bind: address already in use"
)


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_"))}
    env["HOME"] = str(home)
    return env


def _vab(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vault_agent_backend", "server", *args],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_second_dev_server_on_a_busy_port_fails_at_once(tmp_path: Path) -> None:
    token_file = tmp_path / ".vault-token"
    token_file.write_text("someone-else")
    with start_vab_dev() as first:
        result = _vab(
            "-dev",
            "-dev-root-token-id=second-root",
            f"-dev-listen-address={LOOPBACK}:{first.port}",
            env=_env(tmp_path),
        )
        assert result.returncode == 1, result
        assert BUSY.format(port=first.port) in result.stderr
        assert "Root Token" not in result.stdout + result.stderr
        assert "second-root" not in result.stdout + result.stderr
        assert token_file.read_text() == "someone-else"
        assert first.running


def test_config_server_on_a_busy_port_fails_at_once(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind((LOOPBACK, 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        config = tmp_path / "server.hcl"
        config.write_text(
            'storage "inmem" {}\n'
            f'listener "tcp" {{\n  address = "{LOOPBACK}:{port}"\n  tls_disable = true\n}}\n'
        )
        result = _vab(f"-config={config}", env=_env(tmp_path))
    assert result.returncode == 1, result
    assert BUSY.format(port=port) in result.stderr
    assert "server started" not in result.stdout
