"""``vab agent register|list|show|suspend|delegate|revoke-delegation|token|explain`` as real
subprocesses against the dev server; exit codes as ``vault`` (0 ok, 1 local, 2 API)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from tests.agent_auth.support import new_key
from tests.client.conftest import Scene
from tests.support.processes import bao_binary


def _env(scene: Scene, token: str | None, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_", "VAB_"))}
    env.update(
        VAULT_ADDR=scene.url,
        VAULT_TOKEN=token or scene.server.root_token,
        HOME=str(home),
    )
    return env


def vab(
    scene: Scene, *args: str, token: str | None = None, home: Path, stdin: str | None = None
) -> subprocess.CompletedProcess:
    binary = Path(sys.executable).with_name("vab")
    return subprocess.run(
        [str(binary), *args],
        input=stdin,
        env=_env(scene, token, home),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_register_show_list_suspend(scene: Scene, tmp_path: Path) -> None:
    _, public = new_key("ES256")
    (tmp_path / "bot.pub").write_text(public)
    name = scene.world.name("cli")
    result = vab(
        scene,
        "agent",
        "register",
        f"-ceiling-policy={scene.ceiling}",
        "-public-key=@" + str(tmp_path / "bot.pub"),
        "-max-ttl=2m",
        "-metadata=model=m2",
        "-format=json",
        name,
        home=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    created = json.loads(result.stdout)
    assert created["display_name"] == name and created["entity_id"]
    shown = vab(scene, "agent", "show", "-format=json", name, home=tmp_path)
    record = json.loads(shown.stdout)
    assert record["max_ttl"] == 120 and record["metadata"] == {"model": "m2"}
    assert vab(scene, "agent", "show", "-field=id", name, home=tmp_path).stdout == created["id"]
    listed = vab(scene, "agent", "list", home=tmp_path)
    assert listed.returncode == 0 and name in listed.stdout and "Display Name" in listed.stdout
    assert vab(scene, "agent", "suspend", name, home=tmp_path).returncode == 0
    assert (
        json.loads(vab(scene, "agent", "show", "-format=json", name, home=tmp_path).stdout)[
            "status"
        ]
        == "suspended"
    )
    resumed = vab(scene, "agent", "suspend", "-resume", name, home=tmp_path)
    assert resumed.returncode == 0 and "active" in resumed.stdout
    missing = vab(scene, "agent", "show", "no-such-agent-xyz", home=tmp_path)
    assert missing.returncode == 2
    usage = vab(scene, "agent", "show", home=tmp_path)
    assert usage.returncode == 1


def test_delegate_token_explain_revoke(scene: Scene, tmp_path: Path) -> None:
    key_file = tmp_path / "bot.pem"
    key_file.write_bytes(
        scene.bot.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    app = scene.world.app
    made = vab(
        scene,
        "agent",
        "delegate",
        "-purpose=cli test",
        "-ttl=10m",
        "-field=delegation_id",
        scene.bot.name,
        f"secret/data/{app}/*:read",
        token=scene.human,
        home=tmp_path,
    )
    assert made.returncode == 0, made.stderr
    delegation_id = made.stdout.strip()
    issued = vab(
        scene,
        "agent",
        "token",
        f"-client-id={scene.bot.id}",
        f"-private-key={key_file}",
        f"-delegation={delegation_id}",
        "-field=access_token",
        f"secret/data/{app}/db:read",
        home=tmp_path,
    )
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()
    assert token.count(".") == 2
    read = vab(scene, "read", "-format=json", f"secret/data/{app}/db", token=token, home=tmp_path)
    assert read.returncode == 0, read.stderr
    assert json.loads(read.stdout)["data"]["data"]["value"] == "db-value"
    # The kv commands first ask sys/internal/ui/mounts/<path> which mount this is; an agent
    # token whose layers reach under secret/ is shown the mount (vab and the real bao CLI).
    for binary in (str(Path(sys.executable).with_name("vab")), bao_binary()):
        got = subprocess.run(
            [binary, "kv", "get", "-field=value", f"secret/{app}/db"],
            env=_env(scene, token, tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert (got.returncode, got.stdout) == (0, "db-value"), (binary, got.stderr)

    explained = vab(
        scene,
        "agent",
        "explain",
        f"-token={token}",
        f"read:secret/data/{app}/db",
        f"read:secret/data/{app}/payments",
        home=tmp_path,
    )
    assert explained.returncode == 0, explained.stderr
    lines = explained.stdout.splitlines()
    assert any("db" in line and "allowed" in line for line in lines)
    assert any("payments" in line and "authorization_details" in line for line in lines)

    refused = vab(
        scene,
        "agent",
        "token",
        f"-client-id={scene.bot.id}",
        f"-private-key={key_file}",
        f"-delegation={delegation_id}",
        f"secret/data/{app}/db:delete",
        home=tmp_path,
    )
    assert refused.returncode == 2 and "invalid_authorization_details" in refused.stderr

    revoked = vab(
        scene, "agent", "revoke-delegation", delegation_id, token=scene.human, home=tmp_path
    )
    assert revoked.returncode == 0, revoked.stderr
    after = vab(scene, "read", f"secret/data/{app}/db", token=token, home=tmp_path)
    assert after.returncode == 2 and "DELEGATION_ENDED" in after.stderr


def test_cli_input_errors_are_local(scene: Scene, tmp_path: Path) -> None:
    bad = vab(scene, "agent", "delegate", scene.bot.name, "no-capabilities", home=tmp_path)
    assert bad.returncode == 1 and "PATH:CAPABILITY" in bad.stderr
    nokey = vab(scene, "agent", "token", f"-client-id={scene.bot.id}", home=tmp_path)
    assert nokey.returncode == 1 and "credentials" in nokey.stderr
    root = vab(scene, "agent", "delegate", scene.bot.name, "secret/data/x:read", home=tmp_path)
    assert root.returncode == 2 and "root token cannot create a delegation" in root.stderr


def test_ids_cannot_walk_the_path(scene: Scene, tmp_path: Path) -> None:
    """`revoke-delegation ../../sys/policies/acl/NAME` must not delete that policy."""
    name = scene.world.name("victim")
    policy = 'path "x" { capabilities = ["read"] }'
    assert vab(scene, "policy", "write", name, "-", home=tmp_path, stdin=policy).returncode == 0
    walked = vab(
        scene, "agent", "revoke-delegation", f"../../../../sys/policies/acl/{name}", home=tmp_path
    )
    assert walked.returncode == 1 and "one path segment" in walked.stderr
    assert vab(scene, "agent", "show", "..", home=tmp_path).returncode == 1
    assert vab(scene, "policy", "read", name, home=tmp_path).returncode == 0
