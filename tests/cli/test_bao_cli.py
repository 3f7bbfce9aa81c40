"""The real ``bao`` CLI works against our server as it does against OpenBao.

``test_bao_cli_works`` plays every scenario with ``bao`` against each server (expected exit
codes and key output); ``test_bao_output_same_on_both_servers`` plays it against OpenBao
and against our server and compares the normalized output step by step (scenarios limited
to one server, ``Scenario.servers``, only run where they can).
"""

from __future__ import annotations

from pathlib import Path

import hvac
import pytest

from tests.support.processes import ServerProcess

from .runner import Runner, assert_same_output, bao_binary, play
from .scenarios import BY_NAME

ACROSS = sorted(
    name
    for name, scenario in BY_NAME.items()
    if scenario.across_servers and set(scenario.servers) >= {"openbao", "vab"}
)


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_bao_cli_works(name: str, bao: Runner, root_client: hvac.Client, uid: str) -> None:
    play(BY_NAME[name], bao, root_client, "x" + uid)


def _client(server: ServerProcess) -> hvac.Client:
    return hvac.Client(url=server.url, token=server.root_token, timeout=30)


@pytest.mark.parametrize("name", ACROSS)
def test_bao_output_same_on_both_servers(
    name: str, openbao: ServerProcess, vab_server: ServerProcess, tmp_path: Path, uid: str
) -> None:
    scenario = BY_NAME[name]
    binary = bao_binary()
    reference = play(
        scenario, Runner(binary, openbao, tmp_path / "openbao"), _client(openbao), "x" + uid
    )
    candidate = play(
        scenario, Runner(binary, vab_server, tmp_path / "vab"), _client(vab_server), "x" + uid
    )
    assert_same_output(scenario, reference, candidate, across_servers=True)
