"""``vab`` behaviour beyond output equality: token helper, environment, flags, help.

Server-bound tests run the installed ``vab`` binary against both servers (``server``
fixture); the rest check the command line in-process or without a server.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import click
import hvac
import pytest
import yaml

from tests.github.fake_github import FakeGitHub, FakeUser
from tests.support.ports import free_port
from tests.support.processes import ServerProcess

from .runner import Runner, bao_binary, normalize, vab_binary


def _userpass(client: hvac.Client, mount: str) -> None:
    client.sys.enable_auth_method("userpass", path=mount)
    client.write(f"auth/{mount}/users/alice", password="pw-alice", policies="default")


def test_login_saves_the_token_in_the_token_helper(
    vab: Runner, root_client: hvac.Client, uid: str
) -> None:
    mount = f"up-{uid}"
    _userpass(root_client, mount)
    no_env_token = {"VAULT_TOKEN": None}
    login = vab(
        "login", "-method=userpass", f"-path={mount}", "-field=token",
        "username=alice", "password=pw-alice", env=no_env_token,
    )  # fmt: skip
    assert login.code == 0, login
    token_file = vab.home / ".vault-token"
    assert token_file.read_text() == login.out
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    # later commands use the saved token when VAULT_TOKEN is not set
    lookup = vab("token", "lookup", "-field=id", env=no_env_token)
    assert (lookup.code, lookup.out) == (0, login.out), lookup
    policies = vab("token", "lookup", "-format=json", "-field=policies", env=no_env_token)
    assert json.loads(policies.out) == ["default"], policies
    # -no-store leaves the saved token alone and says so
    again = vab(
        "login", "-no-store", "-method=userpass", f"-path={mount}",
        "username=alice", "password=pw-alice", env=no_env_token,
    )  # fmt: skip
    assert again.code == 0, again
    assert "The token was not stored in token helper" in again.err
    assert token_file.read_text() == login.out
    # a VAULT_TOKEN in the environment wins over the saved token: login warns about it
    root_login = vab("login", root_client.token)
    assert root_login.code == 0 and "VAULT_TOKEN environment variable is set" in root_login.err
    assert token_file.read_text() == root_client.token
    # BAO_TOKEN is the fallback of VAULT_TOKEN
    bao_env = vab("token", "lookup", "-field=id", env={"VAULT_TOKEN": None, "BAO_TOKEN": "x"})
    assert bao_env.code == 2 and "permission denied" in bao_env.err


def test_environment_and_global_flags(vab: Runner, uid: str) -> None:
    put = vab("kv", "put", f"secret/{uid}/env", "a=1")
    assert put.code == 0, put
    as_json = vab("kv", "get", f"secret/{uid}/env", env={"VAULT_FORMAT": "json"})
    assert json.loads(as_json.out)["data"]["data"] == {"a": "1"}, as_json
    flag_wins = vab("kv", "get", "-format=table", f"secret/{uid}/env", env={"VAULT_FORMAT": "json"})
    assert flag_wins.out.splitlines()[0].endswith(" Secret Path " + "=" * 6), flag_wins
    group_flag = vab("-format=json", "kv", "get", f"secret/{uid}/env")
    assert json.loads(group_flag.out)["data"]["data"] == {"a": "1"}, group_flag
    server = vab.server.url
    bao_addr = vab("kv", "get", "-field=a", f"secret/{uid}/env",
                   env={"VAULT_ADDR": None, "BAO_ADDR": server})  # fmt: skip
    assert (bao_addr.code, bao_addr.out) == (0, "1"), bao_addr
    dead = f"http://127.0.0.1:{free_port()}"
    address_flag = vab(f"-address={server}", "kv", "get", "-field=a", f"secret/{uid}/env",
                       env={"VAULT_ADDR": dead})  # fmt: skip
    assert (address_flag.code, address_flag.out) == (0, "1"), address_flag
    command_flag = vab("kv", "get", f"-address={server}", "-field=a", f"secret/{uid}/env",
                       env={"VAULT_ADDR": dead})  # fmt: skip
    assert (command_flag.code, command_flag.out) == (0, "1"), command_flag


def test_unreachable_server_exit_codes_match_bao(tmp_path: Path) -> None:
    class Dead:
        url = f"http://127.0.0.1:{free_port()}"
        root_token = "root"

    vab = Runner(vab_binary(), Dead(), tmp_path / "vab")
    bao = Runner(bao_binary(), Dead(), tmp_path / "bao")
    for args in (("read", "secret/x"), ("status",), ("kv", "get", "secret/x")):
        ours, theirs = vab(*args), bao(*args)
        assert ours.code == theirs.code, (ours, theirs)
        assert ours.err == theirs.err, (ours, theirs)
    default = Runner(vab_binary(), Dead(), tmp_path / "default")
    result = default("read", "secret/x", env={"VAULT_ADDR": None})
    assert result.code == 2
    assert 'Get "https://127.0.0.1:8200/v1/secret/x"' in result.err


class _Recorder(BaseHTTPRequestHandler):
    """Answers 204 to everything and records method, path and JSON body."""

    seen: list[tuple[str, str, object]]

    def _record(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        self.seen.append((self.command, self.path, body))
        self.send_response(204)
        self.end_headers()

    do_PUT = do_POST = do_DELETE = _record

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


@pytest.fixture
def recorder() -> Iterator[tuple[str, list[tuple[str, str, object]]]]:
    """A local HTTP server recording the requests the command lines send."""
    seen: list[tuple[str, str, object]] = []
    handler = type("Handler", (_Recorder,), {"seen": seen})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.parametrize(
    "args",
    [
        ("secrets", "enable", "kv"),
        (
            "secrets",
            "enable",
            "-path=a//b/",
            "-description=d",
            "-version=2",
            "-default-lease-ttl=90m",
            "-max-lease-ttl=system",
            "-options=x=1",
            "-local",
            "-seal-wrap",
            "-external-entropy-access",
            "-force-no-cache",
            "-audit-non-hmac-request-keys=k1",
            "-audit-non-hmac-request-keys= k2 ",
            "-audit-non-hmac-response-keys=r",
            "-listing-visibility=unauth",
            "-passthrough-request-headers=X-A",
            "-allowed-response-headers=X-B",
            "-plugin-version=v1.0.0",
            "kv",
        ),
        ("secrets", "enable", "-plugin-name=myplug", "plugin"),
        ("secrets", "disable", "/a/b/"),
        ("auth", "enable", "-path=people", "-description=staff", "userpass"),
        ("auth", "enable", "-token-type=batch", "-default-lease-ttl=30s", "-options=a=b", "jwt"),
        ("auth", "disable", "people"),
        ("audit", "enable", "file", "file_path=/tmp/x.log", "mode=0600", "hmac_accessor=false"),
        ("audit", "enable", "-path=two", "-description=d", "-local", "file", "file_path=stdout"),
        ("audit", "enable", "file"),
        ("audit", "disable", "two/"),
    ],
    ids=" ".join,
)
def test_mount_requests_are_those_bao_sends(
    args: tuple[str, ...], recorder: tuple[str, list], tmp_path: Path
) -> None:
    url, seen = recorder

    class Recorder:
        root_token = "root"

    Recorder.url = url  # type: ignore[attr-defined]
    theirs = Runner(bao_binary(), Recorder(), tmp_path / "bao")(*args)
    sent_by_bao = list(seen)
    seen.clear()
    ours = Runner(vab_binary(), Recorder(), tmp_path / "vab")(*args)
    assert (ours.code, ours.out, ours.err) == (theirs.code, theirs.out, theirs.err), (ours, theirs)
    assert seen == sent_by_bao and len(seen) == 1, (seen, sent_by_bao)


@pytest.mark.parametrize(
    "address", ["notaurl", "127.0.0.1:8200", "http://[::1", "http://127.0.0.1:99999", "ftp://x"]
)
def test_a_malformed_address_is_a_local_error_like_bao(tmp_path: Path, address: str) -> None:
    class Bad:
        url = address
        root_token = "root"

    ours = Runner(vab_binary(), Bad(), tmp_path / "vab")("status")
    theirs = Runner(bao_binary(), Bad(), tmp_path / "bao")("status")
    assert ours.code == theirs.code == 1, (ours, theirs)
    assert ours.err.startswith(f'failed to create client: parse "{address}"'), ours.err
    assert "Traceback" not in ours.err


def test_field_output_and_stdin_data(vab: Runner, uid: str, tmp_path: Path) -> None:
    put = vab("kv", "put", f"secret/{uid}/f", "-", stdin='{"n": 3, "s": "3"}')
    assert put.code == 0, put
    field = vab("kv", "get", "-field=n", f"secret/{uid}/f")
    assert field.out == "3", field  # bare value, no newline when piped
    data = vab("kv", "get", "-format=json", "-field=data", f"secret/{uid}/f")
    assert json.loads(data.out) == {"n": 3, "s": "3"}, data  # JSON numbers stay numbers
    (vab.cwd / "cert.pem").write_text("-----BEGIN X-----\nabc\n")
    at_file = vab("kv", "put", f"secret/{uid}/file", "cert=@cert.pem")
    assert at_file.code == 0, at_file
    cert = vab("kv", "get", "-field=cert", f"secret/{uid}/file")
    assert cert.out == "-----BEGIN X-----\nabc\n", cert


def test_flags_after_arguments_and_bool_values(vab: Runner, uid: str) -> None:
    # vault stops parsing flags at the first argument; vab accepts them anywhere
    put = vab("kv", "put", f"secret/{uid}/late", "a=1", "-format=json")
    assert put.code == 0 and json.loads(put.out)["data"]["version"] == 1, put
    token = vab("token", "create", "-orphan=true", "-renewable=false", "-format=json")
    auth = json.loads(token.out)["auth"]
    assert (auth["orphan"], auth["renewable"]) == (True, False), token
    bad = vab("token", "create", "-orphan=maybe")
    assert bad.code == 1 and "invalid boolean value" in bad.err, bad


def test_yaml_format(vab: Runner, uid: str) -> None:
    assert vab("kv", "put", f"secret/{uid}/y", "a=1").code == 0
    result = vab("kv", "get", "-format=yaml", f"secret/{uid}/y")
    assert result.code == 0, result
    assert yaml.safe_load(result.out)["data"]["data"] == {"a": "1"}


def test_permission_denied_error_text(vab: Runner, uid: str) -> None:
    result = vab("read", f"secret/data/{uid}/x", env={"VAULT_TOKEN": "not-a-token"})
    assert result.code == 2
    assert normalize(result.err) == (
        f"Error reading secret/data/{uid}/x: Error making API request.\n\n"
        f"URL: GET http://<server>/v1/secret/data/{uid}/x\n"
        "Code: 403. Errors:\n\n* permission denied\n"
    )
    missing = vab("read", f"secret/data/{uid}/missing")
    assert (missing.code, missing.out, missing.err) == (
        2, "", f"No value found at secret/data/{uid}/missing\n"
    )  # fmt: skip


# -- in-process: help, usage errors, packaging ------------------------------------------------


def _all_commands() -> list[tuple[str, ...]]:
    import vab_client.cli.commands  # noqa: F401 - registers the commands
    from vab_client.cli import cli

    found: list[tuple[str, ...]] = []

    def walk(group: click.Group, path: tuple[str, ...]) -> None:
        for name, command in group.commands.items():
            if name == "server":  # a plugin of the server package, documented there
                continue
            found.append((*path, name))
            if isinstance(command, click.Group):
                walk(command, (*path, name))

    walk(cli, ())
    return found


@pytest.mark.parametrize("path", _all_commands(), ids=" ".join)
def test_every_command_has_help_with_examples(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    from vab_client.cli import run

    assert run([*path, "--help"]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"Usage: vab {' '.join(path)} ")
    assert "Example" in text, text


def test_usage_errors_exit_with_1(capsys: pytest.CaptureFixture[str]) -> None:
    from vab_client.cli import normalize_args, run

    assert run(normalize_args(["kv", "get", "-bogus", "secret/x"])) == 1
    assert "No such option" in capsys.readouterr().err
    assert run(["no-such-command"]) == 127  # as vault/bao: no command, unknown command
    assert run([]) == 127
    assert run(["kv", "no-such-command"]) == 1
    assert run(["kv"]) == 1
    assert run(normalize_args(["token", "create", "-ttl=soon"])) == 1
    assert "invalid duration" in capsys.readouterr().err


@pytest.mark.parametrize("args", [(), ("no-such-command",), ("kv",), ("kv", "nope"), ("-h",)])
def test_command_dispatch_exit_codes_match_bao(args: tuple[str, ...], tmp_path: Path) -> None:
    class Nowhere:
        url = f"http://127.0.0.1:{free_port()}"
        root_token = "root"

    ours = Runner(vab_binary(), Nowhere(), tmp_path / "vab")(*args)
    theirs = Runner(bao_binary(), Nowhere(), tmp_path / "bao")(*args)
    assert ours.code == theirs.code, (ours, theirs)


def test_client_package_does_not_import_the_server() -> None:
    code = (
        "import sys, vab_client.cli.commands\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('flask', 'vault_agent_backend')]\n"
        "assert not bad, bad\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_"))}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr


def test_login_with_github(vab_server: ServerProcess, tmp_path: Path, uid: str) -> None:
    """``login -method=github token=...`` (or ``$VAULT_AUTH_GITHUB_TOKEN``), as vault's CLI,
    against our github auth method backed by a fake GitHub on 127.0.0.1. (OpenBao's ``bao``
    and server have no github method to compare with.)"""
    fake = FakeGitHub()
    try:
        fake.add_org("acme", 4242)
        fake.add_user("ghp-good", FakeUser("octo", 1, orgs={"acme": 4242}))
        client = hvac.Client(url=vab_server.url, token=vab_server.root_token, timeout=30)
        mount = f"gh-{uid}"
        client.sys.enable_auth_method("github", path=mount)
        client.write(f"auth/{mount}/config", organization="acme", base_url=fake.url)
        client.write(f"auth/{mount}/map/users/octo", value="dev-policy")
        args = ("login", "-no-store", "-format=json", f"-path={mount}", "-method=github")
        vab = Runner(vab_binary(), vab_server, tmp_path / "vab")
        for extra, env in (
            (("token=ghp-good",), {}),
            ((), {"VAULT_AUTH_GITHUB_TOKEN": "ghp-good"}),
        ):
            result = vab(*args, *extra, env=env)
            assert result.code == 0, result
            auth = json.loads(result.out)["auth"]
            assert auth["metadata"] == {"org": "acme", "username": "octo"}
            assert "dev-policy" in auth["policies"]
            lookup = client.lookup_token(auth["client_token"])["data"]
            assert lookup["path"] == f"auth/{mount}/login"
        bad = vab(*args, "token=ghp-bad")
        assert bad.code == 2 and bad.err.startswith("Error authenticating: "), bad
        assert "ghp-bad" not in bad.err
        missing = vab(*args, "-non-interactive")
        assert missing.code == 2 and "'token' must be specified" in missing.err, missing
    finally:
        fake.close()


#: Keys whose order differs between a plain sort and Go's YAML encoder (runs of digits
#: compare as numbers; leading zeros; punctuation before letters). Go's comparison is not
#: transitive when a letter follows a digit run that another key continues (``1a``, ``10``,
#: ``9``): bao's order then depends on map iteration, so such sets are left out.
YAML_ORDER_KEYS = [
    "x2c3c9a54", "x181769ab", "a9", "a09", "a009", "a10", "a010", "a0010", "a100", "a0", "a00",
    "a_", "a-", "a.", "aB", "ab", "B", "Z9", "z", "é1", "e10", "k8s", "k10s", "v1.2.9",
    "v1.2.10", "v1.10.0", "-1", "_1", "0", "00", "9", "10", "b1", "b01", "b001x", "b1x", "1_",
    "a1-", "a1.", "a1_",
]  # fmt: skip


def test_yaml_keys_in_go_order(vab_server: ServerProcess, tmp_path: Path, uid: str) -> None:
    """``-format=yaml`` orders map keys as bao's Go YAML encoder does (a plain sort put
    ``x181...`` before ``x2c...``, and a listing of mounts then differed from bao's)."""
    client = hvac.Client(url=vab_server.url, token=vab_server.root_token, timeout=30)
    client.secrets.kv.v2.create_or_update_secret(
        f"yaml-{uid}", {key: i for i, key in enumerate(YAML_ORDER_KEYS)}
    )
    args = ("kv", "get", "-format=yaml", f"secret/yaml-{uid}")
    ours = Runner(vab_binary(), vab_server, tmp_path / "vab")(*args)
    theirs = Runner(bao_binary(), vab_server, tmp_path / "bao")(*args)
    assert ours.code == theirs.code == 0, (ours, theirs)

    def data_keys(text: str) -> list[str]:
        lines = text.split("\n  data:\n", 1)[1].splitlines()
        keys = [line.split(":")[0].strip().strip('"') for line in lines if line.startswith("    ")]
        return keys[: len(YAML_ORDER_KEYS)]

    assert data_keys(ours.out) == data_keys(theirs.out)
    assert normalize(ours.out) == normalize(theirs.out)
