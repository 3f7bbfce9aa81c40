"""``vab server -dev`` saves its root token in the CLI's token helper, as ``vault server -dev``
does, so ``vab`` and ``bao`` work without ``VAULT_TOKEN``; ``-dev-no-store-token`` opts out."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from tests.cli.runner import vab_binary
from tests.support.processes import start_vab_dev

pytestmark = pytest.mark.integration


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_"))}
    env["HOME"] = str(home)
    return env


def test_dev_server_stores_the_root_token_for_the_cli(tmp_path: Path) -> None:
    env = _env(tmp_path)
    with start_vab_dev(env=env, root_token="dev-root-xyz", store_token=True) as server:
        token_file = tmp_path / ".vault-token"
        assert token_file.read_text() == "dev-root-xyz"
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        # The CLI, with no VAULT_TOKEN, is authenticated as root.
        result = subprocess.run(
            [vab_binary(), "token", "lookup", "-format=json"],
            env={**env, "VAULT_ADDR": server.url},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert '"root"' in result.stdout


def test_no_store_token_leaves_the_token_helper_alone(tmp_path: Path) -> None:
    (tmp_path / ".vault-token").write_text("someone-else")
    with start_vab_dev(env=_env(tmp_path), root_token="dev-root-abc"):
        assert (tmp_path / ".vault-token").read_text() == "someone-else"
