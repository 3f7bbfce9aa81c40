"""Shared helpers for the policy engine tests."""

from __future__ import annotations

from functools import cache

from tests.policy.cases import IDENTITY, materialize
from vault_agent_backend.policy import (
    ACL,
    AliasInfo,
    GroupInfo,
    IdentityContext,
    Policy,
    parse_policy,
)


def identity_from(values: dict) -> IdentityContext:
    """The IdentityContext described by a ``cases.IDENTITY``-shaped dict."""
    return IdentityContext(
        entity_id=values["entity_id"],
        entity_name=values["entity_name"],
        entity_metadata=values["entity_metadata"],
        aliases={
            values["accessor"]: AliasInfo(
                values["alias_id"], values["alias_name"], {}, values["alias_custom_metadata"]
            )
        },
        groups=[
            GroupInfo(values["group_id"], values["group_name"], values["group_metadata"]),
            GroupInfo(values["parent_group_id"], values["parent_group_name"], {}),
        ],
    )


#: The entity the templated cases were recorded with.
RECORDED_IDENTITY = identity_from(IDENTITY)

#: A small hand-made identity for unit tests.
ALICE = IdentityContext(
    entity_id="e-123",
    entity_name="alice",
    entity_metadata={"team": "blue", "empty": "", "slash": "a/b", "star": "a*", "plus": "a+b"},
    aliases={"auth_userpass_1": AliasInfo("al-1", "alice-up", {"m": "1"}, {"tier": "gold"})},
    groups=[GroupInfo("g-1", "devs", {"env": "prod"}), GroupInfo("g-2", "ops", {})],
)


@cache
def parsed(name: str, text: str) -> Policy:
    return parse_policy(name, text)


def acl_of(*texts: str, identity: IdentityContext | None = None) -> ACL:
    """An ACL of policies ``p0``, ``p1``, ... with the given texts."""
    return ACL([parsed(f"p{i}", t) for i, t in enumerate(texts)], identity)


def stanza(path: str, caps: str = "read", extra: str = "") -> str:
    """``stanza("a/*", "read list")`` -> one ``path`` block."""
    quoted = ", ".join(f'"{c}"' for c in caps.split())
    return f'path "{path}" {{\n  capabilities = [{quoted}]\n  {extra}\n}}\n'


__all__ = [
    "ALICE",
    "RECORDED_IDENTITY",
    "acl_of",
    "identity_from",
    "materialize",
    "parsed",
    "stanza",
]
