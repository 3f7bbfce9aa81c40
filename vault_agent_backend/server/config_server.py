"""``vab server -config FILE``: a durable server under gunicorn with several workers."""

from __future__ import annotations

import sys

import click

from ..core import Core, CoreOptions
from ..http import create_app
from ..storage import MemoryStorage, SQLiteStorage
from ..storage.base import Storage
from .config import ConfigError, ServerConfig, load_config
from .runner import serve


def open_storage(cfg: ServerConfig) -> Storage:
    """The physical storage a config names."""
    if cfg.storage_type == "inmem":
        return MemoryStorage()
    if cfg.storage_type in ("sqlite", "file"):
        path = cfg.storage.get("path")
        if not path:
            raise ConfigError('storage "sqlite" needs a path')
        if cfg.storage_type == "file":
            path = str(path).rstrip("/") + "/vault.db"
        return SQLiteStorage(path)
    if cfg.storage_type == "postgresql":
        from ..storage.postgresql import PostgreSQLStorage

        return PostgreSQLStorage(cfg.storage.get("connection_url", ""))
    raise ConfigError(f"unknown storage type {cfg.storage_type!r}")


def build_core(cfg: ServerConfig) -> Core:
    """A core on the configured storage, set up."""
    from .. import __version__

    core = Core(
        open_storage(cfg),
        CoreOptions(
            default_lease_ttl=cfg.default_lease_ttl,
            max_lease_ttl=cfg.max_lease_ttl,
            api_addr=cfg.effective_api_addr,
            version=__version__,
        ),
    )
    core.setup()
    return core


def run_from_config(path: str, log_level: str) -> None:
    """Start a server from a config file in the foreground."""
    try:
        cfg = load_config(path)
    except ConfigError as exc:
        click.echo(f"Error loading configuration from {path}: {exc}", err=True)
        sys.exit(1)
    workers = cfg.workers if cfg.storage_type != "inmem" else 1
    setup_core = build_core(cfg)
    setup_core.shutdown()
    click.echo(
        f"==> vault-agent-backend server started\n"
        f"             Api Address: {cfg.effective_api_addr}\n"
        f"                 Storage: {cfg.storage_type}\n"
        f"                 Workers: {workers}\n",
    )
    sys.stdout.flush()
    tls = cfg.listener
    serve(
        lambda: create_app(build_core(cfg)),
        tls.address,
        workers=workers,
        threads=8,
        certfile=None if tls.tls_disable else tls.tls_cert_file or None,
        keyfile=None if tls.tls_disable else tls.tls_key_file or None,
        log_level={"trace": "debug", "warn": "warning"}.get(log_level, log_level),
    )
