"""``vab status``: seal status and HA state of the server (``sys/seal-status``)."""

from __future__ import annotations

from typing import Any

import click

from .api import API, APIError, RequestError
from .base import State, command, common_options, expect_args, pass_state
from .errors import EXIT_API, EXIT_LOCAL, Failure, exit_with
from .gofmt import Number, Struct, go_value
from .output import out, output_data, print_field, table

# Fields of the seal status as the Go CLI encodes them: (name, zero value, omitempty).
_SEAL_FIELDS: tuple[tuple[str, Any, bool], ...] = (
    ("type", "", False),
    ("initialized", False, False),
    ("sealed", False, False),
    ("t", 0, False),
    ("n", 0, False),
    ("progress", 0, False),
    ("nonce", "", False),
    ("version", "", False),
    ("commit_date", "", False),
    ("migration", False, False),
    ("cluster_name", "", True),
    ("cluster_id", "", True),
    ("recovery_seal", False, False),
    ("recovery_seal_type", "", True),
    ("storage_type", "", True),
    ("warnings", None, True),
    ("build_date", "", False),
)
_LEADER_FIELDS: tuple[tuple[str, Any, bool], ...] = (
    ("ha_enabled", False, False),
    ("is_self", False, True),
    ("active_time", "", True),
    ("leader_address", "", True),
    ("leader_cluster_address", "", True),
    ("raft_committed_index", 0, True),
    ("raft_applied_index", 0, True),
)


def _get_json(api: API, path: str, what: str) -> dict[str, Any]:
    try:
        response = api.request("GET", path)
        if response.status_code >= 400:
            raise api.error_for(response)
        secret = api.parse(response)
    except (APIError, RequestError) as exc:
        raise Failure(f"{what}: {exc}", EXIT_LOCAL) from None
    return secret.body if secret is not None else {}


def _struct(source: dict[str, Any], fields: tuple[tuple[str, Any, bool], ...]) -> Struct:
    out = Struct()
    for name, zero, omit_empty in fields:
        value = source.get(name, zero)
        if value is None:
            value = zero
        if omit_empty and _is_zero(value):
            continue
        out[name] = value
    return out


def _is_zero(value: Any) -> bool:
    """Go's notion of an empty value for ``omitempty`` (and a zero time)."""
    if isinstance(value, Number):
        return float(value) == 0
    return not value or value == "0001-01-01T00:00:00Z"


def _seal_status(api: API) -> Struct:
    seal = _get_json(api, "sys/seal-status", "Error checking seal status")
    status = _struct(seal, _SEAL_FIELDS)
    try:
        leader = _get_json(api, "sys/leader", "Error checking leader status")
    except Failure:
        if not seal.get("sealed"):
            raise
        leader = {"ha_enabled": True}
    status.update(_struct(leader, _LEADER_FIELDS))
    return status


def _rows(status: Struct) -> list[list[str]]:
    def v(name: str) -> str:
        return go_value(status.get(name, ""))

    recovery = bool(status.get("recovery_seal"))
    prefix = "Recovery " if recovery else ""
    rows = [["Seal Type", v("type")]]
    if recovery:
        rows.append(["Recovery Seal Type", v("recovery_seal_type")])
    rows += [
        ["Initialized", v("initialized")],
        ["Sealed", v("sealed")],
        [f"Total {prefix}Shares", v("n")],
        ["Threshold", v("t")],
    ]
    sealed = bool(status.get("sealed"))
    if sealed:
        rows.append(["Unseal Progress", f"{v('progress')}/{v('t')}"])
        rows.append(["Unseal Nonce", v("nonce")])
    if status.get("migration"):
        rows.append(["Seal Migration in Progress", "true"])
    for key, label in (
        ("version", "Version"),
        ("commit_date", "Commit Date"),
        ("storage_type", "Storage Type"),
    ):
        if status.get(key):
            rows.append([label, v(key)])
    if status.get("cluster_name") and status.get("cluster_id"):
        rows.append(["Cluster Name", v("cluster_name")])
        rows.append(["Cluster ID", v("cluster_id")])
    rows.append(["HA Enabled", v("ha_enabled")])
    if status.get("ha_enabled") and not sealed:
        rows.append(["HA Cluster", v("leader_cluster_address")])
        rows.append(["HA Mode", "active" if status.get("is_self") else "standby"])
        if status.get("is_self") and status.get("active_time"):
            rows.append(["Active Since", v("active_time")])
        if not status.get("is_self") and status.get("leader_address"):
            rows.append(["Active Node Address", v("leader_address")])
    for key, label in (
        ("raft_committed_index", "Raft Committed Index"),
        ("raft_applied_index", "Raft Applied Index"),
    ):
        if not _is_zero(status.get(key)):
            rows.append([label, v(key)])
    return rows


@command("status")
@common_options(field=True)
@click.argument("args", nargs=-1, metavar="")
@pass_state
def status_command(state: State, args: tuple[str, ...]) -> None:
    """Show the server's seal status, version and HA state.

    Exit code 0 if the server is unsealed, 2 if it is sealed, 1 if it cannot be
    reached (so scripts can wait for a server with `until vab status; do ...`).

    \b
    Examples:
      vab status
      vab status -format=json
      vab status -field=sealed
    """
    fmt = state.checked_format()
    expect_args(args, 0)
    status = _seal_status(state.api())
    if state.field:
        fields = dict(status)
        fields["ha_mode"] = "active" if status.get("is_self") else "standby"
        try:
            print_field(fmt, fields, state.field, kind="seal status")
        except Failure as exc:  # vault prints the error but exits by the seal state
            exc.show()
    elif fmt == "table":
        out(table(["Key", "Value"], _rows(status)))
    else:
        output_data(fmt, status)
    if status.get("sealed"):
        exit_with(EXIT_API)


COMMANDS = [status_command]
