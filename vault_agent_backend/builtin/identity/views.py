"""The JSON Vault shows for entities, aliases and groups (reads and list ``key_info``)."""

from __future__ import annotations

from typing import Any

from ...framework.response import Response
from .models import Record, dedupe
from .store import IdentityStore


def _mount_fields(store: IdentityStore, accessor: str, out: dict[str, Any]) -> None:
    info = store.mount_info(accessor)
    if info is not None:
        out["mount_type"], out["mount_path"] = info


def _extension_fields(alias: Record, out: dict[str, Any], *, always: bool = False) -> None:
    """``issuer``/``external_id`` (Vault 2.x): always in alias reads, else only when bound."""
    if always or alias.get("issuer"):
        out["issuer"] = alias.get("issuer", "")
        out["external_id"] = alias.get("external_id", "")


def entity_alias_in_entity(store: IdentityStore, alias: Record) -> dict[str, Any]:
    """One element of an entity read's ``aliases``."""
    out: dict[str, Any] = {
        "id": alias["id"],
        "canonical_id": alias["canonical_id"],
        "mount_accessor": alias["mount_accessor"],
        "metadata": alias.get("metadata"),
        "name": alias["name"],
        "merged_from_canonical_ids": alias.get("merged_from_canonical_ids"),
        "creation_time": alias["creation_time"],
        "last_update_time": alias["last_update_time"],
        "local": alias.get("local", False),
        "custom_metadata": alias.get("custom_metadata"),
    }
    _mount_fields(store, alias["mount_accessor"], out)
    _extension_fields(alias, out)
    return out


def entity_read(store: IdentityStore, entity: Record) -> Response:
    """``identity/entity/id/:id`` (and name, lookup) read."""
    direct, inherited = store.entity_groups(entity["id"])
    direct_ids = [g["id"] for g in direct]
    inherited_ids = [g["id"] for g in inherited]
    data: dict[str, Any] = {
        "id": entity["id"],
        "name": entity["name"],
        "metadata": entity.get("metadata"),
        "merged_entity_ids": entity.get("merged_entity_ids"),
        "policies": dedupe(entity.get("policies") or [], lower=True),
        "disabled": bool(entity.get("disabled")),
        "namespace_id": entity.get("namespace_id", "root"),
        "creation_time": entity["creation_time"],
        "last_update_time": entity["last_update_time"],
        "aliases": [entity_alias_in_entity(store, a) for a in entity.get("aliases") or []],
        "direct_group_ids": direct_ids,
        "inherited_group_ids": inherited_ids,
        "group_ids": direct_ids + inherited_ids,
    }
    return Response(data=data)


def alias_read(store: IdentityStore, alias: Record, *, group_alias: bool = False) -> Response:
    """``identity/entity-alias/id/:id`` and ``identity/group-alias/id/:id`` reads."""
    data: dict[str, Any] = {
        "id": alias["id"],
        "canonical_id": alias["canonical_id"],
        "mount_accessor": alias["mount_accessor"],
        "metadata": alias.get("metadata"),
        "custom_metadata": alias.get("custom_metadata"),
        "name": alias["name"],
        "merged_from_canonical_ids": alias.get("merged_from_canonical_ids"),
        "namespace_id": alias.get("namespace_id", "root"),
        "local": alias.get("local", False),
        "creation_time": alias["creation_time"],
        "last_update_time": alias["last_update_time"],
    }
    _mount_fields(store, alias["mount_accessor"], data)
    if not group_alias:
        _extension_fields(alias, data, always=True)
    return Response(data=data)


def group_read(store: IdentityStore, group: Record) -> Response:
    """``identity/group/id/:id`` (and name, lookup) read."""
    alias_map: dict[str, Any] = {}
    alias = group.get("alias")
    if alias:
        alias_map = {
            "id": alias["id"],
            "canonical_id": alias["canonical_id"],
            "mount_accessor": alias["mount_accessor"],
            "metadata": alias.get("metadata"),
            "name": alias["name"],
            "merged_from_canonical_ids": alias.get("merged_from_canonical_ids"),
            "creation_time": alias["creation_time"],
            "last_update_time": alias["last_update_time"],
        }
        _mount_fields(store, alias["mount_accessor"], alias_map)
    members = [g["id"] for g in store.child_groups(group["id"])]
    data: dict[str, Any] = {
        "id": group["id"],
        "name": group["name"],
        "policies": group.get("policies"),
        "member_entity_ids": group.get("member_entity_ids"),
        "parent_group_ids": group.get("parent_group_ids"),
        "metadata": group.get("metadata"),
        "creation_time": group["creation_time"],
        "last_update_time": group["last_update_time"],
        "modify_index": group.get("modify_index", 0),
        "type": group["type"],
        "namespace_id": group.get("namespace_id", "root"),
        "alias": alias_map,
        "member_group_ids": members or None,
    }
    return Response(data=data)


def list_response(keys: list[str], key_info: dict[str, Any]) -> Response:
    """Vault's ListResponseWithInfo: ``key_info`` only for listed keys, only when non-empty."""
    data: dict[str, Any] = {}
    if keys:
        data["keys"] = keys
    info = {k: key_info[k] for k in keys if k in key_info}
    if info:
        data["key_info"] = info
    return Response(data=data)


def alias_key_info(store: IdentityStore, alias: Record) -> dict[str, Any]:
    """``key_info`` entry of an alias list (entity or group aliases)."""
    out: dict[str, Any] = {
        "name": alias["name"],
        "canonical_id": alias["canonical_id"],
        "mount_accessor": alias["mount_accessor"],
        "custom_metadata": alias.get("custom_metadata"),
        "metadata": alias.get("metadata"),
        "local": alias.get("local", False),
    }
    _mount_fields(store, alias["mount_accessor"], out)
    _extension_fields(alias, out)
    return out


def short_alias(store: IdentityStore, alias: Record) -> dict[str, Any]:
    """The alias summary in entity and group list ``key_info``."""
    out: dict[str, Any] = {
        "id": alias["id"],
        "name": alias["name"],
        "mount_accessor": alias["mount_accessor"],
    }
    _mount_fields(store, alias["mount_accessor"], out)
    _extension_fields(alias, out)
    return out
