"""The ``vab`` command line, in the style of ``vault``."""

from __future__ import annotations

import re
import sys
from importlib.metadata import entry_points

import click

_SINGLE_DASH = re.compile(r"^-([a-zA-Z][a-zA-Z0-9_-]+)(=.*)?$")


def normalize_args(argv: list[str]) -> list[str]:
    """Accept Vault's single-dash long flags (``-dev``, ``-format=json``) as ``--`` flags."""
    out = []
    for index, arg in enumerate(argv):
        if arg == "--":
            out.extend(argv[index:])
            break
        match = _SINGLE_DASH.match(arg)
        out.append("-" + arg if match else arg)
    return out


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="vab-client", prog_name="vab")
def cli() -> None:
    """vab: command line for vault-agent-backend (and any Vault/OpenBao server).

    Reads VAULT_ADDR and VAULT_TOKEN like `vault`. Exit codes: 0 success,
    1 local error (bad usage, unreadable file), 2 error from the server.
    """


def _load_plugins() -> None:
    for ep in entry_points(group="vab.commands"):
        if ep.name in cli.commands:
            continue
        try:
            command = ep.load()
        except Exception as exc:  # a broken plugin must not break the rest of the CLI
            click.echo(f"warning: cannot load vab command {ep.name!r}: {exc}", err=True)
            continue
        cli.add_command(command, ep.name)


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``vab``."""
    from . import commands  # noqa: F401 - registers the built-in commands

    _load_plugins()
    args = normalize_args(list(sys.argv[1:] if argv is None else argv))
    cli.main(args=args, prog_name="vab")
