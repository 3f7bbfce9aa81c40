"""The per-request agent authenticator (``core.hooks["agent_authenticator"]``).

For a JWT in ``X-Vault-Token``/``Authorization: Bearer``: verify it against the profile of
its issuer, resolve subject and actor entities through issuer-bound aliases, require an
active registration (the actor's when delegated, the subject's when direct), refuse a
revoked ``jti``, validate the ``authorization_details`` and build the layered ACL -- all
from current state on every request, nothing stored per token.

Steady state cost: the core's generation read, one read of the revoked-``jti`` key (when
the token has a ``jti``), a signature check, and dictionary look-ups in per-process caches
(profiles, JWKS, aliases, entity states, registrations, compiled ACLs) that every write
invalidates through the cache generation.
"""

from __future__ import annotations

import threading
from functools import partial
from typing import TYPE_CHECKING, Any

from ..builtin.agent_registry.service import AgentRegistry, agent_registry
from ..builtin.oauth_resource_server import (
    OAuthResourceServer,
    TokenRefused,
    VerifiedToken,
    claim_value,
)
from ..builtin.oauth_resource_server import resource_server as get_resource_server
from ..framework.request import Caller, Request
from ..policy.rar import RARError, parse_authorization_details
from .context import AgentContext
from .decision import (
    AgentACL,
    AgentDecision,
    AgentDenied,
    is_root_protected,
    token_restriction,
)
from .layers import build_layers

if TYPE_CHECKING:
    from ..core.core import Core

__all__ = ["RAR_REQUIRED", "AgentAuthenticator"]

RAR_REQUIRED = "authorization_details claim is required"
_MISSING = object()


class AgentAuthenticator:
    """Turns an agent JWT into a :class:`Caller` whose ACL is the layered decision."""

    def __init__(self, core: Core):
        self.core = core
        self.resource_server: OAuthResourceServer = get_resource_server(core)
        self.registry: AgentRegistry = agent_registry(core)
        self._aliases: dict[tuple[str, str, str], str | None] = {}
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        """Forget cached alias resolutions (the cache generation changed)."""
        with self._lock:
            self._aliases.clear()

    # ----- refusals ----------------------------------------------------------------------------

    def denied(self, reason: str, registration_id: str = "") -> AgentDenied:
        """A 403 for an agent token (counted against the agent when it is known)."""
        if registration_id:
            self.registry.activity.record(registration_id, False, "token")
        return AgentDenied(reason, self.resource_server.resource_metadata_url, "token")

    # ----- entry point -------------------------------------------------------------------------

    def __call__(self, request: Request) -> Caller:
        """Authenticate an agent JWT for this request (raises :class:`AgentDenied`)."""
        ctx = self.resolve(request.client_token)
        registry = self.registry
        if not request.unauthenticated:
            # Refused before anything else looks at the request (existence checks included).
            restriction = token_restriction(
                request.operation.value, request.path.lstrip("/"), request.wrap_ttl, False
            )
            if restriction is not None:
                raise self.denied(restriction, ctx.registration_id)

        def count(decision: AgentDecision) -> None:
            registry.activity.record(ctx.registration_id, decision.allowed, decision.layer)

        ctx.acl = AgentACL(
            self.layers_for(ctx),
            self.resource_server.resource_metadata_url,
            count,
            root_protected=partial(is_root_protected, self.core),
        )
        return Caller(
            token=ctx,
            policies=list(ctx.policies),
            token_policies=[],
            identity_policies=list(ctx.policies),
            entity_id=ctx.subject_entity_id,
            is_root=False,
            acl=ctx.acl,
            kind="agent",
            agent=ctx,
        )

    def verify(self, token: str) -> VerifiedToken:
        """Signature and claim checks (raises :class:`AgentDenied`)."""
        try:
            return self.resource_server.verify(token)
        except TokenRefused as exc:
            raise self.denied(exc.reason) from None

    def resolve(self, token: str) -> AgentContext:
        """Verify a token and resolve it against current state, without the ACL."""
        verified = self.verify(token)
        profile, claims = verified.profile, verified.claims
        identity = self.core.hooks.get("identity")
        if identity is None:
            raise self.denied("the identity store is not available")
        issuer = str(claims["iss"])

        subject_ref = claim_value(claims, profile.user_claim)
        if not isinstance(subject_ref, str) or not subject_ref:
            raise self.denied(f'token has no usable "{profile.user_claim}" claim')
        subject_id = self.entity_for(identity, profile.issuer_id, issuer, subject_ref)
        if subject_id is None:
            raise self.denied(
                f'no entity alias is bound to issuer "{issuer}" and '
                f'{profile.user_claim} "{subject_ref}"'
            )
        subject = identity.caller_state(subject_id)
        if subject is None:
            raise self.denied(f'subject entity "{subject_id}" does not exist')

        actor_ref = claim_value(claims, profile.actor_claim)
        actor = None
        if actor_ref is not None:
            if not isinstance(actor_ref, str) or not actor_ref:
                raise self.denied(f'actor claim "{profile.actor_claim}" must be a string')
            actor_id = self.entity_for(identity, profile.issuer_id, issuer, actor_ref)
            if actor_id is None:
                raise self.denied(
                    f'no entity alias is bound to issuer "{issuer}" and actor "{actor_ref}"'
                )
            actor = identity.caller_state(actor_id)
            if actor is None:
                raise self.denied(f'actor entity "{actor_id}" does not exist')
            registration = self.registry.store.by_entity(actor_id)
            if registration is None:
                raise self.denied(f'actor entity "{actor_id}" has no agent registration')
        else:
            registration = self.registry.store.by_entity(subject_id)
            if registration is None:
                raise self.denied(
                    f'actor claim "{profile.actor_claim}" is required: the subject entity '
                    f'"{subject_id}" is not a registered agent'
                )
        reg_id = registration["id"]
        if registration.get("status", "active") != "active":
            raise self.denied(
                f'agent registration "{registration["display_name"]}" is suspended', reg_id
            )
        agent_state = actor if actor is not None else subject
        if subject.disabled:
            raise self.denied(f'subject entity "{subject.entity_id}" is disabled', reg_id)
        if actor is not None and actor.disabled:
            raise self.denied(f'actor entity "{actor.entity_id}" is disabled', reg_id)

        jti = claim_value(claims, profile.unique_id_claim)
        jti = jti if isinstance(jti, str) else ""
        if jti and self.resource_server.is_revoked(issuer, jti):
            raise self.denied("token has been revoked", reg_id)

        raw_rar = claims.get("authorization_details")
        rar = None
        if raw_rar is None:
            optional = profile.optional_authorization_details or registration.get(
                "optional_authorization_details", False
            )
            if not optional:
                raise self.denied(RAR_REQUIRED, reg_id)
        else:
            allowed_types = tuple(registration.get("allowed_authorization_types") or ())
            memo_key = ("authorization_details", allowed_types)
            rar = verified.memo.get(memo_key)
            if rar is None:
                try:
                    rar = parse_authorization_details(raw_rar, allowed_types or None)
                except RARError as exc:
                    rar = f"invalid authorization_details: {exc}"
                verified.memo[memo_key] = rar
            if isinstance(rar, str):
                raise self.denied(rar, reg_id)
        ctx = AgentContext(
            mode="delegated" if actor is not None else "direct",
            claims=claims,
            issuer=issuer,
            profile_name=profile.profile_name,
            subject_entity_id=subject.entity_id,
            subject_entity_name=subject.entity_name,
            actor_entity_id=agent_state.entity_id,
            actor_entity_name=agent_state.entity_name,
            registration=registration,
            rar=rar,
            jti=jti,
            policies=list(subject.policies),
        )
        delegations = self.core.hooks.get("agent_delegations")
        if delegations is not None:  # delegation_id and act-chain checks (agent/delegations*)
            delegations.check_token(self, ctx)
        return ctx

    def layers_for(self, ctx: AgentContext) -> list[Any]:
        """The current layers of a resolved token."""
        identity = self.core.hooks["identity"]
        subject = identity.caller_state(ctx.subject_entity_id)
        agent = identity.caller_state(ctx.actor_entity_id) if ctx.mode == "delegated" else subject
        profile = self.resource_server.profiles.get(ctx.profile_name)
        no_default = bool(profile and profile.no_default_policy)
        extra_policies: list[str] = []
        extra_layers: list[Any] = []
        delegations = self.core.hooks.get("agent_delegations")
        if delegations is not None:  # a delegation's token policies and its own layer
            extra_policies, extra_layers = delegations.layer_parts(ctx, subject.context)
        return build_layers(
            self.core,
            delegated=ctx.mode == "delegated",
            subject_policies=[*subject.policies, *extra_policies],
            subject_context=subject.context,
            agent_policies=agent.policies,
            agent_context=agent.context,
            registration=ctx.registration,
            no_default_policy=no_default,
            rar=ctx.rar,
            extra_layers=extra_layers,
        )

    # ----- aliases -----------------------------------------------------------------------------

    def entity_for(
        self, identity: Any, profile_issuer: str, issuer: str, external_id: str
    ) -> str | None:
        """The entity bound to the issuer (as configured, else as in the token) and the
        external id; cached until the cache generation changes."""
        key = (profile_issuer, issuer, external_id)
        cached = self._aliases.get(key, _MISSING)
        if cached is not _MISSING:
            return cached  # type: ignore[return-value]
        found = identity.entity_for_external(profile_issuer, external_id)
        if found is None and issuer != profile_issuer:
            found = identity.entity_for_external(issuer, external_id)
        with self._lock:
            if len(self._aliases) > 65536:
                self._aliases.clear()
            self._aliases[key] = found
        return found
