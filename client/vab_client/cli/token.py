"""``vab token create|lookup|renew|revoke``: the token auth method (``auth/token``)."""

from __future__ import annotations

import click

from .base import (
    DURATION,
    KEY_VALUE,
    BoolFlag,
    State,
    call,
    common_options,
    group,
    pass_state,
)
from .errors import Failure
from .gofmt import duration_string
from .output import out, output_secret, print_field


@group("token")
def token_group() -> None:
    """Create, inspect, renew and revoke tokens.

    \b
    Examples:
      vab token create -policy=reader -ttl=1h
      vab token lookup
      vab token renew -increment=30m s.XXXX
      vab token revoke s.XXXX
    """


def _policies(values: tuple[str, ...]) -> list[str]:
    return [p.strip() for value in values for p in value.split(",") if p.strip()]


@token_group.command("create")
@click.option("--id", "token_id", default="", help="Value of the new token (needs sudo).")
@click.option("--display-name", default="", help="Non-secret name shown in lookups and audit.")
@click.option("--ttl", type=DURATION, default=None, help="Initial TTL, e.g. 30m or 1h.")
@click.option(
    "--explicit-max-ttl", type=DURATION, default=None, help="Hard limit renewals cannot pass."
)
@click.option("--period", type=DURATION, default=None, help="Make a periodic token (sudo).")
@click.option(
    "--renewable/--no-renewable",
    cls=BoolFlag,
    default=True,
    help="Allow renewals up to the maximum TTL (default true).",
)
@click.option("--orphan", cls=BoolFlag, is_flag=True, help="Create the token without a parent.")
@click.option("--no-default-policy", cls=BoolFlag, is_flag=True, help='Do not attach "default".')
@click.option("--use-limit", type=int, default=0, help="Number of uses (0 = unlimited).")
@click.option("--role", default="", help="Create against auth/token/create/ROLE.")
@click.option(
    "--type",
    "token_type",
    default="service",
    show_default=True,
    help='Token type: "service" or "batch".',
)
@click.option("--metadata", type=KEY_VALUE, multiple=True, help="key=value metadata; repeatable.")
@click.option("--policy", "policies", multiple=True, help="Policy to attach; repeatable.")
@click.option("--entity-alias", default="", help="Entity alias to use (with -role).")
@common_options(field=True)
@click.argument("args", nargs=-1, metavar="")
@pass_state
def token_create(
    state: State,
    token_id: str,
    display_name: str,
    ttl: int | None,
    explicit_max_ttl: int | None,
    period: int | None,
    renewable: bool,
    orphan: bool,
    no_default_policy: bool,
    use_limit: int,
    role: str,
    token_type: str,
    metadata: tuple[tuple[str, str], ...],
    policies: tuple[str, ...],
    entity_alias: str,
    args: tuple[str, ...],
) -> None:
    """Create a token (a child of the current one unless -orphan).

    Without -policy the new token gets the policies of the current token.

    \b
    Examples:
      vab token create -policy=reader -policy=writer -ttl=8h
      vab token create -orphan -period=24h -display-name=ci
      vab token create -type=batch -ttl=10m -field=token
      vab token create -metadata=team=payments -use-limit=3
    """
    fmt = state.checked_format()
    if args:
        raise Failure(f"Too many arguments (expected 0, got {len(args)})")
    if token_type == "batch":
        renewable = False
    body: dict[str, object] = {"renewable": renewable, "type": token_type}
    if token_id:
        body["id"] = token_id
    if policies:
        body["policies"] = _policies(policies)
    if metadata:
        body["meta"] = dict(metadata)
    for key, value in (("ttl", ttl), ("explicit_max_ttl", explicit_max_ttl), ("period", period)):
        if value:
            body[key] = "system" if value < 0 else duration_string(value)
    if orphan:
        body["no_parent"] = True
    if no_default_policy:
        body["no_default_policy"] = True
    if display_name:
        body["display_name"] = display_name
    if use_limit:
        body["num_uses"] = use_limit
    if entity_alias:
        body["entity_alias"] = entity_alias
    path = f"auth/token/create/{role}" if role else "auth/token/create"
    api = state.api()
    secret = call(fmt, lambda: api.send("POST", path, body), "Error creating token")
    if state.field and secret is not None:
        print_field(fmt, secret, state.field)
    else:
        output_secret(fmt, secret)


@token_group.command("lookup")
@click.option(
    "--accessor", cls=BoolFlag, is_flag=True, help="The argument is an accessor, not a token."
)
@common_options(field=True)
@click.argument("args", nargs=-1, metavar="[TOKEN|ACCESSOR]")
@pass_state
def token_lookup(state: State, accessor: bool, args: tuple[str, ...]) -> None:
    """Show a token's properties (the current token without an argument).

    \b
    Examples:
      vab token lookup
      vab token lookup s.XXXX
      vab token lookup -accessor ACCESSOR
      vab token lookup -field=policies
    """
    fmt = state.checked_format()
    if accessor and len(args) != 1:
        word = "Not enough" if not args else "Too many"
        raise Failure(f"{word} arguments with -accessor (expected 1, got {len(args)})")
    if len(args) > 1:
        raise Failure(f"Too many arguments (expected 0-1, got {len(args)})")
    token = args[0].strip() if args else ""
    api = state.api()
    if not token:
        request = lambda: api.send("GET", "auth/token/lookup-self")  # noqa: E731
    elif accessor:
        request = lambda: api.send(  # noqa: E731
            "POST", "auth/token/lookup-accessor", {"accessor": token}
        )
    else:
        request = lambda: api.send("POST", "auth/token/lookup", {"token": token})  # noqa: E731
    secret = call(fmt, request, "Error looking up token")
    if state.field and secret is not None:
        print_field(fmt, secret, state.field)
    else:
        output_secret(fmt, secret)


@token_group.command("renew")
@click.option(
    "--accessor", cls=BoolFlag, is_flag=True, help="The argument is an accessor, not a token."
)
@click.option(
    "--increment",
    "-i",
    type=DURATION,
    default=0,
    help="Requested TTL extension, e.g. 30m (default: the token's default TTL).",
)
@common_options()
@click.argument("args", nargs=-1, metavar="[TOKEN|ACCESSOR]")
@pass_state
def token_renew(state: State, accessor: bool, increment: int, args: tuple[str, ...]) -> None:
    """Extend a token's TTL (the current token without an argument).

    \b
    Examples:
      vab token renew
      vab token renew -increment=1h s.XXXX
      vab token renew -accessor ACCESSOR
    """
    fmt = state.checked_format()
    if len(args) > 1:
        raise Failure(f"Too many arguments (expected 1, got {len(args)})")
    token = args[0].strip() if args else ""
    increment = max(increment, 0)
    api = state.api()
    if not token:
        path, body = "auth/token/renew-self", {"increment": increment}
    elif accessor:
        path, body = "auth/token/renew-accessor", {"accessor": token, "increment": increment}
    else:
        path, body = "auth/token/renew", {"token": token, "increment": increment}
    secret = call(fmt, lambda: api.send("PUT", path, body), "Error renewing token")
    output_secret(fmt, secret)


@token_group.command("revoke")
@click.option(
    "--accessor", cls=BoolFlag, is_flag=True, help="The argument is an accessor, not a token."
)
@click.option("--self", "revoke_self", cls=BoolFlag, is_flag=True, help="Revoke the current token.")
@click.option(
    "--mode",
    default="",
    help='"orphan": revoke only the token, keeping its children; '
    '"path": revoke every token created under an auth path prefix.',
)
@common_options(fmt=False)
@click.argument("args", nargs=-1, metavar="TOKEN|ACCESSOR|PREFIX")
@pass_state
def token_revoke(
    state: State, accessor: bool, revoke_self: bool, mode: str, args: tuple[str, ...]
) -> None:
    """Revoke a token and, by default, all of its children.

    \b
    Examples:
      vab token revoke s.XXXX
      vab token revoke -self
      vab token revoke -accessor ACCESSOR
      vab token revoke -mode=orphan s.XXXX
      vab token revoke -mode=path auth/userpass/
    """
    if mode not in ("", "orphan", "path"):
        raise Failure(f"Invalid mode: {mode}")
    token = args[0].strip() if args else ""
    if revoke_self and args:
        raise Failure(f"Too many arguments with -self (expected 0, got {len(args)})")
    if not revoke_self and len(args) > 1:
        raise Failure(f"Too many arguments (expected 1 or -self, got {len(args)})")
    if not revoke_self and not args:
        raise Failure(f"Not enough arguments (expected 1 or -self, got {len(args)})")
    if revoke_self and accessor:
        raise Failure("Cannot use -self with -accessor!")
    if revoke_self and mode:
        raise Failure("Cannot use -self with -mode!")
    if accessor and mode:
        raise Failure(f"Cannot use -accessor with -mode={mode}!")
    if revoke_self:
        path, body = "auth/token/revoke-self", None
    elif accessor:
        path, body = "auth/token/revoke-accessor", {"accessor": token}
    elif mode == "orphan":
        path, body = "auth/token/revoke-orphan", {"token": token}
    elif mode == "path":
        path, body = f"sys/leases/revoke-prefix/{token}", None
    else:
        path, body = "auth/token/revoke", {"token": token}
    api = state.api()
    call("table", lambda: api.send("PUT", path, body), "Error revoking token")
    out("Success! Revoked token (if it existed)")


COMMANDS = [token_group]
