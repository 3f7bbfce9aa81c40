"""``vab read``, ``write``, ``list`` and ``delete``: raw access to any API path."""

from __future__ import annotations

import click

from .api import Secret
from .base import (
    BoolFlag,
    State,
    call,
    command,
    common_options,
    expect_args,
    expect_at_least,
    pass_state,
    sanitize_path,
    stdin_text,
)
from .errors import EXIT_API, EXIT_LOCAL, Failure, exit_with
from .kvargs import KVArgError, as_string_lists, parse_kv_args
from .output import (
    out,
    output_data,
    output_list,
    output_secret,
    print_field,
)


def parse_data(state: State, args: tuple[str, ...], what: str = "K=V data") -> dict:
    """``k=v`` arguments as a dict, or a local failure with vault's message."""
    try:
        return parse_kv_args(args, lambda: stdin_text(state))
    except KVArgError as exc:
        raise Failure(f"Failed to parse {what}: {exc}", EXIT_LOCAL) from None


@command("read")
@common_options(field=True)
@click.argument("args", nargs=-1, metavar="PATH [K=V...]")
@pass_state
def read_command(state: State, args: tuple[str, ...]) -> None:
    """Read data from a path and print it.

    Any extra KEY=VALUE arguments are sent as query parameters. -format=raw prints the
    server's response body unchanged. A path with nothing stored prints "No value found
    at PATH" and exits with code 2.

    \b
    Examples:
      vab read secret/data/app
      vab read -field=data -format=json secret/data/app
      vab read sys/policies/acl/default
      vab read -format=raw sys/health
    """
    fmt = state.checked_format(allow_raw=True)
    expect_at_least(args, 1)
    path = sanitize_path(args[0])
    params = as_string_lists(parse_data(state, args[1:]))
    api = state.api()
    if fmt == "raw":
        response = call(
            fmt, lambda: api.request("GET", path, params=params), f"Error reading: {path}"
        )
        if response.status_code >= 400:
            raise Failure(f"Error reading: {path}: {api.error_for(response)}", EXIT_API)
        out(response.text)
        return
    secret = call(fmt, lambda: api.read(path, params), f"Error reading {path}")
    if secret is None:
        raise Failure(f"No value found at {path}", EXIT_API)
    if state.field:
        print_field(fmt, secret, state.field)
    else:
        output_secret(fmt, secret)


@command("write")
@click.option("--force", "-f", cls=BoolFlag, is_flag=True, help="Allow a write without any data.")
@common_options(field=True)
@click.argument("args", nargs=-1, metavar="PATH [K=V...]")
@pass_state
def write_command(state: State, force: bool, args: tuple[str, ...]) -> None:
    """Write data to a path (PUT /v1/PATH).

    Data is given as KEY=VALUE pairs. KEY=@FILE takes the value from a file, KEY=-
    from stdin; a lone "-" reads a JSON object from stdin. Repeating a key sends a list.

    \b
    Examples:
      vab write secret/data/app data=@data.json
      vab write auth/userpass/users/alice password=s3cret policies=dev
      echo '{"policy": "path \\"x/*\\" {capabilities=[\\"read\\"]}"}' | \\
          vab write sys/policies/acl/reader -
      vab write -field=token auth/token/create policies=default
    """
    fmt = state.checked_format()
    expect_at_least(args, 1)
    if len(args) == 1 and not force:
        raise Failure("Must supply data or use -force")
    path = sanitize_path(args[0])
    data = parse_data(state, args[1:])
    api = state.api()
    secret = call(fmt, lambda: api.write(path, data), f"Error writing data to {path}")
    print_write_result(state, fmt, path, secret)


def print_write_result(state: State, fmt: str, path: str, secret: Secret | None) -> None:
    """Print what a write returned: "Success!" for no content, else the response."""
    if secret is None:
        if fmt == "table":
            out(f"Success! Data written to: {path}")
        return
    if state.field:
        print_field(fmt, secret, state.field)
    else:
        output_secret(fmt, secret)


@command("list")
@common_options()
@click.argument("args", nargs=-1, metavar="PATH")
@pass_state
def list_command(state: State, args: tuple[str, ...]) -> None:
    """List the keys under a path (folders end with "/").

    \b
    Examples:
      vab list secret/metadata
      vab list -format=json sys/policies/acl
      vab list auth/token/accessors
    """
    fmt = state.checked_format()
    expect_args(args, 1)
    path = sanitize_path(args[0])
    api = state.api()
    secret = call(fmt, lambda: api.list(path), f"Error listing {path}")
    if secret is not None and secret.is_wrapped:
        output_secret(fmt, secret)
        return
    has_keys = secret is not None and isinstance((secret.data or {}).get("keys"), list)
    if fmt != "table" and (secret is None or secret.data is None or not has_keys):
        output_data(fmt, {})
        exit_with(EXIT_API)
    if secret is None:
        raise Failure(f"No value found at {path}", EXIT_API)
    if secret.data is None:
        output_secret(fmt, secret)
        return
    if not has_keys:
        raise Failure(f"No entries found at {path}", EXIT_API)
    output_list(fmt, secret)


@command("delete")
@common_options(field=True)
@click.argument("args", nargs=-1, metavar="PATH [K=V...]")
@pass_state
def delete_command(state: State, args: tuple[str, ...]) -> None:
    """Delete the data at a path (DELETE /v1/PATH).

    Extra KEY=VALUE arguments are sent as query parameters. Deleting a path that holds
    nothing is not an error.

    \b
    Examples:
      vab delete secret/data/app
      vab delete sys/policies/acl/reader
    """
    fmt = state.checked_format()
    expect_at_least(args, 1, label="at least 1")
    path = sanitize_path(args[0])
    params = as_string_lists(parse_data(state, args[1:], "string list data"))
    api = state.api()
    secret = call(fmt, lambda: api.delete(path, params), f"Error deleting {path}")
    if secret is None:
        if fmt == "table":
            out(f"Success! Data deleted (if it existed) at: {path}")
        return
    if state.field:
        print_field(fmt, secret, state.field)
    else:
        output_secret(fmt, secret)


COMMANDS = [read_command, write_command, list_command, delete_command]
