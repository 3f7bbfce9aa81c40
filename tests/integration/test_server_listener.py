"""The listener of ``vab server``: a busy port fails at once, as ``bao server`` does (no
banner, ``~/.vault-token`` untouched); half-sent requests cannot hold every thread (Vault's
``http_read_header_timeout``/``http_read_timeout``); malformed HTTP gets a plain-text 400."""

from __future__ import annotations

import http.client
import json
import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.integration.test_config_server import _self_signed
from tests.support.config_server import VabConfigServer
from tests.support.ports import LOOPBACK
from tests.support.processes import REPO_ROOT, ServerProcess, start_vab_dev
from vault_agent_backend.server.config import ConfigError, parse_config
from vault_agent_backend.server.config_server import CONFIG_THREADS

pytestmark = pytest.mark.integration

BUSY = (
    "Error initializing listener of type tcp: "
    "listen tcp 127.0.0.1:{port}: bind: address already in use"
)


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_"))}
    env["HOME"] = str(home)
    return env


def _vab(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vault_agent_backend", "server", *args],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_second_dev_server_on_a_busy_port_fails_at_once(tmp_path: Path) -> None:
    token_file = tmp_path / ".vault-token"
    token_file.write_text("someone-else")
    with start_vab_dev() as first:
        result = _vab(
            "-dev",
            "-dev-root-token-id=second-root",
            f"-dev-listen-address={LOOPBACK}:{first.port}",
            env=_env(tmp_path),
        )
        assert result.returncode == 1, result
        assert BUSY.format(port=first.port) in result.stderr
        assert "Root Token" not in result.stdout + result.stderr
        assert "second-root" not in result.stdout + result.stderr
        assert token_file.read_text() == "someone-else"
        assert first.running


def test_config_server_on_a_busy_port_fails_at_once(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind((LOOPBACK, 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        config = tmp_path / "server.hcl"
        config.write_text(
            'storage "inmem" {}\n'
            f'listener "tcp" {{\n  address = "{LOOPBACK}:{port}"\n  tls_disable = true\n}}\n'
        )
        result = _vab(f"-config={config}", env=_env(tmp_path))
    assert result.returncode == 1, result
    assert BUSY.format(port=port) in result.stderr
    assert "server started" not in result.stdout


# -- read timeouts (Vault's http_read_header_timeout / http_read_timeout) -------------------


class TimeoutServer(VabConfigServer):
    """A one-worker in-memory config server whose listener has short read timeouts."""

    def config_text(self, port: int) -> str:
        if self.tls:
            tls = f'  tls_cert_file = "{self.tls[0]}"\n  tls_key_file = "{self.tls[1]}"\n'
        else:
            tls = "  tls_disable = true\n"
        return (
            'storage "inmem" {}\n'
            f'listener "tcp" {{\n  address = "{LOOPBACK}:{port}"\n{tls}'
            '  http_read_header_timeout = "1s"\n  http_read_timeout = "2s"\n}\n'
        )


@pytest.fixture
def timeout_server() -> Iterator[TimeoutServer]:
    server = TimeoutServer("", workers=1)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _half_open(port: int, payload: bytes) -> socket.socket:
    sock = socket.create_connection((LOOPBACK, port), timeout=30)
    sock.sendall(payload)
    return sock


def test_half_open_connections_do_not_freeze_the_server(timeout_server: TimeoutServer) -> None:
    """More half-sent requests than the worker has threads (unfinished heads, and bodies
    shorter than their Content-Length): a normal request is still answered, once the read
    timeouts have freed the threads; the stalled connections are closed."""
    heads = b"GET /v1/sys/health HTTP/1.1\r\nHost: x\r\n"
    bodies = (
        b"PUT /v1/sys/unseal HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b'Content-Length: 100\r\n\r\n{"key":'
    )
    stalled = [
        _half_open(timeout_server.port, heads if i % 2 else bodies)
        for i in range(2 * CONFIG_THREADS)
    ]
    try:
        conn = http.client.HTTPConnection(LOOPBACK, timeout_server.port, timeout=20)
        try:
            conn.request("GET", "/v1/sys/seal-status")
            response = conn.getresponse()
            assert response.status == 200
            assert json.loads(response.read())["sealed"] is True
        finally:
            conn.close()
        for sock in stalled:
            # The server gives up on each: a stalled head is closed without an answer (as
            # Go's server does), a stalled body gets a 400 and the connection closes.
            received = b""
            while chunk := sock.recv(65536):
                received += chunk
            assert received == b"" or received.startswith(b"HTTP/1.1 400 "), received
    finally:
        for sock in stalled:
            sock.close()


def test_half_open_tls_connections_do_not_freeze_the_server(tmp_path: Path) -> None:
    """The same over TLS: stalled handshakes (half a ClientHello) and stalled heads after a
    handshake are bounded by the read timeouts too."""
    tls = _self_signed(tmp_path)
    server = TimeoutServer("", workers=1, tls=tls)
    server.start()
    stalled: list[socket.socket] = []
    try:
        context = ssl.create_default_context(cafile=tls[0])
        for i in range(2 * CONFIG_THREADS):
            if i % 2:
                # A TLS record header announcing 512 bytes of handshake, then nothing.
                stalled.append(_half_open(server.port, b"\x16\x03\x01\x02\x00"))
            else:
                raw = socket.create_connection((LOOPBACK, server.port), timeout=30)
                sock = context.wrap_socket(raw, server_hostname=LOOPBACK)
                sock.sendall(b"GET /v1/sys/health HTTP/1.1\r\nHost: x\r\n")
                stalled.append(sock)
        status, body = server.request("GET", "sys/seal-status")  # 10 s client timeout
        assert status == 200 and body["sealed"] is True
    finally:
        for sock in stalled:
            sock.close()
        server.stop()


def test_keep_alive_survives_the_read_timeouts(timeout_server: TimeoutServer) -> None:
    """A kept-alive connection serves several requests, also after idling longer than the
    header timeout (idle time is not read time), as hvac's requests Session needs."""
    conn = http.client.HTTPConnection(LOOPBACK, timeout_server.port, timeout=20)
    try:
        conn.request("GET", "/v1/sys/seal-status")
        first = conn.getresponse()
        assert first.status == 200 and first.read()
        sock = conn.sock
        time.sleep(1.5)  # idle past http_read_header_timeout (1s), within keepalive (5s)
        for _ in range(3):
            conn.request("PUT", "/v1/sys/unseal", body=b'{"reset": true}')
            response = conn.getresponse()
            # The body was read (an uninitialized server refuses the reset itself).
            assert response.status == 400
            assert json.loads(response.read()) == {"errors": ["Vault is not initialized"]}
            assert conn.sock is sock  # the same connection
    finally:
        conn.close()
    session = requests.Session()
    try:
        for _ in range(3):
            assert session.get(f"{timeout_server.url}/v1/sys/seal-status", timeout=20).ok
    finally:
        session.close()


def test_listener_timeouts_are_parsed() -> None:
    cfg = parse_config(
        'storage "inmem" {}\nlistener "tcp" {\n  tls_disable = true\n'
        '  http_read_header_timeout = "500ms"\n  http_read_timeout = 45\n}'
    )
    assert (cfg.listener.http_read_header_timeout, cfg.listener.http_read_timeout) == (0.5, 45)
    default = parse_config('storage "inmem" {}\nlistener "tcp" {\n  tls_disable = true\n}')
    assert (default.listener.http_read_header_timeout, default.listener.http_read_timeout) == (
        10,
        30,
    )
    with pytest.raises(ConfigError, match="http_read_timeout"):
        parse_config('storage "inmem" {}\nlistener "tcp" {\n  http_read_timeout = "-1s"\n}')


# -- malformed HTTP ----------------------------------------------------------------------------


def _exchange(port: int, payload: bytes) -> bytes:
    with socket.create_connection((LOOPBACK, port), timeout=20) as sock:
        sock.sendall(payload)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        (b"GARBAGE\r\n\r\n", "400 Bad Request"),
        (
            b"PUT /v1/sys/health HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
            "400 Bad Request",
        ),
        (b"GET /v1/sys/health HTTP/1.1\r\nBad Header\r\n\r\n", "400 Bad Request"),
        (
            b"GET /v1/sys/health HTTP/9.9\r\nHost: x\r\n\r\n",
            "505 HTTP Version Not Supported: unsupported protocol version",
        ),
    ],
)
def test_malformed_http_gets_a_plain_text_answer(
    vab_server: ServerProcess, payload: bytes, status: str
) -> None:
    """As OpenBao (Go's server): the status in plain text, no HTML error page."""
    received = _exchange(vab_server.port, payload)
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0] == f"HTTP/1.1 {status}"
    assert "Content-Type: text/plain; charset=utf-8" in lines[1:]
    assert "Connection: close" in lines[1:]
    assert body.decode() == status


def test_clients_that_never_close_do_not_stall_the_server(vab_server: ServerProcess) -> None:
    """Refused requests whose clients keep the connection open: the linger for their end
    (up to 2 s each) does not hold up the other connections (gunicorn's own graceful close
    lingers on its main loop, one connection after the other)."""
    stalled = [_half_open(vab_server.port, b"GARBAGE\r\n\r\n") for _ in range(12)]
    try:
        conn = http.client.HTTPConnection(LOOPBACK, vab_server.port, timeout=10)
        try:
            conn.request("GET", "/v1/sys/health")
            assert conn.getresponse().status == 200
        finally:
            conn.close()
        for sock in stalled:  # every one was answered, and the server half-closed
            received = b""
            while chunk := sock.recv(65536):
                received += chunk
            assert received.startswith(b"HTTP/1.1 400 Bad Request\r\n"), received
    finally:
        for sock in stalled:
            sock.close()


def test_a_bad_chunk_gets_an_error_that_says_so(vab_server: ServerProcess) -> None:
    """A chunked body whose chunk size is not hex: a 400 whose error names the problem (it
    was an empty message)."""
    payload = (
        b"PUT /v1/secret/data/chunky HTTP/1.1\r\nHost: x\r\nX-Vault-Token: "
        + vab_server.root_token.encode()
        + b"\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
        + b"Connection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"
    )
    received = _exchange(vab_server.port, payload)
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 "), received
    errors = json.loads(body)["errors"]
    assert len(errors) == 1 and errors[0].startswith("failed to read the request body: ")
    assert "chunk" in errors[0].lower(), errors
