"""The ``vab`` command line, in the style of ``vault``."""

from __future__ import annotations

import contextlib
import re
import sys
from importlib.metadata import entry_points

import click

from .base import VabGroup, format_option, http_options
from .errors import EXIT_LOCAL

_SINGLE_DASH = re.compile(r"^-([a-zA-Z][a-zA-Z0-9_-]+)(=.*)?$")
_SHORT_WITH_VALUE = re.compile(r"^-([a-zA-Z])=(.*)$")


def normalize_args(argv: list[str]) -> list[str]:
    """Accept Vault's single-dash long flags (``-dev``, ``-format=json``) as ``--`` flags."""
    out = []
    for index, arg in enumerate(argv):
        if arg == "--":
            out.extend(argv[index:])
            break
        short = _SHORT_WITH_VALUE.match(arg)
        if short:  # Go's flag package accepts -i=5m for one-letter flags too
            out.extend([f"-{short.group(1)}", short.group(2)])
            continue
        match = _SINGLE_DASH.match(arg)
        out.append("-" + arg if match else arg)
    return out


@click.group(cls=VabGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="vab-client", prog_name="vab")
@http_options
@format_option
def cli() -> None:
    """vab: command line for vault-agent-backend (and any Vault/OpenBao server).

    Works like `vault`/`bao`: flags are written with one dash (-format=json) or two
    (--format=json) and go before the command's arguments. Reads VAULT_ADDR,
    VAULT_TOKEN, VAULT_FORMAT and VAULT_NAMESPACE (BAO_* as a fallback); without
    VAULT_TOKEN the token saved by `vab login` in ~/.vault-token is used.

    Exit codes: 0 success, 1 local error (bad usage, unreadable file), 2 error from
    the server, 127 no command or an unknown command.

    \b
    Examples:
      export VAULT_ADDR=http://127.0.0.1:8200
      vab login -method=userpass username=alice
      vab kv put secret/app password=s3cret
      vab kv get -format=json secret/app
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


#: vault's exit code when no command is given or the command does not exist.
EXIT_NO_COMMAND = 127


def _missing_command(exc: click.exceptions.UsageError) -> bool:
    """True for "no command" / "no such command" at the top level (``vab``, ``vab nope``)."""
    if exc.ctx is None or exc.ctx.parent is not None:
        return False
    if type(exc).__name__ in ("NoArgsIsHelpError", "NoSuchCommand"):
        return True
    return exc.message.startswith(("No such command", "Missing command"))


def run(args: list[str]) -> int:
    """Run ``vab`` with already-normalized ``args`` and return the exit code.

    Usage errors exit with 1 (click's default would be 2, which vault reserves for
    errors returned by the server); no command or an unknown one exits with 127, as
    vault's does.
    """
    try:
        cli.main(args=args, prog_name="vab", standalone_mode=False)
    except click.exceptions.UsageError as exc:
        exc.show()
        return EXIT_NO_COMMAND if _missing_command(exc) else EXIT_LOCAL
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("Aborted!", err=True)
        return EXIT_LOCAL
    except BrokenPipeError:
        return EXIT_LOCAL
    return 0


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``vab``."""
    from . import commands  # noqa: F401 - registers the built-in commands

    _load_plugins()
    args = normalize_args(list(sys.argv[1:] if argv is None else argv))
    code = run(args)
    with contextlib.suppress(BrokenPipeError):
        sys.stdout.flush()
    sys.exit(code)
