"""Output in ``vault``'s formats: ``table`` (Key/Value columns), ``json`` and ``yaml``.

Tables are laid out like the Go CLI's (columns padded to the widest cell, four spaces
between columns, a ``---`` underline under the header, empty cells shown as ``n/a``),
fields named like durations (``ttl``, ``*_ttl``, ``period``...) shown as ``1h``, and
values printed with Go's ``%v`` rules, so the text is the same as ``bao``'s.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import click
import yaml

from .api import Secret
from .errors import EXIT_LOCAL, Failure
from .gofmt import (
    dumps,
    go_quote_list,
    go_value,
    go_yaml_ordered,
    human_duration,
    human_duration_value,
    looks_like_duration,
    to_plain,
)

GLUE = "    "
EMPTY = "n/a"
MAX_LINE = 78
FORMATS = ("table", "json", "yaml", "yml", "raw")


def check_format(fmt: str, allow_raw: bool = False) -> None:
    """Raise a local :class:`Failure` for a format ``vab`` cannot produce here."""
    if fmt not in FORMATS:
        raise Failure(f"Invalid output format: {fmt}", EXIT_LOCAL)
    if fmt == "raw" and not allow_raw:
        raise Failure("This command does not support the -format=raw option.")


# -- plain text helpers ----------------------------------------------------------------------


def out(text: str = "") -> None:
    """Print a line on stdout."""
    click.echo(text)


def err(text: str = "") -> None:
    """Print a line on stderr (errors and warnings)."""
    click.echo(text, err=True)


def raw(text: str) -> None:
    """Print a bare value: no newline when stdout is not a terminal (like vault)."""
    if sys.stdout.isatty():
        click.echo(text)
    else:
        click.echo(text, nl=False)


def wrap(text: str, pad: int = 0) -> str:
    """Wrap ``text`` at 78 columns minus ``pad``, indenting every line by ``pad``."""
    lines = textwrap.wrap(text, MAX_LINE - pad, break_long_words=False) or [""]
    return "\n".join(" " * pad + line for line in lines)


def columns(rows: Sequence[Sequence[str]]) -> str:
    """Align ``rows`` in columns (cells trimmed, empty cells shown as ``n/a``)."""
    cells = [[(cell.strip() or EMPTY) for cell in row] for row in rows]
    widths: list[int] = []
    for row in cells:
        for index, cell in enumerate(row):
            if index == len(widths):
                widths.append(len(cell))
            else:
                widths[index] = max(widths[index], len(cell))
    lines = []
    for row in cells:
        parts = [
            cell if index == len(row) - 1 else cell.ljust(widths[index]) + GLUE
            for index, cell in enumerate(row)
        ]
        lines.append("".join(parts))
    return "\n".join(lines)


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A table with a header row and a ``---`` underline, as vault prints them."""
    underline = ["-" * len(h.strip()) for h in header]
    return columns([list(header), underline, *[list(r) for r in rows]])


def pad_header(title: str, width: int) -> str:
    """``== Title ==`` centred over ``width`` columns (at least two ``=`` each side)."""
    signs = width - (len(title) + 2)
    if signs <= 0:
        signs = 4
    if signs % 2:
        signs += 1
    half = "=" * (signs // 2)
    return f"{half} {title} {half}"


def header_for_map(title: str, data: Mapping[str, Any] | None) -> str:
    """Section header sized to a map's widest key (``====== Metadata ======``)."""
    widest = max((len(k.encode()) for k in data or {}), default=0)  # Go's len(): bytes
    return pad_header(title, widest + 4 + 5)


def output_path(path: str, title: str) -> None:
    """Print a ``= Secret Path =`` section with the path and a blank line."""
    out(pad_header(title, len(path.encode())))  # Go's len(): bytes, not characters
    out(path)
    out("")


# -- structured output -----------------------------------------------------------------------


def print_warnings(secret: Secret | None) -> None:
    """Print the server's warnings on stderr (table format only)."""
    if secret is None or not secret.warnings:
        return
    err("WARNING! The following warnings were returned from Vault:\n")
    for warning in secret.warnings:
        err(wrap(f"* {warning}", 2))
        err("")


def _map_rows(data: Mapping[str, Any]) -> list[list[str]]:
    rows = []
    for key in sorted(data):
        value = data[key]
        if looks_like_duration(key):
            value = human_duration_value(value)
        rows.append([key, go_value(value)])
    return rows


def _secret_rows(secret: Secret) -> list[list[str]]:
    rows: list[list[str]] = []
    if secret.lease_duration > 0:
        if secret.lease_id:
            rows.append(["lease_id", secret.lease_id])
            rows.append(["lease_duration", human_duration(secret.lease_duration)])
            rows.append(["lease_renewable", go_value(secret.renewable)])
        else:
            rows.append(["refresh_interval", human_duration(secret.lease_duration)])
    auth = secret.auth
    if auth is not None:
        struct = secret.to_struct()["auth"]
        mfa = auth.get("mfa_requirement")
        if isinstance(mfa, Mapping) and mfa:
            rows.append(["mfa_request_id", go_value(mfa.get("mfa_request_id", ""))])
        else:
            duration = struct["lease_duration"]
            rows += [
                ["token", struct["client_token"]],
                ["token_accessor", struct["accessor"]],
                ["token_duration", "∞" if duration == 0 else human_duration(duration)],
                ["token_renewable", go_value(struct["renewable"])],
                ["token_policies", go_quote_list(struct["token_policies"])],
                ["identity_policies", go_quote_list(struct["identity_policies"])],
                ["policies", go_quote_list(struct["policies"])],
            ]
            for key, value in sorted((struct["metadata"] or {}).items()):
                rows.append([f"token_meta_{key}", go_value(value)])
    wrap_info = secret.wrap_info
    if wrap_info is not None:
        struct = secret.to_struct()["wrap_info"]
        rows += [
            ["wrapping_token:", struct["token"]],
            ["wrapping_accessor:", struct["accessor"]],
            ["wrapping_token_ttl:", human_duration(struct["ttl"])],
            ["wrapping_token_creation_time:", struct["creation_time"]],
            ["wrapping_token_creation_path:", struct["creation_path"]],
        ]
        if struct["wrapped_accessor"]:
            rows.append(["wrapped_accessor:", struct["wrapped_accessor"]])
    if secret.data:
        rows += _map_rows(secret.data)
    return rows


def _encode(fmt: str, value: Any) -> str:
    if fmt == "json":
        return dumps(value)

    class Dumper(yaml.SafeDumper):
        """Quote strings with double quotes where quoting is needed (as Go's yaml)."""

        def choose_scalar_style(self) -> str:
            style = super().choose_scalar_style()
            return '"' if style == "'" else style

    text = yaml.dump(
        go_yaml_ordered(to_plain(value)),
        Dumper=Dumper,
        default_flow_style=False,
        sort_keys=False,
        allow_unicode=True,
    )
    return str(text).strip()


def output_secret(fmt: str, secret: Secret | None) -> None:
    """Print a whole response: Key/Value table, or the JSON/YAML of the secret."""
    if secret is None:
        return
    if fmt == "table":
        print_warnings(secret)
        rows = _secret_rows(secret)
        if rows:
            out(table(["Key", "Value"], rows))
        return
    out(_encode(fmt, secret.to_struct()))


def output_data(fmt: str, data: Any) -> None:
    """Print a map (Key/Value table) or a list (Keys table), or its JSON/YAML."""
    if fmt != "table":
        out(_encode(fmt, data))
        return
    if isinstance(data, Mapping):
        if data:
            out(table(["Key", "Value"], _map_rows(data)))
    elif isinstance(data, list | tuple):
        output_keys(list(data))
    else:
        raise Failure("Could not parse output: cannot use the table formatter for this type")


def output_keys(keys: list[Any]) -> None:
    """Print a sorted ``Keys`` table (nothing for an empty list)."""
    if keys:
        rows = [[go_value(k)] for k in sorted(keys, key=go_value)]
        out(table(["Keys"], rows))


def output_list(fmt: str, secret: Secret) -> None:
    """Print a LIST answer: its keys as a table, or the JSON/YAML list of keys."""
    keys = (secret.data or {}).get("keys") or []
    if fmt == "table":
        print_warnings(secret)
        output_keys(list(keys))
        return
    out(_encode(fmt, keys))


def secret_field(secret: Secret, field: str) -> Any:
    """The value ``-field=NAME`` selects from a response (vault's rules)."""
    data = secret.data or {}
    auth = secret.auth
    if auth is not None:
        struct = secret.to_struct()["auth"]
        auth_fields = {
            "token": struct["client_token"],
            "token_accessor": struct["accessor"],
            "token_duration": struct["lease_duration"],
            "token_renewable": struct["renewable"],
            "token_policies": struct["token_policies"],
            "identity_policies": struct["identity_policies"],
            "policies": struct["policies"],
        }
        return auth_fields[field] if field in auth_fields else data.get(field)
    if secret.wrap_info is not None:
        struct = secret.to_struct()["wrap_info"]
        wrap_fields = {
            "wrapping_token": struct["token"],
            "wrapping_accessor": struct["accessor"],
            "wrapping_token_ttl": struct["ttl"],
            "wrapping_token_creation_time": struct["creation_time"],
            "wrapping_token_creation_path": struct["creation_path"],
            "wrapped_accessor": struct["wrapped_accessor"],
        }
        return wrap_fields[field] if field in wrap_fields else data.get(field)
    plain = {
        "lease_duration": secret.lease_duration,
        "lease_id": secret.lease_id,
        "request_id": secret.request_id,
        "renewable": secret.renewable,
        "refresh_interval": secret.lease_duration,
    }
    if field in plain:
        return plain[field]
    if field == "data":
        return data["data"] if "data" in data else secret.body.get("data")
    return data.get(field)


def print_field(fmt: str, source: Secret | Mapping[str, Any], field: str, kind: str = "") -> None:
    """Print one field bare (``-field``); a local failure if the field is absent."""
    if isinstance(source, Secret):
        value = secret_field(source, field)
        kind = kind or "secret"
    else:
        value = source.get(field)
        kind = kind or "map"
    if value is None:
        raise Failure(f'Field "{field}" not present in {kind}', EXIT_LOCAL)
    if isinstance(source, Secret) and fmt == "table":
        print_warnings(source)
    if fmt in ("table", "raw"):
        raw(go_value(value))
    else:
        raw(_encode(fmt, value))
