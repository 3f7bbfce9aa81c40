"""Exit codes and the exception that ends a ``vab`` command with one.

Like ``vault``: 0 success, 1 local error (bad usage, unreadable input, unknown format),
2 error reported by the server (or a request that could not be made).
"""

from __future__ import annotations

from typing import IO, Any

import click

EXIT_OK = 0
EXIT_LOCAL = 1
EXIT_API = 2


class Failure(click.ClickException):
    """Stop the command: print ``message`` (if any) on stderr and exit with ``code``."""

    def __init__(self, message: str = "", code: int = EXIT_LOCAL) -> None:
        super().__init__(message)
        self.exit_code = code

    def show(self, file: IO[Any] | None = None) -> None:
        """Print the message as is (no ``Error:`` prefix, vault prints none either)."""
        if self.message:
            click.echo(self.message, err=True)


def api_failure(message: str) -> Failure:
    """A failure caused by the server's answer (exit code 2)."""
    return Failure(message, EXIT_API)


def exit_with(code: int) -> None:
    """End the command with ``code`` after its output was printed."""
    raise Failure("", code)
