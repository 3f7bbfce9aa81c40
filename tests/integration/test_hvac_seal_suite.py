"""hvac's own ``test_init.py`` and ``test_seal.py`` against a non-dev (sealed, Shamir) server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FILES = (
    "tests/integration_tests/api/system_backend/test_init.py",
    "tests/integration_tests/api/system_backend/test_seal.py",
)


def test_hvac_init_and_seal_tests_pass_against_a_config_server() -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "tests" / "hvac_suite" / "run.py"),
            "--files",
            *FILES,
            "--",
            "-p",
            "tests.support.hvac_config_target",
            "-q",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "4 passed" in output, output
