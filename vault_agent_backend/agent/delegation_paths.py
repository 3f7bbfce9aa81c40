"""``identity/agent/delegation...``: create, read, list and revoke OBO delegations.

The identity backend adds these paths with one call::

    self.add_paths(delegation_paths(self))

* ``POST identity/agent/delegation`` -- with the human's own token: ``agent``,
  ``authorization_details``, ``ttl``, ``purpose`` → ``data.delegation_id``;
* ``LIST identity/agent/delegation`` (also ``.../id/``) -- filters ``agent``,
  ``subject_entity_id``;
* ``GET|DELETE identity/agent/delegation/id/:id``;
* ``DELETE identity/agent/delegation/subject/:entity_id`` -- all of one human's.

A human sees and revokes only their own delegations; ``sudo`` on
``identity/agent/delegation`` sees and revokes all (403 otherwise).
"""

from __future__ import annotations

import json
from typing import Any

from ..framework.errors import InvalidRequest, PermissionDenied
from ..framework.fields import Field, FieldData, FieldType
from ..framework.path import Path, name_regex
from ..framework.request import Operation, Request
from ..framework.response import Response
from .delegation_service import delegation_service

__all__ = ["delegation_paths"]

_CREATE_FIELDS = {
    "agent": Field(FieldType.STRING, description="The agent: registration id or display name."),
    "authorization_details": Field(
        FieldType.SLICE,
        description="RFC 9396 array: the most the agent may ever request for you.",
    ),
    "ttl": Field(
        FieldType.DURATION,
        description="How long the delegation lasts (0: until the creating token ends).",
    ),
    "purpose": Field(FieldType.STRING, description="Why the agent may act for you (audited)."),
}
_LIST_FIELDS = {
    "agent": Field(FieldType.STRING, description="Only this agent's (id or display name)."),
    "subject_entity_id": Field(FieldType.STRING, description="Only this human's."),
}
_ID_FIELDS = {"id": Field(FieldType.STRING, description="The delegation id.")}
_SUBJECT_FIELDS = {"entity_id": Field(FieldType.STRING, description="The human's entity id.")}


def _details(raw: Any) -> Any:
    """``authorization_details`` as sent: a JSON array, or a JSON-encoded string (forms)."""
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except (ValueError, RecursionError):
            raise InvalidRequest("authorization_details must be a JSON array") from None
    return raw


def delegation_paths(backend: Any) -> list[Path]:
    """The delegation paths of the identity mount (``backend.core`` is the core)."""
    service = delegation_service(backend.core)
    store = service.store

    def create(req: Request, data: FieldData) -> Response:
        record, warnings = service.create(
            req.caller,
            data.get("agent").strip(),
            _details(data.raw.get("authorization_details")),
            data.get("ttl"),
            data.get("purpose"),
        )
        response = Response(data=service.view(record))
        for warning in warnings:
            response.add_warning(warning)
        return response

    def listing(req: Request, data: FieldData) -> Response:
        caller = req.caller
        admin = service.is_admin(caller)
        agent = data.get("agent").strip()
        agent_id = ""
        if agent:
            registry = backend.core.hooks.get("agent_registry")
            found = registry.store.resolve(agent) if registry else None
            if found is None:
                return Response(data={})
            agent_id = found["id"]
        subject = data.get("subject_entity_id").strip()
        keys, info = [], {}
        for record in store.all():
            if not admin and record["subject_entity_id"] != (caller.entity_id if caller else ""):
                continue
            if agent_id and record["agent_id"] != agent_id:
                continue
            if subject and record["subject_entity_id"] != subject:
                continue
            view = service.view(record)
            keys.append(record["id"])
            info[record["id"]] = {
                k: view[k]
                for k in (
                    "agent",
                    "agent_display_name",
                    "subject_entity_id",
                    "purpose",
                    "status",
                    "expire_time",
                )
            }
        return Response(data={"keys": keys, "key_info": info} if keys else {})

    def read(req: Request, data: FieldData) -> Response | None:
        record = store.get(data.get("id"))
        if record is None:
            return None
        if not service.may_see(req.caller, record):
            raise PermissionDenied("the delegation belongs to another entity")
        return Response(data=service.view(record))

    def delete(req: Request, data: FieldData) -> None:
        record = store.get(data.get("id"))
        if record is None:
            return None
        if not service.may_see(req.caller, record):
            raise PermissionDenied("the delegation belongs to another entity")
        service.revoke(record, _reason(req))
        return None

    def delete_subject(req: Request, data: FieldData) -> Response:
        entity_id = data.get("entity_id")
        caller = req.caller
        if not service.is_admin(caller) and (caller is None or caller.entity_id != entity_id):
            raise PermissionDenied("only your own delegations can be revoked")
        ended = service.revoke_subject(entity_id, _reason(req))
        return Response(data={"revoked_delegation_ids": ended})

    return [
        Path(
            "agent/delegation/?",
            {
                Operation.UPDATE: create,
                Operation.LIST: listing,
            },
            fields={**_CREATE_FIELDS, "subject_entity_id": _LIST_FIELDS["subject_entity_id"]},
            help_synopsis="Create an on-behalf-of delegation (your own token), or list them.",
            help_description=(
                "POST with the human's own token: agent, authorization_details, ttl, purpose. "
                "LIST filters: agent, subject_entity_id."
            ),
        ),
        Path(
            "agent/delegation/id/?",
            {Operation.LIST: listing},
            fields=_LIST_FIELDS,
            help_synopsis="List delegations by id.",
        ),
        Path(
            f"agent/delegation/id/{name_regex('id')}",
            {Operation.READ: read, Operation.DELETE: delete},
            fields=_ID_FIELDS,
            help_synopsis="Read or revoke one delegation.",
        ),
        Path(
            f"agent/delegation/subject/{name_regex('entity_id')}",
            {Operation.DELETE: delete_subject},
            fields=_SUBJECT_FIELDS,
            help_synopsis="Revoke every delegation of one human.",
        ),
    ]


def _reason(req: Request) -> str:
    caller = req.caller
    who = caller.entity_id if caller is not None and caller.entity_id else "an operator"
    return f"revoked by {who}"
