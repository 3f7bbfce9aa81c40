"""``vab server -config FILE``: HCL config, sealing with hvac, TLS, encryption at rest, crashes."""

from __future__ import annotations

import contextlib
import datetime
import http.client
import ipaddress
import re
import sqlite3
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import hvac
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.config_server import VabConfigServer, sqlite_storage, start_vab_config
from vault_agent_backend.server.config import ConfigError, load_config, parse_config

REPO = Path(__file__).resolve().parents[2]


# -- configuration parsing ---------------------------------------------------------------------


def test_example_config_parses() -> None:
    cfg = load_config(REPO / "dev" / "vault-config.hcl")
    assert cfg.storage_type == "sqlite" and cfg.storage["path"]
    assert cfg.listener.tls_disable and cfg.workers == 2 and cfg.tidy_interval == 60
    assert cfg.default_lease_ttl == 768 * 3600


def test_config_options() -> None:
    cfg = parse_config(
        """
        storage "postgresql" {
          connection_url = "postgresql://u@h/db"
          table = "kv"
          max_parallel = 3
        }
        listener "tcp" {
          address = "0.0.0.0:8300"
          tls_cert_file = "/c.pem"
          tls_key_file = "/k.pem"
        }
        api_addr = "https://vab.example:8300"
        default_lease_ttl = "1h"
        max_lease_ttl = "24h"
        ui = true
        log_level = "Debug"
        workers = 4
        tidy_interval = "5m"
        """
    )
    assert cfg.storage == {
        "connection_url": "postgresql://u@h/db",
        "table": "kv",
        "max_parallel": 3,
    }
    assert not cfg.listener.tls_disable and cfg.listener.tls_cert_file == "/c.pem"
    assert (cfg.default_lease_ttl, cfg.max_lease_ttl) == (3600, 86400)
    assert cfg.ui and cfg.log_level == "debug" and cfg.workers == 4 and cfg.tidy_interval == 300
    assert cfg.effective_api_addr == "https://vab.example:8300"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('storage "consul" {}', "unknown storage type"),
        ('storage "sqlite" {}', "needs a path"),
        ('storage "postgresql" {}', "connection_url"),
        ('storage "inmem" {}\nlistener "tcp" { address = "127.0.0.1:1" }', "tls_cert_file"),
        ('storage "inmem" {}\nlistener "udp" {}', "unknown listener type"),
        ('storage "inmem" {}\nworkers = 0', "workers must be at least 1"),
        ('storage "inmem" {}\nlog_level = "loud"', "unknown log_level"),
        ('storage "inmem" {}\ndefault_lease_ttl = "forever"', "invalid duration"),
        ("storage {", "error parsing config"),
    ],
)
def test_config_errors(text: str, message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VAULT_PG_CONNECTION_URL", raising=False)
    with pytest.raises(ConfigError, match=message):
        parse_config(text)


def test_postgresql_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAULT_PG_CONNECTION_URL", "postgresql://env@h/db")
    cfg = parse_config('storage "postgresql" {}')
    assert cfg.storage["connection_url"] == "postgresql://env@h/db"


class ExampleConfigServer(VabConfigServer):
    """``dev/vault-config.hcl`` as shipped, with only the listener address and the SQLite
    path swapped (to a free port and a temporary directory)."""

    def config_text(self, port: int) -> str:
        text = (REPO / "dev" / "vault-config.hcl").read_text()
        text, listeners = re.subn(
            r'(\n\s*address\s*=\s*)"127\.0\.0\.1:8200"', rf'\1"127.0.0.1:{port}"', text
        )
        text, paths = re.subn(
            r'(\n\s*path\s*=\s*)"\./vab-data\.db"',
            lambda m: f'{m.group(1)}"{self.config_dir / "vab-data.db"}"',
            text,
        )
        assert (listeners, paths) == (1, 1), "dev/vault-config.hcl changed: update this test"
        return text


def test_example_config_starts_a_server(tmp_path: Path) -> None:
    """The shipped example config serves: init as its comment says (5 shares, threshold 3),
    unseal with 3 keys, then tokens and secrets work with its lease TTLs."""
    server = ExampleConfigServer("", config_dir=tmp_path)
    server.start()
    try:
        assert (tmp_path / "vab-data.db").exists()
        assert "Workers: 2" in server.output()
        code, status = server.request("GET", "sys/seal-status")
        assert code == 200 and status["sealed"] and not status["initialized"]
        assert status["storage_type"] == "sqlite"
        server.initialize(5, 3)
        assert len(server.keys) == 5
        for count, key in enumerate(server.keys[:2], start=1):
            code, status = server.request("PUT", "sys/unseal", {"key": key})
            assert code == 200 and status["sealed"] and status["progress"] == count
        status = server.unseal(server.keys[2:3])
        assert not status["sealed"] and (status["t"], status["n"]) == (3, 5)
        assert status["cluster_name"] == "vab-dev"
        assert statuses(server, "sys/health") == {200}

        root = server.root_token
        code, body = server.request("PUT", "cubbyhole/example", {"v": "works"}, root)
        assert code == 204, body
        code, body = server.request("GET", "cubbyhole/example", token=root)
        assert code == 200 and body["data"] == {"v": "works"}, body
        code, body = server.request("POST", "sys/mounts/kv", {"type": "kv"}, root)
        assert code == 204, body
        assert server.request("PUT", "kv/item", {"v": "kv"}, root)[0] == 204
        code, body = server.request("GET", "kv/item", token=root)
        assert code == 200 and body["data"] == {"v": "kv"}, body
        code, body = server.request("POST", "auth/token/create", {"policies": ["default"]}, root)
        assert code == 200 and body["auth"]["lease_duration"] == 768 * 3600, body
        child = body["auth"]["client_token"]
        code, body = server.request("GET", "auth/token/lookup-self", token=child)
        assert code == 200 and body["data"]["policies"] == ["default"], body
    finally:
        server.stop()


def test_tidy_callbacks_run_in_background() -> None:
    from vault_agent_backend.server.dev import build_dev_core
    from vault_agent_backend.server.runner import start_background

    core, _ = build_dev_core("root")
    calls: list[float] = []
    called = threading.Event()

    def failing() -> None:
        raise RuntimeError("a broken callback must not stop the others")

    def tidy() -> None:
        calls.append(time.monotonic())
        if len(calls) >= 2:
            called.set()

    core.hooks["tidy"] = [failing, tidy]
    thread = start_background(core, tidy_interval=0.05)
    try:
        assert called.wait(10), "tidy callbacks were not called twice"
    finally:
        thread.stop()
        thread.join(5)


# -- a running server --------------------------------------------------------------------------


@pytest.fixture
def sqlite_server(tmp_path: Path) -> Iterator[VabConfigServer]:
    server = start_vab_config(sqlite_storage(tmp_path / "vab.db"), workers=2, config_dir=tmp_path)
    try:
        yield server
    finally:
        server.stop()


def statuses(server: VabConfigServer, path: str, count: int = 8, token: str | None = None) -> set:
    """Status codes of ``count`` requests, each on a new connection (reaching every worker)."""
    return {server.request("GET", path, token=token)[0] for _ in range(count)}


def test_init_unseal_seal_with_hvac(sqlite_server: VabConfigServer) -> None:
    server = sqlite_server
    client = hvac.Client(url=server.url)
    assert not client.sys.is_initialized()
    status = client.sys.read_seal_status()
    assert status["sealed"] and not status["initialized"] and status["t"] == 0
    assert status["storage_type"] == "sqlite"
    assert server.request("GET", "sys/health")[0] == 501
    assert server.request("GET", "sys/mounts") == (503, {"errors": ["Vault is sealed"]})
    code, body = server.request("PUT", "sys/unseal", {"key": "00" * 33})
    assert code == 400 and "not initialized" in body["errors"][0]
    code, body = server.request("PUT", "sys/init", {"secret_shares": 3, "secret_threshold": 5})
    assert code == 400 and "threshold cannot be larger than shares" in body["errors"][0]

    result = client.sys.initialize(secret_shares=5, secret_threshold=3)
    keys, root = result["keys"], result["root_token"]
    assert len(keys) == 5 and len(result["keys_base64"]) == 5 and root.startswith("hvs.")
    code, body = server.request("PUT", "sys/init", {"secret_shares": 1, "secret_threshold": 1})
    assert code == 400 and body["errors"] == ["Vault is already initialized"]
    assert client.sys.is_initialized() and client.sys.is_sealed()
    assert server.request("GET", "sys/health")[0] == 503

    progress = client.sys.submit_unseal_keys(keys[0:2])
    assert progress["sealed"] and progress["progress"] == 2 and progress["nonce"]
    # progress is node-wide: every worker reports it
    assert {server.request("GET", "sys/seal-status")[1]["progress"] for _ in range(6)} == {2}
    assert client.sys.submit_unseal_key(reset=True)["progress"] == 0
    final = client.sys.submit_unseal_keys(result["keys_base64"][2:5])
    assert not final["sealed"] and final["progress"] == 0
    assert statuses(server, "sys/mounts", token=root) == {200}
    assert statuses(server, "sys/health") == {200}

    client.token = root
    limited = client.auth.token.create(policies=["default"])["auth"]["client_token"]
    code, body = server.request("PUT", "sys/seal", token=limited)
    assert code == 403
    client.sys.seal()
    assert client.sys.is_sealed()
    assert statuses(server, "sys/mounts", token=root) == {503}
    assert {server.request("GET", "sys/seal-status")[1]["sealed"] for _ in range(6)} == {True}
    assert server.request("PUT", "sys/seal")[0] == 204  # sealing a sealed server is a no-op
    client.sys.submit_unseal_keys(keys[2:5])
    assert not client.sys.is_sealed()
    assert statuses(server, "auth/token/lookup-self", token=limited) == {200}


def _record_term(database: Path, key_suffix: str) -> int:
    """The key term in the header of the one stored record whose key ends with
    ``key_suffix`` (keys are in clear; see ``storage/barrier.py`` for the record layout)."""
    with contextlib.closing(sqlite3.connect(database)) as conn:
        rows = conn.execute(
            "SELECT key, value FROM vault_kv WHERE key LIKE ?", ("%/" + key_suffix,)
        ).fetchall()
    assert len(rows) == 1, rows
    fmt, term, _version = struct.unpack(">BIQ", bytes(rows[0][1])[:13])
    assert fmt == 1
    return term


def test_rotate_and_key_status_over_http(tmp_path: Path) -> None:
    """``sys/rotate`` (sudo) adds a key term: ``sys/key-status`` reports it on every worker,
    records written before stay readable (also after a restart), new ones use the new term."""
    database = tmp_path / "vab.db"
    storage = sqlite_storage(database)
    server = start_vab_config(storage, workers=2, config_dir=tmp_path, initialize=True)
    try:
        root = server.root_token
        code, status = server.request("GET", "sys/key-status", token=root)
        assert code == 200, status
        first = status["data"]["term"]
        assert status["term"] == first >= 1 and status["data"]["install_time"]
        assert server.request("PUT", "cubbyhole/rot-before", {"v": "old"}, root)[0] == 204
        assert _record_term(database, "rot-before") == first

        # Without sudo on sys/rotate: 403, and nothing rotated.
        for name, caps in (("rot-plain", '"update"'), ("rot-all", '"create", "update", "read"')):
            rules = f'path "sys/rotate" {{ capabilities = [{caps}] }}'
            code, _ = server.request("PUT", f"sys/policies/acl/{name}", {"policy": rules}, root)
            assert code == 204
        code, body = server.request(
            "POST", "auth/token/create", {"policies": ["rot-plain", "rot-all"]}, root
        )
        no_sudo = body["auth"]["client_token"]
        code, body = server.request("PUT", "sys/rotate", token=no_sudo)
        assert code == 403 and "permission denied" in body["errors"][0], body
        assert server.request("PUT", "sys/rotate")[0] == 403  # no token at all
        code, status = server.request("GET", "sys/key-status", token=root)
        assert status["data"]["term"] == first

        # A sudo policy (not root) may rotate.
        rules = 'path "sys/rotate" { capabilities = ["update", "sudo"] }'
        server.request("PUT", "sys/policies/acl/rot-sudo", {"policy": rules}, root)
        code, body = server.request("POST", "auth/token/create", {"policies": ["rot-sudo"]}, root)
        sudo = body["auth"]["client_token"]
        assert server.request("PUT", "sys/rotate", token=sudo)[0] == 204
        assert {
            server.request("GET", "sys/key-status", token=root)[1]["data"]["term"] for _ in range(8)
        } == {first + 1}
        # ... and the root token.
        assert server.request("PUT", "sys/rotate", token=root)[0] == 204
        terms = {server.request("GET", "sys/key-status", token=root)[1]["term"] for _ in range(8)}
        assert terms == {first + 2}

        # Records of every term stay readable, whichever worker answers.
        assert server.request("PUT", "cubbyhole/rot-after", {"v": "new"}, root)[0] == 204
        for _ in range(6):
            assert server.request("GET", "cubbyhole/rot-before", token=root)[1]["data"] == {
                "v": "old"
            }
            assert server.request("GET", "cubbyhole/rot-after", token=root)[1]["data"] == {
                "v": "new"
            }
    finally:
        server.stop()

    # A restart loads the rotated keyring: old records still open, new ones use the new term.
    revived = start_vab_config(storage, workers=2, config_dir=tmp_path)
    try:
        revived.unseal(server.keys)
        root = server.root_token
        assert revived.request("GET", "sys/key-status", token=root)[1]["term"] == first + 2
        code, body = revived.request("GET", "cubbyhole/rot-before", token=root)
        assert code == 200 and body["data"] == {"v": "old"}, body
        assert revived.request("PUT", "cubbyhole/rot-fresh", {"v": "fresh"}, root)[0] == 204
        assert _record_term(database, "rot-before") == first
        assert _record_term(database, "rot-fresh") == first + 2
    finally:
        revived.stop()


def _stored_keys(database: Path, prefix: str) -> set[str]:
    """The storage keys under ``prefix``, read from the SQLite file itself."""
    with contextlib.closing(sqlite3.connect(database, timeout=10)) as conn:
        rows = conn.execute(
            "SELECT key FROM vault_kv WHERE substr(key, 1, ?) = ?", (len(prefix), prefix)
        ).fetchall()
    return {key for (key,) in rows}


def test_background_tidy_removes_an_expired_token(tmp_path: Path) -> None:
    """With ``tidy_interval = "1s"`` the workers' background threads revoke an expired token
    that nobody uses: its accessor and entry disappear from storage (no request is made with
    it or about it, so no lazy revocation on lookup can be what removed it), a live token
    stays, and requests keep answering promptly meanwhile."""
    database = tmp_path / "vab.db"
    server = start_vab_config(
        sqlite_storage(database),
        workers=2,
        config_dir=tmp_path,
        extra_hcl='tidy_interval = "1s"',
        initialize=True,
    )
    try:
        root = server.root_token
        code, body = server.request(
            "POST", "auth/token/create", {"policies": ["default"], "ttl": "1h"}, root
        )
        assert code == 200, body
        live = body["auth"]["accessor"]
        ids_before = _stored_keys(database, "sys/token/id/")
        code, body = server.request(
            "POST", "auth/token/create", {"policies": ["default"], "ttl": "2s"}, root
        )
        assert code == 200 and body["auth"]["lease_duration"] == 2, body
        short = body["auth"]["accessor"]
        short_key = "sys/token/accessor/" + short
        accessors = _stored_keys(database, "sys/token/accessor/")
        assert {short_key, "sys/token/accessor/" + live} <= accessors
        ids_with_short = _stored_keys(database, "sys/token/id/")
        assert len(ids_with_short - ids_before) == 1

        deadline = time.monotonic() + 30
        slowest = 0.0
        while short_key in _stored_keys(database, "sys/token/accessor/"):
            assert time.monotonic() < deadline, "the expired token was not tidied within 30 s"
            started = time.monotonic()
            code, body = server.request("GET", "sys/mounts", token=root)
            slowest = max(slowest, time.monotonic() - started)
            assert code == 200, body
            time.sleep(0.2)  # polling the database file: there is no event to wait on
        assert slowest < 2.0, f"a request took {slowest:.1f}s while tidy ran"
        assert _stored_keys(database, "sys/token/id/") == ids_before
        assert "sys/token/accessor/" + live in _stored_keys(database, "sys/token/accessor/")
        code, body = server.request("POST", "auth/token/lookup-accessor", {"accessor": live}, root)
        assert code == 200, body
    finally:
        server.stop()


def _self_signed(tmp_path: Path) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "server.crt", tmp_path / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


def test_tls_listener(tmp_path: Path) -> None:
    tls = _self_signed(tmp_path)
    server = start_vab_config(
        sqlite_storage(tmp_path / "tls.db"), workers=1, tls=tls, config_dir=tmp_path
    )
    try:
        assert server.url.startswith("https://")
        client = hvac.Client(url=server.url, verify=tls[0])
        result = client.sys.initialize(secret_shares=1, secret_threshold=1)
        client.sys.submit_unseal_key(result["keys"][0])
        client.token = result["root_token"]
        assert "sys/" in client.sys.list_mounted_secrets_engines()["data"]
        plain = hvac.Client(url=server.url.replace("https://", "http://"))
        with pytest.raises(Exception):  # noqa: B017 - plain HTTP is not served
            plain.sys.read_seal_status()
    finally:
        server.stop()


def _raw_files(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(directory.glob("vab.db*")))


def test_nothing_in_clear_in_the_sqlite_file(
    sqlite_server: VabConfigServer, tmp_path: Path
) -> None:
    server = sqlite_server
    server.initialize(1, 1)
    server.unseal()
    client = hvac.Client(url=server.url, token=server.root_token)
    policy_text = 'path "plaintext-canary-policy/*" { capabilities = ["read"] }'
    client.sys.create_or_update_policy("canary", policy_text)
    child = client.auth.token.create(policies=["canary"])["auth"]["client_token"]
    secret = "plaintext-canary-secret-value"
    client.write("cubbyhole/canary", value=secret)
    assert client.read("cubbyhole/canary")["data"]["value"] == secret
    raw = _raw_files(tmp_path)
    assert raw, "no database files found"
    for needle in (secret, "plaintext-canary-policy", server.root_token, child, "capabilities"):
        assert needle.encode() not in raw, f"{needle!r} stored in clear"


#: Every third request of the write load creates a token instead of writing a secret.
TOKEN_EVERY = 3


def _write_load(
    server: VabConfigServer,
    acked: dict[str, str],
    tokens: dict[str, tuple[str, str]],
    stop: threading.Event,
    worker: int,
) -> None:
    """Write until the server dies: single-key secrets (``acked``: key -> value) and tokens,
    each several keys in one atomic write (``tokens``: name -> (token, accessor))."""
    i = 0
    while not stop.is_set():
        key = f"w{worker}-{i}"
        try:
            if i % TOKEN_EVERY == TOKEN_EVERY - 1:
                body = {"policies": ["default"], "ttl": "1h", "meta": {"crash": key}}
                code, answer = server.request("POST", "auth/token/create", body, server.root_token)
                if code == 200:
                    tokens[key] = (answer["auth"]["client_token"], answer["auth"]["accessor"])
            else:
                value = f"value-{worker}-{i}-" + "x" * (i % 200)
                code, _ = server.request(
                    "PUT", f"cubbyhole/crash/{key}", {"v": value}, server.root_token
                )
                if code in (200, 204):
                    acked[key] = value
        except (OSError, http.client.HTTPException, ValueError):
            return  # the server is gone (mid-answer: no or a cut body)
        i += 1


def _check_tokens(server: VabConfigServer, tokens: dict[str, tuple[str, str]]) -> None:
    """Every acknowledged token is whole: its accessor resolves to it and it works itself;
    no stored accessor (also of creations killed before their answer) is dangling."""
    root = server.root_token
    for name, (token, accessor) in tokens.items():
        code, body = server.request(
            "POST", "auth/token/lookup-accessor", {"accessor": accessor}, root
        )
        assert code == 200, (name, body)
        assert body["data"]["accessor"] == accessor and body["data"]["meta"] == {"crash": name}
        code, body = server.request("GET", "auth/token/lookup-self", token=token)
        assert code == 200, (name, body)
        assert body["data"]["id"] == token and body["data"]["accessor"] == accessor
        assert body["data"]["meta"] == {"crash": name}
    code, body = server.request("LIST", "auth/token/accessors", token=root)
    assert code == 200, body
    stored = set(body["data"]["keys"])
    assert {accessor for _, accessor in tokens.values()} <= stored
    for accessor in stored:
        code, body = server.request(
            "POST", "auth/token/lookup-accessor", {"accessor": accessor}, root
        )
        assert code == 200 and body["data"]["accessor"] == accessor, (accessor, body)


def crash_and_recover(server: VabConfigServer, restart) -> None:
    """SIGKILL the server under write load; after restart every acknowledged write is there
    and every stored record is whole."""
    acked: dict[str, str] = {}
    tokens: dict[str, tuple[str, str]] = {}
    stop = threading.Event()
    writers = [
        threading.Thread(target=_write_load, args=(server, acked, tokens, stop, n))
        for n in range(4)
    ]
    for thread in writers:
        thread.start()
    deadline = time.monotonic() + 30
    while (len(acked) < 150 or len(tokens) < 60) and time.monotonic() < deadline:
        time.sleep(0.05)
    server.stop(graceful=False)  # SIGKILL to the whole process group, mid-write
    stop.set()
    for thread in writers:
        thread.join(30)
    assert len(acked) >= 150 and len(tokens) >= 60, (len(acked), len(tokens))
    revived: VabConfigServer = restart()
    try:
        assert revived.request("GET", "sys/seal-status")[1]["sealed"]
        revived.unseal(server.keys)
        revived.root_token = token = server.root_token
        for key, value in acked.items():
            code, body = revived.request("GET", f"cubbyhole/crash/{key}", token=token)
            assert code == 200 and body["data"] == {"v": value}, key
        code, body = revived.request("LIST", "cubbyhole/crash/", token=token)
        assert code == 200
        for key in body["data"]["keys"]:  # also writes killed before their answer: whole
            code, record = revived.request("GET", f"cubbyhole/crash/{key}", token=token)
            assert code == 200 and record["data"]["v"].startswith("value-"), key
        _check_tokens(revived, tokens)
    finally:
        revived.stop()


def test_crash_under_write_load_sqlite(tmp_path: Path) -> None:
    storage = sqlite_storage(tmp_path / "vab.db")
    server = start_vab_config(storage, workers=2, config_dir=tmp_path, initialize=True)
    crash_and_recover(server, lambda: start_vab_config(storage, workers=2, config_dir=tmp_path))


def test_crash_under_write_load_postgresql(tmp_path: Path, postgres_database: str) -> None:
    from tests.support.config_server import postgresql_storage

    storage = postgresql_storage(postgres_database)
    server = start_vab_config(storage, workers=2, config_dir=tmp_path, initialize=True)
    crash_and_recover(server, lambda: start_vab_config(storage, workers=2, config_dir=tmp_path))
