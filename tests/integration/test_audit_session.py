"""The audit file of an agent session, read back: who, for whom, under which delegation and
transaction, and what was decided -- with no secret or token in clear; ``sys/audit-hash``
reproduces the hashes; ``vab audit verify`` (asking the server for the key) passes on the
untouched file and fails at the first edited, removed, reordered or cut line."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from vab_client.audit_chain import seal_line

from tests.agent.support import http_sender
from tests.agent_auth.support import (
    Agent,
    World,
    decode,
    new_key,
    ok,
    path_access,
)
from tests.agent_auth.support import http_sender as auth_sender
from tests.cli.runner import vab_binary
from tests.support.processes import ServerProcess, start_vab_dev

SECRET = f"sk-live-{secrets.token_hex(8)}"
HUMAN_HCL = """
path "secret/data/APP/*" { capabilities = ["create", "read", "update", "list"] }
path "identity/agent/delegation" { capabilities = ["update", "list"] }
"""
CEILING_HCL = 'path "secret/data/*" { capabilities = ["read", "list"] }'


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    """A fresh dev server for this module (audit devices affect every request)."""
    srv = start_vab_dev(startup_timeout=120)  # a loaded CI machine can be slow
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("audit")


def enable(server: ServerProcess, name: str, path: Path, **options: str) -> Path:
    send = http_sender(server.url)
    ok(
        send(
            "PUT",
            f"sys/audit/{name}",
            {"type": "file", "options": {"file_path": str(path), **options}},
        )
    )
    return path


def read_entries(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def vab_verify(server: ServerProcess, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_"))}
    env.update(VAULT_ADDR=server.url, VAULT_TOKEN=server.root_token, HOME=str(Path.home()))
    return subprocess.run(
        [vab_binary(), "audit", "verify", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def session(server: ServerProcess, logdir: Path) -> dict[str, Any]:
    """A delegated agent session through the built-in authorization server, recorded by a
    file device: alice delegates to bot, bot gets tokens by token exchange and reads."""
    path = enable(server, "session", logdir / "session.log")
    w = World(auth_sender(server.url), server.url)
    human_policy = w.policy("human", HUMAN_HCL)
    ceiling = w.policy("ceiling", CEILING_HCL)
    human_token, human_entity = w.human("alice", [human_policy])
    bot = w.agent("bot", ceiling=[ceiling])
    db = w.secret("db", SECRET)
    human_read = w.send("GET", db, token=human_token)  # alice herself, with her Vault token
    delegation = w.delegate(
        human_token,
        bot,
        [path_access(f"secret/data/{w.app}/*", "read")],
        purpose="rotate the billing key",
    )
    txn = f"txn-{uuid.uuid4().hex[:10]}"
    read_token = w.token(bot, delegation=delegation, details=[path_access(db, "read")], txn=txn)
    allowed = w.send("GET", db, token=read_token)
    rar = w.send("GET", f"secret/data/{w.app}/other", token=read_token)
    # the ceiling shrinks: the very next request is refused by that layer
    ok(
        w.send(
            "PUT",
            f"sys/policies/acl/{ceiling}",
            {"policy": 'path "x/*" { capabilities = ["read"] }'},
        )
    )
    by_ceiling = w.send("GET", db, token=read_token)
    header, claims = decode(read_token)
    forged = jwt.encode(claims, new_key()[0], algorithm="EdDSA", headers={"kid": header["kid"]})
    refused_token = w.send("GET", db, token=forged)
    assert human_read[0] == 200 and allowed[0] == 200, (human_read, allowed)
    assert allowed[1]["data"]["data"]["value"] == SECRET
    assert [rar[0], by_ceiling[0], refused_token[0]] == [403, 403, 403]
    return {
        "path": path,
        "world": w,
        "db": db,
        "other": f"secret/data/{w.app}/other",
        "human_entity": human_entity,
        "bot": bot,
        "delegation": delegation,
        "txn": txn,
        "tokens": [human_token, read_token, forged],
        "ids": {
            "human": human_read[1]["request_id"],
            "allowed": allowed[1]["request_id"],
        },
    }


def entries_for(session: dict[str, Any], kv_path: str, operation: str) -> list[dict[str, Any]]:
    return [
        e
        for e in read_entries(session["path"])
        if e["request"].get("path") == kv_path and e["request"].get("operation") == operation
    ]


def test_every_agent_request_names_human_agent_delegation_txn_and_decision(session) -> None:
    w: World = session["world"]
    bot: Agent = session["bot"]
    agent_entries = [
        e
        for e in read_entries(session["path"])
        if e["request"].get("path") in (session["db"], session["other"])
        and e["auth"].get("metadata", {}).get("jwt_issuer")
    ]
    assert len(agent_entries) == 6  # allowed, refused by the RAR, refused by the ceiling
    decisions: list[tuple[bool, str]] = []
    for entry in agent_entries:
        auth, meta = entry["auth"], entry["auth"]["metadata"]
        assert auth["entity_id"] == session["human_entity"]  # the human
        assert meta["subject_entity_name"]
        assert meta["actor_entity_id"] == bot.entity_id  # the agent
        assert meta["actor_entity_name"] == bot.name
        assert meta["agent_registration_id"] == bot.id
        assert meta["agent_display_name"] == bot.name
        assert meta["delegation_id"] == session["delegation"]  # the delegation
        assert meta["jwt_transaction_claim"] == session["txn"]  # the transaction
        assert meta["purpose"] == "rotate the billing key"
        assert meta["jwt_issuer"] == w.issuer and meta["jwt_unique_id"]
        assert meta["jwt_audience_claim"] == ["vault"]
        assert meta["jwt_authorization_details"] == [path_access(session["db"], "read")]
        assert auth["authorization_details"] == meta["jwt_authorization_details"]
        allowed = auth["policy_results"]["allowed"]  # the decision
        decisions.append((allowed, meta.get("denied_by", "")))
        if not allowed:
            assert "permission denied" in entry["error"]
        else:
            assert "error" not in entry
    assert decisions == [
        (True, ""),
        (True, ""),
        (False, "authorization_details"),
        (False, "authorization_details"),
        (False, "ceiling"),
        (False, "ceiling"),
    ]
    refused = [
        e
        for e in read_entries(session["path"])
        if e["auth"].get("metadata", {}).get("denied_by") == "token"
    ]
    assert [e["type"] for e in refused] == ["request", "response"]
    assert refused[0]["request"]["path"] == session["db"]
    assert "permission denied" in refused[0]["error"]
    assert "policy_results" not in refused[0]["auth"]  # refused before any policy was asked


def test_the_humans_own_requests_name_her(session) -> None:
    request, response = [
        e for e in read_entries(session["path"]) if e["request"]["id"] == session["ids"]["human"]
    ]
    for entry in (request, response):
        auth = entry["auth"]
        assert auth["entity_id"] == session["human_entity"]
        assert auth["display_name"].startswith("userpass-alice-")
        assert auth["metadata"]["username"].startswith("alice-")
        assert auth["policy_results"]["allowed"] is True
    created = [
        e
        for e in read_entries(session["path"])
        if e["request"].get("path") == "identity/agent/delegation" and e["type"] == "response"
    ]
    assert created[0]["auth"]["entity_id"] == session["human_entity"]
    assert created[0]["request"]["data"]["purpose"].startswith("hmac-sha256:")


def test_no_secret_or_token_in_clear(server: ServerProcess, session) -> None:
    text = session["path"].read_text()
    assert SECRET not in text
    for token in session["tokens"]:
        assert token not in text
        for part in token.split(".")[1:]:  # not even the claims or the signature
            assert part not in text
    assert f'"client_token":"{server.root_token}"' not in text
    assert '"pw"' not in text  # the userpass password
    for entry in read_entries(session["path"]):
        blocks = (entry["auth"], entry["request"], entry.get("response", {}).get("auth", {}))
        for block in blocks:
            for name in ("client_token", "accessor", "client_token_accessor"):
                if name in block:
                    assert block[name].startswith("hmac-sha256:"), (name, entry)
        raw = entry.get("response", {}).get("data", {}).get("http_raw_body")
        if raw is not None:
            assert raw.startswith("hmac-sha256:")  # the token endpoint's body (access_token)


def test_audit_hash_reproduces_the_hashes_in_the_file(server: ServerProcess, session) -> None:
    send = http_sender(server.url)

    def audit_hash(value: str) -> str:
        return ok(send("PUT", "sys/audit-hash/session", {"input": value}))["data"]["hash"]

    human_token, agent_token, _ = session["tokens"]
    entries = read_entries(session["path"])
    allowed = [e for e in entries if e["request"]["id"] == session["ids"]["allowed"]]
    assert allowed[1]["response"]["data"]["data"]["value"] == audit_hash(SECRET)
    assert allowed[0]["request"]["client_token"] == audit_hash(agent_token)
    assert allowed[0]["auth"]["client_token"] == audit_hash(agent_token)
    human = [e for e in entries if e["request"]["id"] == session["ids"]["human"]]
    assert human[0]["auth"]["client_token"] == audit_hash(human_token)
    login = next(
        e
        for e in entries
        if e["type"] == "response" and e["request"]["path"].startswith("auth/userpass/login/")
    )
    assert login["response"]["auth"]["client_token"] == audit_hash(human_token)
    assert login["request"]["data"]["password"] == audit_hash("pw")
    root_entry = next(e for e in entries if e["auth"].get("policies") == ["root"])
    assert root_entry["auth"]["client_token"] == audit_hash(server.root_token)


def test_vab_audit_verify_passes_on_the_session_file(server: ServerProcess, session) -> None:
    done = vab_verify(server, str(session["path"]))
    assert done.returncode == 0, done.stderr
    assert "Success!" in done.stdout and "tail not checked" not in done.stdout


# ----- tampering -------------------------------------------------------------------------------


@pytest.fixture
def fresh(server: ServerProcess, logdir: Path) -> Iterator[tuple[str, Path]]:
    """A new device with some traffic (its own chain); disabled afterwards."""
    name = f"t{uuid.uuid4().hex[:8]}"
    path = enable(server, name, logdir / f"{name}.log")
    send = http_sender(server.url)
    for index in range(4):
        ok(send("PUT", f"secret/data/{name}-{index}", {"data": {"v": SECRET}}))
    try:
        yield name, path
    finally:
        send("DELETE", f"sys/audit/{name}")


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def failed_at(done: subprocess.CompletedProcess[str]) -> int:
    assert done.returncode == 3, (done.returncode, done.stdout, done.stderr)
    message = done.stderr.split(": line ", 1)[1]
    return int(message.split(":", 1)[0])


def test_an_edited_line_fails_there(server, fresh) -> None:
    _name, path = fresh
    lines = lines_of(path)
    lines[4] = lines[4].replace(b'"operation":"create"', b'"operation":"read"', 1)
    path.write_bytes(b"".join(lines))
    assert failed_at(vab_verify(server, str(path))) == 5


def test_a_deleted_line_fails_there(server, fresh) -> None:
    name, path = fresh
    lines = lines_of(path)
    del lines[3]
    path.write_bytes(b"".join(lines))
    assert failed_at(vab_verify(server, f"-path={name}", str(path))) == 4


def test_reordered_lines_fail_there(server, fresh) -> None:
    _name, path = fresh
    lines = lines_of(path)
    lines[2], lines[5] = lines[5], lines[2]
    path.write_bytes(b"".join(lines))
    assert failed_at(vab_verify(server, str(path))) == 3


def test_a_cut_tail_fails_where_it_was_cut(server, fresh) -> None:
    _name, path = fresh
    lines = lines_of(path)
    path.write_bytes(b"".join(lines[:-3]))
    done = vab_verify(server, str(path))
    assert failed_at(done) == len(lines) - 2  # the server kept writing after the cut


def test_a_chain_recomputed_without_the_key_does_not_pass(server, fresh) -> None:
    _name, path = fresh
    attacker_key = secrets.token_bytes(32)
    rewritten = []
    mac = "0" * 64
    for index, raw in enumerate(lines_of(path)):
        entry = json.loads(raw)
        seq = entry.pop("chain")["seq"]
        entry["request"]["remote_address"] = "10.6.6.6"
        body = json.dumps(entry, separators=(",", ":")).encode()
        line, mac = seal_line(b"", body, attacker_key, seq, mac, index == 0)
        rewritten.append(line)
    path.write_bytes(b"".join(rewritten))
    assert failed_at(vab_verify(server, str(path))) == 1
