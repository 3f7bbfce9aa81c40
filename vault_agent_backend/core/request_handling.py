"""The request pipeline: authenticate, decide create/update, authorize, route, post-process."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..builtin.token.roles import addr_in_cidrs
from ..framework.errors import (
    InvalidRequest,
    InvalidToken,
    NotFound,
    PermissionDenied,
    Sealed,
    VaultError,
)
from ..framework.request import Caller, Operation, Request
from ..framework.response import Response
from ..policy import ACLError
from .expiration import manager as lease_manager
from .login import finish_login
from .metrics import metrics as core_metrics
from .wrapping import WRAPPING_PATHS, effective_wrap_ttl, validate_request, wrap_response

if TYPE_CHECKING:
    from .core import Core

_WRITES = (Operation.CREATE, Operation.UPDATE, Operation.PATCH)
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
    if entry.bound_cidrs and not addr_in_cidrs(request.remote_addr, entry.bound_cidrs):
        raise InvalidToken()
    token_policies = list(entry.policies)
    identity_policies: list[str] = []
    identity_ctx = None
    identity = core.hooks.get("identity")
    if entry.entity_id and identity is not None:
        # As Vault: an entity merged into another is resolved to that entity; a token whose
        # entity is gone (deleted) or disabled is refused with a plain "permission denied".
        state = identity.caller_state(entry.entity_id, follow_merges=True)
        if state is None or state.disabled:
            raise InvalidToken()
        if not entry.no_identity_policies:
            identity_policies = [p for p in state.policies if p not in token_policies]
        identity_ctx = state.context
    policies = token_policies + identity_policies
    is_root = "root" in policies
    try:
        acl = core.policy_store.acl(policies, identity_ctx)
    except ACLError as exc:
        # As OpenBao: the request is refused with 400 "Forbidden"; sys/capabilities explains.
        error = InvalidRequest("Forbidden")
        error.acl_error = str(exc)
        raise error from None
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
    stats = core_metrics(core)
    start = stats.request_started()
    status = 500
    try:
        response = _handle_request(core, request)
        status = 200 if response is not None else 204
        return response
    except VaultError as exc:
        status = exc.status
        raise
    finally:
        stats.request_finished(start, request.operation.value, request.mount_point, status)


def _handle_request(core: Core, request: Request) -> Response | None:
    if core.seal is not None:
        core.seal.sync(core)
        if core.sealed:
            from ..builtin.system.seal import handle_sealed

            return handle_sealed(core, request)
    if core.sealed and not request.path.startswith(SEAL_EXEMPT):
        raise Sealed()
    if request.path.endswith("/") and request.operation in _WRITES:
        raise InvalidRequest("cannot write to a path ending in '/'")
    core.refresh_if_stale()
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
    if request.path in WRAPPING_PATHS:
        try:  # as Vault: the wrapping token is checked before the caller's token
            validate_request(core, request)
        except VaultError as exc:
            failed_audit = core.hooks.get("audit")
            if failed_audit is not None:
                failed_audit.log_request(request, exc)
                failed_audit.log_response(request, None, exc)
            raise
    caller: Caller | None = None
    audit = core.hooks.get("audit")
    try:
        if not unauthenticated:
            caller = authenticate(core, request)
            request.caller = caller
        elif request.client_token:
            try:
                request.caller = authenticate(core, request)
            except VaultError:
                request.caller = None
        refusal = _authorize(request, backend, caller)
    except VaultError as exc:  # refused before any handler: audited with the error (Vault)
        if audit is not None:
            audit.log_request(request, exc)
            audit.log_response(request, None, exc)
        raise
    if audit is not None:  # before the handler: when no device can record it, nothing runs
        audit.log_request(request, refusal)
    try:
        response = _dispatch(core, request, entry, backend, caller, refusal)
    except Exception as exc:
        if audit is not None:
            audit.log_response(request, None, exc)
        raise
    if audit is not None:
        audit.log_response(request, response, None)
    return response


def _count_use(core: Core, caller: Caller | None) -> str:
    """Count one use of a limited-use token, denied requests included (as in Vault), once
    the request entry is audited; returns the token id when this is its last use."""
    token = caller.token if caller is not None and caller.kind == "token" else None
    if token is None or token.num_uses == 0:
        return ""
    fresh = core.token_store.use(token)
    if fresh is None:
        raise InvalidToken()
    caller.token = fresh
    return fresh.id if fresh.num_uses < 0 else ""


def _dispatch(core, request, entry, backend, caller, refusal=None) -> Response | None:
    last_use = _count_use(core, caller)
    try:
        if refusal is not None:  # denied: the use was counted, as in Vault
            raise refusal
        response = _route(core, request, entry, backend, caller)
    finally:
        if last_use:  # the token's last use: revoke it (and its subtree) after the request
            core.token_store.revoke_by_id(last_use)
    if last_use and response is not None and response.secret and response.secret.lease_id:
        raise InvalidRequest(
            "Secret cannot be returned; token had one use left, so leased credentials were "
            "immediately revoked."
        )
    return response


def _authorize(request: Request, backend, caller: Caller | None) -> VaultError | None:
    """Existence check (update becomes create) and the ACL decision, kept on the request for
    the audit; returns the refusal (raised by ``_dispatch`` once the request entry is written
    and the token use counted), None when allowed or unauthenticated."""
    if caller is not None and request.operation == Operation.UPDATE and backend is not None:
        has_check, exists = backend.existence(request)
        if has_check and not exists:
            request.operation = Operation.CREATE
    if caller is None:
        return None
    root_protected = backend is not None and backend.special.is_root(request.rel_path)
    decision = caller.acl.authorize(
        request.operation.value,  # "help" needs no capability (Vault, OpenBao)
        request.path,
        request.data,
        request.wrap_ttl,
        root_protected,
    )
    request.decision = decision
    if decision.allowed:
        return None
    if hasattr(decision, "to_error"):  # agent decisions carry their own 403
        return decision.to_error()
    reasons = [decision.denied_reason] if getattr(decision, "denied_reason", None) else []
    reasons = [r for r in reasons if r and r != "permission denied"]
    return PermissionDenied(*reasons)


def _route(core, request, entry, backend, caller) -> Response | None:
    if backend is None:
        raise NotFound(f'no handler for route "{request.path}". route entry not found.')
    response = backend.handle_request(request)
    # Only logins earn a token here; the token store fills in its own auth blocks.
    if (
        response is not None
        and response.auth is not None
        and not response.auth.client_token
        and request.mount_type != "token"
    ):
        finish_login(core, request, entry, response)
    if response is not None and response.secret is not None:
        lease_manager(core).register(request, entry, response)
    wrap_ttl = effective_wrap_ttl(request, response)
    if wrap_ttl and response is not None and response.raw is None:
        response = wrap_response(core, request, response, wrap_ttl)
    return response
