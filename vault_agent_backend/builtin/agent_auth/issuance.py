"""Token issuance (``POST auth/agent/token`` and ``login``): grants, layer checks, claims.

* ``client_credentials`` -- direct mode: ``sub`` is the agent's entity, no ``act``;
* RFC 8693 token exchange whose ``subject_token`` is a delegation id
  (``subject_token_type`` = ``urn:vab:params:oauth:token-type:delegation``, or the
  ``delegation_id`` shorthand) granted to the authenticated agent: ``sub`` is the human,
  ``act.sub`` the agent;
* RFC 8693 token exchange whose ``subject_token`` is an access token of this issuer
  (agent-to-agent): the new token keeps the subject, the delegation and the transaction,
  nests the previous ``act`` under the new actor and is bounded by the previous token's
  ``authorization_details`` and expiry; the chain's depth is bounded by every chained
  agent's ``max_delegation_depth``. A Vault token is never accepted as a subject token.

Before anything is signed, every entry of ``authorization_details`` must lie inside every
layer the resulting token would be evaluated against (SPEC §6 and §7); the first entry a
layer does not grant is named in a 400 ``invalid_authorization_details``.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import jwt

from ...agent.decision import AgentDenied, Layer
from ...agent.delegation_service import DelegationError, act_chain, delegation_service
from ...agent.layers import build_layers
from ...agent.rar_bounds import first_violation
from ...core.request_handling import looks_like_jwt
from ...policy.rar import RARError, RARLayer, parse_authorization_details
from ..oauth_resource_server import normalize_issuer
from ..oauth_resource_server.revocation import record_chained
from .client_auth import AuthenticatedClient
from .oauth import (
    ACCESS_TOKEN_TYPE,
    CLIENT_CREDENTIALS,
    DELEGATION_TOKEN_TYPE,
    JWT_TOKEN_TYPE,
    TOKEN_EXCHANGE,
    OAuthError,
    Params,
    invalid_request,
)
from .profile import DEFAULT_AUDIENCE

if TYPE_CHECKING:
    from . import AgentAuthBackend

__all__ = ["Issued", "Issuer"]

MAX_PURPOSE = 1024
MAX_TXN = 256


@dataclass
class Issued:
    """A signed access token and what the token response says about it."""

    token: str
    claims: dict[str, Any]
    expires_in: int
    issued_token_type: str | None


@dataclass
class _Plan:
    """Who the token is about, before its authorization details are checked."""

    mode: str
    subject: Any
    agent: Any
    act: dict[str, Any] | None = None
    delegation: dict[str, Any] | None = None
    extra_policies: list[str] = field(default_factory=list)
    extra_layers: list[Layer] = field(default_factory=list)
    not_after: float = 0.0
    default_details: Any = None
    purpose: str = ""
    txn: str = ""
    issued_token_type: str | None = None
    parent_jti: str = ""
    """The ``jti`` of the subject token of a chain: revoking it revokes the new token."""


def invalid_grant(description: str) -> OAuthError:
    """``invalid_grant`` (400)."""
    return OAuthError("invalid_grant", description)


class Issuer:
    """Issues the access tokens of one ``agent`` mount."""

    def __init__(self, backend: AgentAuthBackend):
        self.backend = backend
        self.core = backend.core

    @property
    def identity(self) -> Any:
        """The identity service."""
        return self.core.hooks["identity"]

    # ----- entry point -------------------------------------------------------------------------

    def issue(self, client: AuthenticatedClient, params: Params, *, login: bool = False) -> Issued:
        """Issue a token for an authenticated client, or raise :class:`OAuthError`.

        Without ``grant_type``, a subject (``subject_token`` or ``delegation_id``) means a
        token exchange; on the Vault login endpoint (``login``), no subject means client
        credentials, so that ``vault write auth/agent/login client_id=... ...`` works.
        """
        registration = client.registration
        grant = params.text("grant_type")
        if not grant and (params.has("delegation_id") or params.has("subject_token")):
            grant = TOKEN_EXCHANGE
        if not grant and login:
            grant = CLIENT_CREDENTIALS
        if not grant:
            raise invalid_request("grant_type is required")
        if grant == CLIENT_CREDENTIALS:
            for name in ("subject_token", "delegation_id"):
                if params.has(name):
                    raise invalid_request(f'"{name}" is not used with client_credentials')
            plan = self._direct(registration)
        elif grant == TOKEN_EXCHANGE:
            plan = self._exchange(registration, params)
        else:
            raise OAuthError(
                "unsupported_grant_type",
                f'grant_type "{grant}" is not supported (use {TOKEN_EXCHANGE} or '
                f"{CLIENT_CREDENTIALS})",
            )
        return self._sign(registration, plan, params)

    # ----- grants ------------------------------------------------------------------------------

    def _state(self, entity_id: str, what: str) -> Any:
        state = self.identity.caller_state(entity_id)
        if state is None:
            raise invalid_grant(f'{what} entity "{entity_id}" does not exist')
        if state.disabled:
            raise invalid_grant(f'{what} entity "{entity_id}" is disabled')
        return state

    def _direct(self, registration: dict[str, Any]) -> _Plan:
        agent = self._state(registration["entity_id"], "agent")
        return _Plan(mode="direct", subject=agent, agent=agent)

    def _exchange(self, registration: dict[str, Any], params: Params) -> _Plan:
        requested = params.text("requested_token_type")
        if requested and requested not in (ACCESS_TOKEN_TYPE, JWT_TOKEN_TYPE):
            raise invalid_request(f'requested_token_type "{requested}" is not supported')
        if params.has("actor_token"):
            raise invalid_request(
                "actor_token is not supported: the authenticated client is the actor"
            )
        subject_token = params.text("subject_token")
        subject_type = params.text("subject_token_type")
        shorthand = params.text("delegation_id")
        if shorthand:
            if subject_token and subject_token != shorthand:
                raise invalid_request("give either delegation_id or subject_token, not both")
            if subject_type and subject_type != DELEGATION_TOKEN_TYPE:
                raise invalid_request(
                    f'delegation_id implies subject_token_type "{DELEGATION_TOKEN_TYPE}"'
                )
            subject_token, subject_type = shorthand, DELEGATION_TOKEN_TYPE
        if not subject_token:
            raise invalid_request("subject_token (or delegation_id) is required")
        if not subject_type:
            raise invalid_request("subject_token_type is required")
        if subject_type == DELEGATION_TOKEN_TYPE:
            plan = self._from_delegation(registration, subject_token)
        elif subject_type in (ACCESS_TOKEN_TYPE, JWT_TOKEN_TYPE):
            plan = self._from_token(registration, subject_token)
        else:
            raise invalid_request(
                f'subject_token_type "{subject_type}" is not supported (use '
                f"{DELEGATION_TOKEN_TYPE} or {ACCESS_TOKEN_TYPE})"
            )
        plan.issued_token_type = requested or ACCESS_TOKEN_TYPE
        return plan

    def _delegation_parts(self, record: dict[str, Any], subject: Any) -> tuple[list, list]:
        service = delegation_service(self.core)
        layer = Layer(
            name="delegation",
            acl=RARLayer(service.entries(record), subject.context),
            policies=("delegation",),
        )
        return list(record.get("policies") or []), [layer]

    def _from_delegation(self, registration: dict[str, Any], delegation_id: str) -> _Plan:
        service = delegation_service(self.core)
        try:
            record = service.usable(delegation_id)
        except DelegationError as exc:
            raise invalid_grant(str(exc)) from None
        if record["agent_id"] != registration["id"]:
            raise invalid_grant(f'delegation "{delegation_id}" was not granted to this agent')
        subject = self._state(record["subject_entity_id"], "subject")
        agent = self._state(registration["entity_id"], "agent")
        policies, layers = self._delegation_parts(record, subject)
        ends = [t for t in (record.get("expire_at"), service.store.creator_expire_at(record)) if t]
        return _Plan(
            mode="delegated",
            subject=subject,
            agent=agent,
            act={"sub": agent.entity_id},
            delegation=record,
            extra_policies=policies,
            extra_layers=layers,
            not_after=float(min(ends)) if ends else 0.0,
            default_details=record.get("authorization_details"),
            purpose=record.get("purpose") or "",
        )

    def _from_token(self, registration: dict[str, Any], subject_token: str) -> _Plan:
        if not looks_like_jwt(subject_token):
            raise invalid_request(
                "a Vault token is not accepted as subject_token: the human creates a delegation "
                "(identity/agent/delegation) and the agent exchanges its id"
            )
        auth = self.core.hooks["agent_authenticator"]
        try:
            parent = auth.resolve(subject_token)
        except AgentDenied as exc:
            raise invalid_grant(f"subject_token is not valid: {exc.reason}") from None
        if normalize_issuer(parent.issuer) != normalize_issuer(self.backend.issuer):
            raise invalid_grant("subject_token was not issued by this authorization server")
        claims = parent.claims
        chain = [c for c in act_chain(claims) if isinstance(c, str)]
        if registration["entity_id"] in (parent.subject_entity_id, *chain):
            raise invalid_grant("the agent is already part of the subject token's act chain")
        subject = self._state(parent.subject_entity_id, "subject")
        agent = self._state(registration["entity_id"], "agent")
        act: dict[str, Any] = {"sub": agent.entity_id}
        if isinstance(claims.get("act"), dict):
            act["act"] = claims["act"]
        depth = len(act_chain({"act": act}))
        registry = self.core.hooks["agent_registry"]
        chained = [registration, parent.registration]
        chained += [r for r in (registry.store.by_entity(e) for e in chain) if r is not None]
        for reg in chained:
            allowed = int(reg.get("max_delegation_depth") or 1)
            if depth > allowed:
                raise invalid_grant(
                    f"act chain depth {depth} exceeds max_delegation_depth {allowed} of agent "
                    f'"{reg["display_name"]}"'
                )
        layers: list[Layer] = []
        policies: list[str] = []
        if parent.delegation is not None:
            policies, layers = self._delegation_parts(parent.delegation, subject)
        if parent.rar is not None:
            layers.append(
                Layer(
                    name="subject_token",
                    acl=RARLayer(parent.rar, subject.context),
                    policies=("subject_token",),
                )
            )
        return _Plan(
            mode="delegated",
            subject=subject,
            agent=agent,
            act=act,
            delegation=parent.delegation,
            extra_policies=policies,
            extra_layers=layers,
            not_after=float(claims.get("exp") or 0),
            default_details=claims.get("authorization_details"),
            purpose=str(claims.get("purpose") or ""),
            txn=str(claims.get("txn") or ""),
            parent_jti=claims["jti"] if isinstance(claims.get("jti"), str) else "",
        )

    # ----- checks and signing ------------------------------------------------------------------

    def _details(self, registration: dict[str, Any], plan: _Plan, params: Params) -> Any:
        raw = params.details()
        if raw is None:
            raw = plan.default_details
        if raw is None:
            if registration.get("optional_authorization_details"):
                return None
            raise invalid_request("authorization_details is required")
        try:
            entries = parse_authorization_details(
                raw, registration.get("allowed_authorization_types") or None
            )
        except RARError as exc:
            raise OAuthError("invalid_authorization_details", str(exc)) from None
        if not entries:
            raise OAuthError("invalid_authorization_details", "authorization_details is empty")
        return entries

    def _layers(self, registration: dict[str, Any], plan: _Plan, no_default: bool) -> list[Layer]:
        return build_layers(
            self.core,
            delegated=plan.mode == "delegated",
            subject_policies=[*plan.subject.policies, *plan.extra_policies],
            subject_context=plan.subject.context,
            agent_policies=plan.agent.policies,
            agent_context=plan.agent.context,
            registration=registration,
            no_default_policy=no_default,
            rar=None,
            extra_layers=plan.extra_layers,
        )

    def _sign(self, registration: dict[str, Any], plan: _Plan, params: Params) -> Issued:
        backend = self.backend
        keys = backend.keys.published()
        profile = backend.ensure_profile(keys)
        entries = self._details(registration, plan, params)
        if entries is not None:
            layers = self._layers(registration, plan, profile.no_default_policy)
            violation = first_violation(entries, layers, plan.subject.context)
            if violation is not None:
                raise OAuthError("invalid_authorization_details", violation.message)
        max_ttl = int(registration.get("max_ttl") or 300)
        requested = params.duration("ttl")
        if requested is not None and requested <= 0:
            raise invalid_request("ttl must be greater than zero")
        now = int(time.time())
        exp = now + min(requested or max_ttl, max_ttl)
        if plan.not_after:
            exp = min(exp, int(plan.not_after))
        if exp <= now:
            raise invalid_grant("the delegation or subject token has no time left")
        audiences = list(profile.audiences) or [DEFAULT_AUDIENCE]
        audience = params.text("audience") or audiences[0]
        if audience not in audiences:
            raise OAuthError(
                "invalid_target", f'audience "{audience}" is not accepted by this server'
            )
        purpose = params.text("purpose") or plan.purpose
        txn = params.text("txn") or plan.txn or str(uuid.uuid4())
        if len(purpose) > MAX_PURPOSE or len(txn) > MAX_TXN:
            raise invalid_request(f"purpose (at most {MAX_PURPOSE}) or txn is too long")
        claims: dict[str, Any] = {
            "iss": backend.issuer,
            "aud": audience,
            "sub": plan.subject.entity_id,
            "client_id": registration["id"],
            "iat": now,
            "nbf": now,
            "exp": exp,
            "jti": str(uuid.uuid4()),
        }
        if plan.act is not None:
            claims["act"] = plan.act
        if entries is not None:
            claims["authorization_details"] = [e.to_json() for e in entries]
        if plan.delegation is not None:
            claims["delegation_id"] = plan.delegation["id"]
        claims["txn"] = txn
        if purpose:
            claims["purpose"] = purpose
        self._ensure_aliases(profile.issuer_id, plan)
        key = keys[0]
        token = jwt.encode(
            claims, key.private, algorithm=key.alg, headers={"kid": key.kid, "typ": "at+jwt"}
        )
        limit = self.core.hooks["oauth_resource_server"].max_token_size
        if len(token) > limit:
            raise OAuthError(
                "invalid_authorization_details",
                f"the token would be {len(token)} bytes, more than the {limit}-byte header "
                "limit: request fewer authorization_details",
            )
        if plan.parent_jti:
            record_chained(self.core.storage, backend.issuer, plan.parent_jti, claims["jti"], exp)
        return Issued(token, claims, exp - now, plan.issued_token_type)

    def _ensure_aliases(self, issuer: str, plan: _Plan) -> None:
        """Bind this issuer + entity id to the subject and every actor (idempotent)."""
        entities = [plan.subject.entity_id]
        act = plan.act
        while isinstance(act, dict):
            if isinstance(act.get("sub"), str):
                entities.append(act["sub"])
            act = act.get("act")
        identity = self.identity
        for entity_id in dict.fromkeys(entities):
            if identity.entity_for_external(issuer, entity_id) != entity_id:
                identity.ensure_external_alias(entity_id, issuer, entity_id)
