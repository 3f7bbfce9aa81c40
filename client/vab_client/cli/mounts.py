"""``vab secrets enable|disable|list`` and ``vab auth enable|disable|list``.

Secrets engines live under ``sys/mounts``, auth methods under ``sys/auth``; both answer
with the same mount records. As ``bao`` does, the lists are decoded into the Go API's
``MountOutput`` struct before they are printed, so ``-format=json`` shows exactly its
fields, in its order (server fields it does not know are left out), and the tables show
the same columns (``-detailed`` adds TTLs, replication, options, UUID, versions...).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Mapping
from typing import Any

import click

from .api import Secret
from .base import (
    DURATION,
    KEY_VALUE,
    BoolFlag,
    State,
    call,
    common_options,
    detailed_option,
    expect_args,
    group,
    pass_state,
    sanitize_path,
)
from .errors import EXIT_API, Failure
from .gofmt import Number, Struct, duration_string, go_value
from .output import out, output_data, table


def request_path(base: str, path: str) -> str:
    """``base/path`` cleaned as the Go client's ``path.Join`` does (no trailing slash)."""
    return posixpath.normpath("/" + base + "/" + path).lstrip("/")


def trailing_slash(path: str) -> str:
    """``path`` trimmed, with a trailing ``/`` (as the CLI shows mount paths)."""
    path = path.strip()
    return path if not path or path.endswith("/") else path + "/"


# -- decoding as the Go API does ----------------------------------------------------------


def _int(value: Any) -> int:
    if isinstance(value, bool) or value is None:
        return 0
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return 0


def _str(value: Any) -> str:
    if value is None:
        return ""
    return go_value(value) if not isinstance(value, str) else value


def _bool(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _string_map(value: Any) -> dict[str, str] | None:
    """A ``map[string]string``: None (Go's nil map) unless the server sent an object."""
    if not isinstance(value, Mapping):
        return None
    return {str(k): _str(v) for k, v in value.items()}


def _string_list(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [_str(v) for v in value]


def _lockout(value: Any) -> Struct | None:
    if not isinstance(value, Mapping):
        return None
    out = Struct()
    for key in ("lockout_threshold", "lockout_duration", "lockout_counter_reset"):
        number = _int(value.get(key))
        if number:
            out[key] = Number(str(number))
    if isinstance(value.get("disable_lockout"), bool):
        out["disable_lockout"] = value["disable_lockout"]
    return out


def mount_output(raw: Any) -> Struct:
    """One mount record as the Go API's ``MountOutput`` (JSON field order, omitempty)."""
    raw = raw if isinstance(raw, Mapping) else {}
    config = raw.get("config") if isinstance(raw.get("config"), Mapping) else {}
    conf = Struct(
        default_lease_ttl=Number(str(_int(config.get("default_lease_ttl")))),
        max_lease_ttl=Number(str(_int(config.get("max_lease_ttl")))),
        force_no_cache=_bool(config.get("force_no_cache")),
    )
    for key in ("audit_non_hmac_request_keys", "audit_non_hmac_response_keys"):
        if _string_list(config.get(key)):
            conf[key] = _string_list(config.get(key))
    if _str(config.get("listing_visibility")):
        conf["listing_visibility"] = _str(config.get("listing_visibility"))
    for key in ("passthrough_request_headers", "allowed_response_headers"):
        if _string_list(config.get(key)):
            conf[key] = _string_list(config.get(key))
    if _str(config.get("token_type")):
        conf["token_type"] = _str(config.get("token_type"))
    if _string_list(config.get("allowed_managed_keys")):
        conf["allowed_managed_keys"] = _string_list(config.get("allowed_managed_keys"))
    lockout = _lockout(config.get("user_lockout_config"))
    if lockout is not None:
        conf["user_lockout_config"] = lockout
    return Struct(
        uuid=_str(raw.get("uuid")),
        type=_str(raw.get("type")),
        description=_str(raw.get("description")),
        accessor=_str(raw.get("accessor")),
        config=conf,
        options=_string_map(raw.get("options")),
        local=_bool(raw.get("local")),
        seal_wrap=_bool(raw.get("seal_wrap")),
        external_entropy_access=_bool(raw.get("external_entropy_access")),
        plugin_version=_str(raw.get("plugin_version")),
        running_plugin_version=_str(raw.get("running_plugin_version")),
        running_sha256=_str(raw.get("running_sha256")),
        deprecation_status=_str(raw.get("deprecation_status")),
    )


def listing(secret: Secret | None, context: str) -> dict[str, Any]:
    """The ``data`` of a ``sys/mounts``-style answer, or vault's "empty" error."""
    if secret is None or secret.data is None:
        raise Failure(f"{context}: data from server response is empty", EXIT_API)
    return secret.data


def go_map(value: Mapping[str, str] | None) -> str:
    """``%s`` of a Go ``map[string]string`` (``map[]`` when nil or empty)."""
    return go_value(dict(value or {}))


def columns_table(rows: list[list[str]]) -> str:
    """What the CLI's ``tableOutput`` prints for ``"a | b | c"`` rows (header first).

    Each row is joined with ``|`` and split again, so a ``|`` inside a value starts a new
    column, as it does in the Go CLI.
    """
    split = [[cell.strip() for cell in " | ".join(row).split("|")] for row in rows]
    return table(split[0], split[1:])


def _ttl(kind: str, ttl: int) -> str:
    if kind in ("system", "cubbyhole"):
        return ""
    return str(ttl) if ttl else "system"


def mount_rows(mounts: Mapping[str, Struct], detailed: bool, auth: bool) -> list[list[str]]:
    """The table of ``secrets list`` / ``auth list`` (header row first)."""
    paths = sorted(mounts)
    if not detailed:
        if auth:
            rows = [["Path", "Type", "Accessor", "Description", "Version"]]
            for path in paths:
                m = mounts[path]
                rows.append([path, m["type"], m["accessor"], m["description"], m["plugin_version"]])
        else:
            rows = [["Path", "Type", "Accessor", "Description"]]
            for path in paths:
                m = mounts[path]
                rows.append([path, m["type"], m["accessor"], m["description"]])
        return rows
    third = "Token Type" if auth else "Force No Cache"
    rows = [
        [
            "Path", "Plugin", "Accessor", "Default TTL", "Max TTL", third, "Replication",
            "Seal Wrap", "External Entropy Access", "Options", "Description", "UUID",
            "Version", "Running Version", "Running SHA256", "Deprecation Status",
        ]
    ]  # fmt: skip
    for path in paths:
        m = mounts[path]
        config = m["config"]
        force = go_value(config["force_no_cache"])
        column = str(config.get("token_type", "")) if auth else force
        rows.append(
            [
                path,
                m["type"],
                m["accessor"],
                _ttl(m["type"], _int(config["default_lease_ttl"])),
                _ttl(m["type"], _int(config["max_lease_ttl"])),
                column,
                "local" if m["local"] else "replicated",
                go_value(m["seal_wrap"]),
                go_value(m["external_entropy_access"]),
                go_map(m["options"]),
                m["description"],
                m["uuid"],
                m["plugin_version"],
                m["running_plugin_version"],
                m["running_sha256"],
                m["deprecation_status"],
            ]
        )
    return rows


# -- shared flags ---------------------------------------------------------------------------


def _mount_flags(what: str, auth: bool) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The flags ``secrets enable`` and ``auth enable`` share (bao's names and meaning)."""
    thing = "auth method" if auth else "secrets engine"
    decorators = [
        click.option(
            "--path",
            default="",
            help=f"Where the {thing} is mounted (default: its TYPE)."
            + (' It is reached at "auth/PATH".' if auth else ""),
        ),
        click.option(
            "--description", default="", help=f"Human-friendly description of the {what}."
        ),
        click.option(
            "--default-lease-ttl",
            type=DURATION,
            default=0,
            help='Default lease TTL (default: the server\'s; "system" for the system default).',
        ),
        click.option(
            "--max-lease-ttl",
            type=DURATION,
            default=0,
            help="Maximum lease TTL (default: the server's).",
        ),
        click.option(
            "--options",
            type=KEY_VALUE,
            multiple=True,
            help="key=value mount option; repeatable (e.g. -options=version=2).",
        ),
        click.option(
            "--version",
            "engine_version",
            type=int,
            default=0,
            help="Version of the engine to run (kv: 1 or 2); sets the version option.",
        ),
        click.option(
            "--local", cls=BoolFlag, is_flag=True, help="Mark it local-only (not replicated)."
        ),
        click.option("--seal-wrap", cls=BoolFlag, is_flag=True, help="Enable seal wrapping."),
        click.option(
            "--external-entropy-access",
            cls=BoolFlag,
            is_flag=True,
            help="Give it access to the server's external entropy source.",
        ),
        click.option(
            "--audit-non-hmac-request-keys",
            multiple=True,
            help="Request data key audit devices do not HMAC; repeatable.",
        ),
        click.option(
            "--audit-non-hmac-response-keys",
            multiple=True,
            help="Response data key audit devices do not HMAC; repeatable.",
        ),
        click.option(
            "--listing-visibility",
            default=None,
            help='Visibility in the UI listing endpoint ("unauth" or "hidden").',
        ),
        click.option(
            "--passthrough-request-headers",
            multiple=True,
            help="Request header sent on to the plugin; repeatable.",
        ),
        click.option(
            "--allowed-response-headers",
            multiple=True,
            help="Response header the plugin may set; repeatable.",
        ),
        click.option("--plugin-name", default="", help='Plugin name (with TYPE "plugin").'),
        click.option(
            "--plugin-version", default=None, help='Plugin version to run ("latest" allowed).'
        ),
    ]
    if auth:
        decorators.append(
            click.option("--token-type", default=None, help="Forced token type for the mount.")
        )
    else:
        decorators.append(
            click.option(
                "--force-no-cache",
                cls=BoolFlag,
                is_flag=True,
                help="Disable caching for the engine.",
            )
        )

    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        for decorator in reversed(decorators):
            f = decorator(f)
        return f

    return decorate


def mount_input(kind: str, flags: Mapping[str, Any], auth: bool) -> Struct:
    """The JSON body ``bao`` sends (the Go API's ``MountInput``, in its field order)."""
    options: dict[str, str] | None = dict(flags["options"]) if flags["options"] else None
    if flags["engine_version"] > 0:
        options = options or {}
        options["version"] = str(flags["engine_version"])
    config = Struct(
        options=None,
        default_lease_ttl=duration_string(flags["default_lease_ttl"]),
        max_lease_ttl=duration_string(flags["max_lease_ttl"]),
        force_no_cache=bool(flags.get("force_no_cache")),
    )
    for key in ("audit_non_hmac_request_keys", "audit_non_hmac_response_keys"):
        values = [v.strip() for v in flags[key]]
        if values:
            config[key] = values
    if flags["listing_visibility"]:
        config["listing_visibility"] = flags["listing_visibility"]
    for key in ("passthrough_request_headers", "allowed_response_headers"):
        values = [v.strip() for v in flags[key]]
        if values:
            config[key] = values
    if auth and flags.get("token_type"):
        config["token_type"] = flags["token_type"]
    if flags["plugin_version"]:
        config["plugin_version"] = flags["plugin_version"]
    return Struct(
        type=kind,
        description=flags["description"],
        config=config,
        local=bool(flags["local"]),
        seal_wrap=bool(flags["seal_wrap"]),
        external_entropy_access=bool(flags["external_entropy_access"]),
        options=options,
    )


def _enable(state: State, args: tuple[str, ...], flags: Mapping[str, Any], auth: bool) -> None:
    expect_args(args, 1)
    kind = args[0].strip()
    if kind == "plugin":
        kind = flags["plugin_name"]
    path = flags["path"] or (flags["plugin_name"] if kind == "plugin" else kind)
    path = trailing_slash(path)
    body = mount_input(kind, flags, auth)
    api = state.api()
    base = "sys/auth" if auth else "sys/mounts"
    context = f"Error enabling {kind} auth" if auth else "Error enabling"
    call("table", lambda: api.send("POST", request_path(base, path), body), context)
    thing = kind + (" auth method" if auth else " secrets engine")
    if kind == "plugin":
        thing = flags["plugin_name"] + " plugin"
    if flags["plugin_version"]:
        thing += " version " + flags["plugin_version"]
    if auth:
        out(f"Success! Enabled {thing} at: {path}")
    else:
        out(f"Success! Enabled the {thing} at: {path}")


def _disable(state: State, args: tuple[str, ...], auth: bool) -> None:
    expect_args(args, 1)
    path = trailing_slash(sanitize_path(args[0]))
    api = state.api()
    base = "sys/auth" if auth else "sys/mounts"
    what = "auth method" if auth else "secrets engine"
    call(
        "table",
        lambda: api.send("DELETE", request_path(base, path)),
        f"Error disabling {what} at {path}",
    )
    out(f"Success! Disabled the {what} (if it existed) at: {path}")


def _list(state: State, args: tuple[str, ...], detailed: bool, auth: bool) -> None:
    fmt = state.checked_format()
    if args:
        raise Failure(f"Too many arguments (expected 0, got {len(args)})")
    api = state.api()
    context = "Error listing enabled authentications" if auth else "Error listing secrets engines"
    secret = call(fmt, lambda: api.send("GET", "sys/auth" if auth else "sys/mounts"), context)
    data = listing(secret, context)
    mounts = {str(path): mount_output(raw) for path, raw in data.items()}
    if fmt == "table":
        out(columns_table(mount_rows(mounts, detailed, auth)))
    else:
        output_data(fmt, mounts)


# -- vab secrets ----------------------------------------------------------------------------


@group("secrets")
def secrets_group() -> None:
    """Enable, disable and list secrets engines.

    \b
    Examples:
      vab secrets list
      vab secrets enable -path=kv -version=2 kv
      vab secrets enable -path=team -description="team secrets" -max-lease-ttl=24h kv
      vab secrets disable kv/
    """


@secrets_group.command("enable")
@_mount_flags("engine", auth=False)
@common_options(fmt=False)
@click.argument("args", nargs=-1, metavar="TYPE")
@pass_state
def secrets_enable(state: State, args: tuple[str, ...], **flags: Any) -> None:
    """Enable a secrets engine of TYPE (at TYPE/ unless -path is given).

    Requests beginning with the path are then routed to the engine.

    \b
    Examples:
      vab secrets enable kv
      vab secrets enable -path=kv1 -version=1 kv
      vab secrets enable -path=app -options=version=2 -description="app secrets" kv
      vab secrets enable -default-lease-ttl=1h -max-lease-ttl=24h -path=short kv
    """
    _enable(state, args, flags, auth=False)


@secrets_group.command("disable")
@common_options(fmt=False)
@click.argument("args", nargs=-1, metavar="PATH")
@pass_state
def secrets_disable(state: State, args: tuple[str, ...]) -> None:
    """Disable the secrets engine at PATH (the path, not the type).

    All its secrets are revoked and its data is removed. Disabling a path where
    nothing is mounted is not an error.

    \b
    Example:
      vab secrets disable kv/
    """
    _disable(state, args, auth=False)


@secrets_group.command("list")
@detailed_option("Show TTLs, replication, options, UUIDs and versions too.")
@common_options()
@click.argument("args", nargs=-1, metavar="")
@pass_state
def secrets_list(state: State, detailed: bool, args: tuple[str, ...]) -> None:
    """List the enabled secrets engines.

    A TTL of "system" means the system default is in use.

    \b
    Examples:
      vab secrets list
      vab secrets list -detailed
      vab secrets list -format=json
    """
    _list(state, args, detailed, auth=False)


# -- vab auth -------------------------------------------------------------------------------


@group("auth")
def auth_group() -> None:
    """Enable, disable and list auth methods.

    To log in, use `vab login`: these commands manage the methods themselves.

    \b
    Examples:
      vab auth list
      vab auth enable userpass
      vab auth enable -path=people -description="staff logins" userpass
      vab auth disable userpass/
    """


@auth_group.command("enable")
@_mount_flags("auth method", auth=True)
@common_options(fmt=False)
@click.argument("args", nargs=-1, metavar="TYPE")
@pass_state
def auth_enable(state: State, args: tuple[str, ...], **flags: Any) -> None:
    """Enable an auth method of TYPE (at auth/TYPE/ unless -path is given).

    \b
    Examples:
      vab auth enable userpass
      vab auth enable -path=people -description="staff logins" userpass
    """
    _enable(state, args, flags, auth=True)


@auth_group.command("disable")
@common_options(fmt=False)
@click.argument("args", nargs=-1, metavar="PATH")
@pass_state
def auth_disable(state: State, args: tuple[str, ...]) -> None:
    """Disable the auth method at PATH (the path, not the type).

    Tokens issued through the method are revoked. Disabling a path where nothing is
    mounted is not an error.

    \b
    Example:
      vab auth disable userpass/
    """
    _disable(state, args, auth=True)


@auth_group.command("list")
@detailed_option("Show TTLs, token type, replication, options, UUIDs and versions too.")
@common_options()
@click.argument("args", nargs=-1, metavar="")
@pass_state
def auth_list(state: State, detailed: bool, args: tuple[str, ...]) -> None:
    """List the enabled auth methods.

    A TTL of "system" means the system default is in use.

    \b
    Examples:
      vab auth list
      vab auth list -detailed
      vab auth list -format=json
    """
    _list(state, args, detailed, auth=True)


COMMANDS = [secrets_group, auth_group]
