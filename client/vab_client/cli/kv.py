"""``vab kv get|put|list|delete|undelete|destroy`` (KV v1 and v2, detected per mount).

``vab kv patch`` is in :mod:`kv_patch`, ``vab kv metadata ...`` in :mod:`kv_metadata`.
"""

from __future__ import annotations

from typing import Any

import click

from .base import State, call, common_options, expect_args, group, pass_state
from .errors import EXIT_API, Failure, exit_with
from .generic import parse_data
from .kv_common import mount_option, print_kv_write
from .kv_metadata import metadata_group
from .kv_patch import kv_patch
from .kv_paths import parse_versions, resolve
from .output import (
    header_for_map,
    out,
    output_data,
    output_list,
    output_path,
    output_secret,
    print_field,
    print_warnings,
)


@group("kv")
def kv_group() -> None:
    """Read and write secrets in KV engines (v1 and v2).

    The KV version of the mount is detected automatically.

    Paths are given as MOUNT/PATH (secret/app) or as PATH with -mount=MOUNT; for KV
    version 2 the API path gets /data/ (or /metadata/ ...) inserted for you.

    \b
    Examples:
      vab kv put secret/app user=admin password=s3cret
      vab kv get secret/app
      vab kv get -mount=secret -field=password app
      vab kv list secret/
      vab kv metadata get secret/app
    """


@kv_group.command("get")
@mount_option
@click.option("--version", "version", type=int, default=0, help="Read this version (KV v2).")
@common_options(field=True)
@click.argument("args", nargs=-1, metavar="KEY")
@pass_state
def kv_get(state: State, mount: str, version: int, args: tuple[str, ...]) -> None:
    """Read a secret: its metadata (KV v2) and data.

    \b
    Examples:
      vab kv get secret/app
      vab kv get -mount=secret app
      vab kv get -version=2 secret/app
      vab kv get -field=password secret/app
      vab kv get -format=json secret/app
    """
    fmt = state.checked_format()
    expect_args(args, 1)
    api = state.api()
    target = resolve(api, args[0], mount)
    full = target.path("data")
    params = {"version": str(version)} if target.v2 and version > 0 else None
    secret = call(fmt, lambda: api.read(full, params), f"Error reading {full}")
    if secret is None:
        raise Failure(f"No value found at {full}", EXIT_API)
    body = secret.data
    if state.field:
        if not target.v2:
            print_field(fmt, secret, state.field)
            return
        data = (body or {}).get("data")
        if data is None:
            raise Failure(f"No data found at {full}", EXIT_API)
        if state.field == "data" and not (isinstance(data, dict) and "data" in data):
            print_field(fmt, secret, state.field)
        else:
            print_field(fmt, data if isinstance(data, dict) else {}, state.field)
        return
    if secret.wrap_info is not None or fmt != "table":
        output_secret(fmt, secret)
        return
    print_warnings(secret)
    if target.v2:
        output_path(full, "Secret Path")
        metadata = (body or {}).get("metadata")
        if isinstance(metadata, dict):
            out(header_for_map("Metadata", metadata))
            output_data(fmt, metadata)
            out("")
        data = body.get("data") if body is not None else None
    else:
        data = body
    if isinstance(data, dict):
        out(header_for_map("Data", data))
        output_data(fmt, data)


@kv_group.command("put")
@mount_option
@click.option(
    "--cas",
    type=int,
    default=-1,
    help="Check-and-set (KV v2): 0 writes only if the key does not exist, N only if the "
    "current version is N. Default: no check.",
)
@common_options(field=True)
@click.argument("args", nargs=-1, metavar="KEY K=V...")
@pass_state
def kv_put(state: State, mount: str, cas: int, args: tuple[str, ...]) -> None:
    """Write a secret, replacing its data (a new version in KV v2).

    Data is KEY=VALUE pairs; KEY=@FILE reads a file, KEY=- reads stdin, and a lone "-"
    reads a JSON object from stdin. Use `vab kv patch` to change only some keys.

    \b
    Examples:
      vab kv put secret/app user=admin password=s3cret
      vab kv put -mount=secret app cert=@cert.pem
      vab kv put -cas=0 secret/app token=abc
      echo '{"user": "admin", "port": 5432}' | vab kv put secret/db -
    """
    fmt = state.checked_format()
    if not args:
        raise Failure("Not enough arguments (expected >1, got 0)")
    if len(args) == 1:
        raise Failure("Must supply data")
    data: Any = parse_data(state, args[1:])
    api = state.api()
    target = resolve(api, args[0], mount)
    full = target.path("data")
    if target.v2:
        options: dict[str, Any] = {"cas": cas} if cas > -1 else {}
        data = {"data": data, "options": options}
    secret = call(fmt, lambda: api.write(full, data), f"Error writing data to {full}")
    print_kv_write(state, fmt, full, secret)


@kv_group.command("list")
@mount_option
@common_options()
@click.argument("args", nargs=-1, metavar="PATH")
@pass_state
def kv_list(state: State, mount: str, args: tuple[str, ...]) -> None:
    """List the keys under a path (folders end with "/").

    \b
    Examples:
      vab kv list secret/
      vab kv list -mount=secret apps/
      vab kv list -format=json secret
    """
    fmt = state.checked_format()
    if not args and mount:
        args = ("",)
    expect_args(args, 1)
    api = state.api()
    target = resolve(api, args[0], mount)
    full = target.path("metadata")
    secret = call(fmt, lambda: api.list(full), f"Error listing {full}")
    if secret is not None and secret.is_wrapped:
        output_secret(fmt, secret)
        return
    has_keys = secret is not None and isinstance((secret.data or {}).get("keys"), list)
    if fmt != "table" and not has_keys:
        output_data(fmt, {})
        exit_with(EXIT_API)
    if secret is None or secret.data is None:
        raise Failure(f"No value found at {full}", EXIT_API)
    if not has_keys:
        raise Failure(f"No entries found at {full}", EXIT_API)
    output_list(fmt, secret)


@kv_group.command("delete")
@mount_option
@click.option(
    "--versions",
    multiple=True,
    help="KV v2: soft-delete these versions (e.g. -versions=1,2) instead of the latest.",
)
@common_options(field=True)
@click.argument("args", nargs=-1, metavar="KEY")
@pass_state
def kv_delete(state: State, mount: str, versions: tuple[str, ...], args: tuple[str, ...]) -> None:
    """Delete a secret (KV v2: soft-delete versions).

    Without -versions the latest version is soft-deleted.

    Soft-deleted versions can be brought back with `vab kv undelete`; `vab kv destroy`
    removes version data for good and `vab kv metadata delete` removes everything.

    \b
    Examples:
      vab kv delete secret/app
      vab kv delete -versions=2,3 secret/app
    """
    fmt = state.checked_format()
    expect_args(args, 1)
    api = state.api()
    target = resolve(api, args[0], mount)
    full = target.path("data")
    if target.v2 and versions:
        path, body = target.path("delete"), {"versions": parse_versions(versions)}
        request = lambda: api.write(path, body)  # noqa: E731
    else:
        request = lambda: api.delete(full)  # noqa: E731
    secret = call(fmt, request, f"Error deleting {full}")
    if secret is None:
        if fmt == "table":
            out(f"Success! Data deleted (if it existed) at: {full}")
        return
    if state.field:
        print_field(fmt, secret, state.field)
    else:
        output_secret(fmt, secret)


def _versions_write(
    state: State, action: str, mount: str, versions: tuple[str, ...], args: tuple[str, ...]
) -> None:
    fmt = state.checked_format()
    expect_args(args, 1)
    if not versions:
        raise Failure(
            f'No versions provided, use the "-versions" flag to specify the version to {action}.'
        )
    api = state.api()
    target = resolve(api, args[0], mount)
    if not target.v2:
        raise Failure(f"{action.capitalize()} not supported on KV Version 1")
    path = target.path(action)
    body = {"versions": parse_versions(versions)}
    secret = call(fmt, lambda: api.write(path, body), f"Error writing data to {path}")
    if secret is None:
        if fmt == "table":
            out(f"Success! Data written to: {path}")
        return
    output_secret(fmt, secret)


@kv_group.command("undelete")
@mount_option
@click.option("--versions", multiple=True, help="Versions to restore, e.g. -versions=2,3.")
@common_options()
@click.argument("args", nargs=-1, metavar="KEY")
@pass_state
def kv_undelete(state: State, mount: str, versions: tuple[str, ...], args: tuple[str, ...]) -> None:
    """Restore soft-deleted versions of a KV v2 secret.

    \b
    Example:
      vab kv undelete -versions=3 secret/app
    """
    _versions_write(state, "undelete", mount, versions, args)


@kv_group.command("destroy")
@mount_option
@click.option("--versions", multiple=True, help="Versions to destroy, e.g. -versions=1,2.")
@common_options()
@click.argument("args", nargs=-1, metavar="KEY")
@pass_state
def kv_destroy(state: State, mount: str, versions: tuple[str, ...], args: tuple[str, ...]) -> None:
    """Destroy versions of a KV v2 secret for good.

    The data of the versions is removed; the metadata stays.

    \b
    Example:
      vab kv destroy -versions=1,2 secret/app
    """
    _versions_write(state, "destroy", mount, versions, args)


kv_group.add_command(kv_patch)
kv_group.add_command(metadata_group)
COMMANDS = [kv_group]
