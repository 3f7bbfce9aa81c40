"""Serve the Flask app under gunicorn (threads for dev mode, several workers otherwise),
and the per-worker background thread (seal synchronisation, tidy callbacks)."""

from __future__ import annotations

import errno
import logging
import os
import random
import socket
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gunicorn.app.base import BaseApplication

from .worker import DEFAULT_READ_HEADER_TIMEOUT, DEFAULT_READ_TIMEOUT, ssl_context, worker_class

if TYPE_CHECKING:
    from ..core.core import Core

log = logging.getLogger(__name__)
SEAL_SYNC_INTERVAL = 1.0


class BackgroundThread(threading.Thread):
    """One daemon thread per worker process.

    Every second it aligns the worker with the node's seal state (so that an idle worker
    drops its keys soon after another worker sealed the node), and every ``tidy_interval``
    seconds, while unsealed, it calls each callback of ``core.hooks["tidy"]`` (no
    arguments) - e.g. removing expired tokens and leases - outside any request. A failing
    callback is logged and does not stop the others.
    """

    def __init__(self, core: Core, tidy_interval: float):
        super().__init__(name="vab-background", daemon=True)
        self.core = core
        self.tidy_interval = max(float(tidy_interval), 0.05)
        self.stopped = threading.Event()

    def run(self) -> None:
        # Workers and nodes start at different offsets so that they do not tidy in lockstep.
        next_tidy = time.monotonic() + self.tidy_interval * (0.5 + random.random() / 2)
        tick = min(SEAL_SYNC_INTERVAL, self.tidy_interval)
        while not self.stopped.wait(tick):
            core = self.core
            try:
                if core.seal is not None:
                    core.seal.sync(core)
            except Exception:
                log.exception("background seal synchronisation failed")
            if time.monotonic() < next_tidy:
                continue
            next_tidy = time.monotonic() + self.tidy_interval
            if not core.sealed:
                self.run_tidy()

    def run_tidy(self) -> None:
        """Call every tidy callback once."""
        for callback in list(self.core.hooks.get("tidy", [])):
            try:
                callback()
            except Exception:
                log.exception("tidy callback %r failed", callback)

    def stop(self) -> None:
        """Ask the thread to end (it is a daemon: process exit ends it anyway)."""
        self.stopped.set()


def start_background(core: Core, tidy_interval: float = 60.0) -> BackgroundThread:
    """Start the background thread of this worker (call it after fork, in the worker)."""
    thread = BackgroundThread(core, tidy_interval)
    thread.start()
    return thread


LOG_FORMAT = "[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: %(message)s"


def configure_logging(level: str) -> None:
    """Send the server's own log (``vault_agent_backend.*``: e.g. ``sys/remount``'s progress)
    to stderr beside gunicorn's, at the server's log level."""
    logger = logging.getLogger("vault_agent_backend")
    if not any(getattr(h, "_vab_server", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler._vab_server = True  # type: ignore[attr-defined]
        handler.setFormatter(logging.Formatter(LOG_FORMAT, "%Y-%m-%d %H:%M:%S %z"))
        logger.addHandler(handler)
    logger.setLevel(getattr(logging, level.upper(), logging.INFO))


class ListenerError(Exception):
    """The listener's address cannot be bound; the message is in Vault's words."""


def _split_address(address: str) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        raise ListenerError(
            "Error initializing listener of type tcp: "
            f"listen tcp {address}: missing port in address"
        )
    return host.strip("[]"), int(port)


def bind_listener(address: str, backlog: int = 2048) -> socket.socket:
    """Bind and listen on ``host:port`` now, before anything is printed or stored, so that a
    second server on a busy port fails at once, as Vault does; :class:`ListenerError` says
    ``Error initializing listener of type tcp: listen tcp ADDR: bind: address already in
    use``. The socket is handed to gunicorn by :func:`serve` (``fd://``)."""
    host, port = _split_address(address)
    prefix = f"Error initializing listener of type tcp: listen tcp {address}"
    try:
        family, kind, proto, _, sockaddr = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise ListenerError(f"{prefix}: lookup {host}: {exc.strerror}") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(sockaddr)
        sock.listen(backlog)
    except OSError as exc:
        sock.close()
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        if exc.errno == errno.EADDRINUSE:
            reason = "address already in use"
        raise ListenerError(f"{prefix}: bind: {reason[:1].lower()}{reason[1:]}") from None
    return sock


class GunicornServer(BaseApplication):
    """A gunicorn application whose WSGI app comes from a factory called in each worker."""

    def __init__(self, app_factory: Callable[[], Any], options: dict[str, Any]):
        self.app_factory = app_factory
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

    def load(self) -> Any:
        return self.app_factory()


def serve(
    app_factory: Callable[[], Any],
    bind: str | socket.socket,
    *,
    workers: int = 1,
    threads: int = 16,
    certfile: str | None = None,
    keyfile: str | None = None,
    log_level: str = "warning",
    read_header_timeout: float = DEFAULT_READ_HEADER_TIMEOUT,
    read_timeout: float = DEFAULT_READ_TIMEOUT,
) -> None:
    """Run gunicorn in the foreground until it is stopped. ``bind`` is an address or a socket
    from :func:`bind_listener` (gunicorn takes it over). The worker is gunicorn's ``gthread``
    with Vault's listener read timeouts (:mod:`.worker`): a half-sent request holds a thread
    for ``read_header_timeout`` (head) / ``read_timeout`` (whole request) seconds at most."""
    configure_logging(log_level)
    if isinstance(bind, socket.socket):
        bind = f"fd://{bind.detach()}"
    options: dict[str, Any] = {
        "bind": bind,
        "workers": workers,
        "worker_class": worker_class(read_header_timeout, read_timeout),
        "ssl_context": ssl_context,
        "threads": threads,
        "timeout": 120,
        "graceful_timeout": 5,
        "keepalive": 5,
        "loglevel": log_level,
        "accesslog": None,
        "certfile": certfile,
        "keyfile": keyfile,
        # Go's server has no URL limit of its own and 1 MiB for all headers: a long path
        # or a large (agent) token reaches the app and gets Vault's JSON answer, not
        # gunicorn's HTML 414/431.
        "limit_request_line": 0,
        "limit_request_field_size": 1 << 20,
        # gunicorn 27's control socket lives at one path per user (~/.gunicorn): several
        # servers would share, and remove, each other's. We do not use it.
        "control_socket_disable": True,
    }
    GunicornServer(app_factory, options).run()
