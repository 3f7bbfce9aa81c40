"""The end-to-end examples (examples/agent_delegation.py and its command-line twin
examples/agent_delegation.sh) run against ``vab server -dev`` with only the commands of
examples/README.md, and their output shows each step."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.support.processes import REPO_ROOT, ServerProcess

EXAMPLE = REPO_ROOT / "examples" / "agent_delegation.py"
SHELL_EXAMPLE = REPO_ROOT / "examples" / "agent_delegation.sh"


def example_env(server: ServerProcess) -> dict[str, str]:
    """What examples/README.md sets: VAULT_ADDR and the root token (and our venv's `vab`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_"))}
    env.update(VAULT_ADDR=server.url, VAULT_TOKEN=server.root_token)
    env["PATH"] = f"{os.path.dirname(sys.executable)}{os.pathsep}{env.get('PATH', '')}"
    return env


def run_example(server: ServerProcess) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLE)],
        env=example_env(server),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_example_runs_and_shows_each_step(vab_server: ServerProcess) -> None:
    result = run_example(vab_server)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    expected = [
        "[1] operator:",
        "[2] alice logs in with userpass and delegates to the agent",
        "purpose 'monthly invoice run'",
        "[3] agent: a token for one transaction",
        "read app-",
        "postgres://app:s3cret@db/app",
        "[4] agent: the next secret",
        "refused (403): RAR_NO_MATCH",
        "explain: denied by the authorization_details layer",
        "[5] alice revokes the delegation",
        "status now: revoked",
        "[6] agent:",
        "refused (403): DELEGATION_ENDED",
        "a new token is refused too: invalid_grant",
        "Done:",
    ]
    position = 0
    for text in expected:
        found = out.find(text, position)
        assert found >= 0, f"{text!r} missing (in order) from:\n{out}"
        position = found
    assert "UNEXPECTED" not in out


def test_example_can_run_twice_on_one_server(vab_server: ServerProcess) -> None:
    result = run_example(vab_server)
    assert result.returncode == 0, result.stdout + result.stderr


def test_command_line_example_runs_each_step(vab_server: ServerProcess) -> None:
    for _ in range(2):  # it can run again on the same server
        result = subprocess.run(
            ["bash", str(SHELL_EXAMPLE)],
            env=example_env(vab_server),
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        out, err = result.stdout, result.stderr
        assert "password: db-s3cret" in out
        assert "authorization_details=deny" in out
        assert "RAR_NO_MATCH" in err and "DELEGATION_ENDED" in err
        assert "UNEXPECTED" not in out and out.rstrip().endswith("Done.")
