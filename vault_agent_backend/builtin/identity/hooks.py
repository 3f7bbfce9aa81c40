"""The identity service the core calls (``core.hooks["identity"]``).

* ``caller_state(entity_id, follow_merges=...)`` — identity policies, disabled flag and
  templating context of an entity (cached; see :mod:`.state`); ``follow_merges=True`` for a
  token's entity, which may have been merged into another;
* ``entity_for_login(mount_entry, alias)`` — find or create the entity and alias of a
  login, as Vault does on every successful login;
* ``entity_for_external(issuer, external_id)`` and ``ensure_external_alias(...)`` — the
  issuer-bound aliases (Vault 2.x) that resolve JWT subjects and actors to entities.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...framework.errors import InternalError, InvalidRequest, PermissionDenied
from .models import new_alias, new_entity, now
from .state import CallerState, caller_state
from .store import IdentityStore

if TYPE_CHECKING:
    from ...core.core import Core
    from ...core.mounts import MountEntry
    from ...framework.response import Alias


class IdentityService:
    """Entry points for the core and for other backends; thread-safe."""

    def __init__(self, store: IdentityStore):
        self.store = store

    def caller_state(self, entity_id: str, *, follow_merges: bool = False) -> CallerState | None:
        """The state of an entity, or None when the entity does not exist.

        ``follow_merges=True`` for a token's ``entity_id``: an entity merged into another
        resolves to the state of the entity it was merged into (Vault's
        ``fetchEntityAndDerivedPolicies``); None then means the entity is gone.
        """
        if not entity_id:
            return None
        return caller_state(self.store, entity_id, follow_merges=follow_merges)

    def entity_for_login(self, mount: MountEntry, alias: Alias) -> str:
        """The entity id of a login's alias, creating entity and alias on first login.

        A changed alias metadata is stored. A disabled entity refuses the login (403).
        """
        if not alias.name:
            raise InternalError("empty alias name")
        store = self.store
        metadata = dict(alias.metadata or {}) or None
        known = store.alias_by_factors(mount.accessor, alias.name)  # the common case: no write
        if known is not None and (known[1].get("metadata") or {}) == (metadata or {}):
            return self._admit(known[0]["id"])
        for attempt in store.transaction():
            with attempt:
                found = store.alias_by_factors(mount.accessor, alias.name)
                if found is not None:
                    entity_id = found[0]["id"]
                    if (found[1].get("metadata") or {}) != (metadata or {}):
                        entity = store.entity(entity_id, clone=True)
                        assert entity is not None
                        for item in entity["aliases"]:
                            if item["id"] == found[1]["id"]:
                                item["metadata"] = metadata
                                item["last_update_time"] = now()
                        store.save_entities([(entity, store.entity(entity_id))])
                else:
                    entity = new_entity(store.unique_name("entity"))
                    entity["aliases"].append(
                        new_alias(entity["id"], alias.name, mount.accessor, metadata=metadata)
                    )
                    store.save_entities([(entity, None)])
                    entity_id = entity["id"]
        return self._admit(entity_id)

    def _admit(self, entity_id: str) -> str:
        """``entity_id``, or 403 when the entity is disabled."""
        state = self.caller_state(entity_id)
        if state is not None and state.disabled:
            raise PermissionDenied(multierror=False)
        return entity_id

    # ----- issuer-bound aliases (extension) ------------------------------------------------------

    def entity_for_external(self, issuer: str, external_id: str) -> str | None:
        """The entity id bound to ``issuer`` + ``external_id``, or None."""
        found = self.store.alias_by_external(issuer, external_id)
        return found[0]["id"] if found else None

    def ensure_external_alias(
        self, entity_id: str, issuer: str, external_id: str, name: str = ""
    ) -> str:
        """Bind ``issuer`` + ``external_id`` to an existing entity (idempotent); the alias id.

        400 when the pair is already bound to another entity or the entity is unknown.
        """
        store = self.store
        for attempt in store.transaction():
            with attempt:
                found = store.alias_by_external(issuer, external_id)
                if found is not None:
                    if found[0]["id"] != entity_id:
                        raise InvalidRequest(
                            "alias with combination of issuer and external_id already exists"
                        )
                    return found[1]["id"]
                entity = store.entity(entity_id, clone=True)
                if entity is None:
                    raise InvalidRequest("invalid canonical ID")
                alias = new_alias(
                    entity_id,
                    name or external_id,
                    "",
                    custom_metadata={},
                    issuer=issuer,
                    external_id=external_id,
                )
                entity["aliases"].append(alias)
                store.save_entities([(entity, store.entity(entity_id))])
                return alias["id"]

    def entity_record(self, entity_id: str) -> dict[str, Any] | None:
        """A private copy of an entity record (for other backends' reads)."""
        entity = self.store.entity(entity_id, clone=True)
        return entity


def install(core: Core, store: IdentityStore) -> IdentityService:
    """Register (or reuse) the identity service of a core and its cache invalidation."""
    current = core.hooks.get("identity")
    if isinstance(current, IdentityService) and current.store.view.prefix == store.view.prefix:
        return current
    service = IdentityService(store)
    core.hooks["identity"] = service
    callbacks = core.hooks.setdefault("invalidate", [])
    if not any(getattr(cb, "_identity_invalidate", False) for cb in callbacks):

        def invalidate() -> None:
            live = core.hooks.get("identity")
            if isinstance(live, IdentityService):
                live.store.invalidate()

        invalidate._identity_invalidate = True  # type: ignore[attr-defined]
        callbacks.append(invalidate)
    return service
