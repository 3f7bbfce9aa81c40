"""``vab`` prints what the real ``bao`` CLI prints, on OpenBao and on our server.

Each scenario (see :mod:`tests.cli.scenarios`) is played twice against the same server,
once with ``bao`` and once with ``vab``, each with its own path prefix and HOME; stdout,
stderr and exit codes must be equal once run-specific values are normalized. A scenario
limited to some servers (``Scenario.servers``) is skipped on the others.
"""

from __future__ import annotations

import hvac
import pytest

from .runner import Runner, assert_same_output, play
from .scenarios import BY_NAME


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_vab_prints_what_bao_prints(
    name: str, bao: Runner, vab: Runner, root_client: hvac.Client, uid: str
) -> None:
    scenario = BY_NAME[name]
    reference = play(scenario, bao, root_client, "b" + uid)
    candidate = play(scenario, vab, root_client, "v" + uid)
    assert_same_output(scenario, reference, candidate)
