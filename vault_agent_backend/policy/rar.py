"""RFC 9396 ``authorization_details`` of type ``vault:path_access``, as an ACL layer.

Pure: no I/O. :func:`parse_authorization_details` validates a JWT claim (any problem
refuses the whole token, as Vault does for an unknown type or a malformed entry) and
:class:`RARLayer` decides requests against the parsed entries for one identity.

Semantics (Vault 2.x's documented behaviour):

* each entry is evaluated on its own; a request passes when at least one entry whose
  ``path`` matches (ACL path syntax: exact, trailing ``*`` glob, ``+`` segment) grants the
  operation's capability and whose parameter constraints the request satisfies, and no
  matching entry says ``deny``;
* ``path`` may contain identity templates, resolved against the subject; an entry whose
  template cannot be resolved is skipped, one whose value would contain ``/``, ``*`` or
  ``+`` can never match;
* parameter constraints of an entry use the ACL's rules (:mod:`.params`). Combined with
  the ACL layers -- each layer checks its own constraints -- a denied parameter in either
  denies, allowed parameters intersect and required parameters add up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .acl import OPERATION_CAPABILITY, AuthorizationResult
from .model import CAPABILITY_NAMES, Capability, capability_names, path_shape
from .params import check_parameters
from .templating import (
    IdentityContext,
    TemplateError,
    TemplateForbiddenValueError,
    has_template,
    render_template,
)

__all__ = [
    "PATH_ACCESS_TYPE",
    "RAR_NO_MATCH",
    "SUPPORTED_TYPES",
    "RAREntry",
    "RARError",
    "RARLayer",
    "parse_authorization_details",
]

PATH_ACCESS_TYPE = "vault:path_access"
SUPPORTED_TYPES = (PATH_ACCESS_TYPE,)
#: The reason Vault gives when no entry matches a request.
RAR_NO_MATCH = "RAR_NO_MATCH: No valid authorization_details claim found matching this request."
#: Capability names a ``vault:path_access`` entry may carry (``recover`` grants nothing here).
RAR_CAPABILITIES = frozenset(CAPABILITY_NAMES) | {"recover"}
_FIELDS = frozenset(
    {
        "type",
        "path",
        "capabilities",
        "allowed_parameters",
        "denied_parameters",
        "required_parameters",
    }
)
_PARAM_OPERATIONS = frozenset({"create", "read", "update", "patch"})


class RARError(ValueError):
    """The ``authorization_details`` claim is malformed or uses an unsupported type."""


@dataclass(frozen=True)
class RAREntry:
    """One validated ``vault:path_access`` entry (``path`` as written, leading ``/`` removed)."""

    index: int
    path: str
    capabilities: Capability
    capability_names: tuple[str, ...]
    allowed_parameters: Mapping[str, list[Any]] = field(default_factory=dict)
    denied_parameters: Mapping[str, list[Any]] = field(default_factory=dict)
    required_parameters: tuple[str, ...] = ()
    templated: bool = False

    def to_json(self) -> dict[str, Any]:
        """The entry as the claim carried it (normalised)."""
        out: dict[str, Any] = {
            "type": PATH_ACCESS_TYPE,
            "path": self.path,
            "capabilities": list(self.capability_names),
        }
        if self.allowed_parameters:
            out["allowed_parameters"] = dict(self.allowed_parameters)
        if self.denied_parameters:
            out["denied_parameters"] = dict(self.denied_parameters)
        if self.required_parameters:
            out["required_parameters"] = list(self.required_parameters)
        return out


def _param_map(where: str, name: str, value: Any) -> dict[str, list[Any]]:
    if not isinstance(value, Mapping):
        raise RARError(f'{where}: "{name}" must be an object of parameter name to array')
    out: dict[str, list[Any]] = {}
    for key, values in value.items():
        if not isinstance(key, str) or not isinstance(values, list):
            raise RARError(f'{where}: "{name}" must be an object of parameter name to array')
        out[key.lower()] = list(values)
    return out


def _entry(index: int, raw: Any, allowed_types: Sequence[str] | None) -> RAREntry:
    where = f"authorization_details[{index}]"
    if not isinstance(raw, Mapping):
        raise RARError(f"{where} must be a JSON object")
    kind = raw.get("type")
    if not isinstance(kind, str) or not kind:
        raise RARError(f'{where}: "type" must be a non-empty string')
    if kind not in SUPPORTED_TYPES:
        raise RARError(f'{where}: unsupported authorization_details type "{kind}"')
    if allowed_types and kind not in allowed_types:
        raise RARError(f'{where}: type "{kind}" is not allowed for this agent')
    unknown = sorted(k for k in raw if k not in _FIELDS)
    if unknown:
        raise RARError(f'{where}: unknown field "{unknown[0]}" for type "{kind}"')
    path = raw.get("path")
    if not isinstance(path, str) or not path.strip():
        raise RARError(f'{where}: "path" must be a non-empty string')
    path = path.removeprefix("/")
    if not path.isprintable():
        raise RARError(f'{where}: "path" must not contain unprintable characters')
    if "//" in path or any(seg in (".", "..") for seg in path.split("/")):
        # Requests reach the ACL with clean paths only (the HTTP layer redirects others),
        # so such an entry could never match: refuse it rather than keep a dead grant.
        raise RARError(f'{where}: "path" must be clean (no empty, "." or ".." segments)')
    if "+*" in path:
        raise RARError(f"{where}: invalid use of wildcards ('+*' is forbidden) in \"path\"")
    try:
        templated = has_template(path)
    except TemplateError as exc:
        raise RARError(f'{where}: "path": {exc}') from None
    caps = raw.get("capabilities")
    if not isinstance(caps, list) or not caps or not all(isinstance(c, str) for c in caps):
        raise RARError(f'{where}: "capabilities" must be a non-empty array of strings')
    flags = Capability(0)
    for name in caps:
        if name not in RAR_CAPABILITIES:
            raise RARError(f'{where}: invalid capability "{name}"')
        flag = CAPABILITY_NAMES.get(name)
        if flag is not None:
            flags |= flag
    if flags & Capability.DENY:
        flags = Capability.DENY
    required = raw.get("required_parameters", [])
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        raise RARError(f'{where}: "required_parameters" must be an array of strings')
    return RAREntry(
        index=index,
        path=path,
        capabilities=flags,
        capability_names=tuple(dict.fromkeys(caps)),
        allowed_parameters=_param_map(
            where, "allowed_parameters", raw.get("allowed_parameters", {})
        ),
        denied_parameters=_param_map(where, "denied_parameters", raw.get("denied_parameters", {})),
        required_parameters=tuple(required),
        templated=templated,
    )


def parse_authorization_details(
    claim: Any, allowed_types: Sequence[str] | None = None
) -> tuple[RAREntry, ...]:
    """Validate an ``authorization_details`` claim value (a JSON array of objects).

    ``allowed_types`` (non-empty) further restricts the types an entry may use. Raises
    :class:`RARError` with a message naming the offending entry and field.
    """
    if not isinstance(claim, list):
        raise RARError("authorization_details must be a JSON array")
    return tuple(_entry(i, raw, allowed_types) for i, raw in enumerate(claim))


@dataclass(frozen=True)
class _Compiled:
    entry: RAREntry
    key: str
    is_prefix: bool
    parts: tuple[str, ...] | None
    """Segments of a ``+`` rule (``None`` for exact and prefix rules)."""

    def matches(self, path: str) -> bool:
        if self.parts is None:
            return path.startswith(self.key) if self.is_prefix else path == self.key
        got = path.split("/")
        n = len(self.parts)
        if len(got) < n or (not self.is_prefix and len(got) != n):
            return False
        for i, want in enumerate(self.parts):
            if want == "+" or want == got[i]:
                continue
            if self.is_prefix and i == n - 1 and got[i].startswith(want):
                continue
            return False
        return True

    def reaches_under(self, prefix: str) -> bool:
        """Whether some path starting with ``prefix`` can match this rule."""
        if self.parts is None:
            if self.key.startswith(prefix):
                return True
            return self.is_prefix and prefix.startswith(self.key)
        wanted = prefix.split("/")[:-1]  # the complete segments of the prefix
        for i, got in enumerate(wanted):
            if i >= len(self.parts):
                return False
            want = self.parts[i]
            if want == "+" or want == got:
                continue
            return self.is_prefix and i == len(self.parts) - 1 and got.startswith(want)
        return True


def _compile(entry: RAREntry, identity: IdentityContext | None) -> _Compiled | None:
    path = entry.path
    if entry.templated:
        try:
            rendered = render_template(path, identity)
        except TemplateForbiddenValueError:
            return None
        if rendered is None:
            return None
        path = rendered
    key, is_prefix, segmented = path_shape(path)
    if segmented:
        wc = key[:-1] if key.endswith("*") else key
        return _Compiled(entry, key, key.endswith("*"), tuple(wc.split("/")))
    return _Compiled(entry, key, is_prefix, None)


class RARLayer:
    """The ``authorization_details`` of one token, rendered for one identity.

    Has the same deciding interface as :class:`~.acl.ACL` (``authorize`` and
    ``capabilities``) so that it can be one layer among the ACL layers.
    """

    def __init__(self, entries: Sequence[RAREntry], identity: IdentityContext | None = None):
        self.entries = tuple(entries)
        self._rules = [c for c in (_compile(e, identity) for e in self.entries) if c is not None]
        self.policy_names = ["authorization_details"]

    def _matching(self, path: str, list_like: bool) -> list[_Compiled]:
        found = [r for r in self._rules if r.matches(path)]
        if not found and list_like and path.endswith("/"):
            bare = path[:-1]
            found = [r for r in self._rules if r.matches(bare)]
        return found

    def authorize(
        self,
        operation: str,
        path: str,
        data: Mapping[str, Any] | None = None,
        wrap_ttl: int = 0,
        root_protected: bool = False,
    ) -> AuthorizationResult:
        """Decide one request (``wrap_ttl`` is not constrained by authorization details)."""
        if operation == "help":
            return AuthorizationResult(allowed=True)
        needed = OPERATION_CAPABILITY.get(operation)
        if needed is None:
            raise ValueError(f"unknown operation {operation!r}")
        path = path.lstrip("/")
        matching = self._matching(path, operation == "list")
        for rule in matching:
            if rule.entry.capabilities & Capability.DENY:
                return _no_match(
                    rule, f"explicitly denied by authorization_details[{rule.entry.index}]"
                )
        detail = "no authorization_details entry matches the path"
        best: _Compiled | None = None
        for rule in matching:
            entry = rule.entry
            if not entry.capabilities & needed:
                detail = f"{needed.name.lower()} capability not granted"
                best = best or rule
                continue
            if root_protected and not entry.capabilities & Capability.SUDO:
                detail = "sudo capability required on a root-protected path"
                best = best or rule
                continue
            if operation in _PARAM_OPERATIONS:
                reason = check_parameters(
                    data,
                    entry.allowed_parameters,
                    entry.denied_parameters,
                    entry.required_parameters,
                )
                if reason is not None:
                    detail, best = reason, rule
                    continue
            label = f"authorization_details[{entry.index}]"
            return AuthorizationResult(
                allowed=True,
                root_privs=bool(entry.capabilities & Capability.SUDO),
                capabilities=capability_names(entry.capabilities),
                granting_policies=[label],
                deciding_policies=[label],
                matched_path=entry.path,
            )
        return _no_match(best, detail)

    def has_mount_access(self, mount_path: str) -> bool:
        """Whether some entry grants something at or under ``mount_path`` (a mount path
        with its trailing ``/``), the question ``sys/internal/ui/mounts`` asks."""
        return any(
            not rule.entry.capabilities & Capability.DENY and rule.reaches_under(mount_path)
            for rule in self._rules
        )

    def capabilities(self, path: str) -> list[str]:
        """Union of the capabilities of the entries matching ``path`` (``deny`` wins)."""
        flags = Capability(0)
        for rule in self._matching(path.lstrip("/"), True):
            if rule.entry.capabilities & Capability.DENY:
                return ["deny"]
            flags |= rule.entry.capabilities
        return capability_names(flags)


def _no_match(rule: _Compiled | None, detail: str) -> AuthorizationResult:
    if rule is None:
        return AuthorizationResult(allowed=False, denied_reason=RAR_NO_MATCH, detail=detail)
    return AuthorizationResult(
        allowed=False,
        capabilities=capability_names(rule.entry.capabilities),
        deciding_policies=[f"authorization_details[{rule.entry.index}]"],
        matched_path=rule.entry.path,
        denied_reason=RAR_NO_MATCH,
        detail=detail,
    )
