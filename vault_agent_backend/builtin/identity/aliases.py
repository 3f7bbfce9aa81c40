"""``identity/entity-alias*``: entity aliases, including ``issuer``/``external_id`` ones.

An alias ties an entity to a login: one per (mount accessor, name), case-insensitive, and
one per entity and mount. **Extension** (Vault 2.x behaviour OpenBao lacks): an alias may
instead be bound to an external issuer with ``issuer`` + ``external_id`` (unique together,
fixed after creation); such an alias needs no ``mount_accessor``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...framework.errors import InvalidRequest
from ...framework.fields import Field, FieldData, FieldType
from ...framework.path import Path, name_regex
from ...framework.request import Operation, Request
from ...framework.response import Response
from .models import Record, new_alias, new_entity, now, validate_custom_metadata
from .views import alias_key_info, alias_read, list_response

if TYPE_CHECKING:
    from . import IdentityBackend
    from .store import IdentityStore


def _fields(update: bool) -> dict[str, Field]:
    return {
        "id": Field(
            FieldType.STRING,
            "ID of the alias"
            if update
            else "ID of the entity alias. If set, updates the corresponding entity alias.",
        ),
        "entity_id": Field(
            FieldType.STRING,
            "Entity ID to which this alias belongs. This field is deprecated, use canonical_id.",
            deprecated=True,
        ),
        "canonical_id": Field(FieldType.STRING, "Entity ID to which this alias belongs"),
        "mount_accessor": Field(
            FieldType.STRING, "Mount accessor to which this alias belongs to; unused for a modify"
        ),
        "name": Field(FieldType.STRING, "Name of the alias; unused for a modify"),
        "custom_metadata": Field(FieldType.KV_PAIRS, "User provided key-value pairs"),
        "issuer": Field(
            FieldType.STRING,
            "Issuer of the external identity provider bound to this alias; can replace "
            "mount_accessor. Cannot be changed after creation.",
        ),
        "external_id": Field(
            FieldType.STRING,
            "Subject identifier from the external identity provider; unique together with "
            "issuer. Cannot be changed after creation.",
        ),
    }


def _same_map(a: dict[str, str] | None, b: dict[str, str] | None) -> bool:
    return (a or {}) == (b or {})


def _conflicts(alias: Record, accessor: str, issuer: str) -> bool:
    """Whether an existing alias of an entity blocks another one for this mount or issuer."""
    if accessor and alias.get("mount_accessor") == accessor:
        return True
    return bool(issuer) and not accessor and alias.get("issuer") == issuer


def create_or_update_alias(store: IdentityStore, data: FieldData) -> Response | None:
    """Vault's handleAliasCreateUpdate, extended with issuer-bound aliases."""
    name = data.get("name")
    accessor = data.get("mount_accessor")
    alias_id = data.get("id")
    custom, has_custom = data.get_ok("custom_metadata")
    canonical = data.get("canonical_id") or data.get("entity_id")
    issuer = data.get("issuer")
    external_id = data.get("external_id")
    if has_custom and custom:
        validate_custom_metadata(custom)
    for attempt in store.transaction():
        with attempt:
            if alias_id:
                entity = store.entity_by_alias_id(alias_id, clone=True)
                alias = _find(entity, alias_id)
                if entity is None or alias is None:
                    raise InvalidRequest("invalid alias ID provided")
                _check_fixed(alias, issuer, external_id)
                if not has_custom:
                    custom = alias.get("custom_metadata")
                if not accessor and not name:
                    if not canonical and not has_custom:
                        return None
                    name, accessor = alias["name"], alias["mount_accessor"]
                elif not accessor:
                    accessor = alias["mount_accessor"]
                elif not name:
                    name = alias["name"]
                return _update(store, canonical, name, accessor, entity, alias, custom)
            if issuer and not accessor:
                if not external_id:
                    raise InvalidRequest("'external_id' must be provided with 'issuer'")
                name = name or external_id
                found = store.alias_by_external(issuer, external_id)
                if found is not None:
                    entity = store.entity(found[0]["id"], clone=True)
                    alias = _find(entity, found[1]["id"])
                    assert entity is not None and alias is not None
                    return _update(store, canonical, name, "", entity, alias, custom)
                return _create(store, canonical, name, "", custom, issuer, external_id)
            if not accessor or not name:
                raise InvalidRequest("'id' or 'mount_accessor' and 'name' must be provided")
            if store.mount_info(accessor) is None:
                raise InvalidRequest(f'invalid mount accessor "{accessor}"')
            found = store.alias_by_factors(accessor, name)
            if found is not None:
                entity = store.entity(found[0]["id"], clone=True)
                alias = _find(entity, found[1]["id"])
                assert entity is not None and alias is not None
                _check_fixed(alias, issuer, external_id)
                return _update(store, canonical, name, accessor, entity, alias, custom)
            if issuer and not external_id:
                raise InvalidRequest("'external_id' must be provided with 'issuer'")
            if external_id and not issuer:
                raise InvalidRequest("'issuer' must be provided with 'external_id'")
            if issuer and store.alias_by_external(issuer, external_id) is not None:
                raise InvalidRequest(
                    "alias with combination of issuer and external_id already exists"
                )
            return _create(store, canonical, name, accessor, custom, issuer, external_id)


def _find(entity: Record | None, alias_id: str) -> Record | None:
    for alias in (entity or {}).get("aliases") or []:
        if alias["id"] == alias_id:
            return alias
    return None


def _check_fixed(alias: Record, issuer: str, external_id: str) -> None:
    if issuer and issuer != alias.get("issuer", ""):
        raise InvalidRequest("'issuer' cannot be changed")
    if external_id and external_id != alias.get("external_id", ""):
        raise InvalidRequest("'external_id' cannot be changed")


def _create(
    store: IdentityStore,
    canonical: str,
    name: str,
    accessor: str,
    custom: dict[str, str] | None,
    issuer: str,
    external_id: str,
) -> Response:
    entity: Record | None = None
    previous: Record | None = None
    if canonical:
        entity = store.entity(canonical, clone=True)
        if entity is None:
            raise InvalidRequest("invalid canonical ID")
        previous = store.entity(canonical)
    if entity is None:
        entity = new_entity(store.unique_name("entity"))
    for current in entity["aliases"]:
        if _conflicts(current, accessor, issuer):
            raise InvalidRequest(
                "Alias already exists for requested entity and mount accessor"
                if accessor
                else "Alias already exists for requested entity and issuer"
            )
    alias = new_alias(
        entity["id"],
        name,
        accessor,
        custom_metadata=dict(custom or {}),
        issuer=issuer,
        external_id=external_id,
    )
    entity["aliases"].append(alias)
    store.save_entities([(entity, previous)])
    return Response(data={"id": alias["id"], "canonical_id": entity["id"]})


def _update(
    store: IdentityStore,
    canonical: str,
    name: str,
    accessor: str,
    current: Record,
    alias: Record,
    custom: dict[str, str] | None,
) -> Response | None:
    if (
        name == alias["name"]
        and accessor == alias["mount_accessor"]
        and canonical in ("", alias["canonical_id"])
        and _same_map(custom, alias.get("custom_metadata"))
    ):
        return None
    alias["last_update_time"] = now()
    issuer = alias.get("issuer", "")
    moving = bool(canonical) and canonical != alias["canonical_id"]
    if accessor != alias["mount_accessor"] and not moving:
        for other in current["aliases"]:
            if other["id"] != alias["id"] and _conflicts(other, accessor, issuer):
                raise InvalidRequest(
                    "Alias cannot be updated as the entity already has an alias for the given "
                    "'mount_accessor' "
                )
    changed = (
        name != alias["name"]
        or accessor != alias["mount_accessor"]
        or not _same_map(custom, alias.get("custom_metadata"))
    )
    if changed:
        if accessor:
            if store.mount_info(accessor) is None:
                raise InvalidRequest(f'invalid mount accessor "{accessor}"')
            existing = store.alias_by_factors(accessor, name)
            if existing is not None and existing[1]["id"] != alias["id"]:
                raise InvalidRequest(
                    "alias with combination of mount accessor and name already exists"
                )
        alias["name"], alias["mount_accessor"], alias["custom_metadata"] = name, accessor, custom
    old_current = store.entity(current["id"])
    if not moving:
        store.save_entities([(current, old_current)])
        return Response(data={"id": alias["id"], "canonical_id": current["id"]})
    target = store.entity(canonical, clone=True)
    if target is None:
        raise InvalidRequest("given 'canonical_id' is not associated with an entity")
    for other in target["aliases"]:
        if _conflicts(other, accessor, issuer):
            raise InvalidRequest(
                "Alias cannot be updated as the given entity already has an alias for this mount "
            )
    alias["canonical_id"] = target["id"]
    current["aliases"] = [a for a in current["aliases"] if a["id"] != alias["id"]]
    target["aliases"].append(alias)
    store.save_entities([(target, store.entity(target["id"])), (current, old_current)])
    return Response(data={"id": alias["id"], "canonical_id": target["id"]})


def paths(backend: IdentityBackend) -> list[Path]:
    """The entity-alias paths of the identity mount."""
    store = backend.store

    def write(req: Request, data: FieldData) -> Response | None:
        return create_or_update_alias(store, data)

    def read(req: Request, data: FieldData) -> Response | None:
        alias_id = data.get("id")
        if not alias_id:
            raise InvalidRequest("missing alias id")
        found = store.alias_by_id(alias_id)
        return None if found is None else alias_read(store, found[1])

    def delete(req: Request, data: FieldData) -> None:
        alias_id = data.get("id")
        if not alias_id:
            raise InvalidRequest("missing alias ID")
        for attempt in store.transaction():
            with attempt:
                entity = store.entity_by_alias_id(alias_id, clone=True)
                if entity is None or _find(entity, alias_id) is None:
                    return None
                previous = store.entity(entity["id"])
                entity["aliases"] = [a for a in entity["aliases"] if a["id"] != alias_id]
                store.save_entities([(entity, previous)])
        return None

    def list_ids(req: Request, data: FieldData) -> Response:
        aliases: list[Record] = []
        for entity in store.entities():
            aliases.extend(entity.get("aliases") or [])
        aliases.sort(key=lambda a: a["id"])
        info: dict[str, Any] = {a["id"]: alias_key_info(store, a) for a in aliases}
        return list_response([a["id"] for a in aliases], info)

    return [
        Path(
            "entity-alias",
            {Operation.UPDATE: write},
            fields=_fields(False),
            help_synopsis="Create a new alias.",
        ),
        Path(
            "entity-alias/id/?",
            {Operation.LIST: list_ids},
            help_synopsis="List all the alias IDs.",
        ),
        Path(
            f"entity-alias/id/{name_regex('id')}",
            {Operation.UPDATE: write, Operation.READ: read, Operation.DELETE: delete},
            fields=_fields(True),
            help_synopsis="Update, read or delete an alias ID.",
        ),
    ]
