"""Vault's log level names and their Python equivalents (a module of its own so that the
``vab server`` command can declare its flag without importing the server)."""

from __future__ import annotations

LOG_LEVELS = ("trace", "debug", "info", "warn", "warning", "error")


def python_log_level(level: str) -> str:
    """The Python/gunicorn level name for a Vault log level."""
    return {"trace": "debug", "warn": "warning"}.get(level, level)
