"""``identity/entity*``: create, read, update, delete, list, merge and batch-delete entities."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...framework.errors import InvalidRequest
from ...framework.fields import Field, FieldData, FieldType
from ...framework.path import Path, name_regex
from ...framework.request import Operation, Request
from ...framework.response import Response
from .models import Record, dedupe, new_entity, now, validate_metadata
from .views import entity_read, list_response, short_alias

if TYPE_CHECKING:
    from . import IdentityBackend
    from .store import IdentityStore


def entity_fields() -> dict[str, Field]:
    """The fields of the entity create/update paths."""
    return {
        "id": Field(
            FieldType.STRING,
            "ID of the entity. If set, updates the corresponding existing entity.",
        ),
        "name": Field(FieldType.STRING, "Name of the entity"),
        "metadata": Field(FieldType.KV_PAIRS, "Metadata to be associated with the entity."),
        "policies": Field(FieldType.COMMA_STRING_SLICE, "Policies to be tied to the entity."),
        "disabled": Field(
            FieldType.BOOL,
            "If set true, tokens tied to this identity will not be able to be used "
            "(but will not be revoked).",
        ),
    }


def upsert_entity(store: IdentityStore, data: FieldData) -> Response | None:
    """Create or update an entity from request fields (Vault's handleEntityUpdateCommon)."""
    for attempt in store.transaction():
        with attempt:
            entity: Record | None = None
            entity_id = data.get("id")
            if entity_id:
                entity = store.entity(entity_id, clone=True)
                if entity is None:
                    raise InvalidRequest("entity not found from id")
            name = data.get("name")
            if name:
                by_name = store.entity_by_name(name, clone=True)
                if by_name is not None:
                    if entity is None:
                        entity = by_name
                    elif entity["id"] != by_name["id"]:
                        raise InvalidRequest("entity name is already in use")
            is_new = entity is None
            previous = None if entity is None else store.entity(entity["id"])
            if entity is None:
                entity = new_entity()
            if name:
                entity["name"] = name
            policies, has_policies = data.get_ok("policies")
            if has_policies:
                entity["policies"] = dedupe(policies, lower=True)
            if "root" in (entity.get("policies") or []):
                raise InvalidRequest("policies cannot contain root")
            disabled, has_disabled = data.get_ok("disabled")
            if has_disabled:
                entity["disabled"] = disabled
            metadata, has_metadata = data.get_ok("metadata")
            if has_metadata:
                entity["metadata"] = metadata
            if not entity["name"]:
                entity["name"] = store.unique_name("entity")
            validate_metadata("entity", entity.get("metadata"))
            if not is_new:
                entity["last_update_time"] = now()
            store.save_entities([(entity, previous)])
    if not is_new:
        return None
    alias_ids = [a["id"] for a in entity.get("aliases") or []]
    return Response(data={"id": entity["id"], "name": entity["name"], "aliases": alias_ids or None})


def delete_entities(store: IdentityStore, entities: list[Record]) -> None:
    """Delete entities: drop them from every group, remove their aliases and indexes."""
    if not entities:
        return
    ids = {e["id"] for e in entities}
    changed_groups = []
    for group in store.groups().values():
        members = group.get("member_entity_ids") or []
        if ids & set(members):
            updated = store.group(group["id"], clone=True)
            assert updated is not None
            updated["member_entity_ids"] = [m for m in members if m not in ids]
            updated["modify_index"] = updated.get("modify_index", 0) + 1
            changed_groups.append(updated)
    store.save_entities([(None, e) for e in entities], groups=changed_groups)


def merge_entities(store: IdentityStore, data: FieldData) -> Response | None:
    """``identity/entity/merge``: move aliases, groups and history into one entity."""
    to_id = data.get("to_entity_id")
    if not to_id:
        raise InvalidRequest("missing entity id to merge to")
    from_ids = data.get("from_entity_ids")
    if not from_ids:
        raise InvalidRequest("missing entity ids to merge from")
    keep = data.get("conflicting_alias_ids_to_keep")
    for attempt in store.transaction():
        with attempt:
            to = store.entity(to_id, clone=True)
            if to is None:
                raise InvalidRequest("entity id to merge to is invalid")
            previous_to = store.entity(to_id)
            if len(from_ids) > 1 and len(keep) > 1:
                raise InvalidRequest(
                    "aliases conflicts cannot be resolved with multiple from entity ids - "
                    "merge one entity at a time"
                )
            from_ids = dedupe(from_ids, lower=False)
            _check_merge_clashes(store, to, from_ids, keep)
            to_by_accessor: dict[str, list[str]] = {}
            for alias in to["aliases"]:
                to_by_accessor.setdefault(alias["mount_accessor"], []).append(alias["id"])
            removed: list[Record] = []
            for from_id in from_ids:
                source = store.entity(from_id, clone=True)
                assert source is not None
                for alias in source["aliases"]:
                    if not _resolve_merge_conflict(to, alias, to_by_accessor, keep):
                        continue
                    alias["canonical_id"] = to["id"]
                    alias["merged_from_canonical_ids"] = [
                        *(alias.get("merged_from_canonical_ids") or []),
                        source["id"],
                    ]
                    to["aliases"].append(alias)
                to["merged_entity_ids"] = [
                    *(to.get("merged_entity_ids") or []),
                    *(source.get("merged_entity_ids") or []),
                    source["id"],
                ]
                removed.append(store.entity(from_id))  # type: ignore[arg-type]
            groups = _move_group_memberships(store, {e["id"] for e in removed}, to["id"])
            store.save_entities(
                [(None, e) for e in removed] + [(to, previous_to)],
                groups=groups,
            )
    return None


def _check_merge_clashes(
    store: IdentityStore, to: Record, from_ids: list[str], keep: list[str]
) -> None:
    clashes: list[str] = []
    details: list[dict[str, Any]] = []
    seen_accessors: dict[str, str] = {}
    for from_id in from_ids:
        if from_id == to["id"]:
            raise InvalidRequest("to_entity_id should not be present in from_entity_ids")
        source = store.entity(from_id)
        if source is None:
            raise InvalidRequest("entity id to merge from is invalid")
        if keep:
            continue
        for to_alias in to["aliases"]:
            for from_alias in source["aliases"]:
                accessor = from_alias["mount_accessor"]
                owner = seen_accessors.get(accessor)
                if owner is not None and owner != from_id:
                    raise InvalidRequest(
                        f"mount accessor {accessor} found in multiple fromEntities, merge "
                        "should be done with one fromEntity at a time"
                    )
                seen_accessors[accessor] = from_id
                if to_alias["mount_accessor"] != accessor:
                    continue
                if not clashes:
                    clashes.append(
                        "toEntity and at least one fromEntity have aliases with the same mount "
                        "accessor, repeat the merge request specifying exactly one fromEntity, "
                        "clashes: "
                    )
                clashes.append(
                    f"mountAccessor: {accessor}, toEntity ID: {to['id']}, fromEntity ID: "
                    f"{from_id}, conflicting toEntity alias ID: {to_alias['id']}, conflicting "
                    f"fromEntity alias ID: {from_alias['id']}"
                )
                for entity, alias in ((to, to_alias), (source, from_alias)):
                    info = store.mount_info(alias["mount_accessor"]) or ("", "")
                    details.append(
                        {
                            "alias": alias["name"],
                            "entity": entity["name"],
                            "entity_id": entity["id"],
                            "mount": info[0],
                            "mount_path": info[1],
                        }
                    )
    if clashes:
        raise InvalidRequest(*clashes, multierror=True, data={"data": details})


def _resolve_merge_conflict(
    to: Record, alias: Record, to_by_accessor: dict[str, list[str]], keep: list[str]
) -> bool:
    """Apply conflicting_alias_ids_to_keep; False when the from-alias is dropped."""
    for to_alias_id in to_by_accessor.get(alias["mount_accessor"], []):
        if to_alias_id in keep:
            return False
        if alias["id"] in keep:
            to["aliases"] = [a for a in to["aliases"] if a["id"] != to_alias_id]
            continue
        raise InvalidRequest(
            "conflicting mount accessors in following alias IDs and neither were present in "
            f"conflicting_alias_ids_to_keep: {alias['id']}, {to_alias_id}"
        )
    return True


def _move_group_memberships(store: IdentityStore, from_ids: set[str], to_id: str) -> list[Record]:
    changed = []
    for group in store.groups().values():
        members = group.get("member_entity_ids") or []
        if not from_ids & set(members):
            continue
        updated = store.group(group["id"], clone=True)
        assert updated is not None
        kept = [m for m in members if m not in from_ids]
        updated["member_entity_ids"] = [*kept, to_id] if to_id not in kept else kept
        updated["modify_index"] = updated.get("modify_index", 0) + 2
        changed.append(updated)
    return changed


def paths(backend: IdentityBackend) -> list[Path]:
    """The entity paths of the identity mount."""
    store = backend.store

    def write(req: Request, data: FieldData) -> Response | None:
        return upsert_entity(store, data)

    def read_by_id(req: Request, data: FieldData) -> Response | None:
        entity_id = data.get("id")
        if not entity_id:
            raise InvalidRequest("missing entity id")
        entity = store.entity(entity_id)
        return None if entity is None else entity_read(store, entity)

    def read_by_name(req: Request, data: FieldData) -> Response | None:
        name = data.get("name")
        if not name:
            raise InvalidRequest("missing entity name")
        entity = store.entity_by_name(name)
        return None if entity is None else entity_read(store, entity)

    def delete_by_id(req: Request, data: FieldData) -> None:
        entity_id = data.get("id")
        if not entity_id:
            raise InvalidRequest("missing entity id")
        for attempt in store.transaction():
            with attempt:
                entity = store.entity(entity_id)
                if entity is not None:
                    delete_entities(store, [entity])
        return None

    def delete_by_name(req: Request, data: FieldData) -> None:
        name = data.get("name")
        if not name:
            raise InvalidRequest("missing entity name")
        for attempt in store.transaction():
            with attempt:
                entity = store.entity_by_name(name)
                if entity is not None:
                    delete_entities(store, [entity])
        return None

    def batch_delete(req: Request, data: FieldData) -> None:
        ids = data.get("entity_ids")
        if not ids:
            raise InvalidRequest("missing entity ids to delete")
        for attempt in store.transaction():
            with attempt:
                found = {}
                for entity_id in ids:
                    entity = store.entity(entity_id)
                    if entity is not None:
                        found[entity["id"]] = entity
                delete_entities(store, list(found.values()))
        return None

    def list_entities(by_id: bool) -> Any:
        def handler(req: Request, data: FieldData) -> Response:
            keys: list[str] = []
            info: dict[str, Any] = {}
            for entity in store.entities():
                keys.append(entity["id"] if by_id else entity["name"])
                entry: dict[str, Any] = {"name": entity["name"]}
                if entity.get("aliases"):
                    entry["aliases"] = [short_alias(store, a) for a in entity["aliases"]]
                info[entity["id"]] = entry
            return list_response(keys, info)

        return handler

    def merge(req: Request, data: FieldData) -> Response | None:
        return merge_entities(store, data)

    fields = entity_fields()
    by_name_fields = {**fields, "name": Field(FieldType.STRING, "Name of the entity")}
    return [
        Path(
            "entity",
            {Operation.UPDATE: write},
            fields=fields,
            help_synopsis="Create a new entity",
        ),
        Path(
            "entity/name/?",
            {Operation.LIST: list_entities(False)},
            help_synopsis="List all the entity names",
        ),
        Path(
            "entity/name/(?P<name>.+)",
            {
                Operation.UPDATE: write,
                Operation.READ: read_by_name,
                Operation.DELETE: delete_by_name,
            },
            fields=by_name_fields,
            help_synopsis="Update, read or delete an entity using entity name",
        ),
        Path(
            "entity/id/?",
            {Operation.LIST: list_entities(True)},
            help_synopsis="List all the entity IDs",
        ),
        Path(
            f"entity/id/{name_regex('id')}",
            {Operation.UPDATE: write, Operation.READ: read_by_id, Operation.DELETE: delete_by_id},
            fields=fields,
            help_synopsis="Update, read or delete an entity using entity ID",
        ),
        Path(
            "entity/batch-delete",
            {Operation.UPDATE: batch_delete},
            fields={"entity_ids": Field(FieldType.COMMA_STRING_SLICE, "Entity IDs to delete")},
            help_synopsis="Delete all of the entities provided",
        ),
        Path(
            "entity/merge/?",
            {Operation.UPDATE: merge},
            fields={
                "from_entity_ids": Field(
                    FieldType.COMMA_STRING_SLICE, "Entity IDs which need to get merged"
                ),
                "to_entity_id": Field(
                    FieldType.STRING,
                    "Entity ID into which all the other entities need to get merged",
                ),
                "conflicting_alias_ids_to_keep": Field(
                    FieldType.COMMA_STRING_SLICE,
                    "Alias IDs to keep in case of conflicting aliases. Ignored if no "
                    "conflicting aliases found",
                ),
                "force": Field(
                    FieldType.BOOL,
                    "Follow the 'mine' strategy for merging MFA secrets (accepted; this server "
                    "keeps no MFA secrets).",
                ),
            },
            help_synopsis="Merge two or more entities together",
        ),
    ]
