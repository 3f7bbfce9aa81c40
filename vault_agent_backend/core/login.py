"""Turning a login response's ``auth`` into a real token (Vault's LoginCreateToken)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ..builtin.token.entry import BATCH, SERVICE, TokenEntry
from ..builtin.token.policies import NON_ASSIGNABLE, ROOT, sanitize_policies
from ..builtin.token.ttl import TTLError
from ..framework.errors import InternalError, InvalidRequest
from ..framework.request import Request
from ..framework.response import Response

if TYPE_CHECKING:
    from ..framework.response import Auth
    from .core import Core
    from .mounts import MountEntry


def login_token_type(mount: MountEntry, auth: Auth) -> str:
    """The token type of a login, as Vault decides it: the mount's ``token_type`` tune forces
    ``service``/``batch``; ``default-service``/``default-batch`` apply when the auth method
    asked for nothing specific (``""``/``default``)."""
    configured = mount.config.token_type or "default-service"
    wanted = auth.token_type or "default"
    if configured in (SERVICE, BATCH):
        return configured
    if configured == "default-batch":
        return BATCH if wanted in ("default", "default-batch", BATCH) else SERVICE
    return BATCH if wanted in (BATCH, "default-batch") else SERVICE


def finish_login(core: Core, request: Request, mount: MountEntry, response: Response) -> None:
    """Create the token a login earned and fill in the response's auth block.

    TTLs follow the mount's limits and the backend's ``ttl``/``max_ttl``/``period``/
    ``explicit_max_ttl``; ``default`` is added unless ``no_default_policy``; login tokens are
    orphans; an entity is resolved from ``auth.alias`` through the identity hook.
    """
    auth = response.auth
    assert auth is not None
    store = core.token_store
    source = mount.path.replace("/", "-")
    display_name = (source + auth.display_name).removesuffix("-")
    try:
        result = store.calculate_ttl(
            mount.route_path,
            backend_ttl=auth.ttl,
            period=auth.period,
            backend_max_ttl=auth.max_ttl,
            explicit_max_ttl=auth.explicit_max_ttl,
        )
    except TTLError as exc:
        raise InternalError(str(exc)) from None
    response.warnings.extend(result.warnings)
    entity_id = auth.entity_id
    identity = core.hooks.get("identity")
    if not entity_id and auth.alias is not None and identity is not None:
        entity_id = identity.entity_for_login(mount, auth.alias)
    token_policies = sanitize_policies(auth.policies, not auth.no_default_policy)
    identity_policies: list[str] = []
    if entity_id and identity is not None:
        state = identity.caller_state(entity_id)
        if state is not None:
            identity_policies = sanitize_policies(list(state.policies), False)
    all_policies = sanitize_policies([*token_policies, *identity_policies], False)
    for name in all_policies:
        if name == ROOT:
            raise InvalidRequest("auth methods cannot create root tokens")
        if name in NON_ASSIGNABLE:
            raise InvalidRequest(f'cannot assign policy "{name}"')
    if result.ttl == 0:
        raise InternalError("refusing to create a non-root zero TTL token")
    token_type = login_token_type(mount, auth)
    now = time.time()
    entry = TokenEntry(
        id="",
        accessor="",
        policies=token_policies,
        path=request.path,
        meta=dict(auth.metadata),
        display_name=display_name,
        num_uses=auth.num_uses,
        creation_time=float(int(now)),
        ttl=result.ttl,
        explicit_max_ttl=auth.explicit_max_ttl,
        period=auth.period,
        entity_id=entity_id,
        type=token_type,
        renewable=auth.renewable and token_type == SERVICE,
        expire_at=now + result.ttl,
        issue_time=now,
        lease_ttl=result.ttl,
        lease_period=auth.period,
        lease_explicit_max_ttl=auth.explicit_max_ttl,
        lease_max_ttl=auth.max_ttl,
        internal=dict(auth.internal),
        mount_accessor=mount.accessor,
        bound_cidrs=list(auth.bound_cidrs),
    )
    entry = store.create(entry)
    auth.client_token = entry.id
    auth.accessor = entry.accessor
    auth.display_name = display_name
    auth.token_policies = token_policies
    auth.identity_policies = identity_policies
    auth.policies = all_policies
    auth.ttl = result.ttl
    auth.lease_duration = result.ttl
    auth.renewable = entry.renewable
    auth.entity_id = entity_id
    auth.orphan = True
    auth.token_type = entry.type
