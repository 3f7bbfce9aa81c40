"""``identity/lookup/entity`` and ``identity/lookup/group``: find one by a distinct key.

**Extension**: ``lookup/entity`` also accepts ``alias_issuer`` + ``alias_external_id``
(the Vault 2.x issuer-bound aliases).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...framework.errors import InvalidRequest
from ...framework.fields import Field, FieldData, FieldType
from ...framework.path import Path
from ...framework.request import Operation, Request
from ...framework.response import Response
from .views import entity_read, group_read

if TYPE_CHECKING:
    from . import IdentityBackend

_PAIRS = (("alias_name", "alias_mount_accessor"), ("alias_issuer", "alias_external_id"))


def _fields(kind: str, extension: bool) -> dict[str, Field]:
    fields = {
        "name": Field(FieldType.STRING, f"Name of the {kind}."),
        "id": Field(FieldType.STRING, f"ID of the {kind}."),
        "alias_id": Field(FieldType.STRING, "ID of the alias."),
        "alias_name": Field(
            FieldType.STRING,
            "Name of the alias. This should be supplied in conjunction with "
            "'alias_mount_accessor'.",
        ),
        "alias_mount_accessor": Field(
            FieldType.STRING,
            "Accessor of the mount to which the alias belongs to. This should be supplied in "
            "conjunction with 'alias_name'.",
        ),
    }
    if extension:
        fields["alias_issuer"] = Field(
            FieldType.STRING,
            "Issuer of an issuer-bound alias; supplied with 'alias_external_id'.",
        )
        fields["alias_external_id"] = Field(
            FieldType.STRING,
            "External id of an issuer-bound alias; supplied with 'alias_issuer'.",
        )
    return fields


def _query(data: FieldData) -> dict[str, str]:
    """The supplied query keys, after Vault's distinctness rules (400 on conflicts)."""
    given = {name: data.get(name) for name in data.schema if data.has(name)}
    if not given:
        raise InvalidRequest("query parameter not supplied")
    if len(given) != 1:
        pair_ok = len(given) == 2 and any(
            given.get(a) and given.get(b) for a, b in _PAIRS if a in given and b in given
        )
        if not pair_ok:
            raise InvalidRequest(
                "query parameter conflict; please supply distinct set of query parameters"
            )
    else:
        (key,) = given
        if key in ("alias_name", "alias_mount_accessor") and given[key]:
            raise InvalidRequest("both 'alias_name' and 'alias_mount_accessor' needs to be set")
        if key in ("alias_issuer", "alias_external_id") and given[key]:
            raise InvalidRequest("both 'alias_issuer' and 'alias_external_id' needs to be set")
    return given


def paths(backend: IdentityBackend) -> list[Path]:
    """The lookup paths of the identity mount."""
    store = backend.store

    def lookup_entity(req: Request, data: FieldData) -> Response | None:
        query = _query(data)
        entity = None
        if query.get("id"):
            entity = store.entity(query["id"])
        elif query.get("name"):
            entity = store.entity_by_name(query["name"])
        elif query.get("alias_id"):
            entity = store.entity_by_alias_id(query["alias_id"])
        elif query.get("alias_name") and query.get("alias_mount_accessor"):
            found = store.alias_by_factors(query["alias_mount_accessor"], query["alias_name"])
            entity = found[0] if found else None
        elif query.get("alias_issuer") and query.get("alias_external_id"):
            found = store.alias_by_external(query["alias_issuer"], query["alias_external_id"])
            entity = found[0] if found else None
        return None if entity is None else entity_read(store, entity)

    def lookup_group(req: Request, data: FieldData) -> Response | None:
        query = _query(data)
        group = None
        if query.get("id"):
            group = store.group(query["id"])
        elif query.get("name"):
            group = store.group_by_name(query["name"])
        elif query.get("alias_id"):
            group = store.group_by_alias_id(query["alias_id"])
        elif query.get("alias_name") and query.get("alias_mount_accessor"):
            group = store.group_by_alias_factors(query["alias_mount_accessor"], query["alias_name"])
        return None if group is None else group_read(store, group)

    return [
        Path(
            "lookup/entity",
            {Operation.UPDATE: lookup_entity},
            fields=_fields("entity", True),
            help_synopsis="Query entities based on various properties.",
        ),
        Path(
            "lookup/group",
            {Operation.UPDATE: lookup_group},
            fields=_fields("group", False),
            help_synopsis="Query groups based on various properties.",
        ),
    ]
