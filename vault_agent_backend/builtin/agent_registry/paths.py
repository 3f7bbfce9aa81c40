"""The registration paths, declared once for both routes (``agent-registry/`` and
``identity/agent/``); the identity route shows the extension fields too."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ...framework.errors import InvalidRequest, NotFound
from ...framework.fields import Field, FieldData, FieldType
from ...framework.path import Path, name_regex
from ...framework.request import Operation, Request
from ...framework.response import Response
from .model import FIELDS, Record, apply_input, extended_view, vault_view

if TYPE_CHECKING:
    from .service import AgentRegistry

_NOT_FOUND = "registration not found"


def registration_paths(registry: AgentRegistry, prefix: str, *, extended: bool) -> list[Path]:
    """Paths of one route; ``prefix`` is ``""`` (agent-registry mount) or ``agent/``."""
    store = registry.store
    view: Callable[[Record], dict[str, Any]] = extended_view if extended else vault_view

    def check_entity(record: Record) -> None:
        if not registry.entity_exists(record["entity_id"]):
            raise InvalidRequest(f'entity_id "{record["entity_id"]}" does not exist')

    def write(current: Record | None, data: FieldData, fixed_name: str | None = None) -> Response:
        record = apply_input(current, data, fixed_name=fixed_name)
        # Vault 2.x: the entity must exist when the registration is created *or updated*
        # (an update that leaves entity_id out keeps the stored one, which is checked too).
        check_entity(record)
        saved = store.save(record, current)
        return Response(data={"id": saved["id"], "display_name": saved["display_name"]})

    def register(req: Request, data: FieldData) -> Response:
        reg_id = data.get("id").strip()
        current = None
        if reg_id:
            current = store.get(reg_id)
            if current is None:
                raise NotFound(_NOT_FOUND)
        return write(current, data)

    def register_exists(req: Request, data: FieldData) -> bool:
        reg_id = data.get("id").strip()
        return bool(reg_id) and store.get(reg_id) is not None

    def by_id(data: FieldData) -> Record | None:
        return store.get(data.get("id"))

    def by_name(data: FieldData) -> Record | None:
        return store.by_display_name(data.get("display_name"))

    def reader(find: Callable[[FieldData], Record | None]):
        def read(req: Request, data: FieldData) -> Response | None:
            record = find(data)
            return None if record is None else Response(data=view(record))

        return read

    def update_by_id(req: Request, data: FieldData) -> Response:
        current = by_id(data)
        if current is None:
            raise NotFound(_NOT_FOUND)
        return write(current, data)

    def update_by_name(req: Request, data: FieldData) -> Response:
        name = data.get("display_name")
        current = by_name(data)
        if current is None:
            raise NotFound(_NOT_FOUND)
        body_name = req.data.get("display_name")
        if body_name not in (None, "", name):
            raise InvalidRequest("display_name cannot be changed through the display-name path")
        return write(current, data, fixed_name=name)

    def deleter(find: Callable[[FieldData], Record | None]):
        def delete(req: Request, data: FieldData) -> None:
            record = find(data)
            if record is not None:
                store.delete(record["id"])
                registry.activity.forget(record["id"])
            return None

        return delete

    def list_by(key: str):
        def listing(req: Request, data: FieldData) -> Response:
            records = store.all()
            keys = sorted(r[key] for r in records)
            info = {r[key]: _key_info(r, extended) for r in records}
            return Response(data={"keys": keys, "key_info": info} if keys else {})

        return listing

    def exists(find: Callable[[FieldData], Record | None]):
        return lambda req, data: find(data) is not None

    id_fields = {**FIELDS, "id": Field(FieldType.STRING, description="Registration ID.")}
    name_fields = {
        **FIELDS,
        "display_name": Field(FieldType.STRING, description="Display name of the registration."),
    }
    entity_fields = {"entity_id": Field(FieldType.STRING, description="Entity ID of the agent.")}
    p = prefix
    return [
        Path(
            f"{p}register",
            {Operation.UPDATE: register},
            fields=FIELDS,
            existence_check=register_exists,
            help_synopsis="Register an agent, or update a registration when id is given.",
        ),
        Path(
            f"{p}registration/id/?",
            {Operation.LIST: list_by("id")},
            help_synopsis="List registrations by id.",
        ),
        Path(
            f"{p}registration/id/{name_regex('id')}",
            {
                Operation.READ: reader(by_id),
                Operation.UPDATE: update_by_id,
                Operation.DELETE: deleter(by_id),
            },
            fields=id_fields,
            existence_check=exists(by_id),
            help_synopsis="Read, update or delete a registration by id.",
        ),
        Path(
            f"{p}registration/display-name/?",
            {Operation.LIST: list_by("display_name")},
            help_synopsis="List registrations by display name.",
        ),
        Path(
            f"{p}registration/display-name/{name_regex('display_name')}",
            {
                Operation.READ: reader(by_name),
                Operation.UPDATE: update_by_name,
                Operation.DELETE: deleter(by_name),
            },
            fields=name_fields,
            existence_check=exists(by_name),
            help_synopsis="Read, update or delete a registration by display name.",
        ),
        Path(
            f"{p}registration/entity-id/{name_regex('entity_id')}",
            {Operation.READ: reader(lambda data: store.by_entity(data.get("entity_id")))},
            fields=entity_fields,
            help_synopsis="Read the registration of an entity.",
        ),
    ]


def _key_info(record: Record, extended: bool) -> dict[str, Any]:
    info: dict[str, Any] = {"display_name": record["display_name"]}
    if extended:
        info.update(
            {"id": record["id"], "entity_id": record["entity_id"], "status": record["status"]}
        )
    return info
