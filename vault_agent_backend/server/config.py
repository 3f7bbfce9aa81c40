"""Server configuration in Vault's HCL format (``storage``, ``listener "tcp"``, ``api_addr``...)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl

from ..framework.durations import _PART, _UNITS, parse_duration
from .levels import LOG_LEVELS


class ConfigError(ValueError):
    """The configuration file is invalid."""


@dataclass
class ListenerConfig:
    """``listener "tcp" { ... }``."""

    address: str = "127.0.0.1:8200"
    tls_disable: bool = False
    tls_cert_file: str = ""
    tls_key_file: str = ""
    http_read_header_timeout: float = 10.0
    """Seconds to read a request's line and headers (Vault's default 10s; 0: no limit)."""
    http_read_timeout: float = 30.0
    """Seconds to read a whole request, body included (Vault's default 30s; 0: no limit)."""


@dataclass
class ServerConfig:
    """The parsed server configuration."""

    storage_type: str = "sqlite"
    storage: dict[str, Any] = field(default_factory=dict)
    listener: ListenerConfig = field(default_factory=ListenerConfig)
    api_addr: str = ""
    default_lease_ttl: int = 768 * 3600
    max_lease_ttl: int = 768 * 3600
    ui: bool = False
    log_level: str = "info"
    workers: int = 2
    """Extension: gunicorn worker processes (``inmem`` storage always runs one)."""
    tidy_interval: int = 60
    """Extension: seconds between runs of the background tidy callbacks (``core.hooks["tidy"]``)."""
    disable_mlock: bool = True
    cluster_name: str = ""

    @property
    def effective_api_addr(self) -> str:
        """``api_addr``, or the listener's address with the right scheme."""
        if self.api_addr:
            return self.api_addr.rstrip("/")
        scheme = "http" if self.listener.tls_disable or not self.listener.tls_cert_file else "https"
        return f"{scheme}://{self.listener.address}"


def _single_block(value: Any, name: str) -> tuple[str, dict[str, Any]]:
    if isinstance(value, list):
        if len(value) != 1:
            raise ConfigError(f"exactly one {name} block is supported")
        value = value[0]
    if not isinstance(value, dict) or len(value) != 1:
        raise ConfigError(f'{name} must be written as {name} "TYPE" {{ ... }}')
    kind, body = next(iter(value.items()))
    return kind, dict(body or {})


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _seconds(value: Any) -> float:
    """A Go duration (``"10s"``, ``"500ms"``) or a number of seconds, keeping fractions."""
    whole = parse_duration(value)  # validates (and refuses negative values)
    if isinstance(value, str) and not value.strip().isdigit():
        text = value.strip().lstrip("+")
        if any(text.endswith(unit) for unit in _UNITS):
            return sum(float(n) * _UNITS[unit] for n, unit in _PART.findall(text))
        return float(text)
    return float(value) if isinstance(value, (int, float)) else float(whole)


def parse_config(text: str) -> ServerConfig:
    """Parse HCL config text; raises ConfigError with a readable message."""
    try:
        raw = hcl.loads(text)
    except Exception as exc:
        raise ConfigError(f"error parsing config: {exc}") from None
    cfg = ServerConfig()
    if "storage" in raw or "backend" in raw:
        cfg.storage_type, cfg.storage = _single_block(
            raw.get("storage", raw.get("backend")), "storage"
        )
    if cfg.storage_type not in ("sqlite", "postgresql", "inmem", "file"):
        raise ConfigError(f"unknown storage type {cfg.storage_type!r}")
    _check_storage(cfg)
    if "listener" in raw:
        kind, body = _single_block(raw["listener"], "listener")
        if kind != "tcp":
            raise ConfigError(f"unknown listener type {kind!r}")
        cfg.listener = ListenerConfig(
            address=str(body.get("address", "127.0.0.1:8200")),
            tls_disable=_bool(body.get("tls_disable", False)),
            tls_cert_file=str(body.get("tls_cert_file", "")),
            tls_key_file=str(body.get("tls_key_file", "")),
        )
        for name in ("http_read_header_timeout", "http_read_timeout"):
            if name in body:
                try:
                    setattr(cfg.listener, name, _seconds(body[name]))
                except (TypeError, ValueError) as exc:
                    raise ConfigError(f"listener: invalid {name}: {exc}") from None
        if not cfg.listener.tls_disable and not cfg.listener.tls_cert_file:
            raise ConfigError("listener: tls_cert_file is required unless tls_disable = true")
    try:
        if "default_lease_ttl" in raw:
            cfg.default_lease_ttl = parse_duration(raw["default_lease_ttl"])
        if "max_lease_ttl" in raw:
            cfg.max_lease_ttl = parse_duration(raw["max_lease_ttl"])
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    cfg.api_addr = str(raw.get("api_addr", ""))
    cfg.ui = _bool(raw.get("ui", False))
    cfg.log_level = str(raw.get("log_level", "info")).strip().lower()
    if cfg.log_level not in LOG_LEVELS:
        raise ConfigError(
            f'unknown log_level "{cfg.log_level}" (use one of {", ".join(LOG_LEVELS)})'
        )
    cfg.cluster_name = str(raw.get("cluster_name", ""))
    cfg.disable_mlock = _bool(raw.get("disable_mlock", True))
    try:
        cfg.workers = int(raw.get("workers", 2))
        if "tidy_interval" in raw:
            cfg.tidy_interval = parse_duration(raw["tidy_interval"])
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"invalid workers or tidy_interval: {exc}") from None
    if cfg.workers < 1:
        raise ConfigError("workers must be at least 1")
    if cfg.tidy_interval < 1:
        raise ConfigError("tidy_interval must be at least 1s")
    return cfg


def _check_storage(cfg: ServerConfig) -> None:
    """Required settings of each storage type (the environment may supply some, as Vault)."""
    body = cfg.storage
    if cfg.storage_type in ("sqlite", "file") and not body.get("path"):
        raise ConfigError(f'storage "{cfg.storage_type}" needs a path')
    if cfg.storage_type == "postgresql":
        if not body.get("connection_url"):
            url = os.environ.get("VAULT_PG_CONNECTION_URL", "")
            if not url:
                raise ConfigError(
                    'storage "postgresql" needs connection_url (or VAULT_PG_CONNECTION_URL)'
                )
            body["connection_url"] = url
        try:
            if int(body.get("max_parallel", 8)) < 1:
                raise ValueError("must be at least 1")
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"storage postgresql: invalid max_parallel: {exc}") from None


def load_config(path: str | Path) -> ServerConfig:
    """Read and parse a config file."""
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read config file: {exc}") from None
    return parse_config(text)
