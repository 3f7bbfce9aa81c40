"""The delegation service (``core.hooks["agent_delegations"]``).

* creating a delegation from a human's own Vault token (never root, never without an
  entity, never an agent token), bounded by that token's policies;
* ending delegations: one, all of a subject, or every delegation a revoked token created
  (``core.hooks["token_revoked"]``);
* per agent request (called by the agent authenticator): a token naming a
  ``delegation_id`` is refused unless the delegation is active, belongs to the token's
  subject and to the first agent of its ``act`` chain; every agent of a nested ``act``
  chain must be registered, active and allow the chain's depth;
* the layer parts such a token adds (SPEC §6): the creating token's policies join the
  human layer, and the delegation's ``authorization_details`` form the ``delegation`` layer.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..framework.errors import InvalidRequest, PermissionDenied
from ..policy.rar import RAREntry, RARError, RARLayer, parse_authorization_details
from .decision import Layer
from .delegations import ACTIVE, DelegationStore, Record, rfc3339
from .rar_bounds import first_violation

if TYPE_CHECKING:
    from ..core.core import Core
    from .authenticator import AgentAuthenticator
    from .context import AgentContext

__all__ = ["DelegationError", "DelegationService", "act_chain", "delegation_service"]

DELEGATION_PATH = "identity/agent/delegation"
MAX_PURPOSE = 1024


class DelegationError(Exception):
    """A delegation cannot be used (``str()`` says why)."""


def act_chain(claims: Mapping[str, Any]) -> list[Any]:
    """The ``act.sub`` values of a token, outermost (current actor) first."""
    chain: list[Any] = []
    act = claims.get("act")
    while isinstance(act, Mapping) and len(chain) < 64:
        chain.append(act.get("sub"))
        act = act.get("act")
    return chain


class DelegationService:
    """Delegations of one core."""

    def __init__(self, core: Core):
        self.core = core
        self.store = DelegationStore(core)
        self._parsed: dict[str, tuple[RAREntry, ...]] = {}
        self._lock = threading.Lock()

    # ----- authorization helpers ---------------------------------------------------------------

    @staticmethod
    def is_admin(caller: Any) -> bool:
        """Root, or ``sudo`` on ``identity/agent/delegation``: sees and revokes every one."""
        if caller is None:
            return False
        if caller.is_root:
            return True
        return "sudo" in caller.acl.capabilities(DELEGATION_PATH)

    def may_see(self, caller: Any, record: Record) -> bool:
        """A human sees their own delegations; an admin sees all."""
        if self.is_admin(caller):
            return True
        return bool(caller is not None and caller.entity_id) and (
            record.get("subject_entity_id") == caller.entity_id
        )

    # ----- create ------------------------------------------------------------------------------

    def create(
        self,
        caller: Any,
        agent_ref: str,
        raw_details: Any,
        ttl: int,
        purpose: str,
    ) -> tuple[Record, list[str]]:
        """A new delegation from ``caller`` (a human's Vault token) to an agent; returns the
        record and warnings. Raises 400/403 for what cannot be delegated."""
        if caller is None:
            raise PermissionDenied()
        if caller.kind == "agent":
            raise PermissionDenied("agent tokens cannot create delegations")
        token = caller.token
        if caller.is_root or "root" in (caller.token_policies or []):
            raise InvalidRequest("a root token cannot create a delegation: log in as the human")
        if not caller.entity_id:
            raise InvalidRequest(
                "the token has no identity entity: only a human's own token can delegate"
            )
        registry = self.core.hooks.get("agent_registry")
        registration = registry.store.resolve(agent_ref) if registry and agent_ref else None
        if not agent_ref:
            raise InvalidRequest('"agent" is required (registration id or display name)')
        if registration is None:
            raise InvalidRequest(f'agent "{agent_ref}" is not registered')
        if registration["entity_id"] == caller.entity_id:
            raise InvalidRequest("an agent cannot delegate to itself")
        if raw_details in (None, "", []):
            raise InvalidRequest('"authorization_details" is required (an RFC 9396 array)')
        try:
            entries = parse_authorization_details(
                raw_details, registration.get("allowed_authorization_types") or None
            )
        except RARError as exc:
            raise InvalidRequest(f"invalid authorization_details: {exc}") from None
        if not entries:
            raise InvalidRequest("authorization_details must not be empty")
        if ttl < 0:
            raise InvalidRequest("ttl cannot be negative")
        if len(purpose) > MAX_PURPOSE:
            raise InvalidRequest(f"purpose is longer than {MAX_PURPOSE} characters")
        identity = self.core.hooks.get("identity")
        subject = identity.caller_state(caller.entity_id) if identity is not None else None
        if subject is None:
            raise InvalidRequest(f'entity "{caller.entity_id}" does not exist')
        own = Layer(name="human", acl=caller.acl, policies=tuple(caller.policies))
        violation = first_violation(entries, [own], subject.context)
        if violation is not None:
            raise InvalidRequest(
                "invalid authorization_details: "
                + violation.message.replace("the human layer", "your own policies")
            )
        warnings = self._ceiling_warnings(entries, registration, subject)
        maximum = int(self.core.options.max_lease_ttl)
        if ttl > maximum:  # as Vault caps a token's ttl at the system max
            warnings.append(
                f"ttl of {ttl}s exceeded the system max_lease_ttl of {maximum}s; "
                "the delegation's ttl is capped accordingly"
            )
            ttl = maximum
        now = time.time()
        record: Record = {
            "agent_id": registration["id"],
            "agent_display_name": registration["display_name"],
            "agent_entity_id": registration["entity_id"],
            "subject_entity_id": subject.entity_id,
            "subject_entity_name": subject.entity_name,
            "authorization_details": [e.to_json() for e in entries],
            "purpose": purpose,
            "policies": sorted(set(caller.token_policies or [])),
            "token_accessor": getattr(token, "accessor", "") or "",
            "token_expire_at": float(getattr(token, "expire_at", 0) or 0),
            "creation_time": now,
            "ttl": ttl,
            "expire_at": now + ttl if ttl else 0,
            "revoked": False,
        }
        return self.store.create(record), warnings

    def _ceiling_warnings(
        self, entries: tuple[RAREntry, ...], registration: Record, subject: Any
    ) -> list[str]:
        """Warnings when an entry lies outside the agent's ceiling or baseline today (the
        delegation is still created: those layers may change)."""
        from .layers import build_layers

        identity = self.core.hooks["identity"]
        agent = identity.caller_state(registration["entity_id"])
        if agent is None:
            return []
        layers = build_layers(
            self.core,
            delegated=True,
            subject_policies=subject.policies,
            subject_context=subject.context,
            agent_policies=agent.policies,
            agent_context=agent.context,
            registration=registration,
            no_default_policy=False,
            rar=None,
        )
        agent_layers = [layer for layer in layers if layer.name in ("baseline", "ceiling")]
        violation = first_violation(entries, agent_layers, subject.context)
        if violation is None:
            return []
        return [
            f"{violation.message}: the agent cannot use that part of the delegation until its "
            "policies allow it"
        ]

    # ----- views and ending --------------------------------------------------------------------

    def view(self, record: Record, now: float | None = None) -> dict[str, Any]:
        """The JSON shown by reads."""
        now = time.time() if now is None else now
        state = self.store.effective_status(record, now)
        expire_at = float(record.get("expire_at") or 0)
        fresh = self.store.get(record["id"]) or record
        return {
            "delegation_id": record["id"],
            "agent": record["agent_id"],
            "agent_display_name": record.get("agent_display_name", ""),
            "agent_entity_id": record.get("agent_entity_id", ""),
            "subject_entity_id": record["subject_entity_id"],
            "subject_entity_name": record.get("subject_entity_name", ""),
            "authorization_details": record.get("authorization_details", []),
            "purpose": record.get("purpose", ""),
            "policies": record.get("policies", []),
            "token_accessor": record.get("token_accessor", ""),
            "creation_time": rfc3339(record.get("creation_time")),
            "expire_time": rfc3339(expire_at),
            "ttl": max(0, int(expire_at - now)) if expire_at and state == ACTIVE else 0,
            "status": state,
            "revocation_time": rfc3339(fresh.get("revoked_at")),
            "revocation_reason": fresh.get("revocation_reason") or None,
        }

    def revoke(self, record: Record, reason: str) -> None:
        """End one delegation (idempotent)."""
        self.store.end(record["id"], reason)

    def revoke_subject(self, entity_id: str, reason: str) -> list[str]:
        """End every active delegation of a subject; the ids ended."""
        ended = []
        for record in self.store.all():
            if record["subject_entity_id"] == entity_id and not record.get("revoked"):
                self.store.end(record["id"], reason)
                ended.append(record["id"])
        return ended

    def on_token_revoked(self, entry: Any) -> None:
        """``token_revoked`` hook: a revoked token ends the delegations it created."""
        accessor = getattr(entry, "accessor", "")
        for delegation_id in self.store.by_accessor(accessor):
            self.store.end(delegation_id, "the creating token was revoked")

    def count_active(self, registration_id: str) -> int:
        """How many active delegations an agent holds (``identity/agent/activity``)."""
        return sum(
            1
            for r in self.store.all()
            if r.get("agent_id") == registration_id and self.store.is_active(r)
        )

    def tidy(self) -> None:
        """Background tidy: forget long-ended delegations."""
        self.store.tidy()

    # ----- use -------------------------------------------------------------------------------

    def entries(self, record: Record) -> tuple[RAREntry, ...]:
        """The parsed ``authorization_details`` of a delegation (parsed once per id)."""
        key = record["id"]
        parsed = self._parsed.get(key)
        if parsed is None:
            parsed = parse_authorization_details(record.get("authorization_details") or [])
            with self._lock:
                if len(self._parsed) > 4096:
                    self._parsed.clear()
                self._parsed[key] = parsed
        return parsed

    def usable(self, delegation_id: Any, now: float | None = None) -> Record:
        """The active record with this id, or :class:`DelegationError` saying why not."""
        if not isinstance(delegation_id, str) or not delegation_id:
            raise DelegationError("delegation_id must be a non-empty string")
        record = self.store.get(delegation_id)
        if record is None:
            raise DelegationError(f'delegation "{delegation_id}" does not exist')
        state = self.store.status(record, now)
        if state != ACTIVE:
            raise DelegationError(f'delegation "{delegation_id}" has {_ended(state)}')
        if not self.store.creator_alive(record, now):
            raise DelegationError(
                f'delegation "{delegation_id}" has ended: the token that created it was '
                "revoked or expired"
            )
        return record

    def check_token(self, auth: AgentAuthenticator, ctx: AgentContext) -> None:
        """Per-request checks of a token's ``act`` chain and delegation (raises the
        authenticator's 403); sets ``ctx.delegation``."""
        claims = ctx.claims
        reg_id = ctx.registration_id
        chain = act_chain(claims)
        inner_entities: list[str] = []
        if len(chain) > 1:
            inner_entities = self._check_chain(auth, ctx, chain)
        if "delegation_id" not in claims:
            return
        try:
            record = self.usable(claims.get("delegation_id"))
        except DelegationError as exc:
            raise auth.denied(f"DELEGATION_ENDED: {exc}", reg_id) from None
        if ctx.mode != "delegated" or record["subject_entity_id"] != ctx.subject_entity_id:
            raise auth.denied(
                f'delegation "{record["id"]}" was not granted by this token\'s subject', reg_id
            )
        first_agent = inner_entities[-1] if inner_entities else ctx.actor_entity_id
        if record["agent_entity_id"] != first_agent:
            raise auth.denied(f'delegation "{record["id"]}" was granted to another agent', reg_id)
        ctx.delegation = record

    def _check_chain(self, auth: AgentAuthenticator, ctx: AgentContext, chain: list[Any]) -> list:
        """Every earlier agent of a nested ``act`` chain is registered and active, and every
        agent of the chain allows its depth; the earlier agents' entity ids (outer first)."""
        reg_id = ctx.registration_id
        depth = len(chain)
        registry = auth.registry
        identity = self.core.hooks["identity"]
        profile = auth.resource_server.profiles.get(ctx.profile_name)
        profile_issuer = profile.issuer_id if profile is not None else ctx.issuer
        entities = []
        registrations = [ctx.registration]
        for ref in chain[1:]:
            if not isinstance(ref, str) or not ref:
                raise auth.denied("every act.sub of the act chain must be a string", reg_id)
            entity_id = auth.entity_for(identity, profile_issuer, ctx.issuer, ref)
            registration = registry.store.by_entity(entity_id) if entity_id else None
            if registration is None:
                raise auth.denied(
                    f'actor "{ref}" of the act chain is not a registered agent', reg_id
                )
            if registration.get("status", "active") != "active":
                raise auth.denied(
                    f'agent registration "{registration["display_name"]}" of the act chain is '
                    "suspended",
                    reg_id,
                )
            entities.append(entity_id)
            registrations.append(registration)
        for registration in registrations:
            allowed = int(registration.get("max_delegation_depth") or 1)
            if depth > allowed:
                raise auth.denied(
                    f"act chain depth {depth} exceeds max_delegation_depth {allowed} of agent "
                    f'"{registration["display_name"]}"',
                    reg_id,
                )
        return entities

    def layer_parts(self, ctx: AgentContext, subject_context: Any) -> tuple[list[str], list[Layer]]:
        """(policies added to the human layer, extra layers) for a token's delegation."""
        record = getattr(ctx, "delegation", None)
        if record is None:
            return [], []
        layer = Layer(
            name="delegation",
            acl=RARLayer(self.entries(record), subject_context),
            policies=("delegation",),
            gates_self_description=False,
        )
        return list(record.get("policies") or []), [layer]


def _ended(state: str) -> str:
    return "been revoked" if state == "revoked" else "expired"


def delegation_service(core: Core) -> DelegationService:
    """The core's delegation service (created and hooked on first use)."""
    service = core.hooks.get("agent_delegations")
    if isinstance(service, DelegationService):
        return service
    service = DelegationService(core)
    core.hooks["agent_delegations"] = service
    core.hooks.setdefault("token_revoked", []).append(service.on_token_revoked)
    core.hooks.setdefault("tidy", []).append(service.tidy)
    return service
