"""``vab policy write|read|list|delete``: ACL policies (``sys/policies/acl``)."""

from __future__ import annotations

import click

from .base import State, call, common_options, expect_args, group, pass_state
from .errors import EXIT_API, Failure
from .output import err, out, output_data


@group("policy")
def policy_group() -> None:
    """Manage ACL policies.

    A policy is an HCL document that grants capabilities on paths.

    \b
    Examples:
      vab policy write reader reader.hcl
      vab policy read reader
      vab policy list
      vab policy delete reader
    """


def _policy_name(raw: str) -> str:
    return raw.strip().lower()


@policy_group.command("write")
@common_options(fmt=False)
@click.argument("args", nargs=-1, metavar="NAME FILE|-")
@pass_state
def policy_write(state: State, args: tuple[str, ...]) -> None:
    """Upload a policy from a file or stdin.

    NAME is the policy's name, FILE holds its HCL ("-" reads it from stdin).

    The name is lower-cased, as the server stores it. Writing an existing policy
    replaces it.

    \b
    Examples:
      vab policy write reader reader.hcl
      echo 'path "secret/data/*" { capabilities = ["read"] }' | vab policy write reader -
    """
    expect_args(args, 2)
    name = args[0]
    formatted = _policy_name(name)
    source = args[1].strip()
    if source == "-":
        rules = click.get_text_stream("stdin").read()
    else:
        try:
            with open(source, encoding="utf-8") as handle:
                rules = handle.read()
        except OSError as exc:
            reason = (exc.strerror or str(exc)).lower()
            raise Failure(f"Error opening policy file: open {source}: {reason}", EXIT_API) from None
    api = state.api()
    call(
        "table",
        lambda: api.write(f"sys/policies/acl/{formatted}", {"policy": rules}),
        "Error uploading policy",
    )
    if name != formatted:
        err(f'Policy name was converted from "{name}" to "{formatted}"')
    out(f"Success! Uploaded policy: {formatted}")


@policy_group.command("read")
@common_options()
@click.argument("args", nargs=-1, metavar="NAME")
@pass_state
def policy_read(state: State, args: tuple[str, ...]) -> None:
    """Print the HCL of a policy (with -format=json: {"policy": "..."}).

    \b
    Examples:
      vab policy read default
      vab policy read -format=json reader
    """
    fmt = state.checked_format()
    expect_args(args, 1)
    name = _policy_name(args[0])
    api = state.api()
    secret = call(
        fmt, lambda: api.read(f"sys/policies/acl/{name}"), f"Error reading policy named {name}"
    )
    rules = (secret.data or {}).get("policy") if secret is not None else None
    if not rules:
        raise Failure(f"No policy named: {name}", EXIT_API)
    if fmt == "table":
        out(str(rules).strip())
    else:
        output_data(fmt, {"policy": rules})


@policy_group.command("list")
@common_options()
@click.argument("args", nargs=-1, metavar="")
@pass_state
def policy_list(state: State, args: tuple[str, ...]) -> None:
    """List the names of all ACL policies, one a line.

    \b
    Examples:
      vab policy list
      vab policy list -format=json
    """
    fmt = state.checked_format()
    expect_args(args, 0)
    api = state.api()
    secret = call(fmt, lambda: api.list("sys/policies/acl"), "Error listing policies")
    if secret is None or secret.data is None:
        raise Failure("Error listing policies: data from server response is empty", EXIT_API)
    policies = [str(p) for p in secret.data.get("keys") or []]
    if fmt == "table":
        for name in policies:
            out(name)
    else:
        output_data(fmt, policies)


@policy_group.command("delete")
@common_options(fmt=False)
@click.argument("args", nargs=-1, metavar="NAME")
@pass_state
def policy_delete(state: State, args: tuple[str, ...]) -> None:
    """Delete a policy (tokens that carry it simply lose its grants).

    \b
    Example:
      vab policy delete reader
    """
    expect_args(args, 1)
    name = _policy_name(args[0])
    api = state.api()
    call("table", lambda: api.delete(f"sys/policies/acl/{name}"), f"Error deleting {name}")
    out(f"Success! Deleted policy: {name}")


COMMANDS = [policy_group]
