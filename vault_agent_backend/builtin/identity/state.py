"""What the core needs from the identity store on every request, cached per entity.

``caller_state(entity_id)`` gives the entity's identity policies (its own plus those of all
its groups, direct and inherited), whether it is disabled, and the templating context of
the ACL engine. States are cached until the cache generation changes, so a request costs
a dict lookup; any identity write bumps the generation and the next request recomputes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .models import Record, dedupe
from .store import IdentityStore


class FrozenMap(Mapping[str, Any]):
    """A read-only, hashable mapping (the ACL cache keys on the identity context)."""

    __slots__ = ("_data", "_hash")

    def __init__(self, data: Mapping[str, Any] | None = None):
        self._data = dict(data or {})
        self._hash: int | None = None

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._data.items()))
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self._data == dict(other.items())
        return NotImplemented

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"


@dataclass(frozen=True)
class CallerState:
    """The identity of a token's entity as the request pipeline sees it."""

    entity_id: str
    entity_name: str
    policies: tuple[str, ...]
    """Identity policies: the entity's plus all its groups' (sorted, lower-case, no root)."""
    disabled: bool
    group_ids: tuple[str, ...]
    context: Any = None
    """A ``vault_agent_backend.policy.IdentityContext`` for policy templates, or None."""
    lookup_policies: tuple[str, ...] = ()
    """The same policies in the order Vault's token lookups show them: the entity's, then
    the groups' (sorted), duplicates kept."""


def caller_state(
    store: IdentityStore, entity_id: str, *, follow_merges: bool = False
) -> CallerState | None:
    """The cached state of an entity (None when it does not exist).

    ``follow_merges`` resolves an entity merged into another to that entity's state, as
    Vault resolves a token's entity (the state's ``entity_id`` is then the target's).
    """
    cached = store.states.get(entity_id)
    if cached is not None:
        return cached
    epoch = store.epoch
    entity = store.entity(entity_id)
    if entity is None:
        if follow_merges:
            target = store.merged_into(entity_id)
            if target is not None and target != entity_id:
                return caller_state(store, target)
        return None
    direct, inherited = store.entity_groups(entity_id)
    groups = direct + inherited
    own = [p for p in entity.get("policies") or [] if p != "root"]
    from_groups: list[str] = []
    for group in groups:
        from_groups.extend(group.get("policies") or [])
    from_groups = [p for p in dedupe(from_groups, lower=True) if p != "root"]
    policies = own + from_groups
    state = CallerState(
        entity_id=entity["id"],
        entity_name=entity["name"],
        policies=tuple(p for p in dedupe(policies, lower=True) if p != "root"),
        disabled=bool(entity.get("disabled")),
        group_ids=tuple(g["id"] for g in groups),
        context=build_context(entity, groups),
        lookup_policies=tuple(own + from_groups),
    )
    with store.lock:
        if store.epoch == epoch:
            store.states[entity_id] = state
    return state


def build_context(entity: Record, groups: list[Record]) -> Any:
    """The ACL engine's IdentityContext for an entity, or None when it is not available."""
    try:
        from ...policy import IdentityContext
        from ...policy.templating import AliasInfo, GroupInfo
    except ImportError:  # the policy engine is not importable (e.g. a stubbed test setup)
        return None
    if not isinstance(IdentityContext, type) or IdentityContext is object:
        return None
    aliases: dict[str, Any] = {}
    for alias in entity.get("aliases") or []:
        if not alias.get("mount_accessor"):
            continue
        aliases[alias["mount_accessor"]] = AliasInfo(
            id=alias["id"],
            name=alias["name"],
            metadata=FrozenMap(alias.get("metadata")),
            custom_metadata=FrozenMap(alias.get("custom_metadata")),
        )
    group_infos = tuple(
        GroupInfo(id=g["id"], name=g["name"], metadata=FrozenMap(g.get("metadata"))) for g in groups
    )
    return IdentityContext(
        entity_id=entity["id"],
        entity_name=entity["name"],
        entity_metadata=FrozenMap(entity.get("metadata")),
        aliases=FrozenMap(aliases),
        groups=group_infos,
    )
