"""Non-dev servers for tests: ``vab server -config FILE`` as a child process.

:func:`start_vab_config` writes an HCL config (the storage block is given by the caller; the
listener gets the free port chosen by :class:`~tests.support.processes.ServerProcess`),
starts the server and waits until ``GET /v1/sys/seal-status`` answers (a fresh server is
sealed and uninitialized, so ``sys/health`` is not 200). :meth:`VabConfigServer.initialize`
and :meth:`VabConfigServer.unseal` drive ``sys/init`` / ``sys/unseal`` over HTTP.

Only the standard library is used, so hvac's test tree can import this module too.
"""

from __future__ import annotations

import http.client
import json
import shutil
import ssl
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .ports import LOOPBACK
from .processes import DEFAULT_STARTUP_TIMEOUT, REPO_ROOT, ServerProcess


class VabConfigServer(ServerProcess):
    """A config-file server; ``keys``/``root_token`` are set by :meth:`initialize`."""

    def __init__(
        self,
        storage_hcl: str,
        *,
        workers: int = 2,
        tls: tuple[str, str] | None = None,
        extra_hcl: str = "",
        config_dir: str | Path | None = None,
        env: Mapping[str, str] | None = None,
        startup_timeout: float = DEFAULT_STARTUP_TIMEOUT,
    ) -> None:
        self.storage_hcl = storage_hcl
        self.workers = workers
        self.tls = tls
        self.extra_hcl = extra_hcl
        self._own_dir = config_dir is None
        self.config_dir = Path(config_dir or tempfile.mkdtemp(prefix="vab-config-"))
        self.config_path = self.config_dir / "server.hcl"
        self.keys: list[str] = []
        self.keys_base64: list[str] = []
        super().__init__(
            "vab-config",
            self._command,
            root_token="",
            env=env,
            cwd=REPO_ROOT,
            startup_timeout=startup_timeout,
            ready_check=self._ready,
        )

    def stop(self, timeout: float = 10.0, *, graceful: bool = True) -> None:
        """Stop the server; a config directory this object created is removed too."""
        super().stop(timeout, graceful=graceful)
        if self._own_dir:
            shutil.rmtree(self.config_dir, ignore_errors=True)

    # -- config and readiness ------------------------------------------------------------------

    def config_text(self, port: int) -> str:
        """The HCL config for ``port``."""
        if self.tls:
            listener = f'  tls_cert_file = "{self.tls[0]}"\n  tls_key_file = "{self.tls[1]}"\n'
        else:
            listener = "  tls_disable = true\n"
        return (
            f"{self.storage_hcl}\n"
            f'listener "tcp" {{\n  address = "{LOOPBACK}:{port}"\n{listener}}}\n'
            f"workers = {self.workers}\n"
            f"{self.extra_hcl}\n"
        )

    def _command(self, port: int) -> list[str]:
        self.config_path.write_text(self.config_text(port))
        return [
            sys.executable,
            "-m",
            "vault_agent_backend",
            "server",
            f"-config={self.config_path}",
        ]

    @property
    def url(self) -> str:
        """Base address, ``https://`` when the listener has TLS."""
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{LOOPBACK}:{self.port}"

    def _connection(self, port: int | None = None) -> http.client.HTTPConnection:
        port = port or self.port
        if self.tls:
            context = ssl.create_default_context(cafile=self.tls[0])
            return http.client.HTTPSConnection(LOOPBACK, port, timeout=10, context=context)
        return http.client.HTTPConnection(LOOPBACK, port, timeout=10)

    def _ready(self, port: int) -> str | None:
        conn = self._connection(port)
        try:
            conn.request("GET", "/v1/sys/seal-status")
            response = conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as exc:
            return f"/v1/sys/seal-status: {exc}"
        finally:
            conn.close()
        return None if response.status == 200 else f"seal-status answered {response.status}"

    # -- API helpers ---------------------------------------------------------------------------

    def request(
        self, method: str, path: str, body: Any = None, token: str | None = None
    ) -> tuple[int, Any]:
        """One HTTP request; returns (status, decoded JSON body or None)."""
        conn = self._connection()
        headers = {"Content-Type": "application/json"}
        if token:
            headers["X-Vault-Token"] = token
        try:
            conn.request(
                method,
                "/v1/" + path.lstrip("/"),
                body=None if body is None else json.dumps(body),
                headers=headers,
            )
            response = conn.getresponse()
            raw = response.read()
        finally:
            conn.close()
        return response.status, (json.loads(raw) if raw.strip() else None)

    def initialize(self, shares: int = 5, threshold: int = 3) -> dict[str, Any]:
        """``sys/init``; remembers the keys and the root token."""
        status, body = self.request(
            "PUT", "sys/init", {"secret_shares": shares, "secret_threshold": threshold}
        )
        if status != 200:
            raise RuntimeError(f"sys/init answered {status}: {body}")
        self.keys = list(body["keys"])
        self.keys_base64 = list(body["keys_base64"])
        self.root_token = body["root_token"]
        return body

    def unseal(self, keys: list[str] | None = None) -> dict[str, Any]:
        """Submit key shares until unsealed; returns the last seal status."""
        body: dict[str, Any] = {}
        for key in keys or self.keys:
            status, body = self.request("PUT", "sys/unseal", {"key": key})
            if status != 200:
                raise RuntimeError(f"sys/unseal answered {status}: {body}")
            if not body["sealed"]:
                break
        return body


def start_vab_config(
    storage_hcl: str,
    *,
    workers: int = 2,
    tls: tuple[str, str] | None = None,
    extra_hcl: str = "",
    config_dir: str | Path | None = None,
    initialize: bool = False,
    shares: int = 5,
    threshold: int = 3,
    env: Mapping[str, str] | None = None,
) -> VabConfigServer:
    """Start ``vab server -config`` (optionally initialised and unsealed)."""
    server = VabConfigServer(
        storage_hcl,
        workers=workers,
        tls=tls,
        extra_hcl=extra_hcl,
        config_dir=config_dir,
        env=env,
    )
    server.start()
    if initialize:
        try:
            server.initialize(shares, threshold)
            server.unseal()
        except BaseException:
            server.stop()
            raise
    return server


def sqlite_storage(path: str | Path) -> str:
    """The HCL storage block of a SQLite database file."""
    return f'storage "sqlite" {{\n  path = "{path}"\n}}'


def postgresql_storage(dsn: str) -> str:
    """The HCL storage block of a PostgreSQL database."""
    return f'storage "postgresql" {{\n  connection_url = "{dsn}"\n}}'


@contextmanager
def sqlite_workers_server(directory: Path, workers: int = 2) -> Iterator[VabConfigServer]:
    """An initialised, unsealed config server with ``workers`` processes on a SQLite file in
    ``directory``, stopped on exit (for races between worker processes)."""
    server = start_vab_config(
        sqlite_storage(directory / "vab.db"), workers=workers, config_dir=directory, initialize=True
    )
    try:
        yield server
    finally:
        server.stop()


def race(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run every call at once, each on its own thread (and so its own HTTP connection)."""
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))
