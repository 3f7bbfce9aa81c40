"""Serve the Flask app under gunicorn (threads for dev mode, several workers otherwise)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication


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
    bind: str,
    *,
    workers: int = 1,
    threads: int = 16,
    certfile: str | None = None,
    keyfile: str | None = None,
    log_level: str = "warning",
) -> None:
    """Run gunicorn in the foreground until it is stopped."""
    options: dict[str, Any] = {
        "bind": bind,
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "timeout": 120,
        "graceful_timeout": 5,
        "keepalive": 5,
        "loglevel": log_level,
        "accesslog": None,
        "certfile": certfile,
        "keyfile": keyfile,
        "limit_request_field_size": 16384,
    }
    GunicornServer(app_factory, options).run()
