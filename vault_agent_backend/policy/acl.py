"""The compiled ACL of a set of policies, and its per-request decision.

Reproduces Vault/OpenBao's evaluation:

* rules are merged per identical path key across policies (a deny absorbs everything;
  capabilities OR; wrapping bounds keep the smaller non-zero value; parameter lists
  concatenate unless either side is ``[]``; required parameters union);
* an exact rule wins outright; otherwise the longest prefix rule competes with every
  matching ``+`` rule under Vault's priority order (later first ``+``/``*``, then
  non-prefix, fewer ``+``, longer, lexically larger);
* LIST (and ``capabilities()``) also try the path without its trailing ``/``: the
  exact rule of the bare path, and -- only when the full path matches no wildcard
  rule -- the wildcard rules of the bare path (OpenBao's order since the fix of
  GHSA-xp3c-3jw3-4vcr, so a deny such as ``foo/private/*`` is not bypassed by
  ``LIST foo/private/`` under a broader ``foo/*`` list grant).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .model import Capability, PathRules, Policy, capability_names, path_shape
from .params import check_parameters
from .templating import IdentityContext, TemplateForbiddenValueError, render_template

__all__ = ["ACL", "OPERATION_CAPABILITY", "ACLError", "AuthorizationResult"]

ROOT = "root"
PERMISSION_DENIED = "permission denied"

#: Request operation -> capability it needs ("help" needs none).
OPERATION_CAPABILITY: Mapping[str, Capability] = {
    "create": Capability.CREATE,
    "read": Capability.READ,
    "update": Capability.UPDATE,
    "patch": Capability.PATCH,
    "delete": Capability.DELETE,
    "list": Capability.LIST,
    "subscribe": Capability.SUBSCRIBE,
    "renew": Capability.UPDATE,
    "revoke": Capability.UPDATE,
    "rollback": Capability.UPDATE,
}
_PARAM_OPERATIONS = frozenset({"create", "read", "update", "patch"})
# Order of capabilities in sys/internal/ui/resultant-acl entries.
_RESULTANT_ORDER = (
    ("create", Capability.CREATE),
    ("delete", Capability.DELETE),
    ("list", Capability.LIST),
    ("read", Capability.READ),
    ("sudo", Capability.SUDO),
    ("update", Capability.UPDATE),
    ("patch", Capability.PATCH),
    ("subscribe", Capability.SUBSCRIBE),
)


class ACLError(ValueError):
    """The policy set cannot form an ACL (root mixed with others, forbidden template value)."""


@dataclass(frozen=True)
class AuthorizationResult:
    """The decision for one request against one ACL.

    ``capabilities`` are those of the deciding rule (``["deny"]`` when none matched,
    ``["root"]`` for root); ``matched_path`` is that rule as written in the policy
    (``secret/*``, ``secret/+/x``) or ``None``; ``granting_policies`` name the policies
    granting the operation when allowed; ``deciding_policies`` the policies behind the
    deciding rule (the denying ones for an explicit deny); ``detail`` says why it was
    denied, for explanations only -- clients see ``denied_reason`` (Vault's text).
    """

    allowed: bool
    root_privs: bool = False
    is_root: bool = False
    capabilities: list[str] = field(default_factory=lambda: ["deny"])
    granting_policies: list[str] = field(default_factory=list)
    deciding_policies: list[str] = field(default_factory=list)
    matched_path: str | None = None
    denied_reason: str | None = None
    detail: str | None = None


@dataclass
class _Perms:
    """A merged rule (mutable while the ACL is being compiled)."""

    display: str
    capabilities: Capability
    min_wrapping_ttl: int = 0
    max_wrapping_ttl: int = 0
    allowed: dict[str, list[Any]] = field(default_factory=dict)
    denied: dict[str, list[Any]] = field(default_factory=dict)
    required: list[str] = field(default_factory=list)
    granting: dict[Capability, list[str]] = field(default_factory=dict)
    denying: list[str] = field(default_factory=list)

    def grant(self, policy: str, caps: Capability) -> None:
        for cap in Capability:
            if cap is not Capability.DENY and caps & cap:
                self.granting.setdefault(cap, []).append(policy)


def _merge_params(into: dict[str, list[Any]], new: Mapping[str, Sequence[Any]]) -> None:
    for key, values in new.items():
        if not values or (key in into and not into[key]):
            into[key] = []
        else:
            into[key] = list(values) + into.get(key, [])


@dataclass(frozen=True)
class _SegmentRule:
    parts: tuple[str, ...]
    is_prefix: bool
    first_wildcard: int
    wildcards: int
    wc_path: str
    perms: _Perms


class ACL:
    """Policies compiled for fast decisions; immutable once built.

    ``identity`` fills identity templates; a templated stanza that cannot be resolved
    is dropped. Raises :class:`ACLError` when ``root`` is combined with other policies
    or a template value contains ``/``, ``*`` or ``+``.
    """

    def __init__(self, policies: Sequence[Policy], identity: IdentityContext | None = None):
        self.policy_names: list[str] = [p.name for p in policies]
        self.is_root = any(p.name == ROOT for p in policies)
        if self.is_root and len(policies) != 1:
            raise ACLError("other policies present along with root")
        self._exact: dict[str, _Perms] = {}
        self._prefix: dict[str, _Perms] = {}
        segment: dict[str, _Perms] = {}
        for policy in policies:
            for rule in policy.paths:
                path = rule.path
                key, is_prefix, is_segment = rule.key, rule.is_prefix, rule.has_segment_wildcard
                if rule.is_templated:
                    try:
                        rendered = render_template(path, identity)
                    except TemplateForbiddenValueError as exc:
                        raise ACLError(
                            f'error parsing templated policy "{policy.name}": failed to parse '
                            f'policy: path "{path}": {exc}'
                        ) from None
                    if rendered is None:
                        continue
                    path = rendered
                    key, is_prefix, is_segment = path_shape(path)
                table = segment if is_segment else self._prefix if is_prefix else self._exact
                existing = table.get(key)
                if existing is None:
                    perms = _Perms(
                        display=path,
                        capabilities=rule.capabilities,
                        min_wrapping_ttl=rule.min_wrapping_ttl,
                        max_wrapping_ttl=rule.max_wrapping_ttl,
                        allowed={k: list(v) for k, v in rule.allowed_parameters.items()},
                        denied={k: list(v) for k, v in rule.denied_parameters.items()},
                        required=list(rule.required_parameters),
                    )
                    if rule.capabilities & Capability.DENY:
                        perms.denying.append(policy.name)
                    else:
                        perms.grant(policy.name, rule.capabilities)
                    table[key] = perms
                    continue
                self._merge(existing, rule, policy.name)
        self._prefix_lengths = sorted({len(k) for k in self._prefix}, reverse=True)
        self._segment = [self._segment_rule(k, v) for k, v in sorted(segment.items())]
        # Index segment rules by their literal segments before the first "+": only rules
        # whose head equals the path's first segments can match it.
        self._segment_heads: dict[tuple[str, ...], list[_SegmentRule]] = {}
        for seg_rule in self._segment:
            parts = seg_rule.parts
            literal = parts.index("+") if "+" in parts else len(parts)
            if seg_rule.is_prefix:  # the last part only has to start the path's segment
                literal = min(literal, len(parts) - 1)
            head = parts[:literal]
            self._segment_heads.setdefault(head, []).append(seg_rule)
        self._head_depths = sorted({len(h) for h in self._segment_heads})

    @staticmethod
    def _merge(existing: _Perms, rule: PathRules, policy: str) -> None:
        if existing.capabilities & Capability.DENY:
            if rule.capabilities & Capability.DENY:
                existing.denying.append(policy)
            return
        if rule.capabilities & Capability.DENY:
            existing.capabilities = Capability.DENY
            existing.allowed, existing.denied = {}, {}
            existing.denying.append(policy)
            return
        existing.capabilities |= rule.capabilities
        existing.grant(policy, rule.capabilities)
        if rule.max_wrapping_ttl > 0 and (
            existing.max_wrapping_ttl == 0 or rule.max_wrapping_ttl < existing.max_wrapping_ttl
        ):
            existing.max_wrapping_ttl = rule.max_wrapping_ttl
        if rule.min_wrapping_ttl > 0 and (
            existing.min_wrapping_ttl == 0 or rule.min_wrapping_ttl < existing.min_wrapping_ttl
        ):
            existing.min_wrapping_ttl = rule.min_wrapping_ttl
        _merge_params(existing.allowed, rule.allowed_parameters)
        _merge_params(existing.denied, rule.denied_parameters)
        for name in rule.required_parameters:
            if name not in existing.required:
                existing.required.append(name)

    @staticmethod
    def _segment_rule(key: str, perms: _Perms) -> _SegmentRule:
        is_prefix = key.endswith("*")
        wc_path = key[:-1] if is_prefix else key
        parts = tuple(wc_path.split("/"))
        return _SegmentRule(parts, is_prefix, key.find("+"), parts.count("+"), wc_path, perms)

    # -- matching ----------------------------------------------------------------

    def _longest_prefix(self, path: str) -> tuple[str, _Perms] | None:
        n = len(path)
        for length in self._prefix_lengths:
            if length <= n:
                perms = self._prefix.get(path[:length])
                if perms is not None:
                    return path[:length], perms
        return None

    def _non_exact(self, path: str) -> _Perms | None:
        """Best wildcard rule for ``path`` (Vault's CheckAllowedFromNonExactPaths)."""
        best: tuple[Any, ...] | None = None
        found = self._longest_prefix(path)
        if found is not None:
            if not self._segment:
                return found[1]
            best = (len(found[0]), True, 0, found[0], found[1])
        if not self._segment:
            return None
        parts = path.split("/")
        heads = self._segment_heads
        candidates = [
            rule
            for depth in self._head_depths
            if depth <= len(parts)
            for rule in heads.get(tuple(parts[:depth]), ())
        ]
        for rule in candidates:
            n = len(rule.parts)
            if len(parts) < n or (not rule.is_prefix and n != len(parts)):
                continue
            last = n - 1
            for i, want in enumerate(rule.parts):
                got = parts[i]
                if want == "+" or want == got:
                    continue
                if rule.is_prefix and i == last and got.startswith(want):
                    continue
                break
            else:
                cand = (
                    rule.first_wildcard,
                    rule.is_prefix,
                    rule.wildcards,
                    rule.wc_path,
                    rule.perms,
                )
                if best is None or _priority(cand) > _priority(best):
                    best = cand
        return None if best is None else best[4]

    def _lookup(self, path: str, list_like: bool) -> _Perms | None:
        perms = self._exact.get(path)
        if perms is None and list_like:
            perms = self._exact.get(path.removesuffix("/"))
        if perms is None:
            perms = self._non_exact(path)
        if perms is None and list_like and path.endswith("/"):
            perms = self._non_exact(path[:-1])
        return perms

    # -- public API --------------------------------------------------------------

    def authorize(
        self,
        operation: str,
        path: str,
        data: Mapping[str, Any] | None = None,
        wrap_ttl: int = 0,
        root_protected: bool = False,
    ) -> AuthorizationResult:
        """Decide one request. ``operation`` is ``create``, ``read``, ``update``,
        ``patch``, ``delete``, ``list``, ``help`` (always allowed, as in Vault) or
        ``renew``/``revoke``/``rollback`` (need ``update``); ``wrap_ttl`` is the requested
        response-wrapping TTL in seconds (0 = not wrapped); ``root_protected`` paths also
        need ``sudo``. Raises ``ValueError`` for an unknown operation.

        As in Vault, the request layer should add the trailing ``/`` to LIST paths and
        pass query parameters of reads as ``data``."""
        if self.is_root:
            return AuthorizationResult(
                allowed=True, root_privs=True, is_root=True, capabilities=[ROOT],
                granting_policies=[ROOT], deciding_policies=[ROOT],
            )  # fmt: skip
        if operation == "help":
            return AuthorizationResult(allowed=True)
        needed = OPERATION_CAPABILITY.get(operation)
        if needed is None:
            raise ValueError(f"unknown operation {operation!r}")
        path = path.lstrip("/")
        perms = self._lookup(path, operation == "list")
        if perms is None:
            return _denied(None, "no policy grants access to this path")
        caps = perms.capabilities
        root_privs = bool(caps & Capability.SUDO)
        if caps & Capability.DENY:
            return _denied(perms, "explicitly denied", perms.denying)
        if not caps & needed:
            return _denied(
                perms, f"{needed.name.lower()} capability not granted", root_privs=root_privs
            )
        reason = _wrapping_problem(perms, wrap_ttl)
        if reason is None and operation in _PARAM_OPERATIONS:
            reason = check_parameters(data, perms.allowed, perms.denied, perms.required)
        if reason is None and root_protected and not root_privs:
            reason = "sudo capability required on a root-protected path"
        if reason is not None:
            return _denied(perms, reason, root_privs=root_privs)
        granting = list(perms.granting.get(needed, []))
        return AuthorizationResult(
            allowed=True,
            root_privs=root_privs,
            capabilities=capability_names(caps),
            granting_policies=granting,
            deciding_policies=granting,
            matched_path=perms.display,
        )

    def capabilities(self, path: str) -> list[str]:
        """Capabilities on ``path`` as ``sys/capabilities`` reports them: sorted names,
        ``["deny"]`` when nothing is granted, ``["root"]`` for root."""
        if self.is_root:
            return [ROOT]
        perms = self._lookup(path.lstrip("/"), True)
        return capability_names(perms.capabilities if perms else Capability(0))

    def resultant_acl(self) -> dict[str, Any]:
        """The ``data`` of ``sys/internal/ui/resultant-acl``: ``exact_paths`` and
        ``glob_paths`` (prefix rules, keyed without ``*``) or just ``{"root": true}``.
        Segment-wildcard rules are not listed (as in OpenBao)."""
        if self.is_root:
            return {"root": True}
        return {
            "exact_paths": {k: _resultant_entry(v) for k, v in sorted(self._exact.items())},
            "glob_paths": {k: _resultant_entry(v) for k, v in sorted(self._prefix.items())},
            "root": False,
        }

    def has_mount_access(self, mount_path: str) -> bool:
        """Whether any non-deny rule grants something at or under ``mount_path`` (a
        mount path with its trailing ``/``), as Vault decides for
        ``sys/internal/ui/mounts``."""
        if self.is_root or self.capabilities(mount_path) != ["deny"]:
            return True
        for table in (self._exact, self._prefix):
            for key, perms in table.items():
                if key.startswith(mount_path) and _grants_something(perms):
                    return True
        parts = mount_path.split("/")
        for rule in self._segment:
            if not _grants_something(rule.perms):
                continue
            segments: list[str] = []
            for i, want in enumerate(rule.parts):
                if i >= len(parts):
                    break
                if want == "+" or want == parts[i]:
                    segments.append(parts[i])
                elif rule.is_prefix and i == len(rule.parts) - 1 and parts[i].startswith(want):
                    segments.extend(parts[i:])
                if i == len(parts) - 2:
                    if ("/".join(segments) + "/").startswith(mount_path):
                        return True
                    break
        return False


def _priority(cand: tuple[Any, ...]) -> tuple[Any, ...]:
    first_wildcard, is_prefix, wildcards, wc_path, _ = cand
    return (first_wildcard, not is_prefix, -wildcards, len(wc_path), wc_path)


def _grants_something(perms: _Perms) -> bool:
    return not perms.capabilities & Capability.DENY and bool(perms.capabilities)


def _wrapping_problem(perms: _Perms, wrap_ttl: int) -> str | None:
    lo, hi = perms.min_wrapping_ttl, perms.max_wrapping_ttl
    if hi > 0 and (wrap_ttl <= 0 or wrap_ttl > hi):
        return f"response wrapping with a TTL of at most {hi}s is required"
    if lo > 0 and (wrap_ttl <= 0 or wrap_ttl < lo):
        return f"response wrapping with a TTL of at least {lo}s is required"
    if lo and hi and hi < lo:
        return "merged wrapping TTL bounds are contradictory"
    return None


def _denied(
    perms: _Perms | None,
    detail: str,
    deciding: Sequence[str] | None = None,
    root_privs: bool = False,
) -> AuthorizationResult:
    if perms is None:
        return AuthorizationResult(allowed=False, denied_reason=PERMISSION_DENIED, detail=detail)
    if deciding is None:
        deciding = sorted({p for names in perms.granting.values() for p in names})
    return AuthorizationResult(
        allowed=False,
        root_privs=root_privs,
        capabilities=capability_names(perms.capabilities),
        deciding_policies=list(deciding),
        matched_path=perms.display,
        denied_reason=PERMISSION_DENIED,
        detail=detail,
    )


def _resultant_entry(perms: _Perms) -> dict[str, Any]:
    caps = perms.capabilities
    names = [name for name, flag in _RESULTANT_ORDER if caps & flag]
    entry: dict[str, Any] = {
        "capabilities": ["deny"] if caps & Capability.DENY or not names else names
    }
    if perms.min_wrapping_ttl:
        entry["min_wrapping_ttl"] = perms.min_wrapping_ttl
    if perms.max_wrapping_ttl:
        entry["max_wrapping_ttl"] = perms.max_wrapping_ttl
    if perms.allowed:
        entry["allowed_parameters"] = perms.allowed
    if perms.denied:
        entry["denied_parameters"] = perms.denied
    if perms.required:
        entry["required_parameters"] = perms.required
    return entry
