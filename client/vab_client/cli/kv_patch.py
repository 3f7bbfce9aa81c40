"""``vab kv patch``: change some keys of a KV v2 secret, keeping the others."""

from __future__ import annotations

from typing import Any

import click

from .api import API, APIError, RequestError, Secret
from .base import State, call, command, common_options, pass_state
from .errors import EXIT_API, Failure
from .generic import parse_data
from .kv_common import mount_option, print_kv_write
from .kv_paths import resolve
from .output import err, out


def _write_failed(path: str, exc: Exception) -> Failure:
    return Failure(f"Error writing data to {path}: {exc}", EXIT_API)


def read_then_write(api: API, fmt: str, path: str, new_data: dict[str, Any]) -> Secret | None:
    """Patch by reading the current version and writing the merge with ``cas`` set."""
    current = call(fmt, lambda: api.read(path), f"Error doing pre-read at {path}")
    if current is None or current.data is None:
        raise Failure(f"No value found at {path}", EXIT_API)
    metadata = current.data.get("metadata")
    if not isinstance(metadata, dict):
        raise Failure(f"No metadata found at {path}; patch only works on existing data", EXIT_API)
    data = current.data.get("data")
    if not isinstance(data, dict):
        raise Failure(f"No data found at {path}; patch only works on existing data", EXIT_API)
    merged = {**data, **new_data}
    body = {"data": merged, "options": {"cas": metadata.get("version")}}
    try:
        return api.write(path, body)
    except (APIError, RequestError) as exc:
        raise _write_failed(path, exc) from None


def merge_patch(
    api: API, fmt: str, path: str, new_data: dict[str, Any], cas: int, fallback: bool
) -> Secret | None:
    """Patch with an HTTP PATCH (JSON merge patch); fall back to read+write if allowed."""
    body = {"data": new_data, "options": {"cas": cas} if cas > 0 else {}}
    try:
        return api.merge_patch(path, body)
    except APIError as exc:
        if fallback and exc.status == 405:
            return read_then_write(api, fmt, path, new_data)
        if fallback and exc.status == 403:
            err(
                f"Data was written to {path} but we recommend that you add the "
                '"patch" capability to your ACL policy in order to use HTTP PATCH in '
                "the future."
            )
            return read_then_write(api, fmt, path, new_data)
        raise _write_failed(path, exc) from None
    except RequestError as exc:
        raise _write_failed(path, exc) from None


@command("patch")
@mount_option
@click.option(
    "--cas",
    type=int,
    default=0,
    help="Check-and-set: patch only if the current version is N (0: no check).",
)
@click.option(
    "--method",
    default="",
    help='"patch" (HTTP PATCH) or "rw" (read, merge locally, write back with cas). '
    "Default: PATCH, falling back to rw when PATCH is not allowed.",
)
@click.option("--remove-data", multiple=True, metavar="KEY", help="Key to remove; repeatable.")
@common_options(field=True)
@click.argument("args", nargs=-1, metavar="KEY [K=V...]")
@pass_state
def kv_patch(
    state: State,
    mount: str,
    cas: int,
    method: str,
    remove_data: tuple[str, ...],
    args: tuple[str, ...],
) -> None:
    """Update some keys of a KV v2 secret, keeping the others.

    \b
    Examples:
      vab kv patch secret/app password=n3w
      vab kv patch -mount=secret -cas=4 app password=n3w
      vab kv patch -remove-data=old_key secret/app
      vab kv patch -method=rw secret/app password=n3w
    """
    fmt = state.checked_format()
    if not args:
        raise Failure("Not enough arguments (expected >1, got 0)")
    if len(args) == 1 and not remove_data:
        raise Failure("Must supply data")
    new_data: dict[str, Any] = parse_data(state, args[1:])
    api = state.api()
    target = resolve(api, args[0], mount)
    if not target.v2:
        raise Failure("K/V engine mount must be version 2 for patch support", EXIT_API)
    full = target.path("data")
    for key in remove_data:
        new_data[key] = None
    if method == "rw":
        secret = read_then_write(api, fmt, full, new_data)
    elif method in ("patch", ""):
        secret = merge_patch(api, fmt, full, new_data, cas, fallback=method == "")
    else:
        raise Failure(f"Unsupported method provided to -method flag: {method}", EXIT_API)
    if secret is None and fmt == "table":
        out(f"Success! Data written to: {full}")
        return
    print_kv_write(state, fmt, full, secret)
