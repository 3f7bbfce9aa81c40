"""``vab server -config FILE``: a durable, encrypted server under gunicorn.

The server starts sealed (and, on empty storage, uninitialized): ``sys/init`` then
``sys/unseal`` as with Vault. The master process creates the node's shared seal state
before forking, so a share submitted to any worker counts for all of them and every worker
(also one gunicorn restarts later) unseals itself from it; see
:mod:`vault_agent_backend.storage.seal_state`.
"""

from __future__ import annotations

import sys

import click

from ..core import Core, CoreOptions
from ..http import create_app
from ..storage import MemoryStorage, SQLiteStorage
from ..storage.barrier import Barrier
from ..storage.base import Storage, StorageError
from ..storage.seal import SealManager
from ..storage.seal_state import SharedSealState
from .config import ConfigError, ServerConfig, load_config
from .levels import python_log_level
from .runner import ListenerError, bind_listener, serve, start_background

CONFIG_THREADS = 32
"""Threads per worker process (created on demand). Many, so that a few stalled clients cannot
take them all even before the listener's read timeouts free them (see :mod:`.worker`)."""


def open_storage(cfg: ServerConfig) -> Storage:
    """The physical storage a config names (not encrypted: see :func:`build_core`)."""
    if cfg.storage_type == "inmem":
        return MemoryStorage()
    if cfg.storage_type in ("sqlite", "file"):
        path = cfg.storage.get("path")
        if not path:
            raise ConfigError(f'storage "{cfg.storage_type}" needs a path')
        if cfg.storage_type == "file":
            path = str(path).rstrip("/") + "/vault.db"
        return SQLiteStorage(path)
    if cfg.storage_type == "postgresql":
        from ..storage.postgresql import DEFAULT_TABLE, PostgreSQLStorage

        return PostgreSQLStorage(
            str(cfg.storage.get("connection_url", "")),
            table=str(cfg.storage.get("table", DEFAULT_TABLE)),
            max_connections=int(cfg.storage.get("max_parallel", 8)),
        )
    raise ConfigError(f"unknown storage type {cfg.storage_type!r}")


def build_core(cfg: ServerConfig, shared: SharedSealState | None = None) -> Core:
    """A core on the configured storage behind the barrier, sealed until the node unseals."""
    from .. import __version__

    options = CoreOptions(
        default_lease_ttl=cfg.default_lease_ttl,
        max_lease_ttl=cfg.max_lease_ttl,
        api_addr=cfg.effective_api_addr,
        version=__version__,
    )
    if cfg.cluster_name:
        options.cluster_name = cfg.cluster_name
    barrier = Barrier(open_storage(cfg))
    core = Core(barrier, options)
    SealManager(barrier, shared, storage_type=cfg.storage_type).attach(core)
    return core


def run_from_config(path: str, log_level: str | None = None) -> None:
    """Start a server from a config file in the foreground; ``log_level`` (the command
    line's) overrides the file's ``log_level``."""
    try:
        cfg = load_config(path)
        # Fail early (and create the SQLite file or PostgreSQL table) before forking workers.
        probe = open_storage(cfg)
        probe.get("core/seal-config")
        probe.close()
    except (ConfigError, StorageError) as exc:
        click.echo(f"Error loading configuration from {path}: {exc}", err=True)
        sys.exit(1)
    try:
        listener = bind_listener(cfg.listener.address)
    except ListenerError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    workers = cfg.workers if cfg.storage_type != "inmem" else 1
    shared = SharedSealState.create()
    click.echo(
        f"==> vault-agent-backend server started\n"
        f"             Api Address: {cfg.effective_api_addr}\n"
        f"                 Storage: {cfg.storage_type}\n"
        f"                 Workers: {workers}\n"
        f"                     TLS: {'disabled' if cfg.listener.tls_disable else 'enabled'}\n",
    )
    sys.stdout.flush()

    def app_factory():  # runs in each worker, after fork
        core = build_core(cfg, shared)
        start_background(core, cfg.tidy_interval)
        return create_app(core)

    tls = cfg.listener
    serve(
        app_factory,
        listener,
        workers=workers,
        threads=CONFIG_THREADS,
        certfile=None if tls.tls_disable else tls.tls_cert_file or None,
        keyfile=None if tls.tls_disable else tls.tls_key_file or None,
        log_level=python_log_level(log_level or cfg.log_level),
        read_header_timeout=tls.http_read_header_timeout,
        read_timeout=tls.http_read_timeout,
    )
