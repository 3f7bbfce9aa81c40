"""``identity/group-alias*``: the alias of an external group (one per group)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...framework.errors import InvalidRequest
from ...framework.fields import Field, FieldData, FieldType
from ...framework.path import Path, name_regex
from ...framework.request import Operation, Request
from ...framework.response import Response
from .groups import sanitize_and_save
from .models import GROUP_EXTERNAL, Record, new_alias, new_group, now
from .views import alias_key_info, alias_read, list_response

if TYPE_CHECKING:
    from . import IdentityBackend
    from .store import IdentityStore


def _fields() -> dict[str, Field]:
    return {
        "id": Field(FieldType.STRING, "ID of the group alias."),
        "name": Field(FieldType.STRING, "Alias of the group."),
        "mount_accessor": Field(FieldType.STRING, "Mount accessor to which this alias belongs to."),
        "canonical_id": Field(FieldType.STRING, "ID of the group to which this is an alias."),
    }


def upsert_group_alias(
    store: IdentityStore, alias: Record | None, data: FieldData
) -> Response | None:
    """Create (alias None) or update a group alias (Vault's handleGroupAliasUpdateCommon)."""
    is_new = alias is None
    name = data.get("name")
    if not name:
        raise InvalidRequest("missing alias name")
    accessor = data.get("mount_accessor")
    if not accessor:
        raise InvalidRequest("missing mount_accessor")
    canonical = data.get("canonical_id")
    if (
        alias is not None
        and alias["name"] == name
        and alias["mount_accessor"] == accessor
        and canonical in ("", alias["canonical_id"])
    ):
        return None
    target: Record | None = None
    if canonical:
        target = store.group(canonical, clone=True)
        if target is None:
            raise InvalidRequest("invalid group ID given in 'canonical_id'")
        if target["type"] != GROUP_EXTERNAL:
            raise InvalidRequest("alias can't be set on an internal group")
    if store.mount_info(accessor) is None:
        raise InvalidRequest(f'invalid mount accessor "{accessor}"')
    existing = store.group_by_alias_factors(accessor, name)
    if existing is not None and (alias is None or existing["alias"]["id"] != alias["id"]):
        raise InvalidRequest("combination of mount and group alias name is already in use")
    if alias is None:
        alias = new_alias("", name, accessor)
    else:
        alias["last_update_time"] = now()
    alias["name"], alias["mount_accessor"] = name, accessor
    previous: Record | None = None
    group_is_new = False
    if is_new:
        if target is None:
            target = new_group()
            target["type"] = GROUP_EXTERNAL
            group_is_new = True
    else:
        previous = store.group_by_alias_id(alias["id"], clone=True)
        if previous is None:
            raise InvalidRequest("group alias is not associated with a group")
        if target is None or target["id"] == previous["id"]:
            target, previous = previous, None
        else:
            previous["alias"] = None
    target["alias"] = alias
    sanitize_and_save(store, target, group_is_new, None, also=[previous] if previous else None)
    return Response(data={"id": alias["id"], "canonical_id": target["id"]})


def paths(backend: IdentityBackend) -> list[Path]:
    """The group-alias paths of the identity mount."""
    store = backend.store

    def update_by_id(req: Request, data: FieldData) -> Response | None:
        alias_id = data.get("id")
        if not alias_id:
            raise InvalidRequest("empty group alias ID")
        for attempt in store.transaction():
            with attempt:
                group = store.group_by_alias_id(alias_id, clone=True)
                if group is None:
                    raise InvalidRequest("invalid group alias ID")
                return upsert_group_alias(store, group["alias"], data)

    def register(req: Request, data: FieldData) -> Response | None:
        if data.has("id"):
            return update_by_id(req, data)
        for attempt in store.transaction():
            with attempt:
                return upsert_group_alias(store, None, data)

    def read(req: Request, data: FieldData) -> Response | None:
        alias_id = data.get("id")
        if not alias_id:
            raise InvalidRequest("empty group alias id")
        group = store.group_by_alias_id(alias_id)
        return None if group is None else alias_read(store, group["alias"], group_alias=True)

    def delete(req: Request, data: FieldData) -> None:
        alias_id = data.get("id")
        if not alias_id:
            raise InvalidRequest("missing group alias ID")
        for attempt in store.transaction():
            with attempt:
                group = store.group_by_alias_id(alias_id, clone=True)
                if group is not None:
                    group["alias"] = None
                    group["modify_index"] = group.get("modify_index", 0) + 1
                    store.save_groups([group])
        return None

    def list_ids(req: Request, data: FieldData) -> Response:
        aliases = sorted(
            (g["alias"] for g in store.groups().values() if g.get("alias")),
            key=lambda a: a["id"],
        )
        info: dict[str, Any] = {a["id"]: alias_key_info(store, a) for a in aliases}
        return list_response([a["id"] for a in aliases], info)

    return [
        Path(
            "group-alias",
            {Operation.UPDATE: register},
            fields=_fields(),
            help_synopsis="Creates a new group alias, or updates an existing one.",
        ),
        Path(
            "group-alias/id/?",
            {Operation.LIST: list_ids},
            help_synopsis="List all the group alias IDs.",
        ),
        Path(
            f"group-alias/id/{name_regex('id')}",
            {Operation.UPDATE: update_by_id, Operation.READ: read, Operation.DELETE: delete},
            fields=_fields(),
            help_synopsis="Update, read or delete a group alias using ID.",
        ),
    ]
