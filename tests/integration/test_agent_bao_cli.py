"""The real OpenBao CLI (``bao``) manages registrations and profiles on our server."""

from __future__ import annotations

import json
import os
import subprocess
import uuid

import pytest

from tests.agent.support import http_sender, make_key, ok
from tests.support.processes import ServerProcess, bao_binary


@pytest.fixture
def bao(vab_server: ServerProcess):
    """Run ``bao`` against the session server; returns (exit code, stdout, stderr)."""
    binary = bao_binary()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_"))} | {
        "BAO_ADDR": vab_server.url,
        "BAO_TOKEN": vab_server.root_token,
        "VAULT_ADDR": vab_server.url,
        "VAULT_TOKEN": vab_server.root_token,
        "HOME": os.environ.get("HOME", "/tmp"),
    }

    def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
        proc = subprocess.run(
            [binary, *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
        return proc.returncode, proc.stdout, proc.stderr

    return run


def _json(result: tuple[int, str, str]) -> dict:
    code, out, err = result
    assert code == 0, (code, out, err)
    return json.loads(out)


def test_bao_registers_reads_lists_and_deletes_agents(vab_server, bao) -> None:
    send = http_sender(vab_server.url)
    tag = uuid.uuid4().hex[:6]
    entity = ok(send("POST", "identity/entity", {"name": f"cli-agent-{tag}"}))["data"]["id"]
    written = _json(
        bao(
            "write",
            "-format=json",
            "agent-registry/register",
            f"display_name=cli-{tag}",
            f"entity_id={entity}",
            "description=made by bao",
            "ceiling_policies=ceil-a,ceil-b",
        )
    )
    reg_id = written["data"]["id"]
    assert written["data"]["display_name"] == f"cli-{tag}"
    read = _json(bao("read", "-format=json", f"agent-registry/registration/id/{reg_id}"))["data"]
    assert read["entity_id"] == entity and read["description"] == "made by bao"
    assert read["ceiling_policies"] == ["ceil-a", "ceil-b", "default", "default-ceiling"]
    by_name = _json(
        bao("read", "-format=json", f"agent-registry/registration/display-name/cli-{tag}")
    )
    assert by_name["data"]["id"] == reg_id
    listed = _json(bao("list", "-format=json", "agent-registry/registration/id"))
    assert reg_id in listed
    listed = _json(bao("list", "-format=json", "agent-registry/registration/display-name"))
    assert f"cli-{tag}" in listed
    code, out, err = bao("read", f"agent-registry/registration/entity-id/{entity}")
    assert code == 0 and reg_id in out
    code, out, err = bao("write", f"agent-registry/registration/id/{reg_id}", "owner=team-x")
    assert code == 0, err
    assert (
        _json(bao("read", "-format=json", f"agent-registry/registration/id/{reg_id}"))["data"][
            "owner"
        ]
        == "team-x"
    )
    code, out, err = bao("delete", f"agent-registry/registration/id/{reg_id}")
    assert code == 0, err
    code, out, err = bao("read", f"agent-registry/registration/id/{reg_id}")
    assert code == 2 and "No value found" in (out + err)


def test_bao_manages_oauth_resource_server_profiles(bao) -> None:
    tag = uuid.uuid4().hex[:6]
    key = make_key("ES256")
    profile = {
        "issuer_id": f"https://cli-{tag}.example",
        "use_jwks": False,
        "public_keys": [{"key_id": "k1", "pem": key.public_pem}],
        "audiences": ["vault"],
    }
    code, out, err = bao(
        "write", f"sys/config/oauth-resource-server/cli-{tag}", "-", stdin=json.dumps(profile)
    )
    assert code == 0, err
    read = _json(bao("read", "-format=json", f"sys/config/oauth-resource-server/cli-{tag}"))["data"]
    assert read["issuer_id"] == f"https://cli-{tag}.example" and read["use_jwks"] is False
    by_id = _json(
        bao("read", "-format=json", f"sys/config/oauth-resource-server/id/{read['config_id']}")
    )
    assert by_id["data"]["profile_name"] == f"cli-{tag}"
    # k=v arguments update only the given fields; warnings are printed.
    code, out, err = bao(
        "write", f"sys/config/oauth-resource-server/cli-{tag}", "supported_algorithms=ES256",
        "clock_skew_leeway=30",
    )  # fmt: skip
    assert code == 0 and "only one algorithm family" in (out + err)
    read = _json(bao("read", "-format=json", f"sys/config/oauth-resource-server/cli-{tag}"))["data"]
    assert read["clock_skew_leeway"] == 30 and read["supported_algorithms"] == ["ES256"]
    assert read["public_keys"][0]["key_id"] == "k1"
    assert f"cli-{tag}" in _json(bao("list", "-format=json", "sys/config/oauth-resource-server"))
    code, out, err = bao("write", "-f", "sys/activation-flags/oauth-resource-server/activate")
    assert code == 0, err
    code, out, err = bao("delete", f"sys/config/oauth-resource-server/cli-{tag}")
    assert code == 0, err
    code, out, err = bao("read", f"sys/config/oauth-resource-server/cli-{tag}")
    assert code == 2
