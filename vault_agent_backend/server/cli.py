"""The ``vab server`` command (a plugin of the client's ``vab`` CLI)."""

from __future__ import annotations

import click

from .levels import LOG_LEVELS, python_log_level


@click.command("server", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--dev", "dev", is_flag=True, help="Run a throwaway in-memory dev server.")
@click.option("--dev-root-token-id", default="", help="Root token id in dev mode.")
@click.option(
    "--dev-storage",
    default="inmem",
    show_default=True,
    type=click.Choice(["inmem", "sqlite"]),
    help="Dev mode storage: in memory, or a temporary SQLite file removed at exit.",
)
@click.option(
    "--dev-no-store-token",
    is_flag=True,
    help="Do not save the dev root token in the token helper (~/.vault-token).",
)
@click.option(
    "--dev-listen-address",
    default="127.0.0.1:8200",
    show_default=True,
    help="Address to bind in dev mode.",
)
@click.option(
    "--config",
    "config_path",
    default=None,
    type=click.Path(),
    help="Path to a server configuration file (HCL, Vault's format).",
)
@click.option(
    "--log-level",
    default=None,
    envvar="VAULT_LOG_LEVEL",
    type=click.Choice(LOG_LEVELS),
    help="Log level (default: the config file's log_level, else info; warning in dev mode).",
)
def server_command(
    dev: bool,
    dev_root_token_id: str,
    dev_storage: str,
    dev_no_store_token: bool,
    dev_listen_address: str,
    config_path: str | None,
    log_level: str,
) -> None:
    """Start a vault-agent-backend server (like `vault server`).

    Flags may be written Vault's way with a single dash: `vab server -dev
    -dev-root-token-id=root -dev-listen-address=127.0.0.1:8200`.
    """
    if dev:
        from .dev import run_dev

        run_dev(
            dev_listen_address,
            dev_root_token_id,
            python_log_level(log_level or "warning"),
            dev_storage,
            store_token=not dev_no_store_token,
        )
        return
    if not config_path:
        raise click.UsageError("either -dev or -config=FILE is required")
    from .config_server import run_from_config

    run_from_config(config_path, log_level)
