"""The layered decision of an agent request (SPEC §6) and its refusals.

Each layer is a complete ACL of its own (``core.policy_store.acl``) or the token's
authorization details (:class:`~vault_agent_backend.policy.rar.RARLayer`); a request is
allowed iff every layer allows it, so the parameter constraints of all layers apply
together. Agent tokens are never allowed to create or renew tokens or leases, to use
response wrapping or cubbyhole, or to reach root-protected paths (SPEC §6: nothing outlives
the JWT). Revoking is not minting: ``auth/token/revoke``, ``revoke-accessor``,
``sys/leases/revoke`` ... end access and are governed by the layers like any other request.
Only ``auth/token/revoke-self`` is refused: an agent token is not a Vault token, so there is
no "self" to revoke (its issuer revokes it, e.g. ``auth/agent/revoke``).

Every refusal is a 403 whose errors carry the reason and ``permission denied`` and whose
``WWW-Authenticate`` header points at the RFC 9728 metadata (:class:`AgentDenied`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..framework.errors import PermissionDenied, VaultError
from ..policy import AuthorizationResult, intersect_capabilities

__all__ = [
    "LAYER_REASONS",
    "AgentACL",
    "AgentDecision",
    "AgentDenied",
    "Layer",
    "LayerVerdict",
    "is_root_protected",
    "token_restriction",
]

PERMISSION_DENIED = "permission denied"
#: The reason a refusal by each layer carries.
LAYER_REASONS: Mapping[str, str] = {
    "human": "HUMAN_POLICY_DENIED: the subject's policies do not allow this request",
    "baseline": "BASELINE_POLICY_DENIED: the agent's baseline policies do not allow this request",
    "ceiling": "CEILING_POLICY_DENIED: the agent's ceiling policies do not allow this request",
    "agent": "AGENT_POLICY_DENIED: the agent's policies do not allow this request",
    "delegation": "DELEGATION_DENIED: the delegation does not cover this request",
}
#: Paths that reveal what the token may do: not gated by the RAR and delegation layers.
SELF_DESCRIBING = frozenset({"sys/capabilities-self", "auth/token/lookup-self"})
EXPLAIN_PATH = "sys/agent/explain"
_NO_TOKENS = "agent tokens are not Vault tokens: they cannot create or renew tokens or leases"
_NO_REVOKE_SELF = "agent tokens are not Vault tokens: revoke-self does not apply to them"
_MINTING_PREFIXES = (
    "auth/token/create",
    "auth/token/renew",
    "sys/renew",
    "sys/leases/renew",
)


class AgentDenied(PermissionDenied):
    """403 for an agent token: ``[reason, "permission denied"]`` plus ``WWW-Authenticate``."""

    def __init__(self, reason: str, resource_metadata_url: str, layer: str | None = None):
        VaultError.__init__(self, reason, PERMISSION_DENIED, multierror=True)
        self.reason = reason
        self.layer = layer
        self.headers = {"WWW-Authenticate": f'Bearer resource_metadata="{resource_metadata_url}"'}


def token_restriction(operation: str, path: str, wrap_ttl: int, root_protected: bool) -> str | None:
    """Why an agent token may never make this request (None when it may be evaluated)."""
    if wrap_ttl:
        return "agent tokens cannot use response wrapping"
    if root_protected:
        return "agent tokens cannot access root-protected paths"
    if path.startswith("cubbyhole/") or path == "cubbyhole":
        return "agent tokens have no cubbyhole"
    if path.startswith("sys/wrapping/"):
        return "agent tokens cannot use response wrapping"
    if path.startswith(_MINTING_PREFIXES):
        return _NO_TOKENS
    if path.startswith("auth/token/revoke-self"):
        return _NO_REVOKE_SELF
    return None


def is_root_protected(core: Any, path: str) -> bool:
    """Whether the request pipeline treats ``path`` as root-protected: the ``root`` globs
    of the backend it routes to, on the path relative to the mount."""
    routed = core.route(path)
    if routed is None:
        return False
    entry, backend = routed
    return backend.special.is_root(path[len(entry.route_path) :])


@dataclass(frozen=True)
class Layer:
    """One layer: its name, what decides (an ACL or a RARLayer) and the policies in it."""

    name: str
    acl: Any
    policies: tuple[str, ...] = ()
    gates_self_description: bool = True
    """False for the RAR and delegation layers (they do not gate capabilities-self)."""


@dataclass(frozen=True)
class LayerVerdict:
    """What one layer said about one request (the ``layers`` entries of sys/agent/explain)."""

    layer: str
    allowed: bool
    policies: tuple[str, ...]
    deciding_policies: tuple[str, ...]
    matched_path: str | None
    capabilities: tuple[str, ...]
    detail: str | None

    def to_json(self) -> dict[str, Any]:
        """JSON form for explain answers."""
        return {
            "layer": self.layer,
            "allowed": self.allowed,
            "policies": list(self.policies),
            "deciding_policies": list(self.deciding_policies),
            "matched_path": self.matched_path,
            "capabilities": list(self.capabilities),
            "detail": self.detail,
        }


def _verdict(layer: Layer, result: AuthorizationResult) -> LayerVerdict:
    return LayerVerdict(
        layer=layer.name,
        allowed=result.allowed,
        policies=layer.policies,
        deciding_policies=tuple(result.deciding_policies),
        matched_path=result.matched_path,
        capabilities=tuple(result.capabilities),
        detail=result.detail,
    )


@dataclass
class AgentDecision:
    """The decision for one request (the interface the request pipeline reads)."""

    allowed: bool
    layer: str | None = None
    """The layer that refused (or ``token`` for a restriction of agent tokens)."""
    reason: str | None = None
    verdicts: list[LayerVerdict] = field(default_factory=list)
    capabilities: list[str] = field(default_factory=lambda: ["deny"])
    granting_policies: list[str] = field(default_factory=list)
    deciding_policies: list[str] = field(default_factory=list)
    matched_path: str | None = None
    detail: str | None = None
    root_privs: bool = False
    is_root: bool = False
    resource_metadata_url: str = ""

    @property
    def denied_reason(self) -> str | None:
        """The reason shown to the client (None when allowed)."""
        return None if self.allowed else self.reason

    def to_error(self) -> AgentDenied:
        """The 403 to raise for a refused request."""
        return AgentDenied(self.reason or PERMISSION_DENIED, self.resource_metadata_url, self.layer)

    def to_json(self) -> dict[str, Any]:
        """JSON form for explain answers."""
        return {
            "allowed": self.allowed,
            "denied_by": self.layer,
            "reason": self.reason,
            "layers": [v.to_json() for v in self.verdicts],
        }


class AgentACL:
    """The ACL object of an agent caller: every layer must allow a request."""

    def __init__(
        self,
        layers: Sequence[Layer],
        resource_metadata_url: str = "",
        on_decision: Callable[[AgentDecision], None] | None = None,
        root_protected: Callable[[str], bool] | None = None,
    ):
        self.layers = tuple(layers)
        self.resource_metadata_url = resource_metadata_url
        self.on_decision = on_decision
        self.root_protected = root_protected
        """Whether a path is root-protected (the router's check; for :meth:`capabilities`,
        which is asked about a path, not handed a routed request)."""
        self.is_root = False
        self.policy_names = [p for layer in self.layers for p in layer.policies]

    def _active(self, path: str) -> tuple[Layer, ...]:
        if path in SELF_DESCRIBING:
            return tuple(layer for layer in self.layers if layer.gates_self_description)
        return self.layers

    def evaluate(
        self,
        operation: str,
        path: str,
        data: Mapping[str, Any] | None = None,
        wrap_ttl: int = 0,
        root_protected: bool = False,
        *,
        complete: bool = False,
    ) -> AgentDecision:
        """Evaluate the layers; ``complete`` evaluates every layer (for explanations)
        instead of stopping at the first refusal."""
        path = path.lstrip("/")
        url = self.resource_metadata_url
        restriction = token_restriction(operation, path, wrap_ttl, root_protected)
        if restriction is not None:
            return AgentDecision(
                allowed=False, layer="token", reason=restriction, detail=restriction,
                resource_metadata_url=url,
            )  # fmt: skip
        if path == EXPLAIN_PATH and operation in ("update", "create"):
            # An agent may always explain itself; the handler refuses anything else.
            return AgentDecision(allowed=True, capabilities=["update"], resource_metadata_url=url)
        verdicts: list[LayerVerdict] = []
        results: list[AuthorizationResult] = []
        refusal: tuple[Layer, AuthorizationResult] | None = None
        for layer in self._active(path):
            result = layer.acl.authorize(operation, path, data, 0, False)
            results.append(result)
            if complete:
                verdicts.append(_verdict(layer, result))
            if not result.allowed and refusal is None:
                refusal = (layer, result)
                if not complete:
                    break
        if not complete and refusal is None:
            # The hot path: nothing more to compute for an allowed request.
            return AgentDecision(
                allowed=True,
                capabilities=list(results[-1].capabilities) if results else ["deny"],
                granting_policies=[p for r in results for p in r.granting_policies],
                matched_path=results[0].matched_path if results else None,
                resource_metadata_url=url,
            )
        if refusal is not None:
            layer, result = refusal
            reason = LAYER_REASONS.get(layer.name) or result.denied_reason or PERMISSION_DENIED
            if layer.name == "authorization_details" and result.denied_reason:
                reason = result.denied_reason
            return AgentDecision(
                allowed=False,
                layer=layer.name,
                reason=reason,
                verdicts=verdicts,
                capabilities=intersect_capabilities([r.capabilities for r in results]),
                deciding_policies=list(result.deciding_policies),
                matched_path=result.matched_path,
                detail=result.detail,
                resource_metadata_url=url,
            )
        granting: list[str] = []
        for r in results:
            granting.extend(p for p in r.granting_policies if p not in granting)
        return AgentDecision(
            allowed=True,
            verdicts=verdicts,
            capabilities=intersect_capabilities([r.capabilities for r in results]),
            granting_policies=granting,
            deciding_policies=granting,
            matched_path=results[0].matched_path if results else None,
            root_privs=all(r.root_privs for r in results) if results else False,
            resource_metadata_url=url,
        )

    def authorize(
        self,
        operation: str,
        path: str,
        data: Mapping[str, Any] | None = None,
        wrap_ttl: int = 0,
        root_protected: bool = False,
    ) -> AgentDecision:
        """Decide one request of the agent token (counted in the agent's activity)."""
        decision = self.evaluate(operation, path, data, wrap_ttl, root_protected)
        if self.on_decision is not None:
            self.on_decision(decision)
        return decision

    def has_mount_access(self, mount_path: str) -> bool:
        """Whether every layer grants something under ``mount_path``: what
        ``sys/internal/ui/mounts/:path`` asks before it shows a mount (the CLI's ``kv``
        commands read it first). It reveals the mount's type and options, never data."""
        if token_restriction("read", mount_path, 0, False) is not None:
            return False
        return all(layer.acl.has_mount_access(mount_path) for layer in self.layers)

    def capabilities(self, path: str) -> list[str]:
        """The intersection of every layer's capabilities on ``path`` (RAR included);
        ``["deny"]`` where a request with the token is refused whatever the layers say
        (root-protected paths, cubbyhole, wrapping, minting)."""
        path = path.lstrip("/")
        protected = self.root_protected is not None and self.root_protected(path)
        if token_restriction("read", path, 0, protected) is not None:
            return ["deny"]
        return intersect_capabilities([layer.acl.capabilities(path) for layer in self.layers])
