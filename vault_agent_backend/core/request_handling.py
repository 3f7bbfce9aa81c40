"""The request pipeline: authenticate, decide create/update, authorize, route, post-process."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..framework.errors import InvalidToken, NotFound, PermissionDenied, Sealed, VaultError
from ..framework.request import Caller, Operation, Request
from ..framework.response import Response
from .login import finish_login
from .wrapping import wrap_response

if TYPE_CHECKING:
    from .core import Core

SEAL_EXEMPT = ("sys/health", "sys/seal-status", "sys/init", "sys/unseal", "sys/leader")


def looks_like_jwt(token: str) -> bool:
    """An agent JWT has three dot-separated parts and no Vault token prefix."""
    return token.count(".") == 2 and not token.startswith(("hvs.", "hvb.", "s.", "b."))


def authenticate(core: Core, request: Request) -> Caller:
    """Resolve the request's token to a Caller (403 when missing, unknown or expired)."""
    token = request.client_token
    if not token:
        raise InvalidToken()
    if looks_like_jwt(token):
        agent_auth = core.hooks.get("agent_authenticator")
        if agent_auth is None:
            raise InvalidToken()
        return agent_auth(request)
    entry = core.token_store.lookup(token)
    if entry is None or entry.num_uses < 0:
        raise InvalidToken()
    token_policies = list(entry.policies)
    identity_policies: list[str] = []
    identity_ctx = None
    identity = core.hooks.get("identity")
    if entry.entity_id and identity is not None:
        state = identity.caller_state(entry.entity_id)
        if state is not None:
            if state.disabled:
                raise InvalidToken()
            if not entry.no_identity_policies:
                identity_policies = [p for p in state.policies if p not in token_policies]
            identity_ctx = state.context
    policies = token_policies + identity_policies
    is_root = "root" in policies
    acl = core.policy_store.acl(policies, identity_ctx)
    return Caller(
        token=entry,
        policies=policies,
        token_policies=token_policies,
        identity_policies=identity_policies,
        entity_id=entry.entity_id,
        is_root=is_root,
        acl=acl,
    )


def handle_request(core: Core, request: Request) -> Response | None:
    """Run one logical request through the core; raises VaultError subclasses on refusal."""
    core.refresh_if_stale()
    if core.sealed and not request.path.startswith(SEAL_EXEMPT):
        raise Sealed()
    routed = core.route(request.path)
    entry, backend = routed if routed else (None, None)
    if entry is not None:
        request.mount_point = entry.route_path
        request.mount_type = entry.type
        request.mount_accessor = entry.accessor
        request.mount_class = "auth" if entry.table == "auth" else "secret"
        request.storage = backend.storage
    unauthenticated = backend is not None and backend.special.is_unauthenticated(request.rel_path)
    request.unauthenticated = unauthenticated
    caller: Caller | None = None
    if not unauthenticated:
        caller = authenticate(core, request)
        request.caller = caller
    elif request.client_token:
        try:
            request.caller = authenticate(core, request)
        except VaultError:
            request.caller = None
    audit = core.hooks.get("audit")
    if audit is not None:
        audit.log_request(request)
    try:
        response = _dispatch(core, request, entry, backend, caller)
    except VaultError as exc:
        if audit is not None:
            audit.log_response(request, None, exc)
        raise
    if audit is not None:
        audit.log_response(request, response, None)
    return response


def _dispatch(core, request, entry, backend, caller) -> Response | None:
    if caller is not None and request.operation == Operation.UPDATE and backend is not None:
        has_check, exists = backend.existence(request)
        if has_check and not exists:
            request.operation = Operation.CREATE
    if caller is not None:
        root_protected = backend is not None and backend.special.is_root(request.rel_path)
        decision = caller.acl.authorize(
            request.operation.value if request.operation != Operation.HELP else "read",
            request.path,
            request.data,
            request.wrap_ttl,
            root_protected,
        )
        if not decision.allowed:
            reasons = [decision.denied_reason] if getattr(decision, "denied_reason", None) else []
            reasons = [r for r in reasons if r and r != "permission denied"]
            raise PermissionDenied(*reasons)
    if backend is None:
        raise NotFound(f'no handler for route "{request.path}". route entry not found.')
    token_entry = caller.token if caller is not None and caller.kind == "token" else None
    last_use = False
    if token_entry is not None and token_entry.num_uses > 0:
        token_entry, last_use = core.token_store.use(token_entry)
        caller.token = token_entry
    try:
        response = backend.handle_request(request)
    finally:
        if last_use:
            still = core.token_store.lookup(token_entry.id)
            if still is not None:
                core.token_store.revoke(still)
    if response is not None and response.auth is not None and not response.auth.client_token:
        finish_login(core, request, entry, response)
    wrap_ttl = request.wrap_ttl or (response.wrap_ttl if response is not None else 0)
    if wrap_ttl and response is not None and response.raw is None:
        response = wrap_response(core, request, response, wrap_ttl)
    return response
