"""``vab kv metadata get|put|patch|delete``: the version history and settings of KV v2 keys."""

from __future__ import annotations

import click

from .api import Secret
from .base import (
    DURATION,
    KEY_VALUE,
    BoolFlag,
    State,
    call,
    common_options,
    expect_args,
    group,
    pass_state,
)
from .errors import EXIT_API, Failure
from .gofmt import duration_string
from .kv_common import mount_option
from .kv_paths import KVTarget, resolve
from .output import err, header_for_map, out, output_data, output_path, output_secret, print_field


@group("metadata")
def metadata_group() -> None:
    """Read and change the metadata of KV v2 secrets.

    Metadata: the versions, their limits and custom key/value data.

    \b
    Examples:
      vab kv metadata get secret/app
      vab kv metadata put -max-versions=5 -custom-metadata=owner=ops secret/app
      vab kv metadata patch -remove-custom-metadata=owner secret/app
      vab kv metadata delete secret/app
    """


def _v2_target(state: State, path: str, mount: str) -> KVTarget:
    target = resolve(state.api(), path, mount)
    if not target.v2:
        raise Failure("Metadata not supported on KV Version 1")
    return target


@metadata_group.command("get")
@mount_option
@common_options(field=True)
@click.argument("args", nargs=-1, metavar="KEY")
@pass_state
def metadata_get(state: State, mount: str, args: tuple[str, ...]) -> None:
    """Show a secret's metadata and the state of each of its versions.

    \b
    Examples:
      vab kv metadata get secret/app
      vab kv metadata get -format=json -mount=secret app
    """
    fmt = state.checked_format()
    expect_args(args, 1)
    full = _v2_target(state, args[0], mount).path("metadata")
    api = state.api()
    secret = call(fmt, lambda: api.read(full), f"Error reading {full}")
    if secret is None:
        raise Failure(f"No value found at {full}", EXIT_API)
    if state.field:
        print_field(fmt, secret, state.field)
        return
    if secret.wrap_info is not None or fmt != "table":
        output_secret(fmt, secret)
        return
    data = secret.data or {}
    versions = data.get("versions")
    if not isinstance(versions, dict):
        err(f"No value found at {full}")
        output_secret(fmt, secret)
        raise Failure("", EXIT_API)
    del data["versions"]
    output_path(full, "Metadata Path")
    out(header_for_map("Metadata", data))
    output_secret(fmt, secret)
    try:
        numbers = sorted(int(v) for v in versions)
    except ValueError as exc:
        raise Failure(f"Error parsing version {exc}", EXIT_API) from None
    for number in numbers:
        version = versions[str(number)]
        out("\n" + header_for_map(f"Version {number}", version))
        output_data(fmt, version)


def _settings(
    max_versions: int, cas_required: bool | None, delete_version_after: int | None
) -> dict[str, object]:
    """The settings flags given (``-max-versions`` below 0 and no duration: not given)."""
    body: dict[str, object] = {}
    if max_versions >= 0:
        body["max_versions"] = max_versions
    if cas_required is not None:
        body["cas_required"] = cas_required
    if delete_version_after is not None and delete_version_after >= 0:
        body["delete_version_after"] = duration_string(delete_version_after)
    return body


def _written(fmt: str, full: str, secret: Secret | None) -> None:
    """What put and patch print: the success line, or the response when there is one."""
    if secret is None:
        if fmt == "table":
            out(f"Success! Data written to: {full}")
        return
    output_secret(fmt, secret)


@metadata_group.command("put")
@mount_option
@click.option("--max-versions", type=int, default=-1, help="Versions to keep (0: engine's).")
@click.option(
    "--cas-required/--no-cas-required",
    cls=BoolFlag,
    default=None,
    help="Require -cas on every write to this key.",
)
@click.option(
    "--delete-version-after",
    type=DURATION,
    default=None,
    help="Delete versions this long after they are written (e.g. 720h).",
)
@click.option(
    "--custom-metadata",
    type=KEY_VALUE,
    multiple=True,
    help="key=value metadata describing the secret; repeatable.",
)
@common_options()
@click.argument("args", nargs=-1, metavar="KEY")
@pass_state
def metadata_put(
    state: State,
    mount: str,
    max_versions: int,
    cas_required: bool | None,
    delete_version_after: int | None,
    custom_metadata: tuple[tuple[str, str], ...],
    args: tuple[str, ...],
) -> None:
    """Change the settings of a secret (creates the metadata if needed).

    \b
    Examples:
      vab kv metadata put -max-versions=3 secret/app
      vab kv metadata put -cas-required=true secret/app
      vab kv metadata put -custom-metadata=owner=ops -custom-metadata=tier=1 secret/app
    """
    fmt = state.checked_format()
    expect_args(args, 1)
    full = _v2_target(state, args[0], mount).path("metadata")
    body = _settings(max_versions, cas_required, delete_version_after)
    if custom_metadata:
        body["custom_metadata"] = dict(custom_metadata)
    api = state.api()
    _written(fmt, full, call(fmt, lambda: api.write(full, body), f"Error writing data to {full}"))


@metadata_group.command("patch")
@mount_option
@click.option(
    "--max-versions", type=int, default=-1, help="Versions to keep (0: engine's; <0: unchanged)."
)
@click.option(
    "--cas-required/--no-cas-required",
    cls=BoolFlag,
    default=None,
    help="Require -cas on every write to this key (unchanged if not given).",
)
@click.option(
    "--delete-version-after",
    type=DURATION,
    default=None,
    help="Delete versions this long after they are written (e.g. 720h; unchanged if not given).",
)
@click.option(
    "--custom-metadata",
    type=KEY_VALUE,
    multiple=True,
    help="key=value to add to or change in the custom metadata; repeatable.",
)
@click.option(
    "--remove-custom-metadata",
    multiple=True,
    metavar="KEY",
    help="Key to remove from the custom metadata; repeatable.",
)
@common_options()
@click.argument("args", nargs=-1, metavar="KEY")
@pass_state
def metadata_patch(
    state: State,
    mount: str,
    max_versions: int,
    cas_required: bool | None,
    delete_version_after: int | None,
    custom_metadata: tuple[tuple[str, str], ...],
    remove_custom_metadata: tuple[str, ...],
    args: tuple[str, ...],
) -> None:
    """Change some settings of a secret, keeping the others (HTTP PATCH).

    Only the flags given are changed; custom metadata keys not named stay as they are.
    The metadata must exist already (else the server answers 404).

    \b
    Examples:
      vab kv metadata patch -max-versions=5 secret/app
      vab kv metadata patch -mount=secret -cas-required app
      vab kv metadata patch -custom-metadata=owner=ops -remove-custom-metadata=tier secret/app
    """
    fmt = state.checked_format()
    expect_args(args, 1)
    full = _v2_target(state, args[0], mount).path("metadata")
    body = _settings(max_versions, cas_required, delete_version_after)
    custom: dict[str, str | None] = dict(custom_metadata)
    for key in remove_custom_metadata:
        custom[key.strip()] = None  # null removes the key in a JSON merge patch
    body["custom_metadata"] = custom  # always sent, as vault/bao do (empty: no change)
    api = state.api()
    secret = call(fmt, lambda: api.merge_patch(full, body), f"Error writing data to {full}")
    _written(fmt, full, secret)


@metadata_group.command("delete")
@mount_option
@common_options(fmt=False)
@click.argument("args", nargs=-1, metavar="KEY")
@pass_state
def metadata_delete(state: State, mount: str, args: tuple[str, ...]) -> None:
    """Delete a secret entirely: metadata and every version.

    \b
    Example:
      vab kv metadata delete secret/app
    """
    expect_args(args, 1)
    full = _v2_target(state, args[0], mount).path("metadata")
    api = state.api()
    call("table", lambda: api.delete(full), f"Error deleting {full}")
    out(f"Success! Data deleted (if it existed) at: {full}")
