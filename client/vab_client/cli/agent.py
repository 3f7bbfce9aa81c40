"""``vab agent register|list|show|suspend|resume|delegate|revoke-delegation|token|explain``.

Registrations live at ``identity/agent/...``, delegations at
``identity/agent/delegation`` (created with the human's own token: ``vab login`` first),
tokens come from the built-in authorization server (``auth/agent/``), explanations from
``sys/agent/explain``. Authorization details are given as JSON (``-details='[...]'``,
``-details=@file.json``) or as ``PATH:CAPABILITY,CAPABILITY`` shorthands.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click
import hvac
import requests

from ..segments import InvalidSegment, check_segment
from .api import API
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
from .client import build_client
from .errors import EXIT_API, EXIT_LOCAL, Failure
from .gofmt import duration_string
from .output import out, output_data, print_field, table

REGISTRY = "identity/agent"
DELEGATIONS = "identity/agent/delegation"


@group("agent")
def agent_group() -> None:
    """Manage AI agents: registrations, delegations, tokens and explanations.

    \b
    Examples:
      vab agent register -ceiling-policy=kv-read -public-key=@bot.pub billing-bot
      vab agent delegate -purpose="monthly invoices" billing-bot 'secret/data/app/*:read'
      vab agent token -client-id=ID -private-key=bot.pem -delegation=DID \\
          'secret/data/app/db:read'
      vab agent explain -token=JWT read:secret/data/app/db
    """


# -- helpers -----------------------------------------------------------------------------------


def _read_value(value: str) -> str:
    if value.startswith("@"):
        try:
            return Path(value[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise Failure(f"Error reading {value[1:]}: {exc.strerror or exc}", EXIT_LOCAL) from None
    return value


def parse_details(raw: str | None, shorthands: tuple[str, ...]) -> list[dict[str, Any]] | None:
    """Authorization details from ``-details`` (JSON or @file) and ``PATH:CAPS`` args."""
    from ..oauth import path_access

    entries: list[dict[str, Any]] = []
    if raw:
        try:
            decoded = json.loads(_read_value(raw))
        except ValueError as exc:
            raise Failure(f"Invalid -details JSON: {exc}", EXIT_LOCAL) from None
        if isinstance(decoded, dict):
            decoded = [decoded]
        if not isinstance(decoded, list):
            raise Failure("-details must be a JSON array of authorization details", EXIT_LOCAL)
        entries.extend(decoded)
    for item in shorthands:
        path, sep, caps = item.rpartition(":")
        if not sep or not path or not caps:
            raise Failure(
                f'Invalid authorization detail "{item}": expected PATH:CAPABILITY[,CAPABILITY]',
                EXIT_LOCAL,
            )
        entries.append(path_access(path, *[c.strip() for c in caps.split(",") if c.strip()]))
    return entries if (raw or shorthands) else None


def _segment(value: str, what: str) -> str:
    """A caller's id or name as one path segment (exit 1 when it cannot be one)."""
    try:
        return check_segment(value, what)
    except InvalidSegment as exc:
        raise Failure(str(exc), EXIT_LOCAL) from None


def _resolve(api: API, fmt: str, ref: str) -> dict[str, Any]:
    """A registration by id or display name (exit 2 when unknown)."""
    ref = _segment(ref, "agent id or name")
    for route in ("id", "display-name"):
        secret = call(fmt, lambda r=route: api.read(f"{REGISTRY}/registration/{r}/{ref}"))
        if secret is not None and secret.data:
            return secret.data
    raise Failure(f"No agent registration with id or display name {ref!r}", EXIT_API)


def _show(state: State, fmt: str, data: dict[str, Any]) -> None:
    if state.field:
        print_field(fmt, data, state.field)
    else:
        output_data(fmt, data)


# -- registrations -----------------------------------------------------------------------------


@agent_group.command("register")
@click.option("--entity-id", default="", help="Entity of the agent (default: one named NAME).")
@click.option("--ceiling-policy", "ceiling", multiple=True, help="Ceiling policy; repeatable.")
@click.option("--baseline-policy", "baseline", multiple=True, help="Baseline policy; repeatable.")
@click.option("--public-key", "keys", multiple=True, help="PEM/JWK or @file; repeatable.")
@click.option("--max-ttl", type=DURATION, default=None, help="Longest token (default 5m).")
@click.option("--max-delegation-depth", type=int, default=None, help="Longest act chain.")
@click.option("--description", default=None, help="Description of the agent.")
@click.option("--owner", default=None, help="Owner of the registration.")
@click.option("--metadata", type=KEY_VALUE, multiple=True, help="key=value; repeatable.")
@common_options(field=True)
@click.argument("args", nargs=-1, metavar="NAME")
@pass_state
def agent_register(
    state: State,
    entity_id: str,
    ceiling: tuple[str, ...],
    baseline: tuple[str, ...],
    keys: tuple[str, ...],
    max_ttl: int | None,
    max_delegation_depth: int | None,
    description: str | None,
    owner: str | None,
    metadata: tuple[tuple[str, str], ...],
    args: tuple[str, ...],
) -> None:
    """Register an agent (creating its identity entity when -entity-id is not given).

    \b
    Examples:
      vab agent register -ceiling-policy=kv-read -public-key=@bot.pub billing-bot
      vab agent register -entity-id=ENTITY -max-ttl=2m -field=id billing-bot
    """
    fmt = state.checked_format()
    expect_args(args, 1)
    name = args[0]
    api = state.api()
    if not entity_id:
        call(fmt, lambda: api.write("identity/entity", {"name": name}), "Error creating entity")
        entity_name = _segment(name, "agent name")
        entity = call(
            fmt, lambda: api.read(f"identity/entity/name/{entity_name}"), "Error reading entity"
        )
        if entity is None or not entity.data:
            raise Failure(f"Entity {name!r} could not be created", EXIT_API)
        entity_id = entity.data["id"]
    body: dict[str, Any] = {"display_name": name, "entity_id": entity_id}
    if ceiling:
        body["ceiling_policies"] = list(ceiling)
    if baseline:
        body["baseline_policies"] = list(baseline)
    if keys:
        body["client_public_keys"] = [_read_value(k) for k in keys]
    if max_ttl is not None:
        body["max_ttl"] = duration_string(max_ttl)
    if max_delegation_depth is not None:
        body["max_delegation_depth"] = max_delegation_depth
    for key, value in (("description", description), ("owner", owner)):
        if value is not None:
            body[key] = value
    if metadata:
        body["metadata"] = dict(metadata)
    secret = call(fmt, lambda: api.write(f"{REGISTRY}/register", body), "Error registering agent")
    data = dict((secret.data if secret else None) or {})
    data["entity_id"] = entity_id
    _show(state, fmt, data)


@agent_group.command("list")
@common_options()
@pass_state
def agent_list(state: State) -> None:
    """List registered agents (id, display name, status).

    \b
    Examples:
      vab agent list
      vab agent list -format=json
    """
    fmt = state.checked_format()
    api = state.api()
    secret = call(fmt, lambda: api.list(f"{REGISTRY}/registration/id"), "Error listing agents")
    info = ((secret.data or {}).get("key_info") or {}) if secret else {}
    if fmt != "table":
        output_data(fmt, info)
        return
    if not info:
        raise Failure("No agents registered", EXIT_API)
    rows = [
        [reg_id, str(item.get("display_name", "")), str(item.get("status", ""))]
        for reg_id, item in sorted(info.items(), key=lambda kv: str(kv[1].get("display_name")))
    ]
    out(table(["ID", "Display Name", "Status"], rows))


@agent_group.command("show")
@common_options(field=True)
@click.argument("args", nargs=-1, metavar="NAME|ID")
@pass_state
def agent_show(state: State, args: tuple[str, ...]) -> None:
    """Show a registration (by id or display name).

    \b
    Examples:
      vab agent show billing-bot
      vab agent show -field=id billing-bot
    """
    fmt = state.checked_format()
    expect_args(args, 1)
    _show(state, fmt, _resolve(state.api(), fmt, args[0]))


@agent_group.command("suspend")
@click.option("--resume", cls=BoolFlag, is_flag=True, help="Make the agent active again.")
@common_options(fmt=False)
@click.argument("args", nargs=-1, metavar="NAME|ID")
@pass_state
def agent_suspend(state: State, resume: bool, args: tuple[str, ...]) -> None:
    """Suspend an agent: every token of it is refused on the next request.

    \b
    Examples:
      vab agent suspend billing-bot
      vab agent suspend -resume billing-bot
    """
    expect_args(args, 1)
    api = state.api()
    record = _resolve(api, "table", args[0])
    status = "active" if resume else "suspended"
    call(
        "table",
        lambda: api.write(f"{REGISTRY}/registration/id/{record['id']}", {"status": status}),
        "Error updating agent",
    )
    out(f"Success! Agent {record['display_name']} is {status}.")


# -- delegations -------------------------------------------------------------------------------


@agent_group.command("delegate")
@click.option("--details", default=None, help="Authorization details: JSON array or @file.")
@click.option("--ttl", type=DURATION, default=None, help="Lifetime (default: your token's).")
@click.option("--purpose", default="", help="Why the agent may act for you (audited).")
@common_options(field=True)
@click.argument("args", nargs=-1, metavar="AGENT [PATH:CAPS...]")
@pass_state
def agent_delegate(
    state: State, details: str | None, ttl: int | None, purpose: str, args: tuple[str, ...]
) -> None:
    """Let an agent act for you (uses your own token, e.g. after `vab login`).

    \b
    Examples:
      vab agent delegate -purpose="invoices" billing-bot 'secret/data/app/*:read'
      vab agent delegate -details=@scope.json -ttl=8h -field=delegation_id billing-bot
    """
    fmt = state.checked_format()
    if not args:
        raise Failure("Not enough arguments (expected at least 1, got 0)")
    entries = parse_details(details, args[1:])
    if not entries:
        raise Failure("Give the authorization details (PATH:CAPS arguments or -details)")
    body: dict[str, Any] = {"agent": args[0], "authorization_details": entries}
    if ttl:
        body["ttl"] = duration_string(ttl)
    if purpose:
        body["purpose"] = purpose
    api = state.api()
    secret = call(fmt, lambda: api.write(DELEGATIONS, body), "Error creating delegation")
    _show(state, fmt, (secret.data if secret else None) or {})


@agent_group.command("revoke-delegation")
@click.option("--subject", default="", help="Revoke every delegation of this entity instead.")
@common_options(fmt=False)
@click.argument("args", nargs=-1, metavar="[DELEGATION_ID]")
@pass_state
def agent_revoke_delegation(state: State, subject: str, args: tuple[str, ...]) -> None:
    """Revoke a delegation (or all of one human's with -subject).

    A human revokes their own delegations; sudo on identity/agent/delegation revokes any.

    \b
    Examples:
      vab agent revoke-delegation 5f0c7a7e-...
      vab agent revoke-delegation -subject=ENTITY_ID
    """
    api = state.api()
    if subject:
        expect_args(args, 0)
        secret = call(
            "table",
            lambda: api.delete(f"{DELEGATIONS}/subject/{_segment(subject, 'entity id')}"),
            "Error revoking delegations",
        )
        ended = ((secret.data if secret else None) or {}).get("revoked_delegation_ids") or []
        out(f"Success! Revoked {len(ended)} delegation(s).")
        return
    expect_args(args, 1)
    delegation_id = _segment(args[0], "delegation id")
    call(
        "table",
        lambda: api.delete(f"{DELEGATIONS}/id/{delegation_id}"),
        "Error revoking delegation",
    )
    out(f"Success! Revoked delegation {args[0]}.")


# -- tokens ------------------------------------------------------------------------------------


@agent_group.command("token")
@click.option("--client-id", default="", help="Registration id ($VAB_AGENT_CLIENT_ID).")
@click.option("--private-key", default="", help="PEM private key file ($VAB_AGENT_PRIVATE_KEY).")
@click.option("--key-id", default="", help="kid of the registered key, if it has one.")
@click.option("--client-secret", default="", help="Client secret ($VAB_AGENT_CLIENT_SECRET).")
@click.option("--auth-method", default=None, help="private_key_jwt or client_secret_basic|post.")
@click.option("--delegation", default="", help="Act for a human under this delegation id.")
@click.option("--subject-token", default="", help="Act for another agent's token (chain).")
@click.option("--details", default=None, help="Authorization details: JSON array or @file.")
@click.option("--ttl", type=DURATION, default=None, help="Requested lifetime (capped).")
@click.option("--purpose", default="", help="Purpose carried into the token.")
@click.option("--txn", default="", help="Transaction id carried into the token.")
@click.option("--mount", default="agent", show_default=True, help="The agent auth mount.")
@common_options(field=True)
@click.argument("args", nargs=-1, metavar="[PATH:CAPS...]")
@pass_state
def agent_token(
    state: State,
    client_id: str,
    private_key: str,
    key_id: str,
    client_secret: str,
    auth_method: str | None,
    delegation: str,
    subject_token: str,
    details: str | None,
    ttl: int | None,
    purpose: str,
    txn: str,
    mount: str,
    args: tuple[str, ...],
) -> None:
    """Get an access token for the agent (client_credentials, or for a delegation).

    \b
    Examples:
      vab agent token -client-id=ID -private-key=bot.pem -delegation=DID \\
          -field=access_token 'secret/data/app/db:read'
      vab agent token -client-id=ID -client-secret=S 'secret/data/agent/*:read'
    """
    from ..oauth import AuthorizationServer, ClientCredentials, OAuthError

    fmt = state.checked_format()
    client_id = client_id or getenv_agent("CLIENT_ID")
    key_path = private_key or getenv_agent("PRIVATE_KEY")
    secret = client_secret or getenv_agent("CLIENT_SECRET")
    if not client_id:
        raise Failure("-client-id is required (or VAB_AGENT_CLIENT_ID)")
    try:
        pem = Path(key_path).read_bytes() if key_path else None
        credentials = ClientCredentials(
            client_id,
            private_key=pem,
            key_id=key_id or None,
            client_secret=secret or None,
            method=auth_method,
        )
    except OSError as exc:
        raise Failure(f"Error reading {key_path}: {exc.strerror or exc}", EXIT_LOCAL) from None
    except ValueError as exc:
        raise Failure(f"Invalid agent credentials: {exc}", EXIT_LOCAL) from None
    server = AuthorizationServer(build_client(state.settings, token=""), mount)
    try:
        answer = server.token(
            credentials,
            delegation_id=delegation or None,
            subject_token=subject_token or None,
            authorization_details=parse_details(details, args),
            ttl=ttl,
            txn=txn or None,
            purpose=purpose or None,
        )
    except OAuthError as exc:
        raise Failure(
            f"Error getting a token: {exc.error}: {exc.error_description}", EXIT_API
        ) from None
    except (hvac.exceptions.VaultError, requests.RequestException) as exc:
        raise Failure(f"Error getting a token: {exc}", EXIT_API) from None
    _show(state, fmt, answer)


def getenv_agent(name: str) -> str:
    """``VAB_AGENT_<name>`` ("" when unset)."""
    return os.environ.get(f"VAB_AGENT_{name}", "")


# -- explain -----------------------------------------------------------------------------------


@agent_group.command("explain")
@click.option("--token", "jwt_token", default="", help="The agent token to explain.")
@click.option("--agent", default="", help="Explain for this agent (id or display name).")
@click.option("--subject", default="", help="...acting for this entity (delegated mode).")
@click.option("--details", default=None, help="Authorization details: JSON array or @file.")
@common_options()
@click.argument("args", nargs=-1, metavar="OPERATION:PATH...")
@pass_state
def agent_explain(
    state: State,
    jwt_token: str,
    agent: str,
    subject: str,
    details: str | None,
    args: tuple[str, ...],
) -> None:
    """Explain which layer allows or refuses each request, and why.

    \b
    Examples:
      vab agent explain -token=JWT read:secret/data/app/db update:secret/data/app/db
      vab agent explain -agent=billing-bot -subject=ENTITY_ID read:secret/data/app/db
    """
    fmt = state.checked_format()
    if not args:
        raise Failure("Give at least one OPERATION:PATH to explain")
    requests = []
    for item in args:
        operation, sep, path = item.partition(":")
        if not sep or not path:
            raise Failure(f'Invalid request "{item}": expected OPERATION:PATH', EXIT_LOCAL)
        requests.append({"operation": operation, "path": path})
    body: dict[str, Any] = {"requests": requests}
    if jwt_token:
        body["token"] = _read_value(jwt_token).strip()
    if agent:
        body["agent"] = agent
    if subject:
        body["subject_entity_id"] = subject
    entries = parse_details(details, ())
    if entries is not None:
        body["authorization_details"] = entries
    api = state.api()
    secret = call(fmt, lambda: api.write("sys/agent/explain", body), "Error explaining")
    data = (secret.data if secret else None) or {}
    if fmt != "table":
        output_data(fmt, data)
        return
    if data.get("token_valid") is False:
        out(f"Token refused: {data.get('token_error')}")
    rows = []
    for result in data.get("results") or []:
        layers = ", ".join(
            f"{v['layer']}={'allow' if v['allowed'] else 'deny'}" for v in result.get("layers", [])
        )
        rows.append(
            [
                f"{result['operation']} {result['path']}",
                "allowed" if result.get("allowed") else "denied",
                str(result.get("denied_by") or "-"),
                layers or str(result.get("reason") or ""),
            ]
        )
    out(table(["Request", "Decision", "Denied By", "Layers"], rows))


COMMANDS = [agent_group]
