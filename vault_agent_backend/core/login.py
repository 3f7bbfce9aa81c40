"""Turning a login response's ``auth`` into a real token."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ..builtin.token.entry import TokenEntry
from ..framework.request import Request
from ..framework.response import Response

if TYPE_CHECKING:
    from .core import Core
    from .mounts import MountEntry


def finish_login(core: Core, request: Request, mount: MountEntry, response: Response) -> None:
    """Create the token a login earned and fill in the response's auth block."""
    auth = response.auth
    assert auth is not None
    policies = sorted({p for p in auth.policies if p})
    if not auth.no_default_policy and "default" not in policies:
        policies = sorted([*policies, "default"])
    default_ttl, max_ttl = core.mount_ttls(mount)
    ttl = auth.ttl or default_ttl
    if auth.period:
        ttl = auth.period
    caps = [max_ttl]
    if auth.explicit_max_ttl:
        caps.append(auth.explicit_max_ttl)
    if auth.max_ttl:
        caps.append(auth.max_ttl)
    ttl = min([ttl, *caps]) if not auth.period else ttl
    entity_id = auth.entity_id
    identity = core.hooks.get("identity")
    if not entity_id and auth.alias is not None and identity is not None:
        entity_id = identity.entity_for_login(mount, auth.alias)
    token_type = auth.token_type or mount.config.token_type or "service"
    if token_type.startswith("default-"):
        token_type = token_type.removeprefix("default-")
    now = time.time()
    entry = TokenEntry(
        id="",
        accessor="",
        policies=policies,
        path=request.path,
        meta=dict(auth.metadata),
        display_name=f"{mount.path.rstrip('/').replace('/', '-')}-{auth.display_name}".rstrip("-"),
        num_uses=auth.num_uses,
        creation_time=now,
        ttl=ttl,
        explicit_max_ttl=auth.explicit_max_ttl,
        period=auth.period,
        entity_id=entity_id,
        type=token_type,
        renewable=auth.renewable,
        expire_at=now + ttl if ttl else 0.0,
        internal=dict(auth.internal),
        mount_accessor=mount.accessor,
    )
    entry = core.token_store.create(entry)
    identity_policies: list[str] = []
    if entity_id and identity is not None:
        state = identity.caller_state(entity_id)
        if state is not None:
            identity_policies = [p for p in state.policies if p not in policies]
    auth.client_token = entry.id
    auth.accessor = entry.accessor if entry.type == "service" else ""
    auth.token_policies = policies
    auth.identity_policies = identity_policies
    auth.policies = sorted({*policies, *identity_policies})
    auth.lease_duration = ttl
    auth.entity_id = entity_id
    auth.orphan = True
    auth.token_type = entry.type
