"""``identity/group*``: internal and external groups, nested groups without cycles."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...framework.errors import InvalidRequest
from ...framework.fields import Field, FieldData, FieldType
from ...framework.path import Path, name_regex
from ...framework.request import Operation, Request
from ...framework.response import Response
from .models import (
    GROUP_EXTERNAL,
    GROUP_INTERNAL,
    Record,
    dedupe,
    new_group,
    now,
    validate_metadata,
)
from .views import group_read, list_response, short_alias

if TYPE_CHECKING:
    from . import IdentityBackend
    from .store import IdentityStore

CYCLE_PREFIX = "cyclic relationship detected for member group ID"


def group_fields() -> dict[str, Field]:
    """The fields of the group create/update paths."""
    return {
        "id": Field(
            FieldType.STRING, "ID of the group. If set, updates the corresponding existing group."
        ),
        "type": Field(
            FieldType.STRING, "Type of the group, 'internal' or 'external'. Defaults to 'internal'"
        ),
        "name": Field(FieldType.STRING, "Name of the group."),
        "metadata": Field(FieldType.KV_PAIRS, "Metadata to be associated with the group."),
        "policies": Field(FieldType.COMMA_STRING_SLICE, "Policies to be tied to the group."),
        "member_group_ids": Field(
            FieldType.COMMA_STRING_SLICE, "Group IDs to be assigned as group members."
        ),
        "member_entity_ids": Field(
            FieldType.COMMA_STRING_SLICE, "Entity IDs to be assigned as group members."
        ),
    }


def upsert_group(store: IdentityStore, group: Record | None, data: FieldData) -> Response | None:
    """Create (group None) or update a group from request fields."""
    is_new = group is None
    if group is None:
        group = new_group()
    policies, ok = data.get_ok("policies")
    if ok:
        group["policies"] = dedupe(policies, lower=True)
    if "root" in (group.get("policies") or []):
        raise InvalidRequest("policies cannot contain root")
    group_type, ok = data.get_ok("type")
    if ok:
        if group["type"] and group_type != group["type"]:
            raise InvalidRequest("group type cannot be changed")
        group["type"] = group_type
    if not group["type"]:
        group["type"] = GROUP_INTERNAL
    if group["type"] not in (GROUP_INTERNAL, GROUP_EXTERNAL):
        raise InvalidRequest(f'invalid group type "{group["type"]}"')
    name = data.get("name")
    if name:
        by_name = store.group_by_name(name)
        if by_name is not None and by_name["id"] != group["id"]:
            raise InvalidRequest("group name is already in use")
        group["name"] = name
    metadata, ok = data.get_ok("metadata")
    if ok:
        group["metadata"] = metadata
    members, ok = data.get_ok("member_entity_ids")
    if ok:
        if group["type"] == GROUP_EXTERNAL:
            raise InvalidRequest("member entities can't be set manually for external groups")
        group["member_entity_ids"] = members
    member_groups, ok = data.get_ok("member_group_ids")
    if ok and group["type"] == GROUP_EXTERNAL:
        raise InvalidRequest("member groups can't be set for external groups")
    sanitize_and_save(store, group, is_new, member_groups if ok else None)
    if not is_new:
        return None
    return Response(data={"id": group["id"], "name": group["name"]})


def sanitize_and_save(
    store: IdentityStore,
    group: Record,
    is_new: bool,
    member_group_ids: list[str] | None,
    also: list[Record] | None = None,
) -> None:
    """Validate a group, update its member groups' parents and persist it (atomically)."""
    if not group["name"]:
        group["name"] = store.unique_name("group")
    validate_metadata("group", group.get("metadata"))
    if not is_new:
        group["last_update_time"] = now()
    if group.get("member_entity_ids") is not None:
        group["member_entity_ids"] = dedupe(group["member_entity_ids"], lower=False)
        for entity_id in group["member_entity_ids"]:
            if store.entity(entity_id) is None:
                raise InvalidRequest(f'invalid entity ID "{entity_id}"')
    if group.get("policies") is not None:
        group["policies"] = dedupe(group["policies"], lower=True)
    changed: dict[str, Record] = {g["id"]: g for g in also or []}
    if member_group_ids is not None:
        wanted = dedupe(member_group_ids, lower=False)
        for current in store.child_groups(group["id"]):
            if current["id"] in wanted:
                continue
            updated = changed.get(current["id"]) or store.group(current["id"], clone=True)
            assert updated is not None
            updated["parent_group_ids"] = [
                p for p in updated.get("parent_group_ids") or [] if p != group["id"]
            ]
            changed[updated["id"]] = updated
        for member_id in wanted:
            member = changed.get(member_id) or store.group(member_id, clone=True)
            if member is None:
                raise InvalidRequest(f'invalid member group ID "{member_id}"')
            if group["id"] in (member.get("parent_group_ids") or []):
                continue
            if member_id == group["id"]:
                raise InvalidRequest(
                    f'member group ID "{group["id"]}" is same as the ID of the group'
                )
            if not is_new and _reaches(store, member_id, group["id"]):
                raise InvalidRequest(f'{CYCLE_PREFIX} "{member_id}"')
            member["parent_group_ids"] = [*(member.get("parent_group_ids") or []), group["id"]]
            changed[member_id] = member
    if group.get("alias"):
        group["alias"]["canonical_id"] = group["id"]
    for updated in changed.values():
        updated["modify_index"] = updated.get("modify_index", 0) + 1
    group["modify_index"] = group.get("modify_index", 0) + 1
    changed[group["id"]] = group
    store.save_groups(changed.values())


def _reaches(store: IdentityStore, start_id: str, target_id: str) -> bool:
    """Whether ``target_id`` is ``start_id`` or one of its (transitive) member groups."""
    stack, seen = [start_id], set()
    while stack:
        current = stack.pop()
        if current == target_id:
            return True
        if current in seen:
            continue
        seen.add(current)
        stack.extend(g["id"] for g in store.child_groups(current))
    return False


def paths(backend: IdentityBackend) -> list[Path]:
    """The group paths of the identity mount."""
    store = backend.store

    def update_by_id(req: Request, data: FieldData) -> Response | None:
        group_id = data.get("id")
        if not group_id:
            raise InvalidRequest("empty group ID")
        for attempt in store.transaction():
            with attempt:
                group = store.group(group_id, clone=True)
                if group is None:
                    raise InvalidRequest("invalid group ID")
                return upsert_group(store, group, data)

    def update_by_name(req: Request, data: FieldData) -> Response | None:
        name = data.get("name")
        if not name:
            raise InvalidRequest("empty group name")
        for attempt in store.transaction():
            with attempt:
                return upsert_group(store, store.group_by_name(name, clone=True), data)

    def register(req: Request, data: FieldData) -> Response | None:
        if data.has("id"):
            return update_by_id(req, data)
        if data.has("name"):
            return update_by_name(req, data)
        for attempt in store.transaction():
            with attempt:
                return upsert_group(store, None, data)

    def read_by_id(req: Request, data: FieldData) -> Response | None:
        group_id = data.get("id")
        if not group_id:
            raise InvalidRequest("empty group id")
        group = store.group(group_id)
        return None if group is None else group_read(store, group)

    def read_by_name(req: Request, data: FieldData) -> Response | None:
        name = data.get("name")
        if not name:
            raise InvalidRequest("empty group name")
        group = store.group_by_name(name)
        return None if group is None else group_read(store, group)

    def delete(by_id: bool) -> Any:
        def handler(req: Request, data: FieldData) -> None:
            key = data.get("id" if by_id else "name")
            if not key:
                raise InvalidRequest("empty group ID" if by_id else "empty group name")
            for attempt in store.transaction():
                with attempt:
                    group = store.group(key) if by_id else store.group_by_name(key)
                    if group is not None:
                        store.save_groups([], deleted=[group])
            return None

        return handler

    def list_groups(by_id: bool) -> Any:
        def handler(req: Request, data: FieldData) -> Response:
            keys: list[str] = []
            info: dict[str, Any] = {}
            for group in sorted(store.groups().values(), key=lambda g: g["id"]):
                keys.append(group["id"] if by_id else group["name"])
                entry: dict[str, Any] = {
                    "name": group["name"],
                    "num_member_entities": len(group.get("member_entity_ids") or []),
                    "num_parent_groups": len(group.get("parent_group_ids") or []),
                }
                if group.get("alias"):
                    entry["alias"] = short_alias(store, group["alias"])
                info[group["id"]] = entry
            return list_response(keys, info)

        return handler

    fields = group_fields()
    return [
        Path(
            "group",
            {Operation.UPDATE: register},
            fields=fields,
            help_synopsis="Create a new group.",
        ),
        Path(
            "group/id/?",
            {Operation.LIST: list_groups(True)},
            help_synopsis="List all the group IDs.",
        ),
        Path(
            f"group/id/{name_regex('id')}",
            {
                Operation.UPDATE: update_by_id,
                Operation.READ: read_by_id,
                Operation.DELETE: delete(True),
            },
            fields=fields,
            help_synopsis="Update or delete an existing group using its ID.",
        ),
        Path(
            "group/name/?",
            {Operation.LIST: list_groups(False)},
            help_synopsis="List all the group names.",
        ),
        Path(
            "group/name/(?P<name>.+)",
            {
                Operation.UPDATE: update_by_name,
                Operation.READ: read_by_name,
                Operation.DELETE: delete(False),
            },
            fields=fields,
            help_synopsis="Update, read or delete an existing group using its name.",
        ),
    ]
