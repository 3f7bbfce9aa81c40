"""Pieces shared by the ``vab kv`` commands: the ``-mount`` flag and write output."""

from __future__ import annotations

from typing import Any

import click

from .api import Secret
from .base import State
from .output import header_for_map, out, output_data, output_path, output_secret, print_field

MOUNT_HELP = (
    "Mount path of the KV engine; the argument is then the secret's path inside it. "
    "Without it the argument is MOUNT/PATH."
)


def mount_option(f: Any) -> Any:
    """Add ``-mount=PATH``."""
    return click.option("--mount", default="", metavar="PATH", help=MOUNT_HELP)(f)


def print_kv_write(state: State, fmt: str, full: str, secret: Secret | None) -> None:
    """What ``kv put``/``kv patch`` print: the new version's metadata."""
    if secret is None:
        if fmt == "table":
            out(f"Success! Data written to: {full}")
        return
    if state.field:
        print_field(fmt, secret, state.field)
    elif secret.is_wrapped:
        output_secret(fmt, secret)
    elif fmt == "table":
        output_path(full, "Secret Path")
        out(header_for_map("Metadata", secret.data))
        output_data(fmt, secret.data or {})
    else:
        output_secret(fmt, secret)
