"""Data model of parsed ACL policies: capabilities, path stanzas and policies.

Everything here is plain data: no parsing, no matching. :mod:`.parser` builds these
objects from HCL text and :mod:`.acl` compiles them into a decision structure.
"""

from __future__ import annotations

import enum
import functools
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

__all__ = [
    "CAPABILITY_NAMES",
    "Capability",
    "PathRules",
    "Policy",
    "capabilities_from_names",
    "capability_names",
    "path_shape",
]


class Capability(enum.IntFlag):
    """One bit per ACL capability; a stanza's grant is the OR of its bits.

    ``DENY`` is exclusive: a stanza (or merged rule) carrying it carries nothing else.
    """

    DENY = 1
    CREATE = 2
    READ = 4
    UPDATE = 8
    DELETE = 16
    LIST = 32
    SUDO = 64
    PATCH = 128
    SUBSCRIBE = 256

    @classmethod
    def from_name(cls, name: str) -> Capability:
        """The capability spelled ``name`` (exact, lower-case); ``ValueError`` if unknown."""
        try:
            return CAPABILITY_NAMES[name]
        except KeyError:
            raise ValueError(f"invalid capability {name!r}") from None


#: Lower-case capability name -> flag, as written in policies.
CAPABILITY_NAMES: Mapping[str, Capability] = {
    "deny": Capability.DENY,
    "create": Capability.CREATE,
    "read": Capability.READ,
    "update": Capability.UPDATE,
    "delete": Capability.DELETE,
    "list": Capability.LIST,
    "sudo": Capability.SUDO,
    "patch": Capability.PATCH,
    "subscribe": Capability.SUBSCRIBE,
}

_NO_CAPABILITY = Capability(0)


def capabilities_from_names(names: Iterable[str]) -> Capability:
    """OR of the named capabilities; ``deny`` anywhere yields ``DENY`` alone.

    Raises ``ValueError`` for an unknown name.
    """
    flags = _NO_CAPABILITY
    for name in names:
        flag = Capability.from_name(name)
        if flag is Capability.DENY:
            return Capability.DENY
        flags |= flag
    return flags


def capability_names(flags: Capability | int) -> list[str]:
    """Names of the capabilities in ``flags``, sorted alphabetically (as
    ``sys/capabilities`` reports them); ``["deny"]`` when ``DENY`` is set or nothing is."""
    return list(_capability_names(int(flags)))


@functools.cache
def _capability_names(value: int) -> tuple[str, ...]:
    """Memoised body of :func:`capability_names` (there are only 512 flag sets; this is
    on every request's path)."""
    flags = Capability(value)
    if flags & Capability.DENY or not flags:
        return ("deny",)
    return tuple(sorted(name for name, flag in CAPABILITY_NAMES.items() if flags & flag))


def path_shape(path: str) -> tuple[str, bool, bool]:
    """Vault's classification of a stanza path (leading ``/`` already stripped).

    Returns ``(key, is_prefix, has_segment_wildcard)``: a path containing a ``+``
    segment is a segment-wildcard rule and keeps any trailing ``*`` in its key;
    otherwise a trailing ``*`` makes a prefix rule whose key is the path without it.
    """
    has_segment_wildcard = path == "+" or "/+" in path or path.startswith("+/")
    if path.endswith("*") and not has_segment_wildcard:
        return path[:-1], True, False
    return path, False, has_segment_wildcard


@dataclass(frozen=True)
class PathRules:
    """One ``path "..." { ... }`` stanza of a policy, after validation.

    ``path`` is the path as written minus one leading ``/`` (it may still contain
    identity templates when ``is_templated``). ``capabilities`` is ``DENY`` alone for a
    deny stanza, in which case parameters and wrapping bounds are always empty.
    Parameter keys of ``allowed_parameters``/``denied_parameters`` are lower-cased;
    ``required_parameters`` are kept as written (Vault lower-cases them at check time).
    """

    path: str
    capabilities: Capability
    is_prefix: bool = False
    has_segment_wildcard: bool = False
    allowed_parameters: Mapping[str, list[Any]] = field(default_factory=dict)
    denied_parameters: Mapping[str, list[Any]] = field(default_factory=dict)
    required_parameters: tuple[str, ...] = ()
    min_wrapping_ttl: int = 0
    max_wrapping_ttl: int = 0
    is_templated: bool = False
    policy: str = ""

    @property
    def key(self) -> str:
        """The lookup key: ``path`` without the trailing ``*`` of a prefix rule."""
        return self.path[:-1] if self.is_prefix else self.path

    @property
    def capability_names(self) -> list[str]:
        """Capabilities of the stanza as sorted names (``["deny"]`` when none)."""
        return capability_names(self.capabilities)


@dataclass(frozen=True)
class Policy:
    """A parsed ACL policy: its normalised name, the raw text and its stanzas in order."""

    name: str
    raw: str
    paths: tuple[PathRules, ...] = ()
    templated: bool = False

    @cached_property
    def digest(self) -> str:
        """A stable fingerprint of name and text (used as the cache version)."""
        h = hashlib.sha256()
        h.update(self.name.encode())
        h.update(b"\0")
        h.update(self.raw.encode())
        return h.hexdigest()
