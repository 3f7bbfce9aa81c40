"""Whether RFC 9396 ``authorization_details`` lie inside a set of layers (SPEC §7).

Used before anything is granted: when a human creates a delegation (its details must lie
inside the human's own policies) and when the authorization server issues a token (its
details must lie inside every layer of SPEC §6). For each entry and each capability it
grants, each layer is asked for its capabilities at the entry's path -- for a glob entry
(trailing ``*`` or a ``+`` segment) at its literal prefix. Per-request enforcement stays
authoritative; this check only refuses early what could never be used.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..policy.rar import RAREntry
from ..policy.templating import TemplateError, render_template

__all__ = ["Violation", "first_violation", "literal_prefix"]

#: Capabilities that grant nothing by themselves (never checked against the layers).
_NOT_GRANTS = frozenset({"deny", "recover"})


def literal_prefix(path: str) -> str:
    """The part of an ACL-syntax path before its first wildcard.

    ``secret/data/app/*`` → ``secret/data/app/``; ``secret/+/x`` → ``secret/``; a path
    without wildcards is returned unchanged (a ``*`` that is not last is literal, as in
    Vault's ACL).
    """
    parts = path.split("/")
    for index, part in enumerate(parts):
        if part == "+":
            return "/".join(parts[:index]) + ("/" if index else "")
    if path.endswith("*"):
        return path[:-1]
    return path


@dataclass(frozen=True)
class Violation:
    """The first entry and capability that some layer does not grant."""

    index: int
    path: str
    capability: str
    layer: str
    policies: tuple[str, ...] = ()
    reason: str = ""

    @property
    def message(self) -> str:
        """The ``error_description`` naming the entry, the capability and the layer."""
        if self.reason:
            return f'authorization_details[{self.index}] (path "{self.path}"): {self.reason}'
        where = f"the {self.layer} layer"
        if self.policies:
            where += " (policies: " + ", ".join(self.policies) + ")"
        return (
            f'authorization_details[{self.index}] (path "{self.path}", capability '
            f'"{self.capability}") is outside {where}'
        )


def _granted(caps: Iterable[str], capability: str) -> bool:
    names = set(caps)
    return "root" in names or (capability in names and "deny" not in names)


def first_violation(
    entries: Sequence[RAREntry], layers: Sequence[Any], identity: Any
) -> Violation | None:
    """The first (entry, capability, layer) not granted, or None when all lie inside.

    ``layers`` are objects with ``name``, ``acl`` (``.capabilities(path)``) and
    ``policies`` (:class:`~vault_agent_backend.agent.decision.Layer`); ``identity``
    resolves templated entry paths (the subject when delegated, the agent when direct).
    """
    for entry in entries:
        wanted = [c for c in entry.capability_names if c not in _NOT_GRANTS]
        if not wanted:
            continue
        path = entry.path
        if entry.templated:
            try:
                rendered = render_template(path, identity)
            except TemplateError as exc:
                return Violation(entry.index, path, "", "", reason=f"invalid template: {exc}")
            if rendered is None:
                return Violation(
                    entry.index, path, "", "", reason="the path template cannot be resolved"
                )
            path = rendered
        prefix = literal_prefix(path)
        for layer in layers:
            caps = layer.acl.capabilities(prefix)
            for capability in wanted:
                if not _granted(caps, capability):
                    return Violation(
                        entry.index, entry.path, capability, layer.name, tuple(layer.policies)
                    )
    return None
