"""Policy-list rules of token creation: sanitising, globs, the subset rule and roles."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from ...framework.errors import InvalidRequest

if TYPE_CHECKING:
    from .roles import TokenRole

ROOT = "root"
DEFAULT = "default"
NON_ASSIGNABLE = ("response-wrapping",)
"""Internal policies no token may be given."""


def remove_duplicates(items: Iterable[str], lowercase: bool = True) -> list[str]:
    """Trimmed (and lower-cased) non-empty unique items, sorted."""
    out = {(item.strip().lower() if lowercase else item.strip()) for item in items}
    out.discard("")
    return sorted(out)


def sanitize_policies(policies: Sequence[str], add_default: bool) -> list[str]:
    """Vault's SanitizePolicies: normalise names; ``root`` stands alone; maybe add ``default``."""
    cleaned: list[str] = []
    default_found = False
    for raw in policies:
        name = raw.strip().lower()
        if not name:
            continue
        if name == ROOT:
            cleaned = [ROOT]
            default_found = True
            break
        if name == DEFAULT:
            default_found = True
        cleaned.append(name)
    if add_default and (not policies or not default_found):
        cleaned.append(DEFAULT)
    return remove_duplicates(cleaned)


def glob_match(pattern: str, subject: str) -> bool:
    """Vault's simple glob: ``*`` matches any run of characters, anywhere in the pattern."""
    if pattern == "":
        return subject == ""
    if pattern == "*":
        return True
    parts = pattern.split("*")
    if len(parts) == 1:
        return subject == pattern
    leading = pattern.startswith("*")
    trailing = pattern.endswith("*")
    last = len(parts) - 1
    rest = subject
    for i in range(last):
        idx = rest.find(parts[i])
        if i == 0 and not leading and idx != 0:
            return False
        if idx < 0:
            return False
        rest = rest[idx + len(parts[i]) :]
    return trailing or rest.endswith(parts[last])


def contains_glob(patterns: Iterable[str], subject: str) -> bool:
    """Whether any glob pattern matches the subject."""
    return any(glob_match(p, subject) for p in patterns)


def go_list(items: Sequence[str]) -> str:
    """A string list as Go's ``%q`` prints it: ``["a" "b"]``."""
    return "[" + " ".join(json.dumps(i) for i in items) + "]"


def resolve_token_policies(
    requested: Sequence[str],
    *,
    no_default_policy: bool,
    role: TokenRole | None,
    parent_policies: Sequence[str],
    is_sudo: bool,
) -> list[str]:
    """The policies of a token being created, or 400 with Vault's message.

    Without a role (or with a role that restricts nothing): no policies inherits the
    parent's; otherwise the child's policies must be a subset of the parent's unless the
    caller has sudo. ``default`` is added when the parent has it (or for sudo callers)
    unless ``no_default_policy``. A role with allowed/disallowed lists replaces the subset
    rule by its own lists.
    """
    policies = list(requested)
    add_default = False
    restricted = role is not None and bool(
        role.allowed_policies
        or role.disallowed_policies
        or role.allowed_policies_glob
        or role.disallowed_policies_glob
    )
    if restricted:
        assert role is not None
        policies = _role_policies(policies, no_default_policy, role, parent_policies)
    elif not policies:
        policies = sanitize_policies(parent_policies, False)
    elif not is_sudo:
        wanted = sanitize_policies(policies, False)
        have = set(sanitize_policies(parent_policies, False))
        if not set(wanted) <= have:
            raise InvalidRequest("child policies must be subset of parent")
        add_default = not no_default_policy and DEFAULT in parent_policies
    else:
        add_default = not no_default_policy
    final = sanitize_policies(policies, add_default)
    if no_default_policy:
        final = [p for p in final if p != DEFAULT]
    for name in final:
        if name in NON_ASSIGNABLE:
            raise InvalidRequest(f'cannot assign policy "{name}"')
    return final


def _role_policies(
    requested: list[str], no_default_policy: bool, role: TokenRole, parent_policies: Sequence[str]
) -> list[str]:
    add_default = (
        not no_default_policy
        and not role.token_no_default_policy
        and DEFAULT not in role.disallowed_policies
        and not contains_glob(role.disallowed_policies_glob, DEFAULT)
    )
    final = sanitize_policies(requested, add_default) if requested else []
    if role.allowed_policies or role.allowed_policies_glob:
        allowed = sanitize_policies(role.allowed_policies, add_default)
        if not final:
            final = allowed
        else:
            allowed_glob = sanitize_policies(role.allowed_policies_glob, False)
            for name in final:
                if name not in allowed and not contains_glob(allowed_glob, name):
                    raise InvalidRequest(
                        f"token policies ({go_list(final)}) must be subset of the role's "
                        f"allowed policies ({go_list(allowed)}) or glob policies "
                        f"({go_list(allowed_glob)})"
                    )
    elif not final:
        final = sanitize_policies(parent_policies, add_default)
    if role.disallowed_policies or role.disallowed_policies_glob:
        denied = remove_duplicates(role.disallowed_policies)
        denied_glob = remove_duplicates(role.disallowed_policies_glob)
        for name in final:
            if name in denied or contains_glob(denied_glob, name):
                raise InvalidRequest(f'token policy "{name}" is disallowed by this role')
    return final
