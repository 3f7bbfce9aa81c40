"""``vab audit enable|disable|list`` (audit devices, ``sys/audit``) and ``vab audit verify
FILE`` (check the tamper-evidence chain of an audit file).

enable, disable and list print what ``bao audit ...`` prints (the list decoded into the
Go API's ``Audit`` struct, so ``-format=json`` has its fields in its order).

The chain key (and the chain head, which detects a cut-off tail) come from the server
(``GET sys/audit/:path/chain-key``, which needs ``sudo``), or from ``-key-file`` /
``VAB_AUDIT_CHAIN_KEY`` without any server. See :mod:`vab_client.audit_chain`.

A file must begin at seq 1 unless ``-rotated`` says it is a rotated file (one that begins
with the file-start line of a later segment of the chain); a file emptied or cut in place
fails at its first line either way.
"""

from __future__ import annotations

import json
import os
from typing import Any

import click

from ..audit_chain import ChainHead, VerifyResult, verify_lines
from .base import (
    BoolFlag,
    State,
    call,
    common_options,
    detailed_option,
    expect_args,
    group,
    pass_state,
    sanitize_path,
    stdin_text,
)
from .errors import EXIT_API, EXIT_LOCAL, Failure, exit_with
from .gofmt import Struct
from .kvargs import KVArgError, as_strings, parse_kv_args
from .mounts import columns_table, listing, request_path, trailing_slash
from .output import err, out, output_data

EXIT_TAMPERED = 3
"""Exit code when the file fails verification (1: bad usage or unreadable input, 2: server
error, as for every ``vab`` command)."""
KEY_ENV = "VAB_AUDIT_CHAIN_KEY"


@group("audit")
def audit_group() -> None:
    """Enable, disable and list audit devices; verify audit files.

    Once a device is enabled, a request that cannot be audited fails: enabling more
    than one device is recommended.

    \b
    Examples:
      vab audit list
      vab audit enable file file_path=/var/log/vault_audit.log
      vab audit enable -path=file2 -description="second copy" file file_path=/var/log/a2.log
      vab audit disable file2/
      vab audit verify /var/log/vault_audit.log
      vab audit verify -path=file /var/log/vault_audit.log
      vab audit verify -key-file=chain.json audit.log
      vab audit verify -rotated /var/log/vault_audit.log
    """


def _parse_key(text: str, source: str) -> tuple[bytes, ChainHead | None]:
    """A key given as hex, or the JSON of ``sys/audit/:path/chain-key`` (data or envelope)."""
    text = text.strip()
    head = None
    if text.startswith("{"):
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise Failure(f"Error reading the chain key from {source}: {exc}") from None
        doc = doc.get("data", doc) if isinstance(doc, dict) else {}
        head = _head(doc.get("head"))
        text = str(doc.get("key", ""))
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < 16:
        raise Failure(f"Error reading the chain key from {source}: not a hex key")
    return key, head


def _int(value: Any) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return 0


def _head(raw: Any) -> ChainHead | None:
    if not isinstance(raw, dict):
        return None
    return ChainHead(
        seq=_int(raw.get("seq")),
        hmac=str(raw.get("hmac", "")),
        segment_seq=_int(raw.get("segment_seq")),
        segment_prev=str(raw.get("segment_prev", "")),
    )


def _device_for(state: State, fmt: str, file: str) -> str:
    """The path of the enabled device writing ``file``."""
    api = state.api()
    secret = call(fmt, lambda: api.read("sys/audit"), "Error listing audit devices")
    devices = (secret.data if secret is not None else None) or {}
    wanted = os.path.realpath(file)
    for path, info in devices.items():
        options = (info or {}).get("options") or {}
        target = options.get("file_path") or options.get("path") or ""
        if target and target not in ("stdout", "discard") and os.path.realpath(target) == wanted:
            return str(path)
    raise Failure(f"No enabled audit device writes {file}: name the device with -path", EXIT_API)


def _from_server(state: State, fmt: str, file: str, device: str) -> tuple[bytes, ChainHead | None]:
    device = device.strip("/") or _device_for(state, fmt, file).strip("/")
    api = state.api()
    secret = call(
        fmt,
        lambda: api.read(f"sys/audit/{device}/chain-key"),
        f"Error reading the chain key of audit device {device}",
    )
    data = (secret.data if secret is not None else None) or {}
    key, _ = _parse_key(str(data.get("key", "")), f"audit device {device}")
    return key, _head(data.get("head"))


def _report(fmt: str, file: str, result: VerifyResult) -> None:
    if fmt != "table":
        output_data(
            fmt,
            {
                "file": file,
                "ok": result.ok,
                "lines": result.lines,
                "first_seq": result.first_seq,
                "last_seq": result.last_seq,
                "head_checked": result.head_checked,
                "rotated": result.ok and result.first_seq > 1,
                "failed_line": result.failed_line or None,
                "problem": result.problem or None,
                "message": result.message or None,
            },
        )
        return
    if result.ok:
        seqs = f" (seq {result.first_seq}-{result.last_seq})" if result.lines else ""
        tail = "" if result.head_checked else "; tail not checked (no chain head)"
        if result.first_seq > 1:
            earlier = f"seq 1-{result.first_seq - 1}"
            tail = f"; a rotated file: {earlier} are in earlier files{tail}"
        out(f"Success! {file}: {result.lines} line(s) verified{seqs}{tail}")
    else:
        err(f"Verification failed: {file}: {result.message}")


@audit_group.command("verify")
@common_options()
@click.option("--path", "device", default="", help="The audit device (default: found by FILE).")
@click.option(
    "--key-file",
    default="",
    help="The chain key in hex, or the JSON of sys/audit/:path/chain-key (no server needed).",
)
@click.option(
    "--no-head",
    is_flag=True,
    default=False,
    help="Do not check the end of the file against the server's chain head (older files).",
)
@click.option(
    "--rotated",
    is_flag=True,
    default=False,
    help="FILE is a rotated file: it may begin after seq 1, where a new file was started.",
)
@click.argument("args", nargs=-1, metavar="FILE")
@pass_state
def audit_verify(
    state: State, device: str, key_file: str, no_head: bool, rotated: bool, args: tuple[str, ...]
) -> None:
    """Verify the tamper-evidence chain of an audit file.

    Reports the first line that was edited, removed, inserted, reordered or cut off,
    and exits with 3; exits 0 when the whole file verifies.

    The file must begin at seq 1. A file rotated away (renamed, and a new file started)
    begins the next file's segment of the chain, after seq 1: give -rotated to verify
    such a file (the lines before it are in the earlier files). A file emptied or cut in
    place is not a rotation: its first line does not start a file, and it fails with or
    without -rotated.

    The chain key is read from the server (GET sys/audit/PATH/chain-key, which needs
    sudo; PATH is found from the enabled devices unless -path is given), together with
    the chain head, so that a cut-off tail is detected too. Without a server, give the
    key with -key-file (hex, or the JSON the endpoint returns, head included) or in
    VAB_AUDIT_CHAIN_KEY (hex).

    \b
    Examples:
      vab audit verify /var/log/vault_audit.log
      vab audit verify -path=file -format=json /var/log/vault_audit.log
      vab audit verify -key-file=chain.json audit.log
      vab audit verify -rotated /var/log/vault_audit.log
    """
    fmt = state.checked_format()
    expect_args(args, 1)
    file = args[0]
    try:
        handle = open(file, "rb")  # noqa: SIM115 - closed below, after the (long) check
    except OSError as exc:
        raise Failure(f"Error opening audit file: {file}: {exc.strerror or exc}") from None
    with handle:
        if key_file:
            try:
                with open(key_file, encoding="utf-8") as source:
                    key, head = _parse_key(source.read(), key_file)
            except OSError as exc:
                raise Failure(f"Error reading {key_file}: {exc.strerror or exc}") from None
        elif os.environ.get(KEY_ENV):
            key, head = _parse_key(os.environ[KEY_ENV], KEY_ENV)
        else:
            key, head = _from_server(state, fmt, file, device)
        result = verify_lines(handle, key, None if no_head else head, rotated=rotated)
    _report(fmt, file, result)
    if not result.ok:
        raise Failure("", EXIT_TAMPERED)


# -- enable, disable, list --------------------------------------------------------------------


def _audit_output(raw: Any) -> Struct:
    """One device as the Go API's ``Audit`` struct (its JSON field order)."""
    raw = raw if isinstance(raw, dict) else {}
    options = raw.get("options")
    return Struct(
        type=str(raw.get("type") or ""),
        description=str(raw.get("description") or ""),
        options=(
            {str(k): str(v) for k, v in options.items()} if isinstance(options, dict) else None
        ),
        local=raw.get("local") is True,
        path=str(raw.get("path") or ""),
    )


@audit_group.command("enable")
@click.option("--path", default="", help="Where the device is mounted (default: its TYPE).")
@click.option("--description", default="", help="Human-friendly description of the device.")
@click.option(
    "--local", cls=BoolFlag, is_flag=True, help="Mark the device local-only (not replicated)."
)
@common_options(fmt=False)
@click.argument("args", nargs=-1, metavar="TYPE [K=V...]")
@pass_state
def audit_enable(
    state: State, path: str, description: str, local: bool, args: tuple[str, ...]
) -> None:
    """Enable an audit device of TYPE, configured with K=V options.

    Options are given as for `vab write` (K=@FILE, K=- for stdin). This server's
    "file" device takes file_path (a file, "stdout" or "discard"), mode, prefix,
    hmac_accessor, log_raw and elide_list_responses.

    \b
    Examples:
      vab audit enable file file_path=/var/log/vault_audit.log
      vab audit enable -path=stdout -description="to the console" file file_path=stdout
    """
    if not args:
        raise Failure(
            "Error enabling audit device: audit type missing. "
            "Valid types include 'file', 'socket' and 'syslog'."
        )
    kind = args[0].strip()
    mount = trailing_slash(path or kind)
    try:
        options = as_strings(parse_kv_args(args[1:], lambda: stdin_text(state)))
    except KVArgError as exc:
        raise Failure(f"Failed to parse K=V data: {exc}", EXIT_LOCAL) from None
    body = Struct(type=kind, description=description, options=options, local=local)
    api = state.api()
    call(
        "table",
        lambda: api.send("PUT", request_path("sys/audit", mount), body),
        "Error enabling audit device",
    )
    out(f"Success! Enabled the {kind} audit device at: {mount}")


@audit_group.command("disable")
@common_options(fmt=False)
@click.argument("args", nargs=-1, metavar="PATH")
@pass_state
def audit_disable(state: State, args: tuple[str, ...]) -> None:
    """Disable the audit device at PATH (the path, not the type).

    Nothing more is written to it; what it wrote is left alone. Disabling a path where
    no device is enabled is not an error.

    \b
    Example:
      vab audit disable file/
    """
    expect_args(args, 1)
    mount = trailing_slash(sanitize_path(args[0]))
    api = state.api()
    call(
        "table",
        lambda: api.send("DELETE", request_path("sys/audit", mount)),
        "Error disabling audit device",
    )
    out(f"Success! Disabled audit device (if it was enabled) at: {mount}")


@audit_group.command("list")
@detailed_option("Show the replication and options of each device too.")
@common_options()
@click.argument("args", nargs=-1, metavar="")
@pass_state
def audit_list(state: State, detailed: bool, args: tuple[str, ...]) -> None:
    """List the enabled audit devices.

    With no device enabled, the table format prints "No audit devices are enabled."
    and exits with 2 (-format=json prints {}).

    \b
    Examples:
      vab audit list
      vab audit list -detailed
      vab audit list -format=json
    """
    fmt = state.checked_format()
    expect_args(args, 0)
    api = state.api()
    context = "Error listing audits"
    secret = call(fmt, lambda: api.send("GET", "sys/audit"), context)
    devices = {str(k): _audit_output(v) for k, v in listing(secret, context).items()}
    if fmt != "table":
        output_data(fmt, devices)
        return
    if not devices:
        out("No audit devices are enabled.")
        exit_with(EXIT_API)
    if detailed:
        rows = [["Path", "Type", "Description", "Replication", "Options"]]
        for key in sorted(devices):
            device = devices[key]
            options = " ".join(f"{k}={v}" for k, v in sorted((device["options"] or {}).items()))
            replication = "local" if device["local"] else "replicated"
            rows.append([key, device["type"], device["description"], replication, options])
    else:
        rows = [["Path", "Type", "Description"]]
        for key in sorted(devices):
            device = devices[key]
            rows.append([device["path"], device["type"], device["description"]])
    out(columns_table(rows))


COMMANDS = [audit_group]
