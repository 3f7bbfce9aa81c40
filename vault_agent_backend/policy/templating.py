"""Identity templates in policy paths (``{{identity.entity.id}}`` and friends).

A stanza path may contain ``{{ ... }}`` directives that are filled in from the identity
of the token's entity when the ACL is compiled. A directive that cannot be resolved
(no entity, unknown key, missing metadata, not a member of the group, ...) drops the
whole stanza silently, as Vault does. A resolved value containing ``/``, ``*`` or ``+``
is refused (OpenBao's guard against identity data widening a path), which makes the
whole ACL fail to build: :class:`TemplateForbiddenValueError`.

Supported directives (whitespace around the directive inside the braces is ignored)::

    identity.entity.id | .name | .metadata.<key>
    identity.entity.aliases.<mount accessor>.id | .name | .metadata.<key>
                                              | .custom_metadata.<key>
    identity.groups.ids.<group id>.name | .metadata.<key>
    identity.groups.names.<group name>.id | .metadata.<key>
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

__all__ = [
    "BLOCKED_SUBSTITUTIONS",
    "AliasInfo",
    "GroupInfo",
    "IdentityContext",
    "TemplateError",
    "TemplateForbiddenValueError",
    "TemplateSyntaxError",
    "has_template",
    "render_template",
    "resolve_expression",
    "template_expressions",
]

#: Characters a substituted value may not contain (OpenBao's defaults).
BLOCKED_SUBSTITUTIONS: tuple[str, ...] = ("/", "*", "+")


class TemplateError(ValueError):
    """Base class of template problems."""


class TemplateSyntaxError(TemplateError):
    """``{{`` and ``}}`` do not pair up."""

    def __init__(self) -> None:
        super().__init__("unbalanced templating characters")


class TemplateForbiddenValueError(TemplateError):
    """A resolved template value contains a blocked character."""

    def __init__(self, blocked: str) -> None:
        super().__init__(f'template substitution contains forbidden value: "{blocked}"')
        self.blocked = blocked


class AliasInfo(NamedTuple):
    """An entity alias, as seen by templates (keyed by its mount accessor)."""

    id: str
    name: str
    metadata: Mapping[str, str] = {}
    custom_metadata: Mapping[str, str] = {}


class GroupInfo(NamedTuple):
    """A group the entity belongs to (directly or by inheritance)."""

    id: str
    name: str
    metadata: Mapping[str, str] = {}


@dataclass(frozen=True)
class IdentityContext:
    """The identity values templates may read: one entity, its aliases and its groups."""

    entity_id: str
    entity_name: str = ""
    entity_metadata: Mapping[str, str] = field(default_factory=dict)
    aliases: Mapping[str, AliasInfo] = field(default_factory=dict)
    groups: Sequence[GroupInfo] = ()


def _split(path: str) -> list[tuple[str, str]] | None:
    """Split ``path`` into ``(directive, literal_after)`` pairs.

    Returns ``None`` when there is no ``{{`` at all; raises
    :class:`TemplateSyntaxError` when braces do not pair up. The literal before the
    first directive is returned as the directive-less first pair ``("", text)``.
    """
    pieces = path.split("{{")
    if "}}" in pieces[0]:
        raise TemplateSyntaxError()
    if len(pieces) == 1:
        return None
    out = [("", pieces[0])]
    for piece in pieces[1:]:
        parts = piece.split("}}")
        if len(parts) != 2:
            raise TemplateSyntaxError()
        out.append((parts[0].strip(), parts[1]))
    return out


def has_template(path: str) -> bool:
    """Whether ``path`` contains template directives (raises on unbalanced braces)."""
    return _split(path) is not None


def template_expressions(path: str) -> list[str]:
    """The trimmed directives of ``path``, in order (empty when none)."""
    parts = _split(path)
    return [expr for expr, _ in parts[1:]] if parts else []


def _nonempty(value: str | None) -> str | None:
    return value if value else None


def _alias_value(selector: str, alias: AliasInfo) -> str | None:
    if selector == "id":
        return _nonempty(alias.id)
    if selector == "name":
        return _nonempty(alias.name)
    for prefix, mapping in (
        ("metadata.", alias.metadata),
        ("custom_metadata.", alias.custom_metadata),
    ):
        if selector.startswith(prefix):
            return mapping.get(selector[len(prefix) :])
    return None


def _entity_value(selector: str, ctx: IdentityContext) -> str | None:
    if selector == "id":
        return _nonempty(ctx.entity_id)
    if selector == "name":
        return _nonempty(ctx.entity_name)
    if selector.startswith("metadata."):
        # A present key with an empty value substitutes "" (Vault does the same).
        return ctx.entity_metadata.get(selector[len("metadata.") :])
    if selector.startswith("aliases."):
        accessor, sep, rest = selector[len("aliases.") :].partition(".")
        alias = ctx.aliases.get(accessor) if sep else None
        return _alias_value(rest, alias) if alias is not None else None
    return None


def _group_value(selector: str, ctx: IdentityContext) -> str | None:
    kind, sep, rest = selector.partition(".")
    if not sep or kind not in ("ids", "names"):
        return None
    wanted, sep, attr = rest.partition(".")
    if not sep:
        return None
    found = None
    for group in ctx.groups:
        if (group.id if kind == "ids" else group.name) == wanted:
            found = group
            break
    if found is None:
        return None
    if attr == "id":
        return found.id
    if attr == "name":
        return _nonempty(found.name)
    if attr.startswith("metadata."):
        return found.metadata.get(attr[len("metadata.") :])
    return None


def resolve_expression(expr: str, ctx: IdentityContext | None) -> str | None:
    """Value of one trimmed directive (e.g. ``identity.entity.id``) or ``None``."""
    if ctx is None:
        return None
    if expr.startswith("identity.entity."):
        return _entity_value(expr[len("identity.entity.") :], ctx)
    if expr.startswith("identity.groups."):
        if not ctx.groups:
            return None
        return _group_value(expr[len("identity.groups.") :], ctx)
    return None


def render_template(
    path: str,
    ctx: IdentityContext | None,
    blocked: Sequence[str] = BLOCKED_SUBSTITUTIONS,
) -> str | None:
    """``path`` with every directive substituted, or ``None`` when one is unresolvable.

    A path without directives is returned unchanged. Raises
    :class:`TemplateSyntaxError` for unbalanced braces and
    :class:`TemplateForbiddenValueError` when a value contains a ``blocked`` string.
    """
    parts = _split(path)
    if parts is None:
        return path
    out = [parts[0][1]]
    for expr, literal in parts[1:]:
        value = resolve_expression(expr, ctx)
        if value is None:
            return None
        for bad in blocked:
            if bad in value:
                raise TemplateForbiddenValueError(bad)
        out.append(value)
        out.append(literal)
    return "".join(out)
